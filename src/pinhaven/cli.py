"""Command line: `pinhaven init | serve | users | tokens | ...` — every command calls the same services as the API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pinhaven.config import ConfigError, Settings, load_settings, missing_shared_secret
from pinhaven.context import AppContext, build_context
from pinhaven.db.engine import session_scope
from pinhaven.errors import PinhavenError

app = typer.Typer(help="Pinhaven: self-hosted visual discovery.", no_args_is_help=True, add_completion=False)
users_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
tokens_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data folder (default: PINHAVEN_DATA_DIR or ./data).")
]


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def settings_for(data_dir: Path | None = None) -> Settings:
    try:
        return load_settings(data_dir=data_dir) if data_dir else load_settings()
    except ConfigError as exc:
        raise fail(str(exc), 2) from exc


def context_for(data_dir: Path | None = None) -> AppContext:
    return build_context(settings_for(data_dir))


@app.command()
def init(data_dir: DataDir = None) -> None:
    """Create the data folder and bring the database schema up to date."""
    ctx = context_for(data_dir)
    typer.echo(f"database ready: {ctx.engine.url.render_as_string(hide_password=True)}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: DataDir = None,
    worker_threads: Annotated[
        int | None, typer.Option("--worker-threads", help="Background worker threads (0 disables).")
    ] = None,
    processes: Annotated[
        int, typer.Option(help="Server processes (needs PostgreSQL/MySQL or SQLite WAL).")
    ] = 1,
) -> None:
    """Serve the API, the web pages and the media (migrating the database first)."""
    import os

    from pinhaven import serving

    settings = settings_for(data_dir)
    problem = missing_shared_secret(settings)
    if problem:
        raise fail(problem, 2)
    if worker_threads is not None:
        settings = settings.with_overrides(worker_threads=worker_threads)
        os.environ["PINHAVEN_WORKER_THREADS"] = str(worker_threads)
    if data_dir is not None:
        os.environ["PINHAVEN_DATA_DIR"] = str(data_dir)
    build_context(settings)  # migrate once, before any worker process starts
    typer.echo(f"Pinhaven serving on http://{host}:{port}  (data: {settings.data_dir.resolve()})")
    serving.serve(host=host, port=port, processes=processes, log_level=settings.log_level)


@users_app.command("create")
def users_create(
    username: str,
    email: Annotated[str, typer.Option("--email", help="Email address.")],
    display_name: Annotated[str, typer.Option("--display-name")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    data_dir: DataDir = None,
) -> None:
    """Create a user; the password comes from stdin (when piped or --password-stdin) or a prompt."""
    from pinhaven.accounts import service

    if password_stdin or not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    ctx = context_for(data_dir)
    try:
        with session_scope(ctx.sessions) as db:
            user = service.create(
                db=db, username=username, email=email, password=password, display_name=display_name
            )
            typer.echo(f"created user {user.username} (id {user.id})")
    except PinhavenError as exc:
        raise fail(exc.message) from exc


@tokens_app.command("create")
def tokens_create(
    username: str,
    name: Annotated[str, typer.Option("--name", help="A label for the token.")] = "cli",
    scopes: Annotated[
        str | None, typer.Option("--scopes", help="Comma-separated scopes (default: all v5 scopes).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Create an API token for USERNAME and print it (only the token, on stdout)."""
    from pinhaven.accounts import service
    from pinhaven.accounts.scopes import ALL_SCOPES

    ctx = context_for(data_dir)
    try:
        with session_scope(ctx.sessions) as db:
            user = service.get_by_username_or_raise(db=db, username=username)
            _, plaintext = service.create_token(db=db, user=user, name=name, scopes=scopes or ALL_SCOPES)
    except PinhavenError as exc:
        raise fail(exc.message) from exc
    typer.echo(plaintext)


@tokens_app.command("list")
def tokens_list(username: str, data_dir: DataDir = None) -> None:
    """List USERNAME's tokens (never the secrets)."""
    from rich.console import Console
    from rich.table import Table

    from pinhaven.accounts import service

    ctx = context_for(data_dir)
    try:
        with session_scope(ctx.sessions) as db:
            user = service.get_by_username_or_raise(db=db, username=username)
            tokens = service.list_tokens(db=db, user=user)
    except PinhavenError as exc:
        raise fail(exc.message) from exc
    table = Table("id", "name", "scopes", "created", "last used", "revoked")
    for token in tokens:
        table.add_row(
            str(token.id),
            token.name,
            token.scopes,
            token.created_at.isoformat(timespec="seconds"),
            token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "-",
            token.revoked_at.isoformat(timespec="seconds") if token.revoked_at else "-",
        )
    Console().print(table)


@tokens_app.command("revoke")
def tokens_revoke(username: str, token_id: str, data_dir: DataDir = None) -> None:
    """Revoke one of USERNAME's tokens by id."""
    from pinhaven.accounts import service
    from pinhaven.db.ids import parse_id

    ctx = context_for(data_dir)
    parsed = parse_id(token_id)
    if parsed is None:
        raise fail(f"{token_id!r} is not a token id")
    try:
        with session_scope(ctx.sessions) as db:
            user = service.get_by_username_or_raise(db=db, username=username)
            service.revoke_token(db=db, user=user, token_id=parsed)
    except PinhavenError as exc:
        raise fail(exc.message) from exc
    typer.echo(f"revoked token {token_id}")


# Account lifecycle: `pinhaven users deactivate | reactivate | delete | erase-pending` (accounts/lifecycle_cli.py).
from pinhaven.accounts.lifecycle_cli import register as register_lifecycle  # noqa: E402

register_lifecycle(users_app)

# Quotas and sessions: `pinhaven users usage [USERNAME]`, `pinhaven users logout NAME` (pinhaven.safety).
from pinhaven.safety.cli import logout_command, usage_command  # noqa: E402

users_app.command("usage")(usage_command)
users_app.command("logout")(logout_command)  # `pinhaven users logout NAME [--tokens]`

# Backups: `pinhaven backup --out FOLDER`, `pinhaven restore FOLDER` (defined in pinhaven.backup).
from pinhaven.backup.cli import backup_command, restore_command  # noqa: E402

app.command("backup")(backup_command)
app.command("restore")(restore_command)

# Background jobs: `pinhaven jobs ...` and `pinhaven worker` (defined in the jobs domain).
from pinhaven.jobs.cli import jobs_app, worker  # noqa: E402

app.add_typer(jobs_app, name="jobs")
app.command("worker")(worker)

# Demo content: `pinhaven demo` (defined in pinhaven.demo).
from pinhaven.demo.cli import demo  # noqa: E402

app.command("demo")(demo)

# Import and export: `pinhaven import`, `pinhaven export` (defined in the ingest domain).
from pinhaven.ingest.cli import export_command, import_command  # noqa: E402

app.command("import")(import_command)
app.command("export")(export_command)

# Visual search: `pinhaven reindex`, `pinhaven urls learn` (defined in search.visual and ingest).
from pinhaven.search.visual.cli import reindex_command, urls_app  # noqa: E402

app.command("reindex")(reindex_command)
app.add_typer(urls_app, name="urls")
from pinhaven.search.visual.models_cli import models_app  # noqa: E402

app.add_typer(models_app, name="models")  # `pinhaven models fetch clip`, `pinhaven models list`

# Event stream: `pinhaven stream status`, `pinhaven stream replay CONSUMER` (defined in pinhaven.stream).
from pinhaven.stream.cli import stream_app  # noqa: E402

app.add_typer(stream_app, name="stream")

# Trust and safety: `pinhaven users role`, `pinhaven instance ...`, `pinhaven moderation queue` (pinhaven.moderation).
from pinhaven.moderation.cli import instance_app, moderation_app, users_role  # noqa: E402

users_app.command("role")(users_role)
app.add_typer(instance_app, name="instance")
app.add_typer(moderation_app, name="moderation")

# Learned ranking and experiments: `pinhaven ranker ...`, `pinhaven experiments ...` (pinhaven.ranking, .experiments).
from pinhaven.experiments.cli import experiments_app  # noqa: E402
from pinhaven.ranking.cli import ranker_app  # noqa: E402

app.add_typer(ranker_app, name="ranker")
app.add_typer(experiments_app, name="experiments")

# Topics: `pinhaven topics list | add | edit | hide | show | import | export | assign` (pinhaven.topics).
from pinhaven.topics.cli import topics_app  # noqa: E402

app.add_typer(topics_app, name="topics")

# Catalogs: `pinhaven catalogs feeds | sync FEED_ID` (pinhaven.catalogs).
from pinhaven.catalogs.cli import catalogs_app  # noqa: E402

app.add_typer(catalogs_app, name="catalogs")

# OCR: `pinhaven ocr read [--missing|--all]` (pinhaven.ocr).
from pinhaven.ocr.cli import ocr_app  # noqa: E402

app.add_typer(ocr_app, name="ocr")

# Promoted pins: `pinhaven ads train-pctr`, `pinhaven ads report` (pinhaven.ads).
from pinhaven.ads.cli import ads_app  # noqa: E402

app.add_typer(ads_app, name="ads")

# Notification e-mail: `pinhaven notifications digest`, `pinhaven notifications test-mail ADDRESS`.
from pinhaven.notifications.cli import notifications_app  # noqa: E402

app.add_typer(notifications_app, name="notifications")

if __name__ == "__main__":
    app()
