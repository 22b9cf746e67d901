"""`pinhaven notifications digest` (send the e-mail digest now) and `pinhaven notifications test-mail ADDRESS`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["notifications_app"]

notifications_app = typer.Typer(help="Notification e-mail (PINHAVEN_SMTP_URL).", no_args_is_help=True)
DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: PINHAVEN_DATA_DIR or ./data).")
]


def _settings(data_dir: Path | None):  # type: ignore[no-untyped-def]
    from pinhaven.cli import settings_for

    settings = settings_for(data_dir)
    if not settings.smtp_url:
        typer.echo("PINHAVEN_SMTP_URL is not set: this instance sends no e-mail.", err=True)
        raise typer.Exit(2)
    return settings


@notifications_app.command("digest")
def digest_command(data_dir: DataDir = None) -> None:
    """Mail everyone their digest of unread notifications now (the daily job does the same)."""
    from pinhaven.context import build_context
    from pinhaven.notifications.mail import send_digests

    ctx = build_context(_settings(data_dir))
    try:
        sent = send_digests(ctx)
    except OSError as exc:
        typer.echo(f"The mail server refused or could not be reached: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        ctx.engine.dispose()
    typer.echo(f"{sent} digest e-mail{'s' if sent != 1 else ''} sent.")


@notifications_app.command("test-mail")
def test_mail_command(address: str, data_dir: DataDir = None) -> None:
    """Send one test e-mail to ADDRESS through PINHAVEN_SMTP_URL."""
    from pinhaven.notifications.mail import send_mail

    settings = _settings(data_dir)
    try:
        send_mail(
            settings,
            to=address,
            subject="Pinhaven test e-mail",
            text="Pinhaven can send you notification e-mails.",
            unsubscribe=f"{settings.base_url or 'http://localhost:8000'}/settings/notifications",
        )
    except OSError as exc:
        typer.echo(f"The mail server refused or could not be reached: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"Sent a test e-mail to {address}.")
