"""Web visitors for the moderation page tests (the same fixtures as tests/web)."""

from tests.web.conftest import ann, ben, new_visitor, visitor  # noqa: F401
