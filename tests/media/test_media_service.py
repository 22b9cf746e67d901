"""Ingest, the media.process job, and variant URLs."""

from __future__ import annotations

import pytest
from PIL import Image
from sqlalchemy import select
from tests.media import craft
from tests.media.conftest import ingest

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.errors import InvalidUpload
from pinhaven.jobs.models import Job
from pinhaven.jobs.queue import PermanentFailure
from pinhaven.media import handlers, service, variants
from pinhaven.media.models import MediaImage
from pinhaven.media.store import LocalMediaStore


def jobs_for(ctx: AppContext, image_id: int) -> list[Job]:
    with session_scope(ctx.sessions) as db:
        rows = db.scalars(select(Job).where(Job.kind == "media.process")).all()
        return [job for job in rows if job.payload == {"image_id": str(image_id)}]


def load(ctx: AppContext, image_id: int) -> MediaImage:
    with session_scope(ctx.sessions) as db:
        image = db.get(MediaImage, image_id)
        assert image is not None
        return image


def test_ingest_records_size_colour_and_queues_processing(ctx: AppContext, store: LocalMediaStore) -> None:
    image = ingest(ctx, craft.encode(Image.new("RGB", (300, 200), (200, 30, 40)), "PNG"))
    assert (image.width, image.height, image.original_format, image.status) == (300, 200, "png", "processing")
    assert image.dominant_color is not None and image.dominant_color.startswith("#C")
    assert image.palette and image.palette[0] == image.dominant_color
    assert store.stat(variants.original_key(image.sha256, "png")) is not None
    assert len(jobs_for(ctx, image.id)) == 1


def test_reupload_queues_nothing_new(ctx: AppContext) -> None:
    data = craft.encode(craft.photo((100, 80)), "JPEG")
    image = ingest(ctx, data)
    ingest(ctx, data)
    assert len(jobs_for(ctx, image.id)) == 1


def test_same_picture_with_different_metadata_is_one_image(ctx: AppContext) -> None:
    picture = craft.photo((320, 240))
    plain = ingest(ctx, craft.encode(picture, "JPEG", quality=90))
    tagged = ingest(ctx, craft.jpeg_with_metadata(picture))
    assert plain.id == tagged.id


def test_rejected_upload_writes_nothing(ctx: AppContext, store: LocalMediaStore) -> None:
    with pytest.raises(InvalidUpload):
        ingest(ctx, b"not an image at all")
    assert list(store.iter_objects()) == []
    with session_scope(ctx.sessions) as db:
        assert db.scalar(select(MediaImage)) is None


def test_process_image_renders_the_eager_variants_and_marks_ready(
    ctx: AppContext, store: LocalMediaStore
) -> None:
    image = ingest(ctx, craft.jpeg_with_metadata(craft.photo((1300, 1000))))
    handlers.process_image(ctx, {"image_id": str(image.id)})
    done = load(ctx, image.id)
    assert done.status == "ready" and done.processed_at is not None and done.failure_reason is None
    assert ("236x", "webp") in variants.EAGER_VARIANTS
    for key in variants.VARIANT_KEYS:
        if key == "originals":
            continue
        for ext in variants.OUTPUT_FORMATS:
            blob = store.get(variants.variant_key(image.sha256, key, ext))
            if (key, ext) in variants.EAGER_VARIANTS:
                assert blob is not None and craft.metadata_blocks(blob) == set()
            else:  # rendered when first requested
                assert blob is None, (key, ext)


def test_process_image_is_idempotent(ctx: AppContext, store: LocalMediaStore) -> None:
    image = ingest(ctx, craft.encode(craft.photo((500, 400)), "PNG"))
    handlers.process_image(ctx, {"image_id": image.id})
    before = {o.key: (o.size, o.modified) for o in store.iter_objects()}
    store.delete(variants.variant_key(image.sha256, "236x", "webp"))
    handlers.process_image(ctx, {"image_id": image.id})
    after = {o.key: (o.size, o.modified) for o in store.iter_objects()}
    assert after.keys() == before.keys()
    unchanged = [k for k in before if not k.endswith("236x.webp")]
    assert all(after[k] == before[k] for k in unchanged)  # only the missing file was rendered again
    assert load(ctx, image.id).status == "ready"


def test_process_image_marks_an_undecodable_original_failed(ctx: AppContext, store: LocalMediaStore) -> None:
    image = ingest(ctx, craft.encode(craft.photo((300, 200)), "JPEG"))
    key = variants.original_key(image.sha256, image.original_format)
    data = store.get(key)
    assert data is not None
    store.delete(key)
    store.put(key, data[: len(data) // 3])  # damaged on disk
    handlers.process_image(ctx, {"image_id": str(image.id)})
    failed = load(ctx, image.id)
    assert failed.status == "failed" and failed.failure_reason and "decoded" in failed.failure_reason


def test_process_image_marks_a_missing_original_failed(ctx: AppContext, store: LocalMediaStore) -> None:
    image = ingest(ctx, craft.encode(craft.photo((300, 200)), "JPEG"))
    store.delete(variants.original_key(image.sha256, image.original_format))
    handlers.process_image(ctx, {"image_id": str(image.id)})
    assert load(ctx, image.id).failure_reason == "The stored original file is missing."


def test_process_image_of_a_deleted_row_does_nothing(ctx: AppContext) -> None:
    handlers.process_image(ctx, {"image_id": "12345"})


def test_process_image_rejects_a_malformed_payload(ctx: AppContext) -> None:
    with pytest.raises(PermanentFailure, match="image_id"):
        handlers.process_image(ctx, {"image_id": "abc"})


def test_image_urls_cover_the_ladder_with_real_sizes(ctx: AppContext) -> None:
    image = ingest(ctx, craft.encode(craft.photo((640, 480)), "JPEG"))
    urls = service.image_urls(image, base_url="http://pins.test/")
    assert list(urls) == list(variants.VARIANT_KEYS)
    base = f"http://pins.test/media/{image.sha256[:2]}/{image.sha256}/"
    assert urls["1200x"] == {"width": 640, "height": 480, "url": base + "1200x.webp"}
    assert urls["236x"] == {"width": 236, "height": 177, "url": base + "236x.webp"}
    assert urls["150x150"] == {"width": 150, "height": 150, "url": base + "150x150.webp"}
    assert urls["originals"]["url"] == base + "originals.jpg"
    assert (
        service.image_urls(image, base_url="http://pins.test", fmt="jpg")["600x"]["url"] == base + "600x.jpg"
    )
    assert service.variant_url(image, "400x300", base_url="http://pins.test", fmt="auto") == base + "400x300"
    with pytest.raises(KeyError):
        service.variant_url(image, "99x", base_url="http://pins.test")


def test_media_store_is_created_once_per_context(ctx: AppContext) -> None:
    first = service.media_store(ctx)
    assert service.media_store(ctx) is first
    assert isinstance(first, LocalMediaStore) and first.root == ctx.settings.resolved_media_dir


@pytest.mark.parametrize(
    "data",
    [
        craft.encode(craft.photo((1700, 1100)), "JPEG", quality=90),  # kept as is: its check decode is reused
        craft.jpeg_with_metadata(craft.photo((900, 700)), orientation=6),  # re-encoded upright
        craft.encode(craft.photo((800, 500), mode="RGBA"), "PNG"),  # kept as is
        craft.encode(craft.photo((800, 500), mode="LA"), "PNG"),  # greyscale with alpha: RGBA variants
        craft.encode(craft.photo((640, 480), mode="RGBA"), "WEBP", lossless=True),  # re-encoded as PNG
    ],
    ids=["lossless-jpeg", "rotated-jpeg", "png", "grey-png", "webp-to-png"],
)
def test_prepared_upload_renders_the_eager_variants_exactly_as_the_job_would(
    ctx: AppContext, store: LocalMediaStore, data: bytes
) -> None:
    prepared = service.prepare_upload(store=store, settings=ctx.settings, data=data, render_eager=True)
    assert prepared.eager_ready
    original = store.get(variants.original_key(prepared.sha256, prepared.original_format))
    assert original is not None
    fresh = variants.render(original, prepared.width, prepared.height, wanted=variants.EAGER_VARIANTS)
    for key, ext in variants.EAGER_VARIANTS:
        assert store.get(variants.variant_key(prepared.sha256, key, ext)) == fresh.files[key, ext]


def test_an_image_registered_with_its_eager_variants_is_ready_without_a_job(
    ctx: AppContext, store: LocalMediaStore
) -> None:
    data = craft.encode(craft.photo((640, 480), seed=9), "JPEG")
    prepared = service.prepare_upload(store=store, settings=ctx.settings, data=data, render_eager=True)
    with session_scope(ctx.sessions) as db:
        image, created = service.register_upload(db=db, prepared=prepared)
        again, created_again = service.register_upload(db=db, prepared=prepared)
        assert created and not created_again and again.id == image.id
        image_id = image.id
    ready = load(ctx, image_id)
    assert ready.status == "ready" and ready.processed_at is not None and ready.palette
    assert jobs_for(ctx, image_id) == []  # nothing left to process
    with session_scope(ctx.sessions) as db:
        follow_ups = db.scalars(select(Job).where(Job.kind == "visual.embed_image")).all()
        assert [job.payload for job in follow_ups] == [{"image_id": image_id}]  # what "image ready" starts
