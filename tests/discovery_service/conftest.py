"""The web pages' visitor fixtures (ann, ben: signed-in browsers with their own cookie jars), shared."""

from tests.web.conftest import ann, ben, new_visitor  # noqa: F401
