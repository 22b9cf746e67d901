"""Development helper (`make migration`): rewrite the initial migration from the models.

Before the first release the portable schema lives in `0001_initial.py` (hand-written, dialect-specific
migrations such as full-text indexes follow it); after the release, use `alembic revision --autogenerate`.
The file is generated in a scratch copy and moved into place atomically, so concurrent test runs never see
the versions folder without it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config

from pinhaven.db.engine import make_engine
from pinhaven.db.migrate import MIGRATIONS_DIR

INITIAL = MIGRATIONS_DIR / "versions" / "0001_initial.py"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "migrations"
        (scratch / "versions").mkdir(parents=True)
        for name in ("env.py", "script.py.mako"):
            (scratch / name).write_text((MIGRATIONS_DIR / name).read_text())
        config = Config()
        config.set_main_option("script_location", str(scratch))
        engine = make_engine(f"sqlite:///{Path(tmp) / 'empty.db'}")
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
        generated = next((scratch / "versions").glob("0001_*.py"))
        staged = INITIAL.with_suffix(".tmp")
        staged.write_text(generated.read_text())
        os.replace(staged, INITIAL)
    print(f"wrote {INITIAL}")


if __name__ == "__main__":
    main()
