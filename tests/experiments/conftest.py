"""The web pages' visitor fixtures, shared."""

from tests.web.conftest import new_visitor  # noqa: F401
