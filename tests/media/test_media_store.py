"""The local media store (atomic, content-addressed writes) and the orphan sweeper."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from tests.media import craft
from tests.media.conftest import ingest

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.media import service, variants
from pinhaven.media.models import MediaImage
from pinhaven.media.store import LocalMediaStore, MediaStore

HOUR = 3600.0


def age(store: LocalMediaStore, key: str, seconds: float) -> None:
    """Pretend `key` was last written `seconds` ago."""
    then = time.time() - seconds
    os.utime(store.root / key, (then, then))


def test_local_store_satisfies_the_protocol(tmp_path: Path) -> None:
    assert isinstance(LocalMediaStore(tmp_path), MediaStore)


def test_put_get_stat_delete(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    store.put("ab/" + "a" * 64 + "/236x.webp", b"one")
    key = "ab/" + "a" * 64 + "/236x.webp"
    assert store.get(key) == b"one"
    stat = store.stat(key)
    assert stat is not None and stat.size == 3
    assert store.delete(key) and store.get(key) is None and not store.delete(key)


def test_put_keeps_an_existing_key_and_refreshes_its_time(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    store.put("k/file.jpg", b"first")
    age(store, "k/file.jpg", 10 * HOUR)
    store.put("k/file.jpg", b"second")
    stat = store.stat("k/file.jpg")
    assert store.get("k/file.jpg") == b"first"  # content-addressed: never rewritten
    assert stat is not None and time.time() - stat.modified < 60


def test_writes_are_atomic_for_concurrent_readers(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    payload = os.urandom(2_000_000)
    seen: set[int] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            data = store.get("big/blob.png")
            seen.add(-1 if data is None else len(data))

    thread = threading.Thread(target=reader)
    thread.start()
    for i in range(20):
        store.put("big/blob.png", payload)
        store.delete("big/blob.png")
        if i == 19:
            store.put("big/blob.png", payload)
    stop.set()
    thread.join()
    assert seen <= {-1, len(payload)}  # absent or whole, never partial
    assert not [p for p in (tmp_path / "big").iterdir() if p.name.startswith(".tmp-")]


def test_failed_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalMediaStore(tmp_path)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.put("x/y.jpg", b"data")
    assert store.get("x/y.jpg") is None and list(store.iter_objects()) == []
    assert not list((tmp_path / "x").iterdir())


@pytest.mark.parametrize(
    "key",
    [
        "../escape.jpg",
        "/abs.jpg",
        "a/../../b.jpg",
        ".hidden/x.jpg",
        "a//b.jpg",
        "",
        "=x/y",
        "a/=../b",
        "a/b=/../c",
    ],
)
def test_keys_cannot_escape_the_root(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="invalid media key"):
        LocalMediaStore(tmp_path).put(key, b"x")


def test_hive_style_partition_keys_are_accepted(tmp_path: Path) -> None:
    # The event archive writes `events/date=YYYY-MM-DD/part-<first>-<last>.parquet` (stream/archive.py).
    store = LocalMediaStore(tmp_path)
    key = "events/date=2026-12-07/part-1-2.parquet"
    store.put(key, b"PAR1")
    assert store.get(key) == b"PAR1"
    assert [o.key for o in store.iter_objects("events/")] == [key]
    assert (tmp_path / "events" / "date=2026-12-07" / "part-1-2.parquet").is_file()


def test_identical_uploads_are_stored_once(ctx: AppContext, store: LocalMediaStore) -> None:
    data = craft.encode(craft.photo((300, 200)), "JPEG")
    first, second = ingest(ctx, data), ingest(ctx, data)
    assert first.id == second.id
    with session_scope(ctx.sessions) as db:
        assert db.query(MediaImage).count() == 1
    assert [o.key for o in store.iter_objects()] == [variants.original_key(first.sha256, "jpeg")]


def _orphan(store: LocalMediaStore, sha: str, name: str = "236x.webp") -> str:
    key = f"{sha[:2]}/{sha}/{name}"
    store.put(key, b"orphan")
    return key


def test_sweep_removes_old_orphans_and_keeps_referenced_and_recent_files(
    ctx: AppContext, store: LocalMediaStore
) -> None:
    image = ingest(ctx, craft.encode(craft.photo((300, 200)), "PNG"))
    referenced = variants.original_key(image.sha256, image.original_format)
    old_orphan = _orphan(store, "1" * 64)
    new_orphan = _orphan(store, "2" * 64)
    stray = "notes/readme.txt"  # not a media key: left alone
    store.put(stray, b"hello")
    for key in (referenced, old_orphan, stray):
        age(store, key, 30 * HOUR)
    report = service.sweep_orphans(sessions=ctx.sessions, store=store, grace_seconds=HOUR)
    assert report.deleted == [old_orphan]
    assert store.get(referenced) is not None and store.get(new_orphan) is not None and store.get(stray)
    assert report.kept_recent >= 1 and report.restored == 0


def test_sweep_keeps_a_file_an_upload_reuses_while_it_runs(ctx: AppContext) -> None:
    """An upload re-using an old orphaned file between the sweeper's listing and its delete."""
    data = craft.encode(craft.photo((200, 100)), "JPEG")
    root = ctx.settings.resolved_media_dir

    class RacingStore(LocalMediaStore):
        raced = False

        def move(self, key: str, new_key: str) -> bool:
            if not self.raced:  # the upload lands just before the sweeper parks the file
                self.raced = True
                ingest(ctx, data)
            return super().move(key, new_key)

    store = RacingStore(root)
    ctx.services["media_store"] = store
    image = ingest(ctx, data)
    key = variants.original_key(image.sha256, image.original_format)
    with session_scope(ctx.sessions) as db:  # the row goes away: its file is an orphan now
        db.delete(db.get(MediaImage, image.id))
    age(store, key, 30 * HOUR)
    report = service.sweep_orphans(sessions=ctx.sessions, store=store, grace_seconds=HOUR)
    assert report.deleted == [] and report.restored == 1
    assert store.get(key) is not None
    with session_scope(ctx.sessions) as db:
        assert service.get_by_sha(db=db, sha256=image.sha256) is not None


def test_upload_rewrites_a_file_the_sweeper_has_parked(ctx: AppContext, store: LocalMediaStore) -> None:
    data = craft.encode(craft.photo((200, 100)), "PNG")
    image = ingest(ctx, data)
    key = variants.original_key(image.sha256, image.original_format)
    assert store.move(key, ".trash/" + key)  # the sweeper is mid-way through deleting it
    again = ingest(ctx, data)
    assert again.id == image.id and store.get(key) is not None


def test_sweep_restores_files_left_parked_by_an_interrupted_sweep(
    ctx: AppContext, store: LocalMediaStore
) -> None:
    image = ingest(ctx, craft.encode(craft.photo((200, 100)), "PNG"))
    key = variants.original_key(image.sha256, image.original_format)
    store.move(key, ".trash/" + key)
    service.sweep_orphans(sessions=ctx.sessions, store=store, grace_seconds=HOUR)
    assert store.get(key) is not None and list(store.iter_objects(".trash/")) == []


def test_sweep_discards_stale_temporary_files(ctx: AppContext, store: LocalMediaStore) -> None:
    temp = store.root / "ab" / ".tmp-deadbeef-236x.webp"
    temp.parent.mkdir(parents=True)
    temp.write_bytes(b"half a file")
    then = time.time() - 30 * HOUR
    os.utime(temp, (then, then))
    report = service.sweep_orphans(sessions=ctx.sessions, store=store, grace_seconds=HOUR)
    assert report.stale_writes == 1 and not temp.exists()
