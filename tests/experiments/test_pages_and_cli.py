"""The admin page (/admin/experiments) and `pinhaven experiments ...`."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from tests.web.helpers import WebClient
from typer.testing import CliRunner

from pinhaven.accounts import service as accounts_service
from pinhaven.cli import app as cli_app
from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.experiments import service
from pinhaven.moderation import roles

runner = CliRunner()


@pytest.fixture
def admin(ctx: AppContext, new_visitor: Callable[[], WebClient]) -> WebClient:
    client = new_visitor()
    client.signup("root")
    with session_scope(ctx.sessions) as db:
        roles.set_role(
            db=db, user=accounts_service.get_by_username_or_raise(db=db, username="root"), role="admin"
        )
    return client


@pytest.fixture
def member(new_visitor: Callable[[], WebClient]) -> WebClient:
    client = new_visitor()
    client.signup("ann")
    return client


def test_only_admins_see_and_change_experiments(admin: WebClient, member: WebClient) -> None:
    assert member.get("/admin/experiments").status_code == 403
    arms = "control:50:scorer=hand-tuned\nlearned:50:scorer=learned;sources=-als"
    assert member.post("/admin/experiments", {"name": "x", "arms": arms}).status_code == 403
    page = admin.get("/admin/experiments")
    assert page.status_code == 200 and "No experiments yet" in page.text and "No model yet" in page.text
    made = admin.post("/admin/experiments", {"name": "ranker", "arms": arms}, follow_redirects=False)
    assert made.status_code == 303
    page = admin.get("/admin/experiments")
    assert 'data-experiment="ranker"' in page.text and "draft" in page.text
    assert admin.post("/admin/experiments/ranker/start", {}, follow_redirects=False).status_code == 303
    assert "running" in admin.get("/admin/experiments").text
    report = admin.get("/admin/experiments/ranker")
    assert (
        report.status_code == 200
        and 'data-arm="control"' in report.text
        and 'data-arm="learned"' in report.text
    )
    assert member.get("/admin/experiments/ranker").status_code == 403
    assert admin.post("/admin/experiments/ranker/stop", {}, follow_redirects=False).status_code == 303
    assert admin.post("/admin/experiments/ranker/start", {}).status_code == 409  # stopped for good
    assert admin.post("/admin/experiments/ranker/stop", {}, csrf=False).status_code == 403  # no CSRF token


def test_bad_arms_redisplay_the_form_with_the_reason(admin: WebClient, ctx: AppContext) -> None:
    page = admin.post("/admin/experiments", {"name": "x", "arms": "control:50\nother:50:scorer=magic"})
    assert page.status_code == 400 and "scorer must be" in page.text and "other:50:scorer=magic" in page.text
    assert admin.get("/admin/experiments/nope").status_code == 404
    with session_scope(ctx.read_sessions) as db:
        assert service.list_all(db=db) == []


@pytest.fixture
def _database_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINHAVEN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PINHAVEN_SECRET_KEY", "test-secret-key")


def _cli(settings: Settings, *args: str) -> tuple[int, str]:
    result = runner.invoke(cli_app, ["experiments", *args, "--data-dir", str(settings.data_dir)])
    return result.exit_code, result.output


@pytest.mark.usefixtures("_database_env")
def test_experiments_from_the_command_line(ctx: AppContext, settings: Settings) -> None:
    code, out = _cli(
        settings, "create", "ranker", "--arm", "control:50:scorer=hand-tuned", "--arm", "learned:50"
    )
    assert code == 0 and "created ranker (2 arms, draft)" in out, out
    assert _cli(settings, "start", "ranker")[0] == 0
    code, out = _cli(settings, "list")
    assert code == 0 and "ranker" in out and "running" in out
    code, out = _cli(settings, "report", "ranker")
    assert code == 0 and "arm control (50%): 0 users" in out, out
    code, out = _cli(settings, "report", "ranker", "--json")
    assert code == 0 and '"srm": false' in out
    assert _cli(settings, "stop", "ranker")[0] == 0
    code, out = _cli(settings, "create", "bad", "--arm", "control:50", "--arm", "x:50:scorer=magic")
    assert code == 1 and "scorer must be" in out
    code, out = _cli(settings, "start", "missing")
    assert code == 1 and "no experiment named 'missing'" in out
