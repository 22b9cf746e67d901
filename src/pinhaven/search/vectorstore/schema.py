"""Tables of the database vector store (PostgreSQL + pgvector only; never created on other installs).

    visual_vectors        (image_id, model_id) → embedding: a copy of `visual_embeddings.vector` as a pgvector
                          value; its foreign key to that row cascades, so a deleted image, a deleted embedding
                          or a reindex's dropped model takes the vector with it.
    search_text_vectors   (pin_id, model_id) → embedding: the same for `search_pin_vectors` (MiniLM).
    visual_model_files    name → bytes: the active and pending whitening of the builtin embedder, so every
                          host (whose data folder is disposable) uses the same model.

Columns are `vector` without a fixed width (a model change may change it) plus `dim`; each width in use gets
a partial HNSW index over `embedding::vector(dim)` with inner-product distance (vectors are unit length, so
inner product = cosine). Queries must use the same cast and a literal `dim = N` for the planner to use it.
"""

from __future__ import annotations

import logging

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKeyConstraint,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    text,
)

from pinhaven.db.base import UTCDateTime, utcnow
from pinhaven.search.text.models import PinTextVector
from pinhaven.search.visual.models import ImageEmbedding

__all__ = [
    "DEFAULT_DIMS",
    "HNSW_EF_CONSTRUCTION",
    "HNSW_M",
    "METADATA",
    "ensure_hnsw_index",
    "ensure_schema",
    "extension_available",
    "hnsw_index_name",
    "model_files",
    "schema_ready",
    "text_vectors",
    "visual_vectors",
]

log = logging.getLogger("pinhaven.search.vectorstore")

METADATA = MetaData()  # its own: the default install's schema (Base.metadata) must not include these
HNSW_M = 16  # pgvector's default graph degree; recall is tuned at query time with hnsw.ef_search
HNSW_EF_CONSTRUCTION = 64
# widths indexed up front: the builtin embedder whitened (256) and MiniLM (384); others on first use
DEFAULT_DIMS = {"visual_vectors": (256,), "search_text_vectors": (384,)}

visual_vectors = Table(
    "visual_vectors",
    METADATA,
    Column("image_id", BigInteger, nullable=False, autoincrement=False),
    Column("model_id", String(64), nullable=False),
    Column("dim", Integer, nullable=False),
    Column("embedding", Vector(), nullable=False),
    PrimaryKeyConstraint("image_id", "model_id"),
    ForeignKeyConstraint(
        ["image_id", "model_id"],
        [ImageEmbedding.__table__.c.image_id, ImageEmbedding.__table__.c.model_id],
        ondelete="CASCADE",
    ),
)

text_vectors = Table(
    "search_text_vectors",
    METADATA,
    Column("pin_id", BigInteger, nullable=False, autoincrement=False),
    Column("model_id", String(64), nullable=False),
    Column("dim", Integer, nullable=False),
    Column("embedding", Vector(), nullable=False),
    PrimaryKeyConstraint("pin_id", "model_id"),
    ForeignKeyConstraint(
        ["pin_id", "model_id"],
        [PinTextVector.__table__.c.pin_id, PinTextVector.__table__.c.model_id],
        ondelete="CASCADE",
    ),
)

model_files = Table(
    "visual_model_files",
    METADATA,
    Column("name", String(64), primary_key=True),
    Column("model_id", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False, default=utcnow),
)


def extension_available(conn: Connection) -> bool:
    """Whether this PostgreSQL server can provide the `vector` extension (installed or installable)."""
    if conn.dialect.name != "postgresql":
        return False
    return conn.scalar(text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")) is not None


def schema_ready(conn: Connection) -> bool:
    """The extension is installed and every vector-store table exists."""
    if conn.dialect.name != "postgresql":
        return False
    installed = conn.scalar(text("SELECT 1 FROM pg_extension WHERE extname = 'vector'")) is not None
    if not installed:
        return False
    names = [t.name for t in METADATA.sorted_tables]
    found = conn.scalar(
        text("SELECT count(*) FROM unnest(CAST(:names AS text[])) n WHERE to_regclass(n) IS NOT NULL"),
        {"names": names},
    )
    return int(found or 0) == len(names)


def hnsw_index_name(table: str, dim: int) -> str:
    return f"ix_{table}_hnsw_{dim}"


def ensure_hnsw_index(conn: Connection, table: str, dim: int) -> None:
    """The partial HNSW index over vectors of width `dim` (created when missing; quick while it has none)."""
    dim = int(dim)  # interpolated into DDL: must be a plain integer
    name = hnsw_index_name(table, dim)
    if conn.scalar(text("SELECT to_regclass(:name)"), {"name": name}) is not None:
        return  # (CREATE INDEX IF NOT EXISTS would first lock the table against writes)
    conn.execute(
        text(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING hnsw "
            f"((embedding::vector({dim})) vector_ip_ops) WITH (m = {HNSW_M}, "
            f"ef_construction = {HNSW_EF_CONSTRUCTION}) WHERE dim = {dim}"
        )
    )


def ensure_schema(conn: Connection) -> bool:
    """Create the extension, tables and default HNSW indexes when pgvector is available; False if it is not.

    Idempotent. Runs in the caller's transaction (migration 0006, or start-up in `database` mode); a role
    that may not create the extension leaves everything untouched (a savepoint keeps the transaction usable).
    """
    if not extension_available(conn):
        return False
    try:
        with conn.begin_nested():
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
    except Exception as exc:  # e.g. permission denied: an administrator must create it
        log.warning("the pgvector extension could not be created: %s", exc)
        return False
    METADATA.create_all(conn, checkfirst=True)
    conn.execute(
        text("CREATE INDEX IF NOT EXISTS ix_visual_vectors_model ON visual_vectors (model_id, image_id)")
    )
    for table, dims in DEFAULT_DIMS.items():
        for dim in dims:
            ensure_hnsw_index(conn, table, dim)
    return True
