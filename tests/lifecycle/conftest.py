"""Page fixtures (visitors with their own cookie jars) shared with tests/web."""

from tests.web.conftest import ann, new_visitor, visitor  # noqa: F401
