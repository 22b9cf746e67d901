"""Where media files live: the `MediaStore` protocol and its local-directory implementation.

Keys are relative, slash-separated paths (`ab/<sha256>/236x.webp`, see `variants`). Content is addressed by
the sha256 of the normalised original, so a key's bytes never change: `put` on an existing key keeps the file
and only refreshes its modification time, which restarts the orphan sweeper's grace period for it.
Writes are atomic (temporary file in the same folder, then rename): a reader sees the old state or the whole
new file, never a partial one.

Keys under `private/` (PRIVATE_PREFIX) are not media: import uploads and reports, export zips, written whole
with `put_file` and read with `get_file` (streamed, for files of any size). Their folders carry a random token
kept in the run's row, they are served only through the app to their owner, and the orphan sweeper never
touches them (their runs delete them).
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pinhaven.config import Settings

__all__ = [
    "PRIVATE_PREFIX",
    "TRASH_PREFIX",
    "LocalMediaStore",
    "MediaStore",
    "StoredObject",
    "open_media_store",
]

TRASH_PREFIX = ".trash/"  # where the sweeper parks a file while it re-checks that nothing points at it
PRIVATE_PREFIX = "private/"  # owner-only files of runs (imports, exports): never media, never swept
_COPY_CHUNK = 1024 * 1024
_TEMP_MARK = ".tmp-"
# Segments: letters, digits, "_", "-", "." and "=" (Hive-style partitions such as the event archive's
# `events/date=2026-12-07/`), never starting with "." or "=" and never containing "..": no traversal.
_KEY_PATTERN = re.compile(r"^(\.trash/)?[A-Za-z0-9_-][A-Za-z0-9._=-]*(/[A-Za-z0-9_-][A-Za-z0-9._=-]*)*$")


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: float  # seconds since the epoch


@runtime_checkable
class MediaStore(Protocol):
    """Blob storage for media. Implementations: `LocalMediaStore` (default); `S3MediaStore` (store_s3.py)."""

    def put(self, key: str, data: bytes, *, durable: bool = True) -> None:
        """Store `data` under `key` atomically; an existing key is kept and its timestamp refreshed."""
        ...

    def put_file(self, key: str, path: Path) -> None:
        """Store the local file `path` under `key`, streamed (any size), replacing what was there; readers
        see the key only once the whole file is stored."""
        ...

    def get_file(self, key: str, path: Path) -> bool:
        """Copy `key` into the local file `path`, streamed; False (and no file) when the key is missing."""
        ...

    def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None."""
        ...

    def stat(self, key: str) -> StoredObject | None:
        """Size and modification time of `key`, or None."""
        ...

    def delete(self, key: str) -> bool:
        """Remove `key`; False when it was not there."""
        ...

    def move(self, key: str, new_key: str) -> bool:
        """Rename `key` to `new_key` (replacing it), keeping the modification time; False if `key` is gone."""
        ...

    def iter_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        """Every stored object whose key starts with `prefix` (in-progress writes are not listed)."""
        ...

    def discard_stale_writes(self, older_than: float) -> int:
        """Remove leftovers of interrupted writes last touched before `older_than`; returns how many."""
        ...


def _check_key(key: str) -> str:
    if not _KEY_PATTERN.match(key) or ".." in key:
        raise ValueError(f"invalid media key {key!r}")
    return key


class LocalMediaStore:
    """Files under one directory; the key is the relative path."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def put(self, key: str, data: bytes, *, durable: bool = True) -> None:
        path = self._path(key)
        try:
            os.utime(path)  # already stored (content-addressed): keep it, restart its grace period
            return
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.parent / f"{_TEMP_MARK}{uuid.uuid4().hex}-{path.name}"
        try:
            with open(temp, "wb") as handle:
                handle.write(data)
                if durable:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        if durable:
            _fsync_dir(path.parent)

    def put_file(self, key: str, path: Path) -> None:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.parent / f"{_TEMP_MARK}{uuid.uuid4().hex}-{target.name}"
        try:
            with open(path, "rb") as source, open(temp, "wb") as out:
                shutil.copyfileobj(source, out, _COPY_CHUNK)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)

    def get_file(self, key: str, path: Path) -> bool:
        try:
            source = open(self._path(key), "rb")  # noqa: SIM115 - closed below, after the copy
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        with source, open(path, "wb") as out:
            shutil.copyfileobj(source, out, _COPY_CHUNK)
        return True

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def stat(self, key: str) -> StoredObject | None:
        try:
            st = self._path(key).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return StoredObject(key=key, size=st.st_size, modified=st.st_mtime)

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def move(self, key: str, new_key: str) -> bool:
        source, target = self._path(key), self._path(new_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(source, target)  # atomic; keeps the modification time
        except FileNotFoundError:
            return False
        return True

    def iter_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        # A prefix naming folders ("ab/abcd…/") starts the walk there instead of at the root.
        folders = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        top = self.root / folders if folders and ".." not in folders.split("/") else self.root
        for directory, subdirs, files in os.walk(top):
            rel_dir = os.path.relpath(directory, self.root).replace(os.sep, "/")
            rel_dir = "" if rel_dir == "." else rel_dir + "/"
            if not prefix.startswith(TRASH_PREFIX) and rel_dir == "":
                subdirs[:] = [d for d in subdirs if d + "/" != TRASH_PREFIX]
            subdirs.sort()
            for name in sorted(files):
                key = rel_dir + name
                if name.startswith(_TEMP_MARK) or not key.startswith(prefix):
                    continue
                try:
                    st = os.stat(os.path.join(directory, name))
                except FileNotFoundError:
                    continue
                yield StoredObject(key=key, size=st.st_size, modified=st.st_mtime)

    def discard_stale_writes(self, older_than: float) -> int:
        removed = 0
        for directory, _subdirs, files in os.walk(self.root):
            for name in files:
                if not name.startswith(_TEMP_MARK):
                    continue
                path = Path(directory) / name
                try:
                    if path.stat().st_mtime < older_than:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue
        return removed


def _fsync_dir(directory: Path) -> None:
    """Make a rename durable (POSIX needs the directory entry flushed too)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def now() -> float:
    """Wall-clock time comparable with `StoredObject.modified`."""
    return time.time()


def open_media_store(settings: Settings) -> MediaStore:
    """The store `settings.media_store` names: `local` (the media folder) or `s3://BUCKET[/prefix]`."""
    if settings.media_store.startswith("s3://"):
        from pinhaven.media.store_s3 import S3MediaStore  # boto3 is an optional extra

        return S3MediaStore.from_settings(settings)
    return LocalMediaStore(settings.resolved_media_dir)
