"""Topics with CLIP active: the image's stored CLIP vector is compared with "a photo of <topic>" prompts and the
zero-shot distribution is mixed into the text's (random weights here: the pipeline, not the quality)."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.factories import Account
from tests.understanding.helpers import board, pin, text_picture

from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.search.visual import clip
from pinhaven.topics import service
from pinhaven.topics.models import PinTopic

pytestmark = [
    pytest.mark.clip,
    pytest.mark.slow,  # importing torch and building ViT-B-32 takes minutes on a loaded box
    pytest.mark.skipif(
        not clip.clip_available(), reason="open_clip, torch and torchvision are not installed"
    ),
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(visual_model="clip", clip_weights="random", ocr_enabled=False)


def test_clip_zero_shot_is_mixed_into_the_text_topics(
    client: TestClient, ctx: AppContext, alice: Account
) -> None:
    created = pin(
        client, alice, board(client, alice, "Bakes"), text_picture(["cake"]), title="Chocolate cake recipe"
    )
    drain(ctx, kinds=["media.process", "visual.embed_image"])  # the CLIP vector of the image is stored
    pin_id = int(created["id"])
    with session_scope(ctx.read_sessions) as db:
        classifier = service.classifier_for(ctx, db)
        image_id = db.scalar(select(PinTopic.pin_id).limit(1))  # nothing assigned yet
        assert image_id is None
        from pinhaven.pins.models import Pin

        image_id = db.scalar(select(Pin.image_id).where(Pin.id == pin_id))
    (distribution,) = service._image_distributions(ctx, classifier, [int(image_id)])
    assert distribution is not None and distribution.shape == (len(classifier.tops),)
    assert np.isclose(distribution.sum(), 1.0) and (distribution >= 0).all()
    assigned = service.assign_pins(ctx, [pin_id])[pin_id]
    assert 1 <= len(assigned) <= 3 and sum(s.confidence for s in assigned) <= 1.0 + 1e-6
