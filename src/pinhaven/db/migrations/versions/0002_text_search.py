"""text search indexes (hand-written: dialect-specific DDL that autogenerate cannot express)

SQLite: an FTS5 table over `search_documents` (external content, kept in sync by triggers, porter stemming,
2- and 3-character prefix indexes). PostgreSQL: a generated, weighted `tsvector` column with a GIN index.
MariaDB/MySQL: an InnoDB FULLTEXT index.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

FTS_COLUMNS = "title, description, alt_text, board_name, domain, facets"

SQLITE_UP = [
    f"""CREATE VIRTUAL TABLE search_fts USING fts5(
        {FTS_COLUMNS},
        content='search_documents', content_rowid='pin_id',
        tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')""",
    f"""CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN
        INSERT INTO search_fts(rowid, {FTS_COLUMNS})
        VALUES (new.pin_id, new.title, new.description, new.alt_text, new.board_name, new.domain, new.facets);
    END""",
    f"""CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.pin_id, old.title, old.description, old.alt_text, old.board_name, old.domain,
                old.facets);
    END""",
    f"""CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN
        INSERT INTO search_fts(search_fts, rowid, {FTS_COLUMNS})
        VALUES ('delete', old.pin_id, old.title, old.description, old.alt_text, old.board_name, old.domain,
                old.facets);
        INSERT INTO search_fts(rowid, {FTS_COLUMNS})
        VALUES (new.pin_id, new.title, new.description, new.alt_text, new.board_name, new.domain, new.facets);
    END""",
    # Rows that existed before this migration (none on a fresh install) enter the index.
    "INSERT INTO search_fts(search_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_documents_au",
    "DROP TRIGGER IF EXISTS search_documents_ad",
    "DROP TRIGGER IF EXISTS search_documents_ai",
    "DROP TABLE IF EXISTS search_fts",
]

# Link domains are split on dots so "example" finds "tiles.example.com"; weights rank title above the rest.
POSTGRES_UP = [
    """ALTER TABLE search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A')
        || setweight(to_tsvector('english', board_name), 'B')
        || setweight(to_tsvector('simple', replace(domain, '.', ' ')), 'B')
        || setweight(to_tsvector('english', description), 'C')
        || setweight(to_tsvector('english', alt_text), 'C')
    ) STORED""",
    "CREATE INDEX ix_search_documents_tsv ON search_documents USING GIN (tsv)",
]
POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_search_documents_tsv",
    "ALTER TABLE search_documents DROP COLUMN IF EXISTS tsv",
]

MYSQL_UP = [
    "CREATE FULLTEXT INDEX ft_search_documents ON search_documents "
    "(title, description, alt_text, board_name, domain)",
]
MYSQL_DOWN = ["DROP INDEX ft_search_documents ON search_documents"]


def _statements(up: bool) -> list[str]:
    name = op.get_bind().dialect.name
    if name == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    if name == "postgresql":
        return POSTGRES_UP if up else POSTGRES_DOWN
    if name in ("mysql", "mariadb"):
        return MYSQL_UP if up else MYSQL_DOWN
    raise NotImplementedError(f"text search has no index for the {name} dialect")


def upgrade() -> None:
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(up=False):
        op.execute(statement)
