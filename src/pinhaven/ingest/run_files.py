"""Files of import and export runs: kept in the media store under unguessable `private/` keys, so any host can
read what another host wrote; local copies live only in short-lived scratch folders.

    run_folder("imports" | "exports", run_id)   private/<kind>/<run id>-<random token> (the key, with its token,
                                                is kept in the run's row; nothing ever lists these keys)
    scratch(settings, prefix)                   a fresh folder under <data_dir>/scratch, deleted on exit
    fetch_copy(store, settings, key, filename)  a local copy of a stored file, for a response to send
                                                (`LocalCopy.discard` deletes it once sent)

Scratch folders left behind by a killed process are deleted by the next `scratch` call a day later.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pinhaven.config import Settings
from pinhaven.media.store import PRIVATE_PREFIX, MediaStore

__all__ = ["LocalCopy", "fetch_copy", "run_folder", "safe_file_name", "scratch", "scratch_root"]

STALE_SCRATCH_SECONDS = 24 * 3600.0  # longer than any download or import takes
_TOKEN_BYTES = 16  # 128 random bits: the key cannot be guessed from the run id


def run_folder(kind: Literal["imports", "exports"], run_id: int) -> str:
    return f"{PRIVATE_PREFIX}{kind}/{run_id}-{secrets.token_hex(_TOKEN_BYTES)}"


def safe_file_name(name: str) -> str:
    """`name` reduced to the characters a store key allows."""
    cleaned = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "-" for c in name)
    return cleaned.lstrip(".-") or "file"


def scratch_root(settings: Settings) -> Path:
    return settings.data_dir / "scratch"


def _discard_stale(root: Path, older_than: float) -> None:
    for entry in root.iterdir():
        try:
            if entry.stat().st_mtime < older_than:
                shutil.rmtree(entry, ignore_errors=True)
        except FileNotFoundError:
            continue


def _new_scratch(settings: Settings, prefix: str) -> Path:
    root = scratch_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    _discard_stale(root, time.time() - STALE_SCRATCH_SECONDS)
    return Path(tempfile.mkdtemp(dir=root, prefix=prefix))


@contextmanager
def scratch(settings: Settings, prefix: str) -> Iterator[Path]:
    """A fresh local folder for building or reading one run's file; deleted with its content on exit."""
    folder = _new_scratch(settings, prefix)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class LocalCopy:
    path: Path
    folder: Path | None  # the scratch folder holding it; None for a legacy file that stays where it is

    def discard(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def fetch_copy(store: MediaStore, settings: Settings, key: str, filename: str) -> LocalCopy | None:
    """Copy the stored `key` into a new scratch folder as `filename`; None (nothing left) when it is missing."""
    folder = _new_scratch(settings, "download-")
    path = folder / safe_file_name(filename)
    try:
        found = store.get_file(key, path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if not found:
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return LocalCopy(path=path, folder=folder)
