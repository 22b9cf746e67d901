"""The `accounts.erase` job: remove everything of a deleted account (accounts/lifecycle.py queued it).

Steps, each in short transactions of its own so the job can stop anywhere and run again (the queue retries
it; `pinhaven users erase-pending` runs what is left):
  1. pins on the person's boards and pins they made anywhere, 500 at a time, through `pins.service.
     delete_pins` (board, section and save counters fixed; text index, semantic vectors and graph entries
     dropped), with the analytics rows about them (events, trending windows); then each picture no
     remaining row points at: its row (visual vectors, hashes and duplicate groups go with it), its place
     in this process's visual index, and its files, through the MediaStore (local folder or S3);
  2. the person's boards with their sections, collaborators and followers;
  3. follows both ways, board follows and collaborations, correcting the counters others see (follower
     and following counts, board follower and collaborator counts);
  4. every other row of any table whose foreign key names the account (tokens, sessions, events, hides,
     interests, feed sessions, import and export runs with their files, and the tables other domains add):
     deleted, or set to NULL where the key says SET NULL; rows naming the person, their pins or boards
     without a key — `(object_type, object_id)` pairs (moderation cases and actions, notifications), a
     key-less `owner_id` (moderation cases about anything they made), the actor lists of notifications;
  5. the user row; the deletion row keeps only the id's HMAC and the counts.

Other people's saves of the person's pins stay theirs, as on Pinterest: a save is the saver's own pin, with
its own title and description; it keeps its picture (the picture is shared, so its row and files stay
while any pin shows it) and loses the link to its parent (`parent_pin_id` becomes NULL).

Left behind by design, holding ids but nothing else of the person: queue rows (`jobs`) that name pins
already erased, the outbox of the event stream (`outbox_events`, when an event bus is configured; relayed
and pruned), the graph's change log (`graph_changes`: pin and board ids, consumed by the graph rebuild).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

from sqlalchemy import Column, String, Table, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from pinhaven.accounts.lifecycle_models import DELETION_ERASED, DELETION_PENDING, AccountDeletion
from pinhaven.accounts.models import User, UserFollow
from pinhaven.boards.models import Board, BoardCollaborator, BoardFollow, BoardSection
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.media.models import MediaImage
from pinhaven.media.store import MediaStore
from pinhaven.pins.models import Pin

log = logging.getLogger("pinhaven.accounts.erasure")

BATCH = 500


def erase_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Job handler (`accounts.erase`): payload {"deletion_id": "..."}; idempotent."""
    erase(ctx, int(payload["deletion_id"]))


def erase_pending(ctx: AppContext) -> int:
    """Erase every account whose deletion is still pending (a job that went dead, a crash); how many."""
    with session_scope(ctx.read_sessions) as db:
        ids = list(db.scalars(select(AccountDeletion.id).where(AccountDeletion.status == DELETION_PENDING)))
    for deletion_id in ids:
        erase(ctx, deletion_id)
    return len(ids)


def erase(ctx: AppContext, deletion_id: int) -> dict[str, int] | None:
    """Erase the account of one deletion request; its counts, or None when there is nothing (left) to do."""
    from pinhaven.media.service import media_store

    with session_scope(ctx.sessions) as db:
        deletion = db.get(AccountDeletion, deletion_id)
        if deletion is None or deletion.status != DELETION_PENDING or deletion.user_id is None:
            return None
        user_id = deletion.user_id
        carried = dict(deletion.counts or {})
    started = time.monotonic()
    store = media_store(ctx)
    counts: Counter[str] = Counter()
    counts["pins"] += int(carried.get("pins_elsewhere", 0))
    # Pictures of the pins deleted when the deletion was requested (other people's boards).
    leftover = [int(i) for i in carried.get("images_to_check", [])]
    if leftover:
        with session_scope(ctx.sessions) as db:
            gone = _delete_unreferenced_images(db, leftover)
        counts += _erase_pictures(ctx, store, gone)

    while True:  # 1. pins
        written_before = time.time()
        with session_scope(ctx.sessions) as db:
            own_boards = select(Board.id).where(Board.owner_id == user_id)
            pin_ids = list(
                db.scalars(
                    select(Pin.id)
                    .where(or_(Pin.creator_id == user_id, Pin.board_id.in_(own_boards)))
                    .order_by(Pin.id)
                    .limit(BATCH)
                )
            )
            if not pin_ids:
                break
            images = set(db.scalars(select(Pin.image_id).where(Pin.id.in_(pin_ids))))
            counts["rows_about_pins"] += _delete_rows_about(db, "pin_id", pin_ids)
            counts["rows_about_pins"] += _delete_objects(db, "pin", pin_ids)
            from pinhaven.pins.service import delete_pins

            delete_pins(db=db, pin_ids=pin_ids)
            counts["pins"] += len(pin_ids)
            gone = _delete_unreferenced_images(db, images)
        counts += _erase_pictures(ctx, store, gone, written_before=written_before)

    with session_scope(ctx.sessions) as db:  # 2. boards
        board_ids = _delete_boards(db, user_id)
        counts["boards"] += len(board_ids)
        counts["rows_about_boards"] += _delete_rows_about(db, "board_id", board_ids)
        counts["rows_about_boards"] += _delete_objects(db, "board", board_ids)
    with session_scope(ctx.sessions) as db:  # 3. relations, with the counters others see
        counts += _delete_relations(db, user_id)
    with session_scope(ctx.sessions) as db:  # 4. run files in the store
        counts["run_files"] += _delete_run_files(db, store, user_id)

    written_before = time.time()
    with session_scope(ctx.sessions) as db:  # 4. every other row naming the account; 5. the account
        user = db.get(User, user_id)
        avatar = user.profile_image_id if user is not None else None
        counts["notifications_as_actor"] += _forget_actor(db, user_id)
        counts["rows_about_person"] += _delete_objects(db, "user", [user_id])
        counts["rows_about_person"] += _delete_owned_rows(db, user_id)
        counts += _delete_referencing_rows(db, user_id)
        if user is not None:
            db.delete(user)
            db.flush()
        gone = _delete_unreferenced_images(db, [avatar]) if avatar is not None else []
        deletion = db.get(AccountDeletion, deletion_id)
        assert deletion is not None
        final = {k: int(v) for k, v in sorted(counts.items()) if v}
        final["seconds"] = round(time.monotonic() - started, 3)  # type: ignore[assignment]
        deletion.user_id = None
        deletion.status = DELETION_ERASED
        deletion.erased_at = utcnow()
        deletion.counts = final
        subject = deletion.subject_hash
    counts += _erase_pictures(ctx, store, gone, written_before=written_before)
    from pinhaven.accounts.token_cache import tokens_of

    tokens_of(ctx).bump_generation()
    log.info("account erased: subject %s counts %s", subject[:16], final)
    return final


# --- pins and pictures ------------------------------------------------------------------------------


# Logs that must keep naming erased pins and boards until consumed (see the module docstring).
KEEP_LOGS = frozenset({"jobs", "outbox_events", "graph_changes"})


def _delete_rows_about(db: Session, column_name: str, ids: list[int]) -> int:
    """Rows of any table that name these pins (or boards) in a column without a foreign key (those with
    one cascade): engagement events, trending windows, notifications about them, whoever made them."""
    from pinhaven.db.registry import all_metadata

    removed = 0
    for table in all_metadata().sorted_tables:
        column = table.columns.get(column_name)
        if column is None or column.foreign_keys or table.name in KEEP_LOGS:
            continue
        for start in range(0, len(ids), 900):
            result = db.execute(delete(table).where(column.in_(ids[start : start + 900])))
            removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


def _delete_objects(db: Session, kind: str, ids: list[int]) -> int:
    """Rows that name these objects as (`object_type`, `object_id`) — moderation cases and actions,
    notifications — in any table: they are about the person or what they made."""
    from pinhaven.db.registry import all_metadata

    removed = 0
    for table in all_metadata().sorted_tables:
        kinds, objects = table.columns.get("object_type"), table.columns.get("object_id")
        if kinds is None or objects is None or table.name in KEEP_LOGS:
            continue
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            result = db.execute(delete(table).where(kinds == kind, objects.in_(chunk)))
            removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


def _delete_owned_rows(db: Session, user_id: int) -> int:
    """Rows naming the person as `owner_id` without a foreign key (e.g. moderation cases about their
    content, whatever the object): the key-less counterpart of step 4."""
    from pinhaven.db.registry import all_metadata

    removed = 0
    for table in all_metadata().sorted_tables:
        owner = table.columns.get("owner_id")
        if owner is None or owner.foreign_keys or table.name in KEEP_LOGS:
            continue
        result = db.execute(delete(table).where(owner == user_id))
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed


def _forget_actor(db: Session, user_id: int) -> int:
    """Other people's notifications naming the person among their actors (a JSON list, no key): the person
    leaves the list; an item with nobody left goes."""
    from pinhaven.db.registry import all_metadata

    changed = 0
    for table in all_metadata().sorted_tables:
        actors = table.columns.get("actor_ids")
        if actors is None or "id" not in table.columns:
            continue
        candidates = db.execute(
            select(table.c.id, actors).where(cast(actors, String).like(f"%{user_id}%"))
        ).all()
        for row_id, listed in candidates:
            remaining = [a for a in (listed or []) if int(a) != user_id]
            if len(remaining) == len(listed or []):
                continue
            if not remaining:
                db.execute(delete(table).where(table.c.id == row_id))
            else:
                values: dict[str, Any] = {"actor_ids": remaining}
                if "actor_count" in table.columns:
                    values["actor_count"] = table.c.actor_count - 1
                db.execute(update(table).where(table.c.id == row_id).values(values))
            changed += 1
    return changed


def _image_reference_columns() -> list[Column[Any]]:
    """Columns that keep a picture in use: foreign keys to media_images.id that do not cascade (those that
    cascade are derived data, vectors and hashes, and go with the picture)."""
    from pinhaven.db.registry import all_metadata

    columns = []
    for table in all_metadata().sorted_tables:
        for column in table.columns:
            for fk in column.foreign_keys:
                if fk.column.table.name == "media_images" and (fk.ondelete or "").upper() != "CASCADE":
                    columns.append(column)
    return columns


def _delete_unreferenced_images(db: Session, image_ids: Any) -> list[tuple[int, str]]:
    """Delete the rows of the pictures (among `image_ids`) that nothing points at any more; (id, sha256)."""
    candidates = {int(i) for i in image_ids if i is not None}
    if not candidates:
        return []
    db.flush()
    for column in _image_reference_columns():
        ordered = sorted(candidates)
        for start in range(0, len(ordered), 900):
            chunk = ordered[start : start + 900]
            candidates.difference_update(int(i) for i in db.scalars(select(column).where(column.in_(chunk))))
    if not candidates:
        return []
    ordered = sorted(candidates)
    gone: list[tuple[int, str]] = []
    for start in range(0, len(ordered), 900):
        chunk = ordered[start : start + 900]
        gone.extend(
            (int(i), str(s))
            for i, s in db.execute(select(MediaImage.id, MediaImage.sha256).where(MediaImage.id.in_(chunk)))
        )
        db.execute(delete(MediaImage).where(MediaImage.id.in_(chunk)))
    return gone


def _erase_pictures(
    ctx: AppContext, store: MediaStore, gone: list[tuple[int, str]], *, written_before: float | None = None
) -> Counter[str]:
    """After the rows' commit: drop the pictures from this process's visual index, then their files."""
    from pinhaven.media.service import erase_image_files

    counts: Counter[str] = Counter()
    if not gone:
        return counts
    _forget_visual(ctx, [i for i, _ in gone])
    cutoff = time.time() if written_before is None else written_before
    counts["media_files"] += erase_image_files(
        sessions=ctx.sessions, store=store, shas=[sha for _, sha in gone], written_before=cutoff
    )
    counts["images"] += len(gone)
    return counts


def _forget_visual(ctx: AppContext, image_ids: list[int]) -> None:
    """The vectors' rows went with the pictures (ON DELETE CASCADE); the loaded in-process index and hash
    index forget them now (another process's index drops them when it next loads: its count differs)."""
    from pinhaven.search.visual.service import SERVICE_KEY

    service = ctx.services.get(SERVICE_KEY)
    if service is None:
        return
    with service._lock:
        if not service.index.shared:
            service.index.remove(image_ids)
        service.duplicates.remove(image_ids)
    service.save()


# --- boards and relations ---------------------------------------------------------------------------


def _delete_boards(db: Session, user_id: int) -> list[int]:
    from pinhaven.stream import events as stream_events

    board_ids = list(db.scalars(select(Board.id).where(Board.owner_id == user_id)))
    for start in range(0, len(board_ids), 900):
        chunk = board_ids[start : start + 900]
        for model in (BoardSection, BoardCollaborator, BoardFollow):
            db.execute(delete(model).where(model.board_id.in_(chunk)))
        for board_id in chunk:
            stream_events.board_changed(db=db, board_id=board_id, change="board.deleted")
        db.execute(delete(Board).where(Board.id.in_(chunk)))
    return board_ids


def _delete_relations(db: Session, user_id: int) -> Counter[str]:
    """Follows, board follows and collaborations, with the counts other people and boards show."""
    counts: Counter[str] = Counter()
    followed = list(db.scalars(select(UserFollow.followee_id).where(UserFollow.follower_id == user_id)))
    for other in followed:
        db.execute(update(User).where(User.id == other).values(follower_count=User.follower_count - 1))
    followers = list(db.scalars(select(UserFollow.follower_id).where(UserFollow.followee_id == user_id)))
    for other in followers:
        db.execute(update(User).where(User.id == other).values(following_count=User.following_count - 1))
    db.execute(
        delete(UserFollow).where(or_(UserFollow.follower_id == user_id, UserFollow.followee_id == user_id))
    )
    counts["follows"] += len(followed) + len(followers)

    boards_followed = list(db.scalars(select(BoardFollow.board_id).where(BoardFollow.user_id == user_id)))
    for board_id in boards_followed:
        db.execute(update(Board).where(Board.id == board_id).values(follower_count=Board.follower_count - 1))
    db.execute(delete(BoardFollow).where(BoardFollow.user_id == user_id))
    counts["board_follows"] += len(boards_followed)

    shared = list(db.scalars(select(BoardCollaborator.board_id).where(BoardCollaborator.user_id == user_id)))
    for board_id in shared:
        db.execute(
            update(Board).where(Board.id == board_id).values(collaborator_count=Board.collaborator_count - 1)
        )
    db.execute(delete(BoardCollaborator).where(BoardCollaborator.user_id == user_id))
    counts["collaborations"] += len(shared)
    db.expire_all()
    return counts


def _delete_run_files(db: Session, store: MediaStore, user_id: int) -> int:
    """Import uploads and reports, export zips: their files (the rows go in step 4)."""
    from pinhaven.ingest.models import ExportRun, ImportRun

    keys: list[str] = []
    for run in db.scalars(select(ImportRun).where(ImportRun.user_id == user_id)):
        keys += [k for k in (run.input_key, run.report_key) if k]
    keys += [k for k in db.scalars(select(ExportRun.zip_key).where(ExportRun.user_id == user_id)) if k]
    return sum(1 for key in keys if store.delete(key))


def _user_reference_columns() -> list[tuple[Table, Column[Any], bool]]:
    """(table, column, set_null) for every foreign key to users.id, children before parents."""
    from pinhaven.db.registry import all_metadata

    found = []
    for table in reversed(all_metadata().sorted_tables):
        if table.name == "users":
            continue
        for column in table.columns:
            for fk in column.foreign_keys:
                if fk.column.table.name == "users":
                    set_null = (fk.ondelete or "").upper() == "SET NULL" and bool(column.nullable)
                    found.append((table, column, set_null))
    return found


def _delete_referencing_rows(db: Session, user_id: int) -> Counter[str]:
    counts: Counter[str] = Counter()
    for table, column, set_null in _user_reference_columns():
        present = db.scalar(select(func.count()).select_from(table).where(column == user_id)) or 0
        if not present:
            continue
        if set_null:
            db.execute(update(table).where(column == user_id).values({column.name: None}))
        else:
            db.execute(delete(table).where(column == user_id))
        counts[f"rows:{table.name}"] += int(present)
    db.flush()
    return counts
