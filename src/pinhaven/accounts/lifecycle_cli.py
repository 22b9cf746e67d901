"""`pinhaven users deactivate | reactivate | delete | erase-pending` (accounts/lifecycle.py, erasure.py).
Annotations are evaluated when the commands are defined (no `from __future__ import annotations`): typer
reads them, and `DataDir` is imported inside `register`.
"""

from typing import Annotated

import typer

from pinhaven.accounts.models import User
from pinhaven.errors import NotFound, PinhavenError


def _find(db: object, username: str) -> User:
    from sqlalchemy.orm import Session

    from pinhaven.accounts import service

    assert isinstance(db, Session)
    user = service.get_by_username(db=db, username=username)
    if user is None or user.deleted_at is not None:
        raise NotFound(f"User {username!r} not found.")
    return user


def register(users_app: typer.Typer) -> None:
    from pinhaven.cli import DataDir, context_for, fail
    from pinhaven.db.engine import session_scope

    @users_app.command("deactivate")
    def users_deactivate(username: str, data_dir: DataDir = None) -> None:
        """Hide USERNAME's account and content and end its sessions (logging in again reverses it)."""
        from pinhaven.accounts import lifecycle

        ctx = context_for(data_dir)
        try:
            with session_scope(ctx.sessions) as db:
                lifecycle.deactivate(db=db, user=_find(db, username))
        except PinhavenError as exc:
            raise fail(exc.message) from exc
        typer.echo(f"deactivated {username}")

    @users_app.command("reactivate")
    def users_reactivate(username: str, data_dir: DataDir = None) -> None:
        """Show a deactivated account again."""
        from pinhaven.accounts import lifecycle

        ctx = context_for(data_dir)
        try:
            with session_scope(ctx.sessions) as db:
                lifecycle.reactivate(db=db, user=_find(db, username))
        except PinhavenError as exc:
            raise fail(exc.message) from exc
        typer.echo(f"reactivated {username}")

    @users_app.command("delete")
    def users_delete(
        username: str,
        yes: Annotated[
            bool, typer.Option("--yes", help="Confirm: everything of the account is erased.")
        ] = False,
        now: Annotated[
            bool, typer.Option("--now", help="Erase in this process instead of the job queue.")
        ] = False,
        data_dir: DataDir = None,
    ) -> None:
        """Delete USERNAME's account: hidden at once, then erased (by the `accounts.erase` job, or --now)."""
        from pinhaven.accounts import erasure, lifecycle

        if not yes:
            raise fail("deleting an account erases everything of it: add --yes to confirm")
        ctx = context_for(data_dir)
        try:
            with session_scope(ctx.sessions) as db:
                deletion = lifecycle.mark_deleted(
                    db=db, user=_find(db, username), secret_key=ctx.settings.secret_key
                )
                deletion_id = deletion.id
        except PinhavenError as exc:
            raise fail(exc.message) from exc
        if now:
            counts = erasure.erase(ctx, deletion_id)
            typer.echo(f"deleted and erased {username}: {counts}")
        else:
            typer.echo(f"deleted {username}; erasure queued (deletion {deletion_id})")

    @users_app.command("erase-pending")
    def users_erase_pending(data_dir: DataDir = None) -> None:
        """Erase every deleted account whose erasure has not finished (after a dead job or a crash)."""
        from pinhaven.accounts import erasure

        ctx = context_for(data_dir)
        typer.echo(f"erased {erasure.erase_pending(ctx)} account(s)")
