"""Web visitors for the moderation page tests (the same fixtures as tests/web)."""

from tests.e2e.conftest import live, pytest_runtest_makereport, visitors  # noqa: F401  (browser test)
from tests.web.conftest import ann, ben, new_visitor, visitor  # noqa: F401
