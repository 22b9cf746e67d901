"""Background machinery a `serve` process runs beside the HTTP app (worker threads, index refreshers)."""

from __future__ import annotations

from pinhaven.context import AppContext


def start_background(ctx: AppContext) -> None:
    """Start what `ctx.settings` asks for; each domain adds its starter here."""


def stop_background(ctx: AppContext) -> None:
    """Stop everything `start_background` started, waiting for in-flight work to finish."""
