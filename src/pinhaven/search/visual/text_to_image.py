"""Text → image search: pins whose image vector is closest to a text's vector in CLIP's joint space.

    text_search_available(ctx)   → whether the active visual embedder can embed text (CLIP can, builtin not)
    search_by_text(...)          → pins the viewer may see that look like the text, re-ranked as image queries
    search_text(ctx, ...)        → the same with the process's service and the weights from settings
    search_text_body(...)        → the JSON form `{text, limit?}` of POST /ext/v1/search/visual

Privacy and ranking are the image query's: candidates pass `ImageVisibility` (the viewer's visible pins)
inside the index search, then `rerank` blends similarity with engagement and quality.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.context import AppContext
from pinhaven.errors import InvalidInput
from pinhaven.search.visual.embedder import ModelUnavailable
from pinhaven.search.visual.service import (
    ImageVisibility,
    Scored,
    VisualService,
    _images,
    ranking_weights,
    rerank,
    visual_service,
)

__all__ = [
    "MAX_TEXT_CHARS",
    "TextEmbedder",
    "TextSearchUnavailable",
    "search_by_text",
    "search_text",
    "search_text_body",
    "text_search_available",
]

MAX_TEXT_CHARS = 300  # CLIP reads 77 tokens at most; longer text is noise, not meaning


@runtime_checkable
class TextEmbedder(Protocol):
    """An embedder with a text tower whose vectors are comparable with its image vectors."""

    def embed_texts(self, texts: Sequence[str]) -> np.ndarray: ...


class TextSearchUnavailable(InvalidInput):
    """The active visual embedder only embeds images (builtin): text → image search needs CLIP."""

    def __init__(self, model_id: str) -> None:
        super().__init__(
            f"text search by looks needs the CLIP embedder (PINHAVEN_VISUAL_MODEL=clip); the active "
            f"embedder {model_id} only embeds images",
            field="text",
        )


def text_search_available(ctx: AppContext) -> bool:
    """Whether text queries work here; never raises (a page only decides whether to offer them)."""
    if ctx.settings.visual_model != "clip":  # avoid building the service just to learn "no"
        return False
    try:
        return isinstance(visual_service(ctx).embedder, TextEmbedder)
    except ModelUnavailable:
        return False


def _calibrated(hits: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    """Rescale the pool's cosines to 0..1 (best = 1).

    CLIP's text-to-image cosines sit in a narrow band (about 0.15–0.35 with real weights), so unscaled
    they would weigh far less than engagement and quality in `rerank`, which were set for image queries.
    """
    if not hits:
        return []
    scores = [s for _, s in hits]
    low, high = min(scores), max(scores)
    span = high - low
    return [(i, (s - low) / span if span > 1e-9 else 1.0) for i, s in hits]


def search_by_text(
    *,
    db: Session,
    service: VisualService,
    viewer: Viewer,
    text: str,
    limit: int,
    weights: tuple[float, float, float],
) -> list[Scored]:
    """Pins the viewer may see whose image looks like `text`, one pin per image, best first.

    `similarity` of each result is the raw text-image cosine; `score` the blended rank.
    """
    embedder = service.embedder
    if not isinstance(embedder, TextEmbedder):
        raise TextSearchUnavailable(service.model_id)
    service.refresh()
    vector = embedder.embed_texts([text])[0]
    visible = ImageVisibility(db, viewer)
    # a pool larger than the page, so engagement and quality can reorder the visually close ones
    hits = service.index.search(vector, max(limit * 3, 30), visible=visible)
    cosine = dict(hits)
    ranked = rerank(_calibrated(hits), visible.pins, _images(db, [i for i, _ in hits]), weights)
    return [dataclasses.replace(s, similarity=cosine[s.pin.image_id]) for s in ranked[:limit]]


def _text(body: dict[str, Any]) -> str:
    value = body.get("text")
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("must be a non-empty string", field="text")
    text = " ".join(value.split())
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"must be at most {MAX_TEXT_CHARS} characters", field="text")
    return text


def _limit(body: dict[str, Any], default: int, maximum: int) -> int:
    value = body.get("limit", default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise InvalidInput(f"must be a whole number from 1 to {maximum}", field="limit")
    return value


def search_text_body(
    ctx: AppContext, db: Session, viewer: Viewer, body: dict[str, Any], *, default_limit: int, max_limit: int
) -> list[Scored]:
    """Validate the JSON form `{text, limit?}` and run it (400 when the embedder has no text tower)."""
    if "pin_id" in body or "crop" in body:
        raise InvalidInput("send either {text} or {pin_id, crop}, not both", field="text")
    return search_text(ctx, db, viewer, _text(body), _limit(body, default_limit, max_limit))


def search_text(ctx: AppContext, db: Session, viewer: Viewer, text: str, limit: int) -> list[Scored]:
    """`search_by_text` with the process's visual service and the ranking weights from settings."""
    return search_by_text(
        db=db,
        service=visual_service(ctx),
        viewer=viewer,
        text=text,
        limit=limit,
        weights=ranking_weights(ctx.settings),
    )
