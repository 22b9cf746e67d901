"""Import sources read from files: a folder or zip of images, a CSV or JSONL list of pins.

Folders and zips: a board per first-level sub-folder, a section per second-level one (deeper folders fold
into that section); files at the top go to the default board (named after the folder, or `--board`).
CSV/JSONL columns: `image_url` or `path`, `title`, `description`, `link`, `board`, `section` (optional:
`alt_text`, `note`, `id`). `path` is relative to the list's own folder and is refused for uploaded lists.
`open_source` picks the reader from the path (a zip holding a Pinhaven export restores that export).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from pinhaven.config import Settings
from pinhaven.errors import InvalidInput
from pinhaven.ingest.addresses import Resolver, system_resolve
from pinhaven.ingest.fetch import fetch
from pinhaven.ingest.importers import Row, Run, Source
from pinhaven.ingest.service import IMAGE_ACCEPT
from pinhaven.pins import service as pins_service

__all__ = ["FolderSource", "ListSource", "ZipSource", "open_source", "title_from_name"]

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".png", ".webp", ".gif", ".avif", ".heic", ".heif"})
LIST_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_ZIP_ENTRIES = 200_000
COLUMNS = ("image_url", "path", "title", "description", "link", "board", "section", "alt_text", "note", "id")


def title_from_name(name: str) -> str | None:
    """`beach_day-2.jpg` → `beach day 2` (a file's stem as a readable title)."""
    stem = PurePosixPath(name).stem.replace("_", " ").replace("-", " ")
    text = " ".join(stem.split())
    return text[: pins_service.LIMITS["title"]] or None


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(p.startswith(".") or p == "__MACOSX" for p in parts)


UNSAFE_PATH = "skipped: the path is absolute or goes up with '..' (it could name a file outside the import)"


def unsafe_path(name: str) -> bool:
    """An entry or list path that is absolute (`/x`, `\\x`, `C:x`) or has a `..` segment."""
    normal = name.replace("\\", "/")
    return normal.startswith("/") or bool(re.match(r"^[A-Za-z]:", normal)) or ".." in normal.split("/")


def _place(parts: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(board, section) for a file at `parts` below the root."""
    if len(parts) == 1:
        return None, None
    if len(parts) == 2:
        return parts[0], None
    return parts[0], parts[1]


def _read_file(path: Path, limit: int) -> bytes:
    size = path.stat().st_size
    if size > limit:
        raise InvalidInput(f"{path.name} is {size} bytes, more than the {limit} bytes an image may have")
    return path.read_bytes()


class FolderSource(Source):
    """Every image file below a folder, in name order."""

    def __init__(self, root: Path, *, settings: Settings, key: str | None = None) -> None:
        self.root = root
        self.settings = settings
        self.key = key or f"folder:{root.resolve()}"
        self.name = root.resolve().name or "Imported"
        self._files = sorted(
            p
            for p in root.rglob("*")
            if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file() and not _hidden(p.relative_to(root).parts)
        )

    def total(self) -> int:
        return len(self._files)

    def rows(self, run: Run) -> Iterator[Row]:
        limit = self.settings.max_upload_bytes
        for path in self._files:
            rel = path.relative_to(self.root)
            board, section = _place(rel.parts)
            yield Row(
                source_id=rel.as_posix(),
                label=rel.as_posix(),
                load=lambda p=path: _read_file(p, limit),  # type: ignore[misc]
                board=board,
                section=section,
                fields=pins_service.PinFields(title=title_from_name(rel.name)),
            )


class ZipSource(Source):
    """Every image in a zip; a single top-level folder is treated as the root (how zipped folders look)."""

    def __init__(self, path: Path, *, settings: Settings, key: str | None = None) -> None:
        self.settings = settings
        self._zip = zipfile.ZipFile(path)
        infos = self._zip.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise InvalidInput(f"the zip holds more than {MAX_ZIP_ENTRIES} entries", field="file")
        entries = [
            (PurePosixPath(i.filename).parts, i)
            for i in infos
            if not i.is_dir() and PurePosixPath(i.filename).suffix.lower() in IMAGE_SUFFIXES
        ]
        # Absolute or `..` names are reported, not imported (an absolute name would make a board called "/").
        self._unsafe = [i for _, i in entries if unsafe_path(i.filename)]
        entries = [
            (parts, i) for parts, i in entries if parts and not _hidden(parts) and not unsafe_path(i.filename)
        ]
        tops = {parts[0] for parts, _ in entries if len(parts) > 1}
        self.name = path.stem
        if entries and len(tops) == 1 and all(len(parts) > 1 for parts, _ in entries):
            self.name = tops.pop()
            entries = [(parts[1:], i) for parts, i in entries]
        self._entries = sorted(entries, key=lambda e: e[0])
        self.key = key or f"zip:{path.resolve()}"

    def total(self) -> int:
        return len(self._entries) + len(self._unsafe)

    def _read(self, info: zipfile.ZipInfo) -> bytes:
        limit = self.settings.max_upload_bytes
        if info.file_size > limit:
            raise InvalidInput(
                f"{info.filename} is {info.file_size} bytes, more than the {limit} an image may have"
            )
        return self._zip.read(info)  # reads at most file_size bytes, whatever the compressed data claims

    def rows(self, run: Run) -> Iterator[Row]:
        for info in self._unsafe:
            yield Row(source_id=f"unsafe:{info.filename}", label=info.filename, error=UNSAFE_PATH)
        for parts, info in self._entries:
            board, section = _place(parts)
            name = "/".join(parts)
            yield Row(
                source_id=name,
                label=info.filename,
                load=lambda i=info: self._read(i),  # type: ignore[misc]
                board=board,
                section=section,
                fields=pins_service.PinFields(title=title_from_name(parts[-1])),
            )

    def close(self) -> None:
        self._zip.close()


def _text(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


class ListSource(Source):
    """A CSV or JSONL file of pins (see the module docstring for the columns)."""

    def __init__(
        self,
        path: Path,
        *,
        settings: Settings,
        kind: str,
        key: str | None = None,
        allow_paths: bool = True,
        resolve: Resolver = system_resolve,
    ) -> None:
        self.path = path
        self.settings = settings
        self.kind = kind
        self.allow_paths = allow_paths
        self.resolve = resolve
        self.key = key or f"{kind}:{path.resolve()}"
        self.name = path.stem
        self._records = list(self._read())

    def _read(self) -> Iterator[tuple[dict[str, Any] | None, str | None]]:
        """(record, None) per row, or (None, why) for a line that cannot be read."""
        text = self.path.read_bytes().decode("utf-8-sig", errors="replace")
        if self.kind == "csv":
            reader = csv.DictReader(io.StringIO(text, newline=""))
            try:
                for record in reader:
                    clean = {(k or "").strip().lower(): v for k, v in record.items() if k is not None}
                    yield clean, None
            except csv.Error as exc:
                yield None, f"the CSV cannot be read past line {reader.line_num}: {exc}"
            return
        for line in text.splitlines():
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield None, f"not valid JSON ({exc.msg} at column {exc.colno})"
                continue
            if not isinstance(record, dict):
                yield None, "a line must hold a JSON object"
                continue
            yield {str(k).strip().lower(): v for k, v in record.items()}, None

    def total(self) -> int:
        return len(self._records)

    def _loader(self, record: dict[str, Any]) -> tuple[Any, str, str | None]:
        """(load function, label, error) for a record's image."""
        url, path = _text(record, "image_url"), _text(record, "path")
        if url:
            settings, resolve, limit = self.settings, self.resolve, self.settings.max_upload_bytes

            def load() -> bytes:
                return fetch(
                    url, settings=settings, accept=IMAGE_ACCEPT, max_bytes=limit, resolve=resolve
                ).body

            return load, url, None
        if path:
            if not self.allow_paths:
                return None, path, "paths are not accepted in an uploaded list; give an image_url"
            if unsafe_path(path) or path.startswith("~"):
                return None, path, UNSAFE_PATH
            target = (self.path.parent / path).expanduser()
            return (lambda: _read_file(target, self.settings.max_upload_bytes)), path, None
        return None, "", "the row has neither image_url nor path"

    def rows(self, run: Run) -> Iterator[Row]:
        for number, (record, problem) in enumerate(self._records, start=1):
            if record is None:
                yield Row(source_id=f"line:{number}", label=f"line {number}", error=problem)
                continue
            load, label, error = self._loader(record)
            identity = _text(record, "id")
            if identity is None:  # no id column: the row's content is its identity, wherever it sits
                basis = "\0".join(str(record.get(c) or "") for c in COLUMNS)
                identity = "row:" + hashlib.sha256(basis.encode()).hexdigest()[:32]
            yield Row(
                source_id=identity,
                label=label or f"row {number}",
                load=load,
                board=_text(record, "board"),
                section=_text(record, "section"),
                fields=pins_service.PinFields(
                    title=_text(record, "title"),
                    description=_text(record, "description"),
                    link=_text(record, "link"),
                    alt_text=_text(record, "alt_text"),
                    note=_text(record, "note"),
                ),
                error=error,
            )


def open_source(
    path: Path,
    *,
    settings: Settings,
    key: str | None = None,
    allow_paths: bool = True,
    resolve: Resolver = system_resolve,
) -> Source:
    """The source for a folder, a zip (an image archive or a Pinhaven export), or a CSV/JSONL list."""
    from pinhaven.ingest.importers_export import ExportSource, is_export

    if not path.exists():
        raise InvalidInput(f"{path} does not exist", field="path")
    if is_export(path):
        return ExportSource(path, key=key)
    if path.is_dir():
        return FolderSource(path, settings=settings, key=key)
    suffix = path.suffix.lower()
    if suffix == ".zip" or zipfile.is_zipfile(path):
        try:
            return ZipSource(path, settings=settings, key=key)
        except zipfile.BadZipFile as exc:
            raise InvalidInput(f"{path.name} is not a readable zip ({exc})", field="file") from exc
    if suffix in LIST_SUFFIXES:
        return ListSource(
            path,
            settings=settings,
            kind=LIST_SUFFIXES[suffix],
            key=key,
            allow_paths=allow_paths,
            resolve=resolve,
        )
    raise InvalidInput(
        f"{path.name}: import a folder, a .zip, a .csv or a .jsonl file (not {suffix or 'a file without extension'})",
        field="path",
    )
