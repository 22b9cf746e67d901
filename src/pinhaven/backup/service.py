"""Backups of a single-machine (SQLite) instance, and restoring one into an empty data folder.

A backup is a folder (resumable, and readable with ordinary tools):

    OUT/
      backup.json        the manifest, written last: format, versions, and every file with its size and sha256
      pinhaven.db        a consistent snapshot of the database (sqlite3's online backup API: one read
                         transaction, so writers carry on and the copy is of one instant)
      secret_key         the instance's generated secret (sessions, signed bookmarks), when it has one
      media/<key>        every object of the media store (local folder or S3), pictures and run files
      progress.jsonl     one line per media object already copied: {key, size, sha256}

Resuming: running `pinhaven backup --out OUT` again on the same folder takes a fresh database snapshot and
copies only the media objects not yet in `progress.jsonl` (media keys are content-addressed, hence
immutable), so an interrupted backup continues where it stopped, and a finished one is brought up to date
incrementally. The manifest is removed at the start of a run and written at its end: a folder without
`backup.json` is an unfinished backup, and `restore` refuses it.

Media objects are copied after the snapshot: pictures uploaded meanwhile are included too (harmless: the
restored instance's sweeper removes files no row claims), and a picture the snapshot names but that was
deleted before it could be copied is listed in the report (`missing`).

PostgreSQL and MySQL instances are backed up with their own tools (docs/OPERATIONS.md, "Backups"):
`backup` refuses them with a message pointing there.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from pinhaven import __version__
from pinhaven.config import Settings
from pinhaven.errors import InvalidInput
from pinhaven.media.store import TRASH_PREFIX, MediaStore, open_media_store

__all__ = [
    "BackupError",
    "BackupReport",
    "RestoreReport",
    "create_backup",
    "restore_backup",
    "sqlite_path",
    "verify_backup",
]

FORMAT = "pinhaven-backup"
FORMAT_VERSION = 1
MANIFEST = "backup.json"
DATABASE = "pinhaven.db"
SECRET = "secret_key"
PROGRESS = "progress.jsonl"
MEDIA = "media"
OPERATIONS_DOC = "docs/OPERATIONS.md (section “Backups”)"
_CHUNK = 1 << 20

Progress = Callable[[str, int, int], None]  # (phase, done, total)


class BackupError(InvalidInput):
    """The backup cannot be made, read or restored (the message says why)."""


@dataclass
class BackupReport:
    path: Path
    database_bytes: int = 0
    media_copied: int = 0
    media_skipped: int = 0
    media_bytes: int = 0
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class RestoreReport:
    data_dir: Path
    files: int = 0
    media: int = 0
    bytes: int = 0
    seconds: float = 0.0


def sqlite_path(settings: Settings) -> Path:
    """The SQLite file of the instance; BackupError for any other database."""
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError(
            f"`pinhaven backup` copies SQLite instances; this one runs on {url.get_backend_name()}. "
            f"Back it up with the database's own tools plus a media sync: see {OPERATIONS_DOC}."
        )
    return Path(url.database)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _write_json_atomically(path: Path, data: Any) -> None:
    temp = path.with_name(path.name + ".part")
    temp.write_text(json.dumps(data, indent=1, sort_keys=True))
    _fsync(temp)
    os.replace(temp, path)


def _check_out_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BackupError(f"{out} exists and is not a folder: a backup is a folder (choose another --out).")
    if out.is_dir() and any(out.iterdir()):
        known = (out / PROGRESS).exists() or (out / MANIFEST).exists() or (out / DATABASE).exists()
        if not known:
            raise BackupError(
                f"{out} is not empty and holds no Pinhaven backup: choose an empty or new folder."
            )


def _snapshot(source: Path, target: Path) -> None:
    """Copy the live database into `target` with sqlite3's online backup (one consistent read)."""
    if not source.exists():
        raise BackupError(f"the database file {source} does not exist: nothing to back up.")
    temp = target.with_name(target.name + ".part")
    temp.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)  # (read-write: a read-only open of a WAL file may fail)
    try:
        dst = sqlite3.connect(temp)
        try:
            src.backup(dst)  # pages=-1: the whole database in one step, under one read transaction
            dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file (no -wal beside it)
        finally:
            dst.close()
    finally:
        src.close()
    _fsync(temp)
    os.replace(temp, target)


def _media_keys(store: MediaStore) -> Iterator[tuple[str, int]]:
    for obj in store.iter_objects():
        if obj.key.startswith(TRASH_PREFIX):
            continue
        yield obj.key, obj.size


def _read_progress(out: Path) -> dict[str, dict[str, Any]]:
    """Media already copied (a torn last line, from a crash mid-write, is ignored)."""
    done: dict[str, dict[str, Any]] = {}
    path = out / PROGRESS
    if not path.exists():
        return done
    for line in path.read_text().splitlines():
        try:
            entry = json.loads(line)
            key, size, sha = str(entry["key"]), int(entry["size"]), str(entry["sha256"])
        except (ValueError, KeyError, TypeError):
            continue
        local = out / MEDIA / key
        if local.is_file() and local.stat().st_size == size:
            done[key] = {"key": key, "size": size, "sha256": sha}
    return done


def _referenced_originals(database: Path) -> list[str]:
    """Store keys of the originals the snapshot's picture rows name (what a restore needs at the least)."""
    from pinhaven.media import variants

    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT sha256, original_format FROM media_images").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()
    return [variants.original_key(sha, fmt) for sha, fmt in rows]


def create_backup(settings: Settings, out: Path, *, progress: Progress | None = None) -> BackupReport:
    """Back the instance up into the folder `out` (created, or resumed when it holds an earlier run)."""
    started = time.monotonic()
    database = sqlite_path(settings)
    _check_out_folder(out)
    (out / MEDIA).mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)  # unfinished until the end of this run
    report = BackupReport(path=out)

    _snapshot(database, out / DATABASE)
    report.database_bytes = (out / DATABASE).stat().st_size
    files: list[dict[str, Any]] = [
        {"path": DATABASE, "size": report.database_bytes, "sha256": _sha256_file(out / DATABASE)}
    ]
    secret = settings.data_dir / SECRET
    if secret.is_file():
        shutil.copyfile(secret, out / SECRET)
        os.chmod(out / SECRET, 0o600)
        files.append(
            {"path": SECRET, "size": (out / SECRET).stat().st_size, "sha256": _sha256_file(out / SECRET)}
        )

    store = open_media_store(settings)
    done = _read_progress(out)
    keys = list(_media_keys(store))
    with open(out / PROGRESS, "a") as log:
        for n, (key, _size) in enumerate(keys, 1):
            if key in done:
                report.media_skipped += 1
            else:
                entry = _copy_object(store, key, out)
                if entry is not None:
                    log.write(json.dumps(entry) + "\n")
                    log.flush()
                    done[key] = entry
                    report.media_copied += 1
            if progress is not None:
                progress("media", n, len(keys))
        os.fsync(log.fileno())
    present = set(done)
    report.missing = [k for k in _referenced_originals(out / DATABASE) if k not in present]
    media_entries = [
        {"path": f"{MEDIA}/{e['key']}", "size": e["size"], "sha256": e["sha256"]} for e in done.values()
    ]
    report.media_bytes = sum(int(e["size"]) for e in media_entries)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "pinhaven_version": __version__,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "database": "sqlite",
        "media_count": len(media_entries),
        "missing_originals": report.missing,
        "files": sorted(files + media_entries, key=lambda e: str(e["path"])),
    }
    _write_json_atomically(out / MANIFEST, manifest)
    report.seconds = time.monotonic() - started
    return report


def _copy_object(store: MediaStore, key: str, out: Path) -> dict[str, Any] | None:
    """One media object into `out/media/key` (written whole, then renamed); None when it vanished."""
    target = out / MEDIA / key
    if ".." in key.split("/") or key.startswith("/"):
        raise BackupError(f"refusing a media key that leaves the folder: {key!r}")
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(target.name + ".part")
    if not store.get_file(key, temp):
        return None  # deleted since it was listed (the sweeper, an erasure)
    _fsync(temp)
    os.replace(temp, target)
    return {"key": key, "size": target.stat().st_size, "sha256": _sha256_file(target)}


def verify_backup(path: Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """The manifest of a complete backup whose every file matches its size and checksum; else BackupError."""
    manifest_path = path / MANIFEST
    if not path.is_dir():
        raise BackupError(f"{path} is not a backup folder.")
    if not manifest_path.is_file():
        raise BackupError(
            f"{path} has no {MANIFEST}: the backup is unfinished (run `pinhaven backup --out {path}` again "
            "to complete it)."
        )
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError as exc:
        raise BackupError(f"{manifest_path} is not valid JSON.") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{manifest_path} is not a Pinhaven backup manifest.")
    if int(manifest.get("format_version", 0)) > FORMAT_VERSION:
        raise BackupError("this backup was made by a newer Pinhaven: upgrade before restoring it.")
    entries = manifest.get("files")
    if not isinstance(entries, list) or not any(e.get("path") == DATABASE for e in entries):
        raise BackupError(f"{manifest_path} lists no database.")
    bad: list[str] = []
    root = path.resolve()
    for n, entry in enumerate(entries, 1):
        rel = str(entry.get("path", ""))
        local = (path / rel).resolve()
        if not rel or not local.is_relative_to(root):
            raise BackupError(f"the manifest names a file outside the backup: {rel!r}")
        if not local.is_file():
            bad.append(f"{rel} (missing)")
        elif local.stat().st_size != int(entry.get("size", -1)) or _sha256_file(local) != entry.get("sha256"):
            bad.append(f"{rel} (checksum mismatch)")
        if progress is not None:
            progress("verify", n, len(entries))
    if bad:
        shown = ", ".join(bad[:5]) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        raise BackupError(f"the backup is damaged: {shown}. Nothing was restored.")
    return manifest


def _is_s3(settings: Settings) -> bool:
    return settings.media_store.startswith("s3://")


def _check_empty_target(settings: Settings, database: Path, store: MediaStore | None) -> None:
    """Refuse a target that holds anything: the data folder (but for the secret key loading the settings
    just generated), the media folder or store, the database file."""
    data_dir = settings.data_dir
    if data_dir.exists() and (not data_dir.is_dir() or any(p.name != SECRET for p in data_dir.iterdir())):
        raise BackupError(
            f"the data folder {data_dir} is not empty: restore only into an empty or new folder "
            "(move the current one aside first)."
        )
    media_dir = settings.resolved_media_dir
    if not _is_s3(settings) and media_dir.exists() and any(media_dir.iterdir()):
        raise BackupError(f"the media folder {media_dir} is not empty: restore only into an empty one.")
    if store is not None and next(iter(store.iter_objects()), None) is not None:
        raise BackupError(
            f"the media store {settings.media_store} already holds objects: restore only into an empty one."
        )
    if database.exists():
        raise BackupError(
            f"the database file {database} already exists: restore only into an empty instance."
        )


def restore_backup(path: Path, settings: Settings, *, progress: Progress | None = None) -> RestoreReport:
    """Verify the backup at `path`, then restore it into the empty data folder of `settings` (SQLite):
    media first (through the media store: a local folder or S3), then the secret key, the database last, so
    an instance appears only once everything it points at is in place."""
    started = time.monotonic()
    database = sqlite_path(settings)
    _check_empty_target(settings, database, open_media_store(settings) if _is_s3(settings) else None)
    manifest = verify_backup(path, progress=progress)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = open_media_store(settings)
    report = RestoreReport(data_dir=settings.data_dir)
    entries = [e for e in manifest["files"] if str(e["path"]).startswith(MEDIA + "/")]
    for n, entry in enumerate(entries, 1):
        store.put_file(str(entry["path"])[len(MEDIA) + 1 :], path / str(entry["path"]))
        report.media += 1
        report.bytes += int(entry["size"])
        if progress is not None:
            progress("media", n, len(entries))
    if (path / SECRET).is_file():  # (a PINHAVEN_SECRET_KEY in the environment still takes precedence)
        temp = settings.data_dir / (SECRET + ".part")
        shutil.copyfile(path / SECRET, temp)
        os.chmod(temp, 0o600)
        os.replace(temp, settings.data_dir / SECRET)
        report.files += 1
    database.parent.mkdir(parents=True, exist_ok=True)
    temp = database.with_name(database.name + ".part")
    shutil.copyfile(path / DATABASE, temp)
    _fsync(temp)
    os.replace(temp, database)
    report.files += 1
    report.bytes += database.stat().st_size
    report.seconds = time.monotonic() - started
    return report
