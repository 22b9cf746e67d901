"""ASGI entry point for uvicorn (`pinhaven.asgi:app`): settings from the environment."""

from pinhaven.app import create_app

app = create_app()
