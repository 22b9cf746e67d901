"""Visual search service: the process's embedder and indexes, embedding images, similar and duplicate pins.

    visual_service(ctx)            → the process's VisualService (built on first use; rebuilt when the active
                                     whitening file changes, e.g. after `pinhaven reindex` in another process)
    embed_image(ctx, image_id)     → compute and store one image's vector + hashes and its duplicate group,
                                     update the indexes
    search_similar(...)            → pins the viewer may see that look like a query image, re-ranked
    find_duplicates(...)           → exact (same image) and near (hash + embedding) duplicates of a pin

Indexes are keyed by image id; a `visible` callback maps candidate images to the viewer's visible pins
(boards.access.visible_pin_ids), so a secret pin's image can never surface through a public query.

The vector index is the store `vector_store` chose (search/vectorstore): this process's FAISS/NumPy index
file (`local`), or pgvector tables every host shares (`database`: the viewer's privacy rule then runs inside
the nearest-neighbour query, and the whitening file is kept in the database). The code below is the same
for both; only loading, folding in and saving are skipped when the store is shared.
"""

from __future__ import annotations

import io
import logging
import math
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import visible_pin_ids
from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.media import variants
from pinhaven.media.models import MediaImage
from pinhaven.media.service import media_store
from pinhaven.media.store import MediaStore
from pinhaven.pins.models import Pin
from pinhaven.search.vectorstore import ImageVectorStore, image_vector_store, uses_database
from pinhaven.search.vectorstore.protocols import TransactionalVectors
from pinhaven.search.visual.builtin import BuiltinEmbedder
from pinhaven.search.visual.dedup import DuplicateFinder
from pinhaven.search.visual.embedder import Embedder, Whitening
from pinhaven.search.visual.groups import assign_group, excluded_pairs, group_pin_ids
from pinhaven.search.visual.hashes import HammingIndex, ImageHashes, image_hashes, to_signed, to_unsigned
from pinhaven.search.visual.index import VectorIndex
from pinhaven.search.visual.layout import decode_layout, encode_layout
from pinhaven.search.visual.models import ImageEmbedding

__all__ = [
    "SERVICE_KEY",
    "ImageVisibility",
    "Scored",
    "VisualService",
    "embed_image",
    "load_image",
    "ranking_weights",
    "stored_hashes",
    "sync_model_files",
    "visual_service",
    "whitening_path",
]

log = logging.getLogger("pinhaven.search.visual")

SERVICE_KEY = "search.visual"
_REFRESH_SECONDS = 1.0  # how often a process picks up vectors other processes (workers) wrote
_OVERLAP = timedelta(seconds=5)  # re-read a little before a watermark: commits land out of timestamp order
SAVE_EVERY_VECTORS = 1000
SAVE_EVERY_SECONDS = 300.0
_create_lock = threading.Lock()


def visual_dir(ctx: AppContext) -> Path:
    return ctx.settings.data_dir / "visual"


def whitening_path(ctx: AppContext, *, pending: bool = False) -> Path:
    """The active (or, during a reindex, the pending) whitening of the builtin embedder."""
    return visual_dir(ctx) / ("whitening.pending.npz" if pending else "whitening.npz")


def make_embedder(ctx: AppContext, *, pending: bool = False) -> Embedder:
    """The embedder named by settings (`visual_model`); builtin uses the saved whitening when there is one."""
    s = ctx.settings
    if s.visual_model == "clip":
        from pinhaven.search.visual.clip import load_clip

        # fails with ModelUnavailable unless `pinhaven models fetch` (or a local file) provided weights
        weights = None if s.clip_weights == "random" else s.clip_weights
        return load_clip(s.clip_model, weights, models_dir=s.data_dir / "models")
    path = whitening_path(ctx, pending=pending)
    return BuiltinEmbedder(Whitening.load(path) if path.exists() else None)


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime_ns / 1e9
    except OSError:
        return None


class VisualService:
    """One embedder, its vector index and the pHash index of the images embedded with it."""

    def __init__(self, ctx: AppContext, embedder: Embedder) -> None:
        self.ctx = ctx
        self.embedder = embedder
        self.model_id = embedder.model_id
        self.whitening_mtime = _mtime(whitening_path(ctx))
        self.index: ImageVectorStore = image_vector_store(
            ctx, model_id=self.model_id, dim=embedder.dim, directory=visual_dir(ctx) / "index" / self.model_id
        )
        self.duplicates = DuplicateFinder(hashes=HammingIndex(), vectors=self.index, layouts=self._layouts)
        self._lock = threading.Lock()
        self._seen_until: datetime | None = None  # newest updated_at folded into the indexes
        self._checked_at = 0.0
        self._unsaved = 0  # vectors added since the index file was last written
        self._saved_at = time.monotonic()
        self._load()

    # ---- loading and catching up

    def _rows(self, db: Session, since: object = None) -> Iterator[ImageEmbedding]:
        query = select(ImageEmbedding).where(ImageEmbedding.model_id == self.model_id)
        if since is not None:
            query = query.where(ImageEmbedding.updated_at >= since)
        yield from db.scalars(query.execution_options(yield_per=2000))

    def _load(self) -> None:
        """Open the saved index and fold in what was written after it; rebuild only when it cannot match.
        A shared store needs none of that: it only copies in vectors it lacks (switched on later)."""
        if isinstance(self.index, TransactionalVectors):
            from pinhaven.search.vectorstore.coordination import lock_catch_up

            with session_scope(self.ctx.sessions) as db:
                lock_catch_up(db)  # hosts starting together copy once, not each
                self.index.catch_up(db)
        with session_scope(self.ctx.read_sessions) as db:
            count, newest = db.execute(
                select(func.count(), func.max(ImageEmbedding.updated_at)).where(
                    ImageEmbedding.model_id == self.model_id
                )
            ).one()
            if isinstance(self.index, VectorIndex):
                saved_until = _watermark_time(self.index.watermark)
                if saved_until is not None:
                    caught_up = self._fold(db, saved_until - _OVERLAP)
                    if caught_up:
                        self._unsaved += caught_up
                if saved_until is None or len(self.index) != count:  # no file, or vectors were deleted
                    self.index.rebuild((r.image_id, _vector(r.vector)) for r in self._rows(db))
                    self._unsaved = len(self.index)
            self._seen_until = newest
            if self._unsaved:
                self.save()
            ids, hashes = [], []
            for image_id, phash, dhash, flat in db.execute(
                select(
                    ImageEmbedding.image_id,
                    ImageEmbedding.phash,
                    ImageEmbedding.dhash,
                    ImageEmbedding.flatness,
                ).where(ImageEmbedding.model_id == self.model_id)
            ):
                ids.append(int(image_id))
                hashes.append(stored_hashes(phash, dhash, flat))
            if ids:
                self.duplicates.add(ids, hashes)
        self._checked_at = time.monotonic()

    def _fold(self, db: Session, since: datetime) -> int:
        """Put vectors written since `since` into the vector index only (the hash index loads in full)."""
        batch: list[tuple[int, np.ndarray]] = []
        total = 0
        for row in self._rows(db, since):
            batch.append((int(row.image_id), _vector(row.vector)))
            if len(batch) == 2000:
                total += self._fold_batch(batch)
        return total + self._fold_batch(batch)

    def _fold_batch(self, batch: list[tuple[int, np.ndarray]]) -> int:
        if not batch:
            return 0
        self.index.add([i for i, _ in batch], np.stack([v for _, v in batch]))
        n = len(batch)
        batch.clear()
        return n

    # ---- persistence: the vector file follows the database, so a restart loads instead of rebuilding

    def save(self) -> None:
        """Write the vector index with a watermark naming the newest row it is known to hold."""
        until = self._seen_until.isoformat() if self._seen_until is not None else "-"
        self._unsaved = 0
        self._saved_at = time.monotonic()
        if isinstance(self.index, VectorIndex):  # a shared store is saved by the database
            self.index.save(watermark=f"{len(self.index)}:{until}")

    @property
    def has_unsaved(self) -> bool:
        return self._unsaved > 0

    def save_if_due(self) -> None:
        """Save after many new vectors or a while after the first unsaved one (called by embedding jobs)."""
        if self._unsaved and (
            self._unsaved >= SAVE_EVERY_VECTORS or time.monotonic() - self._saved_at >= SAVE_EVERY_SECONDS
        ):
            self.save()

    def refresh(self, *, force: bool = False) -> None:
        """Fold in vectors written since the last look (by this or another process); throttled."""
        if not force and time.monotonic() - self._checked_at < _REFRESH_SECONDS:
            return
        with self._lock, session_scope(self.ctx.read_sessions) as db:
            since = None if self._seen_until is None else self._seen_until - _OVERLAP
            rows = [
                (r.image_id, _vector(r.vector), r.phash, r.dhash, r.updated_at, r.flatness)
                for r in self._rows(db, since)
            ]
            self._checked_at = time.monotonic()
        if rows:
            hashes = [stored_hashes(r[2], r[3], r[5]) for r in rows]
            if self.index.shared:  # the vectors are already there for every process; hashes are per process
                self.duplicates.add([r[0] for r in rows], hashes)
            else:
                self.add([r[0] for r in rows], np.stack([r[1] for r in rows]), hashes)
            newest = max(r[4] for r in rows)
            self._seen_until = newest if self._seen_until is None else max(newest, self._seen_until)

    def add(self, image_ids: Sequence[int], vectors: np.ndarray, hashes: Sequence[ImageHashes]) -> None:
        """Put freshly embedded images into both indexes (a shared vector store has them already)."""
        if not self.index.shared:
            self.index.add(list(image_ids), vectors)
        self.duplicates.add(list(image_ids), list(hashes))
        self._unsaved += len(image_ids)

    # ---- discovery.service.VisualNeighbours (pin ids; discovery filters privacy itself)

    def similar_pins(self, pin_id: int, k: int) -> list[tuple[int, float]]:
        """Up to k (pin_id, cosine) pairs whose image is most similar to the pin's image."""
        self.refresh()
        with session_scope(self.ctx.read_sessions) as db:
            image_id = db.scalar(select(Pin.image_id).where(Pin.id == pin_id))
            if image_id is None:
                return []
            vec = self.index.vectors([image_id]).get(int(image_id))
            if vec is None:
                return []
            near = self.index.search(vec, k, exclude=[image_id])
            score = dict(near)
            rows = db.execute(
                select(Pin.id, Pin.image_id).where(Pin.image_id.in_(list(score))).order_by(Pin.id)
            ).all()
        pairs: dict[int, tuple[int, float]] = {}
        for pid, iid in rows:
            pairs.setdefault(int(iid), (int(pid), score[int(iid)]))  # one (the oldest) pin per image
        return sorted(pairs.values(), key=lambda t: -t[1])[:k]

    def embeddings(self, pin_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Unit-length embeddings of the pins whose image has one."""
        self.refresh()
        with session_scope(self.ctx.read_sessions) as db:
            rows = db.execute(select(Pin.id, Pin.image_id).where(Pin.id.in_(list(pin_ids)))).all()
        vecs = self.index.vectors([int(r[1]) for r in rows])
        return {int(p): vecs[int(i)] for p, i in rows if int(i) in vecs}

    def _layouts(self, image_ids: Sequence[int]) -> dict[int, np.ndarray]:
        """Stored colour layouts of flat candidates (read when a flat pair needs them, not kept in memory)."""
        with session_scope(self.ctx.read_sessions) as db:
            rows = db.execute(
                select(ImageEmbedding.image_id, ImageEmbedding.layout).where(
                    ImageEmbedding.model_id == self.model_id, ImageEmbedding.image_id.in_(list(image_ids))
                )
            )
            found = {int(i): decode_layout(blob) for i, blob in rows}
        return {i: v for i, v in found.items() if v is not None}

    # ---- queries

    def embed(self, img: Image.Image) -> tuple[np.ndarray, ImageHashes]:
        """Vector and hashes of one decoded image."""
        img = img.convert("RGB") if img.mode not in ("RGB", "L") else img
        return self.embedder.embed_images([img])[0], image_hashes(img)


def _watermark_time(mark: str | None) -> datetime | None:
    """The newest `updated_at` a saved index holds ("count:ISO time"); None when unknown or unreadable."""
    if not mark or ":" not in mark:
        return None
    stamp = mark.split(":", 1)[1]
    try:
        return datetime.fromisoformat(stamp) if stamp != "-" else datetime(1970, 1, 1, tzinfo=UTC)
    except ValueError:
        return None


def _vector(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


def stored_hashes(
    phash: int, dhash: int, flatness: float | None = None, layout: bytes | None = None
) -> ImageHashes:
    """Hashes of a stored row (mirrors are not stored: they are only needed on the query side)."""
    p, d = to_unsigned(int(phash)), to_unsigned(int(dhash))
    flat = float(flatness) if flatness is not None else None
    return ImageHashes(p, d, p, d, flatness=flat, layout=decode_layout(layout))


def sync_model_files(ctx: AppContext, *, force: bool = False) -> None:
    """`database` mode: bring this host's whitening files in line with the database's (throttled)."""
    if uses_database(ctx) and ctx.settings.visual_model == "builtin":
        from pinhaven.search.vectorstore.coordination import ACTIVE, PENDING, sync_whitening_files

        paths = {ACTIVE: whitening_path(ctx), PENDING: whitening_path(ctx, pending=True)}
        sync_whitening_files(ctx, paths, force=force)


def visual_service(ctx: AppContext) -> VisualService:
    """The process's visual service; rebuilt when the active whitening changed on disk (in `database` mode,
    first copied from the database, so a refit on any host reaches every host)."""
    sync_model_files(ctx)
    service: VisualService | None = ctx.services.get(SERVICE_KEY)
    if service is not None and service.whitening_mtime == _mtime(whitening_path(ctx)):
        return service
    with _create_lock:
        service = ctx.services.get(SERVICE_KEY)
        if service is None or service.whitening_mtime != _mtime(whitening_path(ctx)):
            service = VisualService(ctx, make_embedder(ctx))
            ctx.services[SERVICE_KEY] = service
            from pinhaven.discovery.service import VISUAL_SERVICE_KEY

            ctx.services[VISUAL_SERVICE_KEY] = service  # related pins and the feed use image similarity
            from pinhaven.gcstats import freeze_long_lived

            freeze_long_lived("visual index")  # long-lived from here on: out of every later full GC pass
    return service


def load_image(store: MediaStore, image: MediaImage, *, for_crop: bool = False) -> Image.Image | None:
    """The stored `236x` JPEG variant (rendered with every image; the original if it is missing), not yet
    decoded. 236 px is more than every embedder reads (64 px descriptor, 32 px hashes, CLIP's 224 px) and
    always the same file, so a vector never depends on which larger sizes happen to be rendered yet.

    `for_crop`: the original, decoded at no less than CROP_DETAIL px, so a small region keeps its detail.
    """
    data = None if for_crop else store.get(variants.variant_key(image.sha256, "236x", "jpg"))
    if data is None:
        data = store.get(variants.original_key(image.sha256, image.original_format))
    if data is None:
        return None
    img = Image.open(io.BytesIO(data))
    if for_crop:
        img.draft("RGB", (CROP_DETAIL, CROP_DETAIL))  # JPEG: decode at 1/2..1/8 scale when that is enough
    return img


CROP_DETAIL = 1472  # px: a 10 % crop still has ~150 px to describe


def store_embedding(
    *,
    db: Session,
    image_id: int,
    model_id: str,
    vector: np.ndarray,
    hashes: ImageHashes,
    index: ImageVectorStore | None = None,
) -> None:
    """Insert or replace the image's row for `model_id` (and, for a shared vector store, its vector there,
    in the same transaction)."""
    row = db.get(ImageEmbedding, (image_id, model_id))
    blob = np.ascontiguousarray(vector, dtype="<f4").tobytes()
    if row is None:
        row = ImageEmbedding(image_id=image_id, model_id=model_id)
        db.add(row)
    row.vector, row.phash, row.dhash = blob, to_signed(hashes.phash), to_signed(hashes.dhash)
    row.flatness = hashes.flatness
    row.layout = encode_layout(hashes.layout) if hashes.layout is not None else None
    row.updated_at = utcnow()
    db.flush()
    if isinstance(index, TransactionalVectors):
        index.write(db, [image_id], vector[None, :])


def embed_image(ctx: AppContext, image_id: int, *, service: VisualService | None = None) -> bool:
    """Embed one stored image with the active model; False when the image or its file is gone."""
    service = service or visual_service(ctx)
    with session_scope(ctx.read_sessions) as db:
        image = db.get(MediaImage, image_id)
        if image is None:
            return False
        db.expunge(image)
    img = load_image(media_store(ctx), image)
    if img is None:
        log.warning("image %s has no stored file to embed", image_id)
        return False
    vector, hashes = service.embed(img)
    shared = service.index.shared
    if not shared:
        service.refresh()  # duplicates embedded by other workers count too
        duplicates = [m.id for m in service.duplicates.find(hashes, vector, query_id=image_id)]
    with session_scope(ctx.sessions) as db:
        if db.get(MediaImage, image_id) is None:
            return False
        if shared:
            # Other hosts embed at the same time: one image joins its group at a time, after seeing every
            # committed vector and hash, so two copies embedded at once still end up in one group.
            from pinhaven.search.vectorstore.coordination import lock_groups

            lock_groups(db)
            service.refresh(force=True)
            duplicates = [m.id for m in service.duplicates.find(hashes, vector, query_id=image_id)]
        store_embedding(
            db=db,
            image_id=image_id,
            model_id=service.model_id,
            vector=vector,
            hashes=hashes,
            index=service.index,
        )
        assign_group(db=db, image_id=image_id, duplicate_ids=duplicates)
    service.add([image_id], vector[None, :], [hashes])
    service.save_if_due()
    return True


# ---- privacy: images → the viewer's visible pins


class ImageVisibility:
    """The `visible` callback for image-keyed indexes: an image counts when the viewer sees one of its pins.

    Remembers, per image, the visible pins it found, so results map back to pins without another query.
    """

    def __init__(self, db: Session, viewer: Viewer) -> None:
        self.db = db
        self.viewer = viewer
        self.pins: dict[int, list[Pin]] = {}

    def __call__(self, image_ids: Sequence[int]) -> set[int]:
        ids = [int(i) for i in image_ids]
        found: set[int] = set()
        for start in range(0, len(ids), 900):
            pins = list(self.db.scalars(select(Pin).where(Pin.image_id.in_(ids[start : start + 900]))))
            allowed = visible_pin_ids(db=self.db, viewer=self.viewer, pin_ids=[p.id for p in pins])
            for pin in sorted(pins, key=lambda p: p.id):
                if pin.id in allowed:
                    self.pins.setdefault(pin.image_id, []).append(pin)
                    found.add(pin.image_id)
        return found


@dataclass(frozen=True)
class Scored:
    pin: Pin
    score: float
    similarity: float
    kind: str = "similar"  # similar | exact | near


def ranking_weights(settings: Settings) -> tuple[float, float, float]:
    """(visual similarity, engagement, quality) weights of visual search ranking, from settings."""
    return (
        settings.visual_weight_similarity,
        settings.visual_weight_engagement,
        settings.visual_weight_quality,
    )


def rerank(
    hits: Sequence[tuple[int, float]],
    pins: dict[int, list[Pin]],
    images: dict[int, MediaImage],
    weights: tuple[float, float, float],
) -> list[Scored]:
    """Blend visual similarity with engagement (saves, log-normalised) and quality (resolution)."""
    w_vis, w_eng, w_q = weights
    chosen = [
        (pins[i][0], s, max(p.save_count for p in pins[i]), images.get(i)) for i, s in hits if i in pins
    ]
    top_saves = max((math.log1p(c) for _, _, c, _ in chosen), default=0.0)
    out = []
    for pin, sim, saves, image in chosen:
        engagement = math.log1p(saves) / top_saves if top_saves > 0 else 0.0
        quality = min(1.0, math.sqrt(image.width * image.height) / 1000.0) if image is not None else 0.0
        out.append(Scored(pin, w_vis * sim + w_eng * engagement + w_q * quality, sim))
    out.sort(key=lambda s: (-s.score, s.pin.id))
    return out


def _images(db: Session, image_ids: Sequence[int]) -> dict[int, MediaImage]:
    ids = list(image_ids)
    return {i.id: i for i in db.scalars(select(MediaImage).where(MediaImage.id.in_(ids)))} if ids else {}


def search_similar(
    *,
    db: Session,
    service: VisualService,
    viewer: Viewer,
    image: Image.Image,
    limit: int,
    weights: tuple[float, float, float],
    exclude_image_ids: Sequence[int] = (),
) -> list[Scored]:
    """Pins the viewer may see whose image looks like `image`, one pin per image, best first."""
    service.refresh()
    vector, _ = service.embed(image)
    visible = ImageVisibility(db, viewer)
    # a pool larger than the page, so engagement and quality can reorder the visually close ones
    hits = service.index.search(vector, max(limit * 3, 30), visible=visible, exclude=exclude_image_ids)
    ranked = rerank(hits, visible.pins, _images(db, [i for i, _ in hits]), weights)
    return diversify_results(ranked, limit)


def diversify_results(ranked: Sequence[Scored], limit: int) -> list[Scored]:
    """The seeds' diversify step: results spread across boards and creators (not ten near-identical pins
    from one board) where the pool allows; otherwise in score order."""
    from pinhaven.discovery.diversity import Candidate, diversify  # discovery imports this module lazily

    by_pin = {s.pin.id: s for s in ranked}
    picked = diversify(
        [Candidate(s.pin.id, s.score, board=s.pin.board_id, creator=s.pin.creator_id) for s in ranked],
        limit=max(limit, 1),
    )
    return [by_pin[c.item_id] for c in picked][:limit]


def find_duplicates(*, db: Session, service: VisualService, viewer: Viewer, pin: Pin) -> list[Scored]:
    """Pins the viewer may see showing the same image (exact) or a near-duplicate of it (near)."""
    exact = [
        p
        for p in db.scalars(
            select(Pin).where(Pin.image_id == pin.image_id, Pin.id != pin.id).order_by(Pin.id)
        )
    ]
    allowed = visible_pin_ids(db=db, viewer=viewer, pin_ids=[p.id for p in exact])
    found = [Scored(p, 1.0, 1.0, "exact") for p in exact if p.id in allowed]
    service.refresh()
    image = db.get(MediaImage, pin.image_id)
    img = load_image(media_store(service.ctx), image) if image is not None else None
    if img is None:
        return found
    vector = service.index.vectors([pin.image_id]).get(pin.image_id)
    hashes = image_hashes(img)
    visible = ImageVisibility(db, viewer)
    apart = {b if a == pin.image_id else a for a, b in excluded_pairs(db, [pin.image_id])}
    matches = service.duplicates.find(hashes, vector, exclude=[pin.image_id, *apart], visible=visible)
    for match in matches:
        for other in visible.pins.get(match.id, [])[:1]:  # one pin per image
            cosine = match.cosine if match.cosine is not None else 1.0
            found.append(Scored(other, cosine, cosine, "near"))
    return found + _other_group_members(db, service, viewer, pin, found, vector)


def _other_group_members(
    db: Session,
    service: VisualService,
    viewer: Viewer,
    pin: Pin,
    found: Sequence[Scored],
    vector: np.ndarray | None,
) -> list[Scored]:
    """Visible pins of the stored duplicate group that the direct search missed (duplicates of duplicates)."""
    shown_images = {pin.image_id} | {s.pin.image_id for s in found}
    candidates = [i for i in group_pin_ids(db, pin.image_id) if i != pin.id]
    allowed = visible_pin_ids(db=db, viewer=viewer, pin_ids=candidates)
    out: list[Scored] = []
    if not allowed:
        return out
    others = list(db.scalars(select(Pin).where(Pin.id.in_(sorted(allowed))).order_by(Pin.id)))
    vectors = service.index.vectors([p.image_id for p in others])
    for other in others:
        if other.image_id in shown_images:
            continue
        shown_images.add(other.image_id)  # one pin per image
        theirs = vectors.get(other.image_id)
        cosine = float(theirs @ vector) if theirs is not None and vector is not None else 1.0
        out.append(Scored(other, cosine, cosine, "near"))
    return out
