"""Discovery on small instances with planted tastes, on SQLite, PostgreSQL and MariaDB (issue 13).

Each world is built through the real services (see pinhaven.discovery.small_worlds); the ranker sees only
boards, saves, events and follows, never the planted taste, which only scores the results.
"""

from __future__ import annotations

import pytest
from tests.conftest import ALL_BACKENDS

from pinhaven.context import AppContext
from pinhaven.discovery.small_world_scores import run_scenario
from pinhaven.discovery.small_worlds import SCENARIOS

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)

TASTE_SHARE = 0.7
RELATED_PRECISION = 0.85


VARIATIONS = ["one-user", "many-boards", "new-user", "follows-one"]


@pytest.mark.parametrize(
    "name", ["issue", *(pytest.param(v, marks=pytest.mark.slow) for v in VARIATIONS)]
)  # about 5-10 s per world and backend: the variations run with the slow tests
def test_first_page_is_full_and_on_taste_right_after_acting_and_after_the_refresh(
    ctx: AppContext, name: str
) -> None:
    _, scores = run_scenario(ctx, SCENARIOS[name])
    for s in scores:
        assert s.page_full_when_possible, s.row()
        assert s.taste_share >= TASTE_SHARE, s.row()
        assert s.related_precision >= RELATED_PRECISION, s.row()
        # Hit rate vs popularity is not asserted: tiny worlds hold out 4-7 pictures, too few for a stable
        # ratio; bench/discovery.py --small reports it.
        assert not s.caught_up, s.row()
