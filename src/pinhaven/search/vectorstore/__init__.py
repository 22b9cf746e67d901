"""Where visual and text vectors live, chosen once at start-up by the `vector_store` setting.

    local      (default) in each process: FAISS/NumPy image index files under the data folder
               (search/visual/index.py) and the in-memory text matrix (search/text/vectors.py)
    database   PostgreSQL + pgvector: HNSW indexes shared by every host, privacy filter inside the query
               (images.py, texts.py); refits and duplicate regrouping coordinated by advisory locks and the
               whitening kept in the database (coordination.py); tables in schema.py (migration 0006)

    configure(settings, engine)        build_context calls it: checks the database and the schema
    uses_database(ctx)                 the choice, for code that has a context
    image_vector_store(ctx, ...)       the store for one image model
    text_vector_store(engine)          the database text store, or None when text vectors are in process

Nothing here imports pgvector unless `database` is chosen: the default install does not need it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text

from pinhaven.config import ConfigError, Settings
from pinhaven.context import AppContext
from pinhaven.search.vectorstore.protocols import ImageVectorStore

if TYPE_CHECKING:
    from pinhaven.search.vectorstore.texts import DatabaseTextVectors

__all__ = [
    "DATABASE",
    "LOCAL",
    "ImageVectorStore",
    "configure",
    "image_vector_store",
    "text_vector_store",
    "uses_database",
]

LOCAL, DATABASE = "local", "database"
_text_stores: dict[str, DatabaseTextVectors] = {}  # database URL → store, for callers holding only a session
_lock = threading.Lock()
_SCHEMA_LOCK_KEY = 7_262_935_182_014_007_006  # hosts starting together create the schema one at a time


def uses_database(ctx: AppContext) -> bool:
    return _chosen(ctx.settings) == DATABASE


def _chosen(settings: Settings) -> str:
    return str(getattr(settings, "vector_store", LOCAL))


def _key(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def configure(settings: Settings, engine: Engine) -> None:
    """Check and prepare the chosen store; `database` needs PostgreSQL with the pgvector extension."""
    key = _key(engine)
    if _chosen(settings) != DATABASE:
        with _lock:
            _text_stores.pop(key, None)
        return
    if engine.dialect.name != "postgresql":
        raise ConfigError("PINHAVEN_VECTOR_STORE=database needs a PostgreSQL database_url")
    try:
        from pinhaven.search.vectorstore.schema import ensure_schema, schema_ready
        from pinhaven.search.vectorstore.texts import DatabaseTextVectors
    except ImportError as exc:
        raise ConfigError(
            f"PINHAVEN_VECTOR_STORE=database needs the `pgvector` package (the `postgres` extra): {exc}"
        ) from exc
    with engine.begin() as conn:
        if not schema_ready(conn):
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK_KEY})
            if not ensure_schema(conn):
                raise ConfigError(
                    "PINHAVEN_VECTOR_STORE=database needs the pgvector extension on the PostgreSQL server "
                    "(CREATE EXTENSION vector, by a role allowed to)"
                )
    store = DatabaseTextVectors(engine)
    with _lock:
        _text_stores[key] = store


def image_vector_store(ctx: AppContext, *, model_id: str, dim: int, directory: Path) -> ImageVectorStore:
    """The store for one image model: the database's, or the index saved under `directory`."""
    if uses_database(ctx):
        from pinhaven.search.vectorstore.images import DatabaseImageVectors

        return DatabaseImageVectors(ctx.sessions, model_id=model_id, dim=dim)
    from pinhaven.search.visual.index import VectorIndex

    return VectorIndex.open(directory, dim=dim, model_id=model_id)


def text_vector_store(engine: Engine) -> DatabaseTextVectors | None:
    """The database text store of the database behind `engine`, or None in `local` mode."""
    with _lock:
        return _text_stores.get(_key(engine))
