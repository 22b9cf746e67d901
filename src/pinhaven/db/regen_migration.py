"""Development helper (`make migration`): rewrite the initial migration from the models.

Before the first release the schema lives in one migration; after it, use `alembic revision --autogenerate`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from pinhaven.db.engine import make_engine
from pinhaven.db.migrate import MIGRATIONS_DIR, alembic_config

INITIAL = MIGRATIONS_DIR / "versions" / "0001_initial.py"


def main() -> None:
    if INITIAL.exists():
        INITIAL.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.db'}")
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
    generated = next((MIGRATIONS_DIR / "versions").glob("0001_*.py"))
    if generated != INITIAL:
        generated.rename(INITIAL)
    print(f"wrote {INITIAL}")


if __name__ == "__main__":
    main()
