"""Load the demo through the services: people who follow each other, themed boards with sections, a secret
board, and a timeline of pins (generated images) and saves, back-dated over the last 60 days.

Pins are written in batches, each its own transaction, so an interrupted run keeps what it made; running again
with the same pin count and seed continues where it stopped (the timeline is deterministic).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from pinhaven.accounts import follows
from pinhaven.accounts import service as accounts
from pinhaven.accounts.models import User, UserFollow
from pinhaven.accounts.scopes import Viewer, session_viewer
from pinhaven.boards import members
from pinhaven.boards import service as boards
from pinhaven.boards.models import Board, BoardFollow, BoardSection
from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import new_id
from pinhaven.demo.images import SUPERSAMPLE, Artwork, render
from pinhaven.demo.plan import (
    BOARD_FOLLOWS,
    BOARDS,
    DEMO_PASSWORD,
    USERS,
    PlannedPin,
    build_timeline,
    user_follows,
)
from pinhaven.demo.texts import PinText, pin_text
from pinhaven.discovery import topics
from pinhaven.errors import Conflict
from pinhaven.media import service as media
from pinhaven.media.models import MediaImage
from pinhaven.media.store import LocalMediaStore
from pinhaven.pins import service as pins
from pinhaven.pins.models import Pin
from pinhaven.pins.service import PinFields

__all__ = ["BATCH", "DemoResult", "Progress", "database_is_empty", "load_demo", "original_artwork"]

BATCH = 50  # pins per transaction
MEDIA_JOB = "media.process"
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class DemoResult:
    users: int = 0
    boards: int = 0
    pins_created: int = 0
    pins_total: int = 0
    saves: int = 0
    resumed_from: int = 0
    # images whose variants were rendered: while writing, or by their queued jobs at the end (0 when skipped)
    images_processed: int = 0
    usernames: list[str] = field(default_factory=list)


def database_is_empty(ctx: AppContext) -> bool:
    """True when no user exists yet (`--if-empty` loads the demo only then)."""
    with ctx.read_sessions() as db:
        return db.scalar(select(User.id).limit(1)) is None


def original_artwork(seed: int, planned: PlannedPin, *, supersample: int = SUPERSAMPLE) -> Artwork:
    """The picture of a planned original pin (module-level so worker processes can run it)."""
    return render(
        BOARDS[planned.board].theme,
        f"{seed}:{planned.original}",
        motif=planned.motif,
        supersample=supersample,
    )


@dataclass(frozen=True)
class _Picture:
    artwork: Artwork
    upload: media.PreparedUpload | None  # already stored, with its eager variants (see `_Renderer`)


def _picture(seed: int, planned: PlannedPin, settings: Settings | None) -> _Picture:
    """An original pin's picture; with `settings`, also stored in the local media folder with its eager
    variants (module-level so worker processes run it: that work then overlaps the writer's)."""
    artwork = original_artwork(seed, planned)
    if settings is None:
        return _Picture(artwork, None)
    store = LocalMediaStore(settings.resolved_media_dir)
    upload = media.prepare_upload(store=store, settings=settings, data=artwork.jpeg, render_eager=True)
    return _Picture(artwork, upload)


class _Clock:
    """Back-dates what the services create: rows get `created_at` = `at`, and pins a snowflake id from `at`."""

    STAMPED = (User, UserFollow, Board, BoardSection, BoardFollow, Pin, MediaImage)

    def __init__(self) -> None:
        self.at: datetime | None = None

    def before_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        if self.at is None:
            return
        for row in session.new:
            if isinstance(row, self.STAMPED) and getattr(row, "created_at", None) is None:
                row.created_at = self.at
            if isinstance(row, Pin) and row.id is None:
                row.id = new_id(at=self.at)  # id order = created_at order, as for real pins


class _Loader:
    """One run: the services' shared arguments, the back-dating clock, and what earlier steps made."""

    def __init__(self, ctx: AppContext, seed: int, *, render_eager: bool = False) -> None:
        self.ctx, self.seed = ctx, seed
        self.store = media.media_store(ctx)
        self.render_eager = render_eager  # render images' eager variants while writing: no job per image
        self.images_ready = 0  # new images made ready that way
        self.clock = _Clock()
        self.now = utcnow()
        self.people: dict[str, int] = {}  # username → user id (ids, not rows: rows expire with their session)
        self.boards: list[int] = []  # board ids in plan order
        self.sections: dict[tuple[int, str], int] = {}  # (board index, motif) → section id
        self.pin_ids: list[int] = []  # timeline position → pin id

    def image(self, db: Session, data: bytes, prepared: media.PreparedUpload | None = None) -> MediaImage:
        """The image row for `data` (`prepared` when a renderer process stored it already); ready at once
        when its eager variants are rendered, else its `media.process` job is queued."""
        if prepared is None:
            prepared = media.prepare_upload(
                store=self.store, settings=self.ctx.settings, data=data, render_eager=self.render_eager
            )
        image, created = media.register_upload(db=db, prepared=prepared)
        if created and prepared.eager_ready:
            self.images_ready += 1
        return image

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with session_scope(self.ctx.sessions) as db:
            event.listen(db, "before_flush", self.clock.before_flush)
            yield db

    def ensure_people(self, db: Session) -> None:
        self.clock.at = self.now - timedelta(days=62)
        for person in USERS:
            user = accounts.get_by_username(db=db, username=person.username)
            if user is None:
                user = accounts.create(
                    db=db,
                    username=person.username,
                    email=person.email,
                    password=DEMO_PASSWORD,
                    display_name=person.display_name,
                )
                avatar = render("art", f"avatar:{person.username}", motif=person.avatar, size=(400, 400))
                image = self.image(db, avatar.jpeg)
                accounts.update_profile(
                    db=db,
                    user=user,
                    about=person.about,
                    website_url=person.website,
                    profile_image_id=image.id,
                )
            if user.interests is None and person.interests:  # also fixes demos loaded before interests
                topics.set_interests(db=db, user_id=user.id, topics=list(person.interests))
            self.people[person.username] = user.id
        self.clock.at = self.now - timedelta(days=61)
        for follower, followee in user_follows(self.seed):
            follows.follow_user(db=db, viewer=self.viewer(follower), username=followee)

    def viewer(self, username: str) -> Viewer:
        return session_viewer(self.people[username])

    def ensure_boards(self, db: Session) -> None:
        self.clock.at = self.now - timedelta(days=61)
        for index, spec in enumerate(BOARDS):
            owner_id = self.people[spec.owner]
            board = db.scalar(
                select(Board).where(Board.owner_id == owner_id, Board.name_key == spec.name.lower())
            )
            if board is None:
                board = boards.create(
                    db=db,
                    owner_id=owner_id,
                    name=spec.name,
                    description=spec.description,
                    privacy=spec.privacy,
                )
            self.boards.append(board.id)
            existing = {
                s.name: s for s in db.scalars(select(BoardSection).where(BoardSection.board_id == board.id))
            }
            for name, motifs in spec.sections.items():
                section = existing.get(name) or boards.create_section(
                    db=db, viewer=self.viewer(spec.owner), board_id=board.id, name=name
                )
                self.sections.update({(index, motif): section.id for motif in motifs})
        for follower, owner, name in BOARD_FOLLOWS:
            index = next(i for i, b in enumerate(BOARDS) if b.owner == owner and b.name == name)
            members.follow_board(db=db, viewer=self.viewer(follower), board_id=self.boards[index])

    def write(self, db: Session, planned: PlannedPin, pictures: Iterator[_Picture]) -> Pin:
        """One timeline step: an original pin with its generated image, or a save of an earlier pin."""
        spec, board_id = BOARDS[planned.board], self.boards[planned.board]
        self.clock.at = self.now - timedelta(seconds=planned.seconds_ago)
        viewer = self.viewer(spec.owner)
        if planned.parent is not None:
            section = self.sections.get((planned.board, planned.motif))
            pin = pins.save(
                db=db,
                viewer=viewer,
                pin_id=self.pin_ids[planned.parent],
                board_id=board_id,
                section_id=section,
            )
        else:
            picture = next(pictures)
            artwork = picture.artwork
            image = self.image(db, artwork.jpeg, picture.upload)
            text = _text(self.seed, planned, artwork)
            fields = PinFields(
                title=text.title, description=text.description, link=text.link, alt_text=text.alt_text
            )
            pin = pins.create(
                db=db,
                viewer=viewer,
                board_id=board_id,
                image=image,
                fields=fields,
                section_id=self.sections.get((planned.board, planned.motif)),
            )
        self.pin_ids.append(pin.id)
        return pin


def _text(seed: int, planned: PlannedPin, artwork: Artwork) -> PinText:
    rng = random.Random(f"pinhaven-demo-text:{seed}:{planned.original}")
    return pin_text(rng, BOARDS[planned.board].theme, artwork.motif, artwork.detail)


def _existing_pins(db: Session, people: list[int]) -> list[Pin]:
    """Pins the demo people already have, oldest first (a previous, possibly interrupted, run)."""
    return list(db.scalars(select(Pin).where(Pin.creator_id.in_(people)).order_by(Pin.id)))


def _can_spawn() -> bool:
    """Spawned workers re-import the main module; a main read from stdin cannot be, so render inline then."""
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    return path is None or os.path.exists(path)


class _Renderer:
    """Renders the originals' images ahead of the writer, in worker processes when `jobs` > 1; with
    `settings`, those processes also store each image with its eager variants (`_picture`)."""

    def __init__(self, seed: int, jobs: int, settings: Settings | None = None) -> None:
        self.seed = seed
        self.pool: ProcessPoolExecutor | None = None
        if jobs > 1 and _can_spawn():
            # spawn: the parent holds database connections and maybe threads, which fork would copy.
            self.pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
        self.ahead = max(4, 6 * jobs)
        self.settings = settings if self.pool is not None else None  # inline, the writer stores images

    def stream(self, wanted: list[PlannedPin]) -> Iterator[_Picture]:
        """The pictures of `wanted` originals, in order."""
        if self.pool is None:
            for planned in wanted:
                yield _picture(self.seed, planned, None)
            return
        queue: deque[Future[_Picture]] = deque()
        todo = iter(wanted)
        for planned in todo:
            queue.append(self.pool.submit(_picture, self.seed, planned, self.settings))
            if len(queue) >= self.ahead:
                break
        while queue:
            picture = queue.popleft().result()
            following = next(todo, None)
            if following is not None:
                queue.append(self.pool.submit(_picture, self.seed, following, self.settings))
            yield picture

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def load_demo(
    ctx: AppContext,
    *,
    pins: int = 400,
    seed: int = 7,
    jobs: int = 0,
    process_images: bool = True,
    progress: Progress | None = None,
) -> DemoResult:
    """Create (or finish creating) the demo content; Conflict when the demo people already hold other pins."""
    report = progress or (lambda stage, done, total: None)
    timeline = build_timeline(pins, seed)
    loader = _Loader(ctx, seed, render_eager=process_images)
    with loader.transaction() as db:
        loader.ensure_people(db)
        loader.ensure_boards(db)
        done = _existing_pins(db, list(loader.people.values()))
    start = _resume_point(loader, done, timeline, report)
    result = DemoResult(
        users=len(loader.people),
        boards=len(loader.boards),
        pins_total=len(timeline),
        resumed_from=start,
        usernames=list(loader.people),
    )
    wanted = [p for p in timeline[start:] if p.parent is None]
    local = isinstance(loader.store, LocalMediaStore)  # renderer processes can write to it as well
    renderer = _Renderer(
        seed, jobs or min(2, os.cpu_count() or 1), ctx.settings if process_images and local else None
    )
    pictures = renderer.stream(wanted)
    report("pins", start, len(timeline))
    try:
        for first in range(start, len(timeline), BATCH):
            with loader.transaction() as db:
                for position in range(first, min(first + BATCH, len(timeline))):
                    planned = timeline[position]
                    loader.write(db, planned, pictures)
                    result.pins_created += 1
                    result.saves += planned.parent is not None
                    report("pins", position + 1, len(timeline))
    finally:
        renderer.close()
    if process_images:
        result.images_processed = loader.images_ready + _process_images(ctx, report)
    return result


def _resume_point(loader: _Loader, done: list[Pin], timeline: list[PlannedPin], report: Progress) -> int:
    """How many timeline steps the database already holds (a resumed run); Conflict when it holds others."""
    if len(done) > len(timeline):
        raise Conflict(
            f"The demo accounts already have {len(done)} pins, more than the {len(timeline)} planned: "
            "the demo is loaded already (use --if-empty to skip it, or a fresh --data-dir)."
        )
    for checked, (pin, planned) in enumerate(zip(done, timeline, strict=False), start=1):
        source = planned if planned.parent is None else timeline[planned.parent]
        # Titles name the picture's palette or surface; a plain render (no supersampling) picks the same one.
        artwork = original_artwork(loader.seed, source, supersample=1)
        if (
            pin.title != _text(loader.seed, source, artwork).title
            or pin.board_id != loader.boards[planned.board]
        ):
            raise Conflict(
                "The demo accounts hold pins from a different demo run (other --pins or --seed) or their "
                "own: use --if-empty to skip, or a fresh --data-dir."
            )
        loader.pin_ids.append(pin.id)
        report("checking", checked, len(done))
    return len(done)


def _process_images(ctx: AppContext, report: Progress) -> int:
    """Run the queued `media.process` jobs now (images written without their eager variants, as by an
    earlier run with --no-process-images), so first page views are fast.

    Two runner threads keep both cores busy (encoding releases the GIL). Other follow-up jobs (search
    indexing) stay queued for the server's worker threads or `pinhaven worker`.
    """
    try:
        from pinhaven.jobs.service import counts_by_kind
        from pinhaven.jobs.worker import run_one, worker_id
    except ImportError:  # no jobs runner in this build: the media endpoint renders variants on demand anyway
        return 0
    with ctx.read_sessions() as db:
        total = counts_by_kind(db=db).get(MEDIA_JOB, {}).get("queued", 0)
    if not total:
        return 0
    ran = 0
    failures: list[BaseException] = []
    lock = threading.Lock()
    report("images", 0, total)

    def runner(name: str) -> None:
        nonlocal ran
        try:
            while run_one(ctx, worker=worker_id(name), kinds=[MEDIA_JOB]):
                with lock:
                    ran += 1
                    report("images", ran, max(total, ran))
        except BaseException as exc:  # surfaced by the caller; a leased job is retried by any later worker
            failures.append(exc)

    # Daemon threads: Ctrl-C ends the command at once; jobs it was running are retried after their lease.
    threads = [
        threading.Thread(target=runner, args=(f"demo-{n}",), daemon=True)
        for n in range(min(2, os.cpu_count() or 1))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return ran
