"""`pinhaven users usage`: every user's uploads today and storage, for admins (run on the server)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from pinhaven.safety import quotas

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: PINHAVEN_DATA_DIR or ./data).")
]


def _limit(value: int, limit: int, *, size: bool = False) -> str:
    shown = quotas.size_text(value) if size else str(value)
    if limit <= 0:
        return shown
    return f"{shown} / {quotas.size_text(limit) if size else limit}"


def usage_command(
    username: Annotated[str | None, typer.Argument(help="Only this user.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Uploads today and storage used per user, against the instance's quotas (heaviest first)."""
    from pinhaven.accounts import service as accounts_service
    from pinhaven.cli import context_for, fail

    ctx = context_for(data_dir)
    with ctx.read_sessions() as db:
        if username is not None:
            user = accounts_service.get_by_username(db=db, username=username)
            if user is None:
                raise fail(f"no user named {username!r}")
            rows = [(user.username, quotas.usage(db=db, settings=ctx.settings, user_id=user.id))]
        else:
            rows = quotas.usage_by_user(db=db, settings=ctx.settings)
    table = Table(title=f"Usage on {rows[0][1].day.isoformat() if rows else 'today'} (UTC)")
    for column in ("user", "uploads today", "bytes today", "storage"):
        table.add_column(column, justify="left" if column == "user" else "right")
    for name, usage in rows:
        table.add_row(
            name,
            _limit(usage.uploads_today, usage.upload_limit),
            _limit(usage.bytes_today, usage.bytes_limit, size=True),
            _limit(usage.storage_bytes, usage.storage_limit, size=True),
        )
    Console(width=120).print(table)


def logout_command(
    username: Annotated[str, typer.Argument(help="Whose sessions to end.")],
    tokens: Annotated[bool, typer.Option("--tokens", help="Revoke their API tokens too.")] = False,
    data_dir: DataDir = None,
) -> None:
    """End every web session of a user (a stolen cookie, a suspended account); with --tokens, their API tokens."""
    from pinhaven.accounts import service as accounts_service
    from pinhaven.accounts import sessions
    from pinhaven.cli import context_for, fail
    from pinhaven.db.engine import session_scope

    ctx = context_for(data_dir)
    with session_scope(ctx.sessions) as db:
        user = accounts_service.get_by_username(db=db, username=username)
        if user is None:
            raise fail(f"no user named {username!r}")
        ended = sessions.revoke_all(db=db, user_id=user.id)
        revoked = 0
        if tokens:
            for token in accounts_service.list_tokens(db=db, user=user):
                if token.revoked_at is None:
                    accounts_service.revoke_token(db=db, user=user, token_id=token.id)
                    revoked += 1
    typer.echo(
        f"ended {ended} session(s) of {username}" + (f", revoked {revoked} token(s)" if tokens else "")
    )
