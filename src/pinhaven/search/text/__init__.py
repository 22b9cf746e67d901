"""Text search: full-text (SQLite FTS5 | PostgreSQL tsvector | MariaDB FULLTEXT) plus MiniLM semantic search,
fused by reciprocal rank, with the privacy rule inside every query.

Public surface: `service.search_pins / search_boards / search_people`, the `api.router`, the job handlers in
`handlers.py`, and `documents.reindex_all` for rebuilding the index.
"""
