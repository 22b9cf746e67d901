"""Work that must happen once across hosts, and the model files every host must share (`database` mode).

refit_lock(ctx)          one whitening refit / reindex at a time: a session-level PostgreSQL advisory
                         lock held on a dedicated connection; released by the server if the host dies
group_lock(ctx)          regrouping every duplicate holds it; `lock_groups(db)` takes the same lock for
                         one transaction (embedding an image and joining its duplicates' group), so two
                         hosts embedding copies of one picture at once still end up in one group
publish_whitening(...)   the active / pending whitening goes into `visual_model_files`; data folders are
promote_whitening(...)   disposable, so a host that lost (or never had) the file gets it back from there
sync_whitening_files(.)  copies the database's files into this host's data folder when they changed
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.search.vectorstore.schema import model_files

__all__ = [
    "ACTIVE",
    "PENDING",
    "group_lock",
    "lock_catch_up",
    "lock_groups",
    "promote_whitening",
    "publish_whitening",
    "refit_lock",
    "sync_whitening_files",
]

ACTIVE, PENDING = "whitening", "whitening.pending"
# Advisory lock keys (any two 64-bit constants unique to Pinhaven): sha-derived, so readable in pg_locks
_REFIT_KEY = int.from_bytes(hashlib.sha256(b"pinhaven.visual.refit").digest()[:8], "big", signed=True)
_GROUPS_KEY = int.from_bytes(hashlib.sha256(b"pinhaven.visual.groups").digest()[:8], "big", signed=True)
_CATCH_UP_KEY = int.from_bytes(hashlib.sha256(b"pinhaven.visual.catch-up").digest()[:8], "big", signed=True)
_SYNC_SECONDS = 1.0  # how often a host asks whether the whitening changed
_sync_lock = threading.Lock()


@contextmanager
def _session_lock(ctx: AppContext, key: int, *, wait: bool) -> Iterator[bool]:
    with ctx.engine.connect() as conn:
        if wait:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            got = True
        else:
            got = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
        conn.commit()  # the lock is the session's, not the transaction's: end the implicit transaction
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()


@contextmanager
def refit_lock(ctx: AppContext) -> Iterator[bool]:
    """Yields True when this process may refit now, False when another holds the lock (no waiting)."""
    with _session_lock(ctx, _REFIT_KEY, wait=False) as got:
        yield got


@contextmanager
def group_lock(ctx: AppContext) -> Iterator[None]:
    """Held while every duplicate group is recomputed; embeddings wait for it (see `lock_groups`)."""
    with _session_lock(ctx, _GROUPS_KEY, wait=True):
        yield


def lock_groups(db: Session) -> None:
    """The duplicate-group lock until the end of `db`'s transaction."""
    db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _GROUPS_KEY})


def lock_catch_up(db: Session) -> None:
    """Until the end of `db`'s transaction: hosts starting together copy missing vectors once, not each.
    (Not the group lock: a regroup, which holds that one, builds a service, which catches up.)"""
    db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CATCH_UP_KEY})


# ---- whitening files


def publish_whitening(ctx: AppContext, path: Path, *, name: str, model_id: str) -> None:
    """Store the file at `path` as the database's `name` (ACTIVE or PENDING) whitening."""
    content = path.read_bytes()
    with session_scope(ctx.sessions) as db:
        stmt = insert(model_files).values(name=name, model_id=model_id, content=content, updated_at=utcnow())
        db.execute(
            stmt.on_conflict_do_update(
                index_elements=["name"],
                set_={
                    "model_id": stmt.excluded.model_id,
                    "content": stmt.excluded.content,
                    "updated_at": stmt.excluded.updated_at,
                },
            )
        )
    _remember(ctx, name, content)


def promote_whitening(ctx: AppContext) -> None:
    """The pending whitening becomes the active one, for every host, in one transaction."""
    with session_scope(ctx.sessions) as db:
        row = db.execute(
            select(model_files.c.model_id, model_files.c.content).where(model_files.c.name == PENDING)
        ).one_or_none()
        if row is None:
            return
        db.execute(delete(model_files).where(model_files.c.name == ACTIVE))
        db.execute(
            model_files.update().where(model_files.c.name == PENDING).values(name=ACTIVE, updated_at=utcnow())
        )
    _remember(ctx, ACTIVE, row.content)
    _remember(ctx, PENDING, None)


def _digests(ctx: AppContext) -> dict[str, str | None]:
    state: dict[str, str | None] = ctx.services.setdefault("search.vectorstore.whitening", {})
    return state


def _remember(ctx: AppContext, name: str, content: bytes | None) -> None:
    _digests(ctx)[name] = hashlib.sha256(content).hexdigest() if content is not None else None


def sync_whitening_files(ctx: AppContext, paths: dict[str, Path], *, force: bool = False) -> bool:
    """Make this host's whitening files (ACTIVE and PENDING → path) match the database; throttled to once
    a second unless `force`. Returns True when a file was written or removed."""
    stamp_key = "search.vectorstore.whitening_checked"
    if not force and time.monotonic() - ctx.services.get(stamp_key, 0.0) < _SYNC_SECONDS:
        return False
    with _sync_lock:
        ctx.services[stamp_key] = time.monotonic()
        with session_scope(ctx.read_sessions) as db:
            stored = {
                name: content
                for name, content in db.execute(select(model_files.c.name, model_files.c.content))
            }
        changed = False
        digests = _digests(ctx)
        for name, path in paths.items():
            content = stored.get(name)
            digest = hashlib.sha256(content).hexdigest() if content is not None else None
            if digest == digests.get(name, "?") and (content is None) != path.exists():
                continue  # known, and the local file agrees
            if content is None:
                if path.exists():
                    path.unlink()
                    changed = True
            elif not path.exists() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
                _write_atomically(path, content)
                changed = True
            digests[name] = digest
        return changed


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".sync-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
