"""Job handlers and the long-running reindex of visual search.

    visual.embed_image {image_id}  ← jobs.pipeline.on_image_ready: vector + hashes of one image; queues
                                     visual.refit when the corpus reached 100 images or grew 4× since
    visual.refit {}                ← the first time the whitening is worth fitting, then as the corpus grows
    reindex(ctx, ...)              ← `pinhaven reindex`: (re)fit the whitening, embed every image, promote,
                                     then recompute the duplicate groups (regroup_all)

Reindex is resumable: a new whitening is first written as `whitening.pending.npz` and reused by a rerun,
images that already have a vector for the pending model are skipped, and only when every image has one
does the pending whitening replace the active one (old-model rows are then deleted). Searches keep using
the old model, complete, until that moment.

With `vector_store = database` several hosts share one corpus: a refit runs on one host at a time (an
advisory lock; another host's refit job then does nothing), the pending and active whitening files live in
the database (a host that dies mid-refit leaves the pending one for the next to resume), and the regrouping
holds the duplicate-group lock that embedding jobs on every host take.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.models import Job
from pinhaven.jobs.queue import PermanentFailure
from pinhaven.jobs.service import enqueue
from pinhaven.media.models import MediaImage
from pinhaven.media.service import media_store
from pinhaven.search.vectorstore import uses_database
from pinhaven.search.visual.builtin import BuiltinEmbedder
from pinhaven.search.visual.embedder import prepare_image
from pinhaven.search.visual.groups import excluded_pairs, replace_groups
from pinhaven.search.visual.models import ImageEmbedding
from pinhaven.search.visual.service import (
    SERVICE_KEY,
    VisualService,
    embed_image,
    load_image,
    make_embedder,
    store_embedding,
    stored_hashes,
    sync_model_files,
    visual_dir,
    visual_service,
    whitening_path,
)

__all__ = [
    "EMBED_JOB",
    "REFIT_JOB",
    "RefitBusy",
    "ReindexReport",
    "embed_image_job",
    "refit_due",
    "refit_job",
    "regroup_all",
    "reindex",
    "schedule_refit_if_due",
]

log = logging.getLogger("pinhaven.search.visual")

EMBED_JOB = "visual.embed_image"
REFIT_JOB = "visual.refit"
FIT_MIN_IMAGES = 100  # fewer images than this: a whitening would overfit, keep the raw descriptor
REFIT_GROWTH = 4  # refit when the corpus is this many times the one the active whitening was fitted on
FIT_MAX_IMAGES = 2000


def embed_image_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Job `visual.embed_image`: embed one image with the active model (idempotent)."""
    value = payload.get("image_id")
    try:
        image_id = int(str(value))
    except ValueError:
        raise PermanentFailure(f"{EMBED_JOB} payload needs a numeric image_id, got {value!r}") from None
    if embed_image(ctx, image_id):
        schedule_refit_if_due(ctx)


def refit_due(ctx: AppContext) -> bool:
    """Whether the builtin whitening should be (re)fitted: first at FIT_MIN_IMAGES embedded images, then
    each time the corpus has grown REFIT_GROWTH-fold since the last fit, or to finish an interrupted one."""
    if ctx.settings.visual_model != "builtin":
        return False
    sync_model_files(ctx)  # `database` mode: a pending whitening may come from another host
    if whitening_path(ctx, pending=True).exists():
        return True
    service = visual_service(ctx)
    whitening = getattr(service.embedder, "whitening", None)
    fitted_for = whitening.corpus_size if whitening is not None else 0
    return len(service.index) >= max(FIT_MIN_IMAGES, REFIT_GROWTH * fitted_for)


def schedule_refit_if_due(ctx: AppContext) -> bool:
    """Queue one `visual.refit` job when a refit is due and none is queued or running."""
    if not refit_due(ctx):
        return False
    with session_scope(ctx.sessions) as db:
        pending = db.scalar(
            select(Job.id).where(Job.kind == REFIT_JOB, Job.state.in_(("queued", "running"))).limit(1)
        )
        if pending is None:
            enqueue(db=db, kind=REFIT_JOB, payload={})
    return pending is None


class RefitBusy(RuntimeError):
    """Another host is refitting the visual model right now (`database` vector store)."""


@contextmanager
def _one_refit_at_a_time(ctx: AppContext) -> Iterator[None]:
    """Across hosts in `database` mode (an advisory lock; RefitBusy when taken); nothing to do otherwise."""
    if not uses_database(ctx):
        yield
        return
    from pinhaven.search.vectorstore.coordination import refit_lock

    with refit_lock(ctx) as acquired:
        if not acquired:
            raise RefitBusy("another process is refitting the visual model; try again when it has finished")
        sync_model_files(ctx, force=True)  # a pending whitening another host left behind is resumed
        yield


def refit_job(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Job `visual.refit`: fit a whitening on the corpus, re-embed everything, promote (resumable)."""
    if refit_due(ctx):  # another refit may have finished since this one was queued
        try:
            report = reindex(ctx, min_fit_images=FIT_MIN_IMAGES)
        except RefitBusy:
            log.info("visual refit: another process is doing it")
            return
        log.info(
            "visual refit: model %s, %d embedded, %d groups", report.model_id, report.embedded, report.groups
        )


@dataclass
class ReindexReport:
    model_id: str
    embedded: int = 0
    skipped: int = 0
    missing: int = 0
    refitted: bool = False
    groups: int = 0


Progress = Callable[[int, int], None]  # (done, total)


def _ready_image_ids(ctx: AppContext) -> list[int]:
    with session_scope(ctx.read_sessions) as db:
        return [int(i) for i in db.scalars(select(MediaImage.id).where(MediaImage.status == "ready"))]


def _fit(ctx: AppContext, image_ids: list[int], min_images: int) -> bool:
    """Fit a whitening on a sample of stored images into the pending file; False when too few images."""
    if len(image_ids) < min_images:
        return False
    step = max(1, len(image_ids) // FIT_MAX_IMAGES)
    store = media_store(ctx)
    sample = []
    with session_scope(ctx.read_sessions) as db:
        for image_id in image_ids[::step][:FIT_MAX_IMAGES]:
            image = db.get(MediaImage, image_id)
            img = load_image(store, image) if image is not None else None
            if img is not None:
                sample.append(prepare_image(img, 256))
    if len(sample) < min_images:
        return False
    fitted = dataclasses.replace(BuiltinEmbedder.fit(sample), corpus_size=len(image_ids))
    pending = whitening_path(ctx, pending=True)
    if uses_database(ctx):  # into the database first: a file alone would be removed as unknown by a sync
        from pinhaven.search.vectorstore.coordination import PENDING, publish_whitening

        draft = pending.with_name("whitening.publishing.npz")
        fitted.save(draft)
        publish_whitening(ctx, draft, name=PENDING, model_id=BuiltinEmbedder(fitted).model_id)
        os.replace(draft, pending)
    else:
        fitted.save(pending)
    return True


def reindex(
    ctx: AppContext,
    *,
    refit: bool = True,
    min_fit_images: int = FIT_MIN_IMAGES,
    progress: Progress | None = None,
) -> ReindexReport:
    """Embed every ready image with the (re)fitted model, skipping images already done; then promote it.

    Raises RefitBusy when another host is refitting (`database` vector store)."""
    with _one_refit_at_a_time(ctx):
        return _reindex(ctx, refit=refit, min_fit_images=min_fit_images, progress=progress)


def _reindex(
    ctx: AppContext, *, refit: bool, min_fit_images: int, progress: Progress | None
) -> ReindexReport:
    pending = whitening_path(ctx, pending=True)
    image_ids = _ready_image_ids(ctx)
    refitted = False
    if ctx.settings.visual_model == "builtin" and refit and not pending.exists():
        refitted = _fit(ctx, image_ids, min_fit_images)
    use_pending = pending.exists() and ctx.settings.visual_model == "builtin"
    service = (
        VisualService(ctx, make_embedder(ctx, pending=use_pending)) if use_pending else visual_service(ctx)
    )
    report = ReindexReport(model_id=service.model_id, refitted=refitted or use_pending)
    store = media_store(ctx)
    batch = list(image_ids)
    while batch:  # a second pass picks up images that became ready during the first
        with session_scope(ctx.read_sessions) as db:
            done = set(
                db.scalars(
                    select(ImageEmbedding.image_id).where(
                        ImageEmbedding.model_id == service.model_id,
                        ImageEmbedding.flatness.is_not(None),  # rows from before layouts: embed again
                    )
                )
            )
        todo = [i for i in batch if i not in done]
        report.skipped += len(batch) - len(todo)
        base = len(image_ids) - len(batch) + len(batch) - len(todo)
        for n, image_id in enumerate(todo, 1):
            with session_scope(ctx.sessions) as db:
                image = db.get(MediaImage, image_id)
                img = load_image(store, image) if image is not None else None
                if img is None:
                    report.missing += 1
                else:
                    vector, hashes = service.embed(img)
                    store_embedding(
                        db=db,
                        image_id=image_id,
                        model_id=service.model_id,
                        vector=vector,
                        hashes=hashes,
                        index=service.index,
                    )
                    report.embedded += 1
            if progress is not None:
                progress(base + n, len(image_ids))
        known = set(image_ids)
        batch = [i for i in _ready_image_ids(ctx) if i not in known]
        image_ids += batch
    if use_pending and uses_database(ctx):  # every image has a vector in the new space: switch every host
        from pinhaven.search.vectorstore.coordination import promote_whitening

        promote_whitening(ctx)
        sync_model_files(ctx, force=True)
    elif use_pending:  # every image has a vector in the new space: switch to it
        os.replace(pending, whitening_path(ctx))
    with session_scope(ctx.sessions) as db:
        db.execute(delete(ImageEmbedding).where(ImageEmbedding.model_id != service.model_id))
    for old in (visual_dir(ctx) / "index").glob("*"):  # saved indexes of superseded models
        if old.is_dir() and old.name != service.model_id:
            shutil.rmtree(old, ignore_errors=True)
    ctx.services.pop(SERVICE_KEY, None)
    report.groups = regroup_all(ctx)
    return report


def regroup_all(ctx: AppContext) -> int:
    """Recompute every duplicate group with the active model's finder; returns the number of groups."""
    with _group_lock(ctx):
        return _regroup_all(ctx)


def _group_lock(ctx: AppContext) -> Any:
    if not uses_database(ctx):
        return nullcontext()
    from pinhaven.search.vectorstore.coordination import group_lock

    return group_lock(ctx)


def _regroup_all(ctx: AppContext) -> int:
    service = visual_service(ctx)
    service.refresh(force=True)
    with session_scope(ctx.read_sessions) as db:
        rows = db.execute(
            select(
                ImageEmbedding.image_id,
                ImageEmbedding.phash,
                ImageEmbedding.dhash,
                ImageEmbedding.flatness,
                ImageEmbedding.layout,
            ).where(ImageEmbedding.model_id == service.model_id)
        ).all()
        apart = excluded_pairs(db, [int(r[0]) for r in rows])
    ids = [int(r[0]) for r in rows]
    vectors = service.index.vectors(ids)
    finder = service.duplicates
    for a, b in apart:
        finder.exclude_pair(a, b)
    scored = [
        (match.cosine if match.cosine is not None else 1.0, int(image_id), match.id)
        for image_id, phash, dhash, flat, layout in rows
        for match in finder.find(
            stored_hashes(phash, dhash, flat, layout), vectors.get(int(image_id)), query_id=int(image_id)
        )
    ]
    scored.sort(key=lambda t: -t[0])  # strongest evidence first: exclusions then skip the weakest links
    with session_scope(ctx.sessions) as db:
        return replace_groups(db=db, pairs=[(a, b) for _, a, b in scored], image_ids=ids)
