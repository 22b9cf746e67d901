"""Media service: ingest uploads, name variant URLs, decide who may fetch a file, sweep orphaned files.

URL layout (the store key is the URL path after `/media/`):

    /media/{sha256[:2]}/{sha256}/{variant}.{webp|jpg}    one rendered variant (WebP, or JPEG fallback)
    /media/{sha256[:2]}/{sha256}/{variant}               negotiated: WebP if Accept names image/webp, else JPEG
    /media/{sha256[:2]}/{sha256}/originals.{jpg|png}     the normalised original (one extension per image)

`sha256` is the hash of the normalised original, so identical uploads share one file and one row, and every
URL's bytes are immutable. Knowing a key grants nothing: each request is checked against the pins the
viewer may see (`boards.access`), see `access_image`.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from PIL import Image
from sqlalchemy import exists, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import ANONYMOUS, Viewer
from pinhaven.boards.access import visible_pins_clause
from pinhaven.boards.models import Board
from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import SessionFactory
from pinhaven.errors import NotFound
from pinhaven.jobs.pipeline import on_image_ready
from pinhaven.jobs.service import enqueue
from pinhaven.media import colour, decode_budget, locks, variants
from pinhaven.media.models import MediaImage
from pinhaven.media.processing import normalise_upload, pixels_of
from pinhaven.media.store import PRIVATE_PREFIX, TRASH_PREFIX, MediaStore, open_media_store
from pinhaven.pins.models import Pin

__all__ = [
    "MediaFile",
    "PreparedUpload",
    "SweepReport",
    "access_image",
    "fetch_media",
    "get_by_sha",
    "image_urls",
    "ingest_bytes",
    "media_store",
    "negotiate_format",
    "prepare_upload",
    "register_upload",
    "store_eager_variants",
    "sweep_orphans",
    "variant_url",
]

log = logging.getLogger("pinhaven.media")

PROCESS_JOB = "media.process"
IMMUTABLE = "max-age=31536000, immutable"
CONTENT_TYPES = {"webp": "image/webp", "jpg": "image/jpeg", "png": "image/png"}
_SHA = re.compile(r"^[0-9a-f]{64}$")
_NAME = re.compile(
    r"^(?P<key>150x150|400x300|236x|474x|600x|736x|1200x|originals)(?:\.(?P<ext>webp|jpg|png))?$"
)
_KEY_SHA = re.compile(r"^[0-9a-f]{2}/([0-9a-f]{64})/[^/]+$")
# On-demand renders run inside request threads; bound them so a burst of cold URLs cannot exhaust memory.
_RENDER_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


def media_store(ctx: AppContext) -> MediaStore:
    """The process's media store (created on first use: the media folder, or the `media_store` bucket)."""
    store: MediaStore | None = ctx.services.get("media_store")
    if store is None:
        store = ctx.services.setdefault("media_store", open_media_store(ctx.settings))
        # Every process that decodes (serve, worker) sizes the process's pixel budget from its settings.
        decode_budget.configure(ctx.settings.decode_pixel_budget)
    return store


def get_by_sha(*, db: Session, sha256: str) -> MediaImage | None:
    return db.scalar(select(MediaImage).where(MediaImage.sha256 == sha256))


@dataclass(frozen=True)
class PreparedUpload:
    """An upload validated, normalised and stored, not yet recorded: `prepare_upload`'s work needs no
    database, so bulk imports run it on loader threads, ahead of the rows."""

    sha256: str
    width: int
    height: int
    original_format: str
    byte_size: int
    dominant_color: str
    palette: list[str]
    eager_ready: bool = False  # the eager variants are stored too: no processing job is needed


def prepare_upload(
    *, store: MediaStore, settings: Settings, data: bytes, render_eager: bool = False
) -> PreparedUpload:
    """Validate and normalise an upload, store its original and analyse its colours (no database).

    `render_eager` also renders and stores the eager variants, as the `media.process` job would: bulk
    imports do it on their loader threads rather than paying a job per image.
    """
    # Concurrent large uploads decode a few at a time, within the process's pixel budget (decode_budget).
    budget = decode_budget.configure(settings.decode_pixel_budget)
    with budget.hold(pixels_of(data) if len(data) <= settings.max_upload_bytes else 0):
        original = normalise_upload(
            data,
            max_bytes=settings.max_upload_bytes,
            max_pixels=settings.max_pixels,
            verify_scale=_eager_scale if render_eager else None,
        )
        sha = hashlib.sha256(original.data).hexdigest()
        # The file goes first: a committed row must never point at a missing file (the sweeper removes
        # files no row claims, after a grace period that `put` restarts for an existing file).
        store.put(variants.original_key(sha, original.format), original.data)
        dominant, palette = colour.analyse(original.preview)
        if render_eager:
            store_eager_variants(
                store=store,
                sha256=sha,
                data=original.data,
                width=original.width,
                height=original.height,
                decoded=original.decoded,
            )
        prepared = PreparedUpload(
            sha,
            original.width,
            original.height,
            original.format,
            len(original.data),
            dominant,
            palette,
            eager_ready=render_eager,
        )
        del original  # the decoded pixels go before the budget is released (and memory is trimmed)
    return prepared


def _eager_scale(width: int, height: int) -> int:
    """The reduction the first eager variant is rendered from (upload validation decodes at it)."""
    return variants.decode_scale(variants.EAGER_VARIANTS[0][0], width, height)


def store_eager_variants(
    *,
    store: MediaStore,
    sha256: str,
    data: bytes,
    width: int,
    height: int,
    with_palette: bool = False,
    decoded: tuple[int, Image.Image] | None = None,
) -> variants.RenderedSet | None:
    """Render and store the eager variants not stored yet (None when all are); raises when the original
    does not decode. `decoded`: see `variants.render`. Variants are not fsynced: one lost in a crash is
    rendered again on request."""
    wanted = [
        (key, ext)
        for key, ext in variants.EAGER_VARIANTS
        if store.stat(variants.variant_key(sha256, key, ext)) is None
    ]
    if not wanted:
        return None
    # One image in two formats is one encode task: a thread hop would only add contention.
    rendered = variants.render(
        data, width, height, wanted=wanted, parallel=False, with_palette=with_palette, decoded=decoded
    )
    for (key, ext), blob in rendered.files.items():
        store.put(variants.variant_key(sha256, key, ext), blob, durable=False)
    return rendered


def ingest_bytes(
    *, db: Session, store: MediaStore, settings: Settings, data: bytes, owner_id: int | None = None
) -> MediaImage:
    """Validate and normalise an upload, store its original, and return its (possibly shared) image row.

    `owner_id`: who uploads, for pins (see `register_upload`); None for pictures that are public anyway.
    An owner's upload counts against their quotas (`safety.quotas`: 429 or 413 before any image work).
    """
    from pinhaven.safety import quotas

    if owner_id is not None:
        quotas.check_upload(db=db, settings=settings, user_id=owner_id, size=len(data))
    prepared = prepare_upload(store=store, settings=settings, data=data)
    image = register_upload(db=db, prepared=prepared, owner_id=owner_id, store=store)[0]
    if owner_id is not None:
        quotas.record_upload(db=db, user_id=owner_id, size=len(data))
    return image


def private_copy_key(sha256: str, owner_id: int) -> str:
    """The content key of `owner_id`'s own copy of a picture they may not see anyone else's pin of."""
    return hashlib.sha256(f"pinhaven private copy {owner_id} {sha256}".encode()).hexdigest()


def _shown_to(db: Session, image_id: int, owner_id: int) -> bool:
    """Does a pin the owner may see (public, or on their own or shared boards) show this image?"""
    from pinhaven.accounts.scopes import session_viewer

    query = (
        select(Pin.id)
        .join(Board, Board.id == Pin.board_id)
        .where(Pin.image_id == image_id, visible_pins_clause(session_viewer(owner_id)))
        .limit(1)
    )
    return db.scalar(query) is not None


def register_upload(
    *,
    db: Session,
    prepared: PreparedUpload,
    owner_id: int | None = None,
    store: MediaStore | None = None,
) -> tuple[MediaImage, bool]:
    """(image row, whether it is new) for a prepared upload: the existing row of the same picture, else a
    new one, ready at once when its eager variants are stored, else with its processing job queued (in the
    same transaction either way).

    With `owner_id` (and `store`), an existing row is shared only when a pin the owner may see shows it.
    Otherwise the picture is someone's secret (or nobody's any more), and sharing its row would answer
    "ready" at once, and hand over its ids: the owner gets a copy of their own under `private_copy_key`,
    processed exactly as a fresh upload is (same status sequence, same work).
    """
    sha = prepared.sha256
    existing = get_by_sha(db=db, sha256=sha)
    private = existing is not None and owner_id is not None and not _shown_to(db, existing.id, owner_id)
    if private and owner_id is not None and store is not None:
        return _register_private_copy(db=db, prepared=prepared, owner_id=owner_id, store=store)
    if existing is not None:
        return _reuse(db=db, image=existing), False
    return _register_new(db=db, prepared=prepared, sha=sha, ready=prepared.eager_ready)


def _register_private_copy(
    *, db: Session, prepared: PreparedUpload, owner_id: int, store: MediaStore
) -> tuple[MediaImage, bool]:
    copy_sha = private_copy_key(prepared.sha256, owner_id)
    mine = get_by_sha(db=db, sha256=copy_sha)
    if mine is not None:
        return _reuse(db=db, image=mine), False
    original = store.get(variants.original_key(prepared.sha256, prepared.original_format))
    if original is None:  # (prepare_upload stored it moments ago; a sweep cannot take a claimed file)
        raise NotFound("The uploaded image vanished from the media store; please retry.")
    store.put(variants.original_key(copy_sha, prepared.original_format), original)  # file before row
    # never "ready" at once: its variants are rendered by the job, as for any new picture
    return _register_new(db=db, prepared=prepared, sha=copy_sha, ready=False)


def _register_new(*, db: Session, prepared: PreparedUpload, sha: str, ready: bool) -> tuple[MediaImage, bool]:
    image = MediaImage(
        sha256=sha,
        width=prepared.width,
        height=prepared.height,
        original_format=prepared.original_format,
        byte_size=prepared.byte_size,
        dominant_color=prepared.dominant_color,
        palette=list(prepared.palette),
        status="ready" if ready else "processing",
        processed_at=utcnow() if ready else None,
    )
    try:
        with db.begin_nested():  # a concurrent identical upload may win the unique sha256
            db.add(image)
            db.flush()
    except IntegrityError:
        existing = get_by_sha(db=db, sha256=sha)
        if existing is None:
            raise
        return _reuse(db=db, image=existing), False
    if ready:
        on_image_ready(db=db, image_id=image.id)
    else:
        enqueue(db=db, kind=PROCESS_JOB, payload={"image_id": str(image.id)})
    return image, True


def _reuse(*, db: Session, image: MediaImage) -> MediaImage:
    if image.status == "failed":  # the upload decoded fine just now: give processing another go
        image.status, image.failure_reason = "processing", None
        enqueue(db=db, kind=PROCESS_JOB, payload={"image_id": str(image.id)})
        db.flush()
    return image


def _ext(fmt: str) -> str:
    if fmt in ("webp", "jpg"):
        return "." + fmt
    if fmt == "jpeg":
        return ".jpg"
    if fmt == "auto":
        return ""
    raise ValueError(f"unknown image format {fmt!r}: use webp, jpg or auto")


_public_base: dict[str, str] = {"url": ""}


def configure_public_base_url(url: str) -> None:
    """Where public images' URLs point (`media_public_base_url`); set once per process by `build_context`."""
    _public_base["url"] = url.rstrip("/")


def public_base_url(public: bool) -> str:
    """The public media base for an image anyone may see (`public`), else "" (URLs name this app).

    Only public images get it (a CDN may cache them for everyone): a secret image's URL always names this
    app, which checks the viewer on every request."""
    return _public_base["url"] if public else ""


def _media_prefix(base_url: str, public_base: str) -> str:
    return public_base or f"{base_url.rstrip('/')}/media"


def variant_url(
    image: MediaImage, key: str, *, base_url: str, fmt: str = "webp", public: bool = False
) -> str:
    """Absolute URL of one variant (`fmt`: webp, jpg, or auto for Accept negotiation). `public`: the image is
    shown where anyone may see it (a public board, a profile picture): the public media base may serve it."""
    prefix = f"{_media_prefix(base_url, public_base_url(public))}/{image.sha256[:2]}/{image.sha256}/"
    if key == "originals":
        return prefix + variants.original_key(image.sha256, image.original_format).rsplit("/", 1)[1]
    if key not in variants.WIDTH_VARIANTS and key not in variants.CROP_VARIANTS:
        raise KeyError(f"unknown variant {key!r}")
    return prefix + key + _ext(fmt)


def image_urls(
    image: MediaImage, *, base_url: str, fmt: str = "webp", public: bool = False
) -> dict[str, dict[str, int | str]]:
    """Every variant → {width, height, url}; sizes follow from the original, valid before processing ends.
    `public`: see `variant_url`."""
    cached = _image_urls(
        image.sha256, image.width, image.height, image.original_format, base_url, fmt, public_base_url(public)
    )
    return {key: dict(value) for key, value in cached.items()}


@lru_cache(maxsize=8192)
def _image_urls(
    sha256: str, width: int, height: int, original_format: str, base_url: str, fmt: str, public_base: str
) -> dict[str, dict[str, int | str]]:
    # Pure function of the image's content key and size: every pin list recomputes it otherwise.
    image = MediaImage(sha256=sha256, width=width, height=height, original_format=original_format)
    urls: dict[str, dict[str, int | str]] = {}
    for key in variants.VARIANT_KEYS:
        variant_width, variant_height = variants.variant_size(key, width, height)
        urls[key] = {
            "width": variant_width,
            "height": variant_height,
            "url": variant_url(image, key, base_url=base_url, fmt=fmt, public=bool(public_base)),
        }
    return urls


def access_image(*, db: Session, viewer: Viewer, image: MediaImage) -> bool:
    """Whether `image` is public (True) or visible to `viewer` only (False); NotFound when not visible.

    An image is visible when a pin the viewer may see shows it, or when it is someone's profile picture.
    """
    public_pin = (
        select(Pin.id)
        .join(Board, Board.id == Pin.board_id)
        .where(Pin.image_id == image.id, visible_pins_clause(ANONYMOUS))
    )
    profile = select(User.id).where(User.profile_image_id == image.id)
    if db.scalar(select(exists(public_pin) | exists(profile))):
        return True
    if not viewer.is_anonymous:
        own_pin = (
            select(Pin.id)
            .join(Board, Board.id == Pin.board_id)
            .where(Pin.image_id == image.id, visible_pins_clause(viewer))
        )
        if db.scalar(select(exists(own_pin))):
            return False
    raise NotFound("Media not found.")


def negotiate_format(accept: str | None) -> str:
    """`webp` when the Accept header names image/webp (with q > 0), else `jpg`."""
    for part in (accept or "").split(","):
        media_type, *params = (p.strip() for p in part.split(";"))
        if media_type.lower() != "image/webp":
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            return "webp"
    return "jpg"


@dataclass(frozen=True)
class MediaFile:
    """One servable file and the facts its HTTP headers need."""

    data: bytes
    content_type: str
    etag: str  # strong, quoted
    public: bool  # False: only this viewer may see it (no shared caches)
    negotiated: bool  # the format came from the Accept header (responses vary by it)


def fetch_media(
    *,
    db: Session,
    store: MediaStore,
    viewer: Viewer,
    prefix: str,
    sha256: str,
    name: str,
    accept: str | None,
    lock_engine: Engine | None = None,
) -> MediaFile:
    """The file for `/media/{prefix}/{sha256}/{name}`, rendering a missing variant on demand.

    `lock_engine` (the writable engine): renders of one variant are serialised through a lease in the
    database, so however many hosts ask for a cold variant at once, one renders it and the others read it."""
    match = _NAME.match(name)
    if match is None or not _SHA.match(sha256) or prefix != sha256[:2]:
        raise NotFound("Media not found.")
    image = get_by_sha(db=db, sha256=sha256)
    if image is None:
        raise NotFound("Media not found.")
    public = access_image(db=db, viewer=viewer, image=image)
    key, ext = match["key"], match["ext"]
    original_key = variants.original_key(sha256, image.original_format)
    if key == "originals":
        stored_ext = original_key.rsplit(".", 1)[1]
        if ext is not None and ext != stored_ext:
            raise NotFound(f"This image's original is a .{stored_ext} file.")
        data = store.get(original_key)
        if data is None:
            log.error("original file %s is missing for image %s", original_key, image.id)
            raise NotFound("Media not found.")
        return MediaFile(data, CONTENT_TYPES[stored_ext], f'"{sha256}"', public, negotiated=False)
    negotiated = ext is None
    ext = negotiate_format(accept) if ext is None else ext
    if ext not in variants.OUTPUT_FORMATS:
        raise NotFound("Variants are served as .webp or .jpg.")
    if image.status == "failed":
        raise NotFound("This image could not be processed.")
    data = store.get(variants.variant_key(sha256, key, ext)) or _render_on_demand(
        store=store, image=image, key=key, ext=ext, lock_engine=lock_engine
    )
    etag = '"' + hashlib.blake2b(data, digest_size=16).hexdigest() + '"'
    return MediaFile(data, CONTENT_TYPES[ext], etag, public, negotiated)


class _SingleFlight:
    """One lock per key while anyone holds it: concurrent requests for one cold variant render it once."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock, users = self._locks.get(key, (threading.Lock(), 0))
            self._locks[key] = (lock, users + 1)
        try:
            with lock:
                yield
        finally:
            with self._guard:
                lock, users = self._locks[key]
                if users == 1:
                    del self._locks[key]
                else:
                    self._locks[key] = (lock, users - 1)


_RENDERING = _SingleFlight()


RENDER_LEASE_SECONDS = 60.0  # a render takes well under a second; a holder past this is presumed dead
RENDER_WAIT_SECONDS = 30.0  # then render here rather than keep a request waiting on a stuck holder
_RENDER_POLL_SECONDS = 0.05


def _render_on_demand(
    *, store: MediaStore, image: MediaImage, key: str, ext: str, lock_engine: Engine | None = None
) -> bytes:
    """Render one variant now and keep it (only the eager ones are rendered up front); deterministic, so
    any process rendering it writes the same bytes, and the atomic `put` keeps whichever file came first.
    Threads of this process queue on a local lock; with `lock_engine`, processes on every host queue on a
    lease row in the database (`media_locks`), so the variant is rendered once and the others read it."""
    target = variants.variant_key(image.sha256, key, ext)
    with _RENDERING.hold(target):
        done = store.get(target)  # another request rendered it while this one waited
        if done is not None:
            return done
        if lock_engine is None:
            return _render_and_store(store=store, image=image, key=key, ext=ext)
        lease = "render:" + target
        holder = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[-128:]
        deadline = time.monotonic() + RENDER_WAIT_SECONDS
        while not locks.try_acquire(lock_engine, lease, holder, RENDER_LEASE_SECONDS):
            time.sleep(_RENDER_POLL_SECONDS)  # another host is rendering it: read its file when it lands
            done = store.get(target)
            if done is not None:
                return done
            if time.monotonic() > deadline:
                log.warning(
                    "render lease %s still held after %.0f s; rendering here", lease, RENDER_WAIT_SECONDS
                )
                return _render_and_store(store=store, image=image, key=key, ext=ext)
        try:
            done = store.get(target)  # the previous holder finished between our miss and our lease
            if done is not None:
                return done
            return _render_and_store(store=store, image=image, key=key, ext=ext)
        finally:
            locks.release(lock_engine, lease, holder)


def _render_and_store(*, store: MediaStore, image: MediaImage, key: str, ext: str) -> bytes:
    target = variants.variant_key(image.sha256, key, ext)
    original = store.get(variants.original_key(image.sha256, image.original_format))
    if original is None:
        log.error("original file is missing for image %s", image.id)
        raise NotFound("Media not found.")
    try:
        with _RENDER_SLOTS:
            rendered = variants.render(
                original,
                image.width,
                image.height,
                wanted=[(key, ext)],
                parallel=False,
                with_palette=False,
            )
    except Exception:  # a stored original that no longer decodes is our fault, not the caller's
        log.exception("rendering %s.%s of image %s failed", key, ext, image.id)
        raise NotFound("Media not found.") from None
    store.put(target, rendered.files[(key, ext)], durable=False)
    # Without a lease another process may have stored the same variant first: its file wins, consistently.
    return store.get(target) or rendered.files[(key, ext)]


@dataclass
class SweepReport:
    scanned: int = 0
    deleted: list[str] = field(default_factory=list)
    kept_recent: int = 0
    restored: int = 0
    stale_writes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "scanned": self.scanned,
            "deleted": len(self.deleted),
            "kept_recent": self.kept_recent,
            "restored": self.restored,
            "stale_writes": self.stale_writes,
        }


def _known_shas(sessions: SessionFactory, shas: set[str]) -> set[str]:
    """Which of `shas` have a committed row (a fresh session, so it sees the latest commits)."""
    found: set[str] = set()
    ordered = sorted(shas)
    with sessions() as db:
        for start in range(0, len(ordered), 500):
            chunk = ordered[start : start + 500]
            found.update(db.scalars(select(MediaImage.sha256).where(MediaImage.sha256.in_(chunk))))
    return found


def _unpark(store: MediaStore, parked: str, key: str) -> None:
    if store.stat(key) is not None:
        store.delete(parked)  # a fresh copy was written meanwhile (same content)
    else:
        store.move(parked, key)


def sweep_orphans(
    *, sessions: SessionFactory, store: MediaStore, grace_seconds: float = 3600.0, now: float | None = None
) -> SweepReport:
    """Delete files that no MediaImage row claims and that nobody wrote or re-used within the grace period.
    Only media keys are judged: `private/` (import and export files) and anything else are left alone.

    Race with uploads: a file is parked (moved aside) before it is deleted, then re-checked in a fresh
    transaction: if an upload refreshed it (`put` touches an existing file) or committed a row for it
    meanwhile, it goes back. An upload that finds the file parked simply writes it again.
    """
    cutoff = (time.time() if now is None else now) - grace_seconds
    report = SweepReport()
    for leftover in list(store.iter_objects(TRASH_PREFIX)):  # an interrupted sweep: put everything back
        _unpark(store, leftover.key, leftover.key[len(TRASH_PREFIX) :])
    old: dict[str, list[str]] = {}
    for obj in store.iter_objects():
        if obj.key.startswith(PRIVATE_PREFIX):
            continue  # run files (imports, exports): no MediaImage row claims them, their runs delete them
        report.scanned += 1
        match = _KEY_SHA.match(obj.key)
        if match is None:
            continue  # not a media key: not ours to judge
        if obj.modified >= cutoff:
            report.kept_recent += 1
            continue
        old.setdefault(match[1], []).append(obj.key)
    known = _known_shas(sessions, set(old))
    for sha, keys in old.items():
        if sha in known:
            continue
        for key in keys:
            parked = TRASH_PREFIX + key
            if not store.move(key, parked):
                continue
            stat = store.stat(parked)
            if stat is not None and stat.modified < cutoff and not _known_shas(sessions, {sha}):
                store.delete(parked)
                report.deleted.append(key)
            else:
                _unpark(store, parked, key)
                report.restored += 1
    report.stale_writes = store.discard_stale_writes(cutoff)
    return report


def erase_image_files(
    *, sessions: SessionFactory, store: MediaStore, shas: list[str], written_before: float
) -> int:
    """Delete every stored file of pictures whose rows were deleted (account erasure); the number deleted.

    The sweep's protocol without its grace period: the files are parked, then deleted only if no row
    claims their picture again (one query for all of them) and nobody wrote them since `written_before`
    (an upload of the same bytes meanwhile refreshes the file, and keeps it); the others go back.
    """
    for sha in shas:
        if not _SHA.match(sha):
            raise ValueError("not a picture's sha256")
    parked: list[tuple[str, str, str]] = []  # (sha, key, parked key)
    for sha in shas:
        for obj in list(store.iter_objects(f"{sha[:2]}/{sha}/")):
            if store.move(obj.key, TRASH_PREFIX + obj.key):
                parked.append((sha, obj.key, TRASH_PREFIX + obj.key))
    claimed = _known_shas(sessions, set(shas)) if parked else set()
    deleted = 0
    for sha, key, trash in parked:
        stat = store.stat(trash)
        if sha not in claimed and stat is not None and stat.modified < written_before:
            store.delete(trash)
            deleted += 1
        else:
            _unpark(store, trash, key)
    return deleted
