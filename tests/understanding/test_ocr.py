"""OCR: the engine reads generated text, skips pictures without text, and a new pin's words become searchable."""

from __future__ import annotations

import random

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.conftest import ALL_BACKENDS
from tests.factories import Account, image_bytes
from tests.understanding.helpers import board, pin, search, text_picture

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.ocr.engine import OcrEngine, is_installed
from pinhaven.ocr.models import ImageText
from pinhaven.ocr.service import searchable_text
from pinhaven.ocr.synthetic import sample

pytestmark = pytest.mark.skipif(
    not is_installed(), reason="rapidocr-onnxruntime (extra 'ocr') is not installed"
)


@pytest.fixture(scope="module")
def engine() -> OcrEngine:
    return OcrEngine().load()


def _cer(truth: str, found: str) -> float:
    previous = list(range(len(found) + 1))
    for i, a in enumerate(truth, 1):
        current = [i]
        for j, b in enumerate(found, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1] / max(1, len(truth))


def test_reads_generated_text_in_every_condition(engine: OcrEngine) -> None:
    rng = random.Random(3)
    for condition in ("clear", "inverse", "rotated", "gradient", "photo"):
        picture = sample(condition, rng)
        result = engine.read(picture.image)
        assert result.status == "text", condition
        assert _cer(picture.text, result.text) <= 0.1, (condition, picture.text, result.text)
        assert all(len(line.box) == 4 for line in result.lines)


def test_skips_a_picture_without_text_before_the_full_pass(engine: OcrEngine) -> None:
    from PIL import Image

    flat = Image.new("RGB", (736, 920), (200, 180, 160))
    result = engine.read(flat)
    assert result.status == "skipped" and result.text == ""
    assert engine.read(flat, check=False).status == "none"


def test_searchable_text_appends_the_picture_words_to_the_alt_text() -> None:
    assert searchable_text("", "LEMON\nCAKE") == "LEMON CAKE"
    assert searchable_text("A cake", "Lemon cake") == "A cake Lemon cake"
    assert searchable_text("Lemon cake on a plate", "lemon cake") == "Lemon cake on a plate"
    assert len(searchable_text("x" * 300, "word " * 200)) <= 500


def test_new_pin_is_found_by_the_words_in_its_picture(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    public = board(client, alice, "Desserts")
    found = pin(
        client, alice, public, text_picture(["Lemon drizzle", "traybake recipe"]), title="Sunday bake"
    )
    pin(client, alice, public, image_bytes_png(), title="Sunday walk")
    secret = board(client, alice, "Drafts", privacy="SECRET")
    hidden = pin(
        client,
        alice,
        secret,
        text_picture(["Secret drizzle plan"], font_size=40, ground=(180, 210, 250)),
        title="Notes",
    )
    assert search(client, bob, "drizzle") == []  # nothing read yet

    drain(ctx)  # media.process → ocr.read_image → search.index_pin

    with session_scope(ctx.sessions) as db:
        rows = {row.image_id: row for row in db.scalars(select(ImageText))}
    statuses = sorted(row.status for row in rows.values())
    assert statuses.count("text") == 2 and len(statuses) == 3  # the shapes picture: skipped or none
    assert any("drizzle" in row.text.lower() and row.lines for row in rows.values())
    assert search(client, bob, "drizzle") == [found["id"]]
    assert search(client, None, "traybake") == [found["id"]]
    # The owner sees both (pictures different enough not to be collapsed as visual duplicates).
    assert sorted(search(client, alice, "drizzle")) == sorted([found["id"], hidden["id"]])


def image_bytes_png() -> bytes:
    return image_bytes("PNG", size=(400, 300), seed=4)


@pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)
def test_stored_text_joins_the_search_document_on_every_backend(ctx: AppContext, alice: Account) -> None:
    from tests.search.helpers import Maker

    from pinhaven.pins.models import Pin
    from pinhaven.search.text import documents

    maker = Maker(ctx)
    pin_id = maker.pin(alice, maker.board(alice, "Quotes"), title="Monday", alt_text="A card")
    with session_scope(ctx.sessions) as db:
        image_id = db.get(Pin, pin_id).image_id  # type: ignore[union-attr]
        db.add(
            ImageText(
                image_id=image_id,
                status="text",
                text="Believe in\nyourself",
                lines=[{"text": "Believe in", "score": 0.99, "box": [[0.1, 0.2]] * 4}],
                engine="test",
            )
        )
    with session_scope(ctx.sessions) as db:
        document = documents.index_pin(db=db, pin_id=pin_id)
        assert document is not None and document.alt_text == "A card Believe in yourself"
        rows = [r for chunk in documents.stream_for_reindex(db) for r in chunk]
        assert rows[0]["alt_text"] == "A card Believe in yourself"
        stored = db.get(ImageText, image_id)
        assert stored is not None and stored.lines is not None and stored.lines[0]["text"] == "Believe in"


def test_backfill_command_reads_images_stored_before_ocr(
    client: TestClient, ctx: AppContext, alice: Account
) -> None:
    from typer.testing import CliRunner

    from pinhaven.cli import app

    board_id = board(client, alice, "Old pins")
    created = pin(client, alice, board_id, text_picture(["Vintage travel poster"]))
    drain(ctx, kinds=["media.process", "search.index_pin"])  # the image is ready; no OCR job ran
    env = {
        "PINHAVEN_DATA_DIR": str(ctx.settings.data_dir),
        "PINHAVEN_DATABASE_URL": ctx.settings.database_url,
        "PINHAVEN_SECRET_KEY": ctx.settings.secret_key,
    }
    result = CliRunner().invoke(app, ["ocr", "read"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("1 images read, 1 with text")
    drain(ctx, kinds=["search.index_pin"])
    assert search(client, alice, "poster") == [created["id"]]
    assert (
        CliRunner()
        .invoke(app, ["ocr", "read"], env=env)
        .output.strip()
        .endswith("0 images read, 0 with text")
    )
