"""Restore a Pinhaven export (docs/EXPORT.md) into an account: profile, boards, sections, pins, follows.

Resumable like every import: boards, sections and pins are items keyed by their ids in the export, so a
rerun maps them to what the first run created. Boards whose name the account already has are merged.
Saves keep their parent when the parent is in the same export or still exists on this instance; follows
are restored for the users and boards that exist here; everything not restored is said in the report.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from pinhaven.accounts import follows as follows_service
from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.models import User
from pinhaven.boards import members
from pinhaven.boards import service as boards_service
from pinhaven.boards.access import access_pin
from pinhaven.boards.models import PRIVACY_VALUES, Board, BoardSection
from pinhaven.db.ids import parse_id
from pinhaven.errors import InvalidInput, PinhavenError
from pinhaven.ingest.exporter import FORMAT, VERSION
from pinhaven.ingest.importers import Row, Run, Source
from pinhaven.media import service as media_service
from pinhaven.pins import products
from pinhaven.pins import service as pins_service
from pinhaven.pins.models import Pin

__all__ = ["ExportSource", "is_export"]

MANIFEST = "manifest.json"


class _Archive:
    """Reads an export from a zip or from the folder it was unzipped into."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip = zipfile.ZipFile(path) if path.is_file() else None

    def read(self, name: str) -> bytes | None:
        if self._zip is not None:
            try:
                return self._zip.read(name)
            except KeyError:
                return None
        target = (self.path / name).resolve()
        if not target.is_relative_to(self.path.resolve()) or not target.is_file():
            return None
        return target.read_bytes()

    def json(self, name: str, default: Any) -> Any:
        data = self.read(name)
        if data is None:
            return default
        try:
            return json.loads(data)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"{name} in the export is not valid JSON ({exc.msg})", field="file") from exc

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def is_export(path: Path) -> bool:
    """Whether `path` (a zip or a folder) holds a Pinhaven export."""
    try:
        if path.is_dir():
            raw = (path / MANIFEST).read_bytes() if (path / MANIFEST).is_file() else None
        elif zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                raw = archive.read(MANIFEST) if MANIFEST in archive.namelist() else None
        else:
            return False
        return raw is not None and json.loads(raw).get("format") == FORMAT
    except (OSError, zipfile.BadZipFile, json.JSONDecodeError, AttributeError):
        return False


def _when(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class ExportSource(Source):
    """A Pinhaven export; its key is the exported account's id, whatever file it arrives in."""

    dedupe_content = False  # an export may hold the same picture twice on one board, on purpose
    name = "Imported"

    def __init__(self, path: Path, *, key: str | None = None) -> None:
        del key  # the export's own account id identifies it better than a file name
        self.archive = _Archive(path)
        manifest = self.archive.json(MANIFEST, {})
        if manifest.get("format") != FORMAT:
            raise InvalidInput(f"{path.name} is not a Pinhaven export", field="file")
        if not isinstance(manifest.get("version"), int) or manifest["version"] > VERSION:
            raise InvalidInput(
                f"export version {manifest.get('version')!r} is newer than this Pinhaven reads"
            )
        self.profile: dict[str, Any] = self.archive.json("profile.json", {})
        self.boards: list[dict[str, Any]] = self.archive.json("boards.json", [])
        self.follows: dict[str, Any] = self.archive.json("follows.json", {})
        raw_pins = self.archive.read("pins.jsonl") or b""
        self._pin_lines = [
            line for line in raw_pins.decode("utf-8", errors="replace").splitlines() if line.strip()
        ]
        self.key = f"export:{self.profile.get('id') or path.stem}"
        self.board_map: dict[str, int] = {}
        self.section_map: dict[str, int] = {}
        self.pin_map: dict[str, int] = {}
        self._parents: set[int] = set()

    def total(self) -> int:
        return len(self._pin_lines)

    def close(self) -> None:
        self.archive.close()

    # --- before the pins ---------------------------------------------------------------------

    def prepare(self, run: Run) -> None:
        self._restore_profile(run)
        for record in self.boards:
            try:
                with run.db.begin_nested():
                    self._restore_board(run, record)
            except PinhavenError as exc:
                run.note("board", str(record.get("name")), "failed", exc.message, f"board:{record.get('id')}")
        for source_id, item in run.items.items():
            if source_id.startswith("pin:") and item.target_id and item.status != "failed":
                self.pin_map[source_id[4:]] = item.target_id

    def _restore_profile(self, run: Run) -> None:
        if run.done("profile") is not None:
            return
        user = run.db.get(User, run.user_id)
        assert user is not None
        avatar_id = None
        avatar = self.profile.get("avatar") or {}
        data = self.archive.read(avatar["path"]) if isinstance(avatar.get("path"), str) else None
        try:
            with run.db.begin_nested():
                if data is not None:
                    store = media_service.media_store(run.ctx)
                    avatar_id = media_service.ingest_bytes(
                        db=run.db, store=store, settings=run.ctx.settings, data=data
                    ).id
                accounts_service.update_profile(
                    db=run.db,
                    user=user,
                    display_name=_str(self.profile.get("display_name")),
                    about=self.profile.get("about") if isinstance(self.profile.get("about"), str) else None,
                    website_url=self.profile.get("website_url")
                    if isinstance(self.profile.get("website_url"), str)
                    else None,
                    profile_image_id=avatar_id,
                )
            run.record("profile", "created", target_id=run.user_id)
            run.note("profile", user.username, "created", source_id="profile")
        except PinhavenError as exc:
            run.note("profile", user.username, "failed", exc.message, "profile")

    def _restore_board(self, run: Run, record: dict[str, Any]) -> None:
        old_id, name = str(record.get("id")), _str(record.get("name"))
        source_id = f"board:{old_id}"
        item = run.done(source_id)
        board = run.db.get(Board, item.target_id) if item is not None and item.target_id else None
        if board is None or board.owner_id != run.user_id:
            if name is None:
                raise InvalidInput("the board has no name", field="name")
            board = run.db.scalar(
                select(Board).where(Board.owner_id == run.user_id, Board.name_key == name.lower())
            )
            merged = board is not None
            if board is None:
                # An unknown privacy value restores as secret: never publish what may have been private.
                privacy = str(record.get("privacy")) if record.get("privacy") in PRIVACY_VALUES else "SECRET"
                board = boards_service.create(
                    db=run.db,
                    owner_id=run.user_id,
                    name=name,
                    description=_str(record.get("description")),
                    privacy=privacy,
                )
                board.created_at = _when(record.get("created_at")) or board.created_at
            run.record(source_id, "created", target_id=board.id)
            run.note(
                "board",
                board.name,
                "skipped" if merged else "created",
                "merged into the existing board" if merged else None,
                source_id,
            )
            for username in record.get("collaborators") or []:
                self._add_collaborator(run, board, str(username))
        self.board_map[old_id] = board.id
        for section in record.get("sections") or []:
            self._restore_section(run, board, section)

    def _add_collaborator(self, run: Run, board: Board, username: str) -> None:
        try:
            with run.db.begin_nested():
                members.add_collaborator(db=run.db, viewer=run.viewer, board_id=board.id, username=username)
            run.note("collaborator", f"{board.name}: {username}", "created")
        except PinhavenError as exc:
            run.note("collaborator", f"{board.name}: {username}", "skipped", exc.message)

    def _restore_section(self, run: Run, board: Board, record: dict[str, Any]) -> None:
        old_id, name = str(record.get("id")), _str(record.get("name"))
        source_id = f"section:{old_id}"
        item = run.done(source_id)
        section = run.db.get(BoardSection, item.target_id) if item is not None and item.target_id else None
        if section is None or section.board_id != board.id:
            if name is None:
                run.note("section", f"{board.name} › ?", "failed", "the section has no name", source_id)
                return
            section = run.section_named(board, name)
            section.created_at = _when(record.get("created_at")) or section.created_at
            run.record(source_id, "created", target_id=section.id)
        self.section_map[old_id] = section.id

    # --- the pins -------------------------------------------------------------------------------

    def rows(self, run: Run) -> Iterator[Row]:
        for number, line in enumerate(self._pin_lines, start=1):
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                yield Row(
                    source_id=f"line:{number}", label=f"pins.jsonl line {number}", error=f"unreadable ({exc})"
                )
                continue
            yield self._row(record)

    def _row(self, record: dict[str, Any]) -> Row:
        old_id = str(record.get("id"))
        image = record.get("image") or {}
        path = image.get("path") if isinstance(image, dict) else None
        board_id = self.board_map.get(str(record.get("board_id")))
        error = None
        if board_id is None:
            error = "its board was not restored"
        elif not isinstance(path, str):
            error = "the export holds no image for this pin"
        archive = self.archive

        def load() -> bytes:
            data = archive.read(str(path))
            if data is None:
                raise InvalidInput(f"{path} is missing from the export")
            return data

        return Row(
            source_id=f"pin:{old_id}",
            label=f"pin {old_id}",
            load=load,
            board_id=board_id,
            section_id=self.section_map.get(str(record.get("section_id"))),
            fields=pins_service.PinFields(
                title=_str(record.get("title")),
                description=_str(record.get("description")),
                link=_str(record.get("link")),
                alt_text=_str(record.get("alt_text")),
                note=_str(record.get("note")),
                dominant_color=_str(record.get("dominant_color")),
            ),
            finish=lambda run, pin: self._finish_pin(run, pin, record),
            error=error,
        )

    def _finish_pin(self, run: Run, pin: Pin, record: dict[str, Any]) -> None:
        pin.created_at = _when(record.get("created_at")) or pin.created_at
        self.pin_map[str(record.get("id"))] = pin.id
        parent = record.get("parent") or {}
        if isinstance(parent, dict) and parent.get("pin_id"):
            pin.parent_pin_id = self._parent_here(run, str(parent["pin_id"]))
            if pin.parent_pin_id is not None:
                self._parents.add(pin.parent_pin_id)
            else:
                run.note(
                    "save",
                    f"pin {record.get('id')}",
                    "skipped",
                    "the pin it was saved from is not on this instance",
                )
        product = record.get("product")
        if isinstance(product, dict):
            products.set_for_pin(
                db=run.db,
                pin_id=pin.id,
                price=product.get("price"),
                currency=_str(product.get("currency")),
                availability=_str(product.get("availability")),
                source_url=_str(product.get("source_url")),
            )
        run.db.flush()

    def _parent_here(self, run: Run, old_id: str) -> int | None:
        if old_id in self.pin_map:
            return self.pin_map[old_id]
        try:
            return access_pin(db=run.db, viewer=run.viewer, pin_id=parse_id(old_id)).id
        except PinhavenError:
            return None

    # --- after the pins -------------------------------------------------------------------------

    def finish(self, run: Run) -> None:
        db = run.db
        for record in self.boards:
            board_id, cover = self.board_map.get(str(record.get("id"))), record.get("cover_pin_id")
            if board_id is not None and cover and str(cover) in self.pin_map:
                board = db.get(Board, board_id)
                if board is not None:
                    board.cover_pin_id = self.pin_map[str(cover)]
        if self._parents:
            boards_service.recount_saves(db=db, pin_ids=sorted(self._parents))
        for username in self.follows.get("users") or []:
            self._follow(run, "follow", str(username), lambda u=str(username): self._follow_user(run, u))
        for entry in self.follows.get("boards") or []:
            if isinstance(entry, dict):
                label = f"{entry.get('owner')}/{entry.get('name')}"
                self._follow(run, "board_follow", label, lambda e=entry: self._follow_board(run, e))
        db.flush()

    def _follow(self, run: Run, kind: str, label: str, action: Any) -> None:
        try:
            with run.db.begin_nested():
                action()
            run.note(kind, label, "created")
        except PinhavenError as exc:
            run.note(kind, label, "skipped", exc.message)

    def _follow_user(self, run: Run, username: str) -> None:
        follows_service.follow_user(db=run.db, viewer=run.viewer, username=username)

    def _follow_board(self, run: Run, entry: dict[str, Any]) -> None:
        owner = accounts_service.get_by_username_or_raise(db=run.db, username=str(entry.get("owner")))
        name = str(entry.get("name") or "")
        board_id = run.db.scalar(
            select(Board.id).where(Board.owner_id == owner.id, func.lower(Board.name) == name.lower())
        )
        if board_id is None:
            raise InvalidInput(f"{owner.username} has no board named {name!r} here")
        members.follow_board(db=run.db, viewer=run.viewer, board_id=board_id)
