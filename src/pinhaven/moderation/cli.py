"""CLI: `pinhaven users role NAME ROLE`, `pinhaven instance show|set|invite`, `pinhaven moderation queue`."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from pinhaven.db.engine import session_scope
from pinhaven.errors import PinhavenError

instance_app = typer.Typer(
    help="Instance settings (sign-up, browsing, thresholds) and invite codes.", no_args_is_help=True
)
moderation_app = typer.Typer(help="Reports and the moderation queue.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    from pinhaven.cli import fail

    return fail(message)


def users_role(
    username: str,
    role: Annotated[str, typer.Argument(help="member | moderator | admin")],
    data_dir: Annotated[str | None, typer.Option("--data-dir", help="Data folder.")] = None,
) -> None:
    """Give USERNAME a role: member, moderator (moderation queue) or admin (also instance settings)."""
    from pathlib import Path

    from pinhaven.accounts import service as accounts_service
    from pinhaven.cli import context_for
    from pinhaven.moderation import roles

    ctx = context_for(Path(data_dir) if data_dir else None)
    try:
        with session_scope(ctx.sessions) as db:
            user = accounts_service.get_by_username(db=db, username=username)
            if user is None:
                raise _fail(f"user {username!r} not found")
            roles.set_role(db=db, user=user, role=role)
    except PinhavenError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"{username} is now {role}")


@instance_app.command("show")
def instance_show(
    data_dir: Annotated[str | None, typer.Option("--data-dir", help="Data folder.")] = None,
) -> None:
    """Print the instance settings as JSON."""
    from pathlib import Path

    from pinhaven.cli import context_for
    from pinhaven.moderation import instance

    ctx = context_for(Path(data_dir) if data_dir else None)
    with session_scope(ctx.sessions) as db:
        typer.echo(json.dumps(instance.get(db=db).as_dict(), indent=2))


@instance_app.command("set")
def instance_set(
    key: str,
    value: Annotated[
        str, typer.Argument(help="A JSON value or a bare word (open, closed, invite, PUBLIC, ...).")
    ],
    data_dir: Annotated[str | None, typer.Option("--data-dir", help="Data folder.")] = None,
) -> None:
    """Change one setting, e.g. `pinhaven instance set signup invite`, `... anonymous_browsing false`."""
    from pathlib import Path

    from pinhaven.cli import context_for
    from pinhaven.moderation import instance

    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    ctx = context_for(Path(data_dir) if data_dir else None)
    try:
        with session_scope(ctx.sessions) as db:
            instance.update(db=db, changes={key: parsed})
    except PinhavenError as exc:
        raise _fail(exc.message) from exc
    typer.echo(f"{key} = {json.dumps(parsed)}")


@instance_app.command("invite")
def instance_invite(
    data_dir: Annotated[str | None, typer.Option("--data-dir", help="Data folder.")] = None,
) -> None:
    """Create a single-use invite code and print it."""
    from pathlib import Path

    from pinhaven.cli import context_for
    from pinhaven.moderation import instance

    ctx = context_for(Path(data_dir) if data_dir else None)
    with session_scope(ctx.sessions) as db:
        invite = instance.create_invite(db=db, created_by=None)
        code = invite.code
    typer.echo(code)


@moderation_app.command("queue")
def moderation_queue(
    status: Annotated[str, typer.Option(help="open | closed")] = "open",
    data_dir: Annotated[str | None, typer.Option("--data-dir", help="Data folder.")] = None,
) -> None:
    """List moderation cases (object, reports, signals, state)."""
    from pathlib import Path

    from pinhaven.cli import context_for
    from pinhaven.moderation import service
    from pinhaven.moderation.state import describe

    ctx = context_for(Path(data_dir) if data_dir else None)
    try:
        with session_scope(ctx.sessions) as db:
            for view in service.queue(db=db, status=status):
                case = view.case
                reasons = ",".join(sorted({r.reason for r in view.reports})) or "-"
                signals = ",".join(sorted(case.signals or {})) or "-"
                typer.echo(
                    f"{case.id}\t{case.object_type} {case.object_id}\t{describe(view.flags)}\t"
                    f"reports={case.report_count} ({reasons})\tsignals={signals}\t{view.summary.get('title', '')}"
                )
    except PinhavenError as exc:
        raise _fail(exc.message) from exc
