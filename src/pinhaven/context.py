"""What a running Pinhaven process holds: settings, database engine and session factory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from pinhaven import cache as caches
from pinhaven.accounts import passwords
from pinhaven.config import Settings
from pinhaven.db import ids
from pinhaven.db.engine import SessionFactory, make_engine, make_session_factory
from pinhaven.db.migrate import upgrade


@dataclass
class AppContext:
    settings: Settings
    engine: Engine
    sessions: SessionFactory  # read-write transactions (BEGIN IMMEDIATE on SQLite)
    read_sessions: SessionFactory  # read-only requests; on SQLite they never wait for a writer
    # Process-wide services that domains attach at start-up (media store, indexes, ...), by name.
    services: dict[str, Any] = field(default_factory=dict)


def build_context(settings: Settings, *, migrate: bool = True) -> AppContext:
    """Connect to the database (migrating it unless told not to) and configure process-wide knobs."""
    ids.configure(settings.shard_id)
    passwords.configure(fast=settings.password_hash_fast)
    from pinhaven.media.service import configure_public_base_url  # (media imports this module)

    configure_public_base_url(settings.media_public_base_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    # A request that cannot get a connection soon is answered 503 (app.py), not left waiting 30 s behind others.
    pooled: dict[str, Any] = (
        {} if url.startswith("sqlite") else {"pool_timeout": settings.db_pool_timeout_seconds}
    )
    engine = make_engine(url, **pooled)
    if migrate:
        upgrade(engine)
    from pinhaven.search.vectorstore import configure as configure_vector_store  # (it imports this module)

    configure_vector_store(settings, engine)  # local files, or pgvector: checked before anything serves
    if settings.event_bus_url:  # writes of this engine's sessions then fill the transactional outbox
        from pinhaven.stream.outbox import enable as enable_outbox

        enable_outbox(engine, settings.event_stream_instance)
    # Every session carries the instance's cache, so services that only hold a session can invalidate it.
    cache = caches.make_cache(settings)
    sessions = make_session_factory(engine, info=caches.session_info(cache))
    read_sessions = (
        make_session_factory(make_engine(url, sqlite_read_only=True), info=caches.session_info(cache))
        if url.startswith("sqlite")
        else sessions
    )
    return AppContext(
        settings=settings,
        engine=engine,
        sessions=sessions,
        read_sessions=read_sessions,
        services={caches.SERVICE_KEY: cache},
    )
