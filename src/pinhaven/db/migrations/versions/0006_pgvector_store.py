"""pgvector tables of the database vector store (PostgreSQL with the `vector` extension only)

Revision ID: 0006
Revises: 0008

Creates the extension, `visual_vectors`, `search_text_vectors`, `visual_model_files` and their HNSW indexes
(search/vectorstore/schema.py) when the server offers pgvector and the `pgvector` package is installed.
SQLite, MariaDB and PostgreSQL without pgvector are left exactly as they were; a server that gains pgvector
later gets the tables when a host starts with `PINHAVEN_VECTOR_STORE=database` (the same idempotent code).
"""

from alembic import op

revision = "0006"
down_revision = "0008"
branch_labels = None
depends_on = None

_TABLES = ("visual_vectors", "search_text_vectors", "visual_model_files")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    try:
        from pinhaven.search.vectorstore.schema import ensure_schema
    except ImportError:  # the `pgvector` package (postgres extra) is missing: the default store needs none
        return
    ensure_schema(conn)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for table in _TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
