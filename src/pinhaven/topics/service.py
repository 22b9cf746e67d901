"""The taxonomy (seeded from taxonomy.json, edited by admins) and each pin's topics.

Assignments are written by `assign_pins` (the `topics.assign_pin` job, `pinhaven topics assign`); an owner's
correction (`set_pin_topics`) replaces them and locks the pin, so automatic assignment leaves it alone.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import access_pin_for_edit
from pinhaven.boards.models import Board
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.errors import Conflict, InvalidInput, NotFound
from pinhaven.jobs.service import enqueue
from pinhaven.ocr.models import ImageText
from pinhaven.pins.models import Pin
from pinhaven.topics.classify import MAX_TOPICS, Classifier, Node, Scored, pin_text, taxonomy_key
from pinhaven.topics.models import PinTopic, PinTopicLock, Topic

__all__ = [
    "PinTopicView",
    "assign_pins",
    "classifier_for",
    "create_topic",
    "ensure_taxonomy",
    "get_by_slug",
    "list_topics",
    "load_taxonomy_file",
    "set_pin_topics",
    "topics_for_pins",
    "update_topic",
]

log = logging.getLogger("pinhaven.topics")

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


@dataclass(frozen=True)
class PinTopicView:
    slug: str
    name: str
    top_slug: str
    top_name: str
    confidence: float
    source: str

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.slug,
            "name": self.name,
            "top_topic": {"id": self.top_slug, "name": self.top_name},
            "confidence": self.confidence,
            "source": self.source,
        }


# ---------------------------------------------------------------- taxonomy


def load_taxonomy_file(text: str | None = None) -> list[dict[str, Any]]:
    """The shipped taxonomy (or `text`, a JSON document of the same shape), validated."""
    raw = (
        text if text is not None else resources.files("pinhaven.topics").joinpath("taxonomy.json").read_text()
    )
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"taxonomy is not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise InvalidInput("taxonomy must be a JSON list of top topics")
    seen: set[str] = set()
    for top in data:
        for node in [top, *(top.get("children") or [])] if isinstance(top, dict) else [top]:
            if (
                not isinstance(node, dict)
                or not SLUG.match(str(node.get("slug", "")))
                or not node.get("name")
            ):
                raise InvalidInput(f"every topic needs a slug (a-z, 0-9, -) and a name: {node!r}")
            if node["slug"] in seen:
                raise InvalidInput(f"topic {node['slug']!r} appears twice")
            seen.add(node["slug"])
    return data


def ensure_taxonomy(db: Session) -> int:
    """Seed the shipped taxonomy into an empty `topics` table; returns how many topics were added."""
    if db.scalar(select(func.count()).select_from(Topic)):
        return 0
    return import_taxonomy(db=db, data=load_taxonomy_file())


def import_taxonomy(*, db: Session, data: list[dict[str, Any]]) -> int:
    """Add the topics of `data` that do not exist yet and update the names/descriptions of those that do."""
    existing = {t.slug: t for t in db.scalars(select(Topic))}
    added = 0
    for position, top in enumerate(data):
        nodes = [(top, None, position)] + [
            (c, top["slug"], i) for i, c in enumerate(top.get("children") or [])
        ]
        for node, parent, pos in nodes:
            row = existing.get(node["slug"])
            name, description = str(node["name"])[:100], str(node.get("description") or "")[:500]
            if row is None:
                row = Topic(
                    slug=node["slug"], parent_slug=parent, position=pos, name=name, description=description
                )
                db.add(row)
                existing[row.slug] = row
                added += 1
                db.flush()  # parents before children (self-referencing foreign key)
            elif (row.name, row.description) != (name, description):
                row.name, row.description, row.updated_at = name, description, utcnow()
    db.flush()
    return added


def list_topics(*, db: Session, include_inactive: bool = False) -> list[Topic]:
    """Every topic, top topics in their order, each followed by its subtopics."""
    ensure_taxonomy(db)
    rows = list(db.scalars(select(Topic).order_by(Topic.position, Topic.slug)))
    if not include_inactive:
        rows = [t for t in rows if t.active]
    tops = [t for t in rows if t.parent_slug is None]
    children: dict[str, list[Topic]] = {}
    for t in rows:
        if t.parent_slug is not None:
            children.setdefault(t.parent_slug, []).append(t)
    ordered: list[Topic] = []
    for top in tops:
        ordered += [top, *children.get(top.slug, [])]
    return ordered


def get_by_slug(*, db: Session, slug: str) -> Topic:
    ensure_taxonomy(db)
    topic = db.get(Topic, slug)
    if topic is None or not topic.active:
        raise NotFound("Topic not found.")
    return topic


def create_topic(
    *, db: Session, slug: str, name: str, description: str = "", parent: str | None = None
) -> Topic:
    """Add a top topic, or a subtopic of `parent` (a top topic): the admin's taxonomy edit."""
    ensure_taxonomy(db)
    if not SLUG.match(slug):
        raise InvalidInput("a topic slug is 1-64 characters: a-z, 0-9 and -", field="slug")
    if not name.strip():
        raise InvalidInput("a topic needs a name", field="name")
    if db.get(Topic, slug) is not None:
        raise Conflict(f"topic {slug!r} exists")
    if parent is not None:
        parent_row = db.get(Topic, parent)
        if parent_row is None or parent_row.parent_slug is not None:
            raise InvalidInput("a subtopic's parent must be a top topic", field="parent")
    position = db.scalar(select(func.coalesce(func.max(Topic.position), -1) + 1)) or 0
    topic = Topic(
        slug=slug,
        parent_slug=parent,
        name=name.strip()[:100],
        description=description.strip()[:500],
        position=int(position),
    )
    db.add(topic)
    db.flush()
    return topic


def update_topic(
    *,
    db: Session,
    slug: str,
    name: str | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> Topic:
    """Rename, redescribe, hide (`active` False: no new assignments, no page) or show a topic again."""
    ensure_taxonomy(db)
    topic = db.get(Topic, slug)
    if topic is None:
        raise NotFound("Topic not found.")
    if name is not None:
        if not name.strip():
            raise InvalidInput("a topic needs a name", field="name")
        topic.name = name.strip()[:100]
    if description is not None:
        topic.description = description.strip()[:500]
    if active is not None:
        topic.active = active
        if topic.parent_slug is None:
            for child in db.scalars(select(Topic).where(Topic.parent_slug == slug)):
                child.active = active
    topic.updated_at = utcnow()
    db.flush()
    return topic


# ---------------------------------------------------------------- pins' topics


def topics_for_pins(*, db: Session, pin_ids: Sequence[int]) -> dict[int, list[PinTopicView]]:
    """pin id → its topics, main first (pins without topics are absent)."""
    if not pin_ids:
        return {}
    names = {t.slug: t.name for t in db.scalars(select(Topic))}
    rows = db.scalars(
        select(PinTopic).where(PinTopic.pin_id.in_(list(pin_ids))).order_by(PinTopic.pin_id, PinTopic.ordinal)
    )
    out: dict[int, list[PinTopicView]] = {}
    for r in rows:
        out.setdefault(r.pin_id, []).append(
            PinTopicView(
                slug=r.topic_slug,
                name=names.get(r.topic_slug, r.topic_slug),
                top_slug=r.top_slug,
                top_name=names.get(r.top_slug, r.top_slug),
                confidence=round(float(r.confidence), 4),
                source=r.source,
            )
        )
    return out


def set_pin_topics(
    *, db: Session, viewer: Viewer, pin_id: int | None, slugs: Sequence[str]
) -> list[PinTopicView]:
    """The owner's correction: exactly these topics (≤ 3, main first, confidence 1), kept from then on."""
    pin = access_pin_for_edit(db=db, viewer=viewer, pin_id=pin_id)
    ensure_taxonomy(db)
    wanted = list(dict.fromkeys(s.strip() for s in slugs))
    if len(wanted) > MAX_TOPICS:
        raise InvalidInput(f"a pin has at most {MAX_TOPICS} topics", field="topics")
    rows = {t.slug: t for t in db.scalars(select(Topic).where(Topic.slug.in_(wanted)))} if wanted else {}
    unknown = [s for s in wanted if s not in rows or not rows[s].active]
    if unknown:
        raise InvalidInput(f"unknown topic(s): {', '.join(unknown)}", field="topics")
    db.execute(delete(PinTopic).where(PinTopic.pin_id == pin.id))
    for rank, slug in enumerate(wanted):
        topic = rows[slug]
        db.add(
            PinTopic(
                pin_id=pin.id,
                topic_slug=slug,
                top_slug=topic.parent_slug or topic.slug,
                confidence=1.0,
                ordinal=rank,
                source="owner",
            )
        )
    if db.get(PinTopicLock, pin.id) is None:
        db.add(PinTopicLock(pin_id=pin.id))
    db.flush()
    return topics_for_pins(db=db, pin_ids=[pin.id]).get(pin.id, [])


def reset_pin_topics(*, db: Session, viewer: Viewer, pin_id: int | None) -> None:
    """Undo the owner's correction: automatic topics again (assigned by a queued job)."""
    pin = access_pin_for_edit(db=db, viewer=viewer, pin_id=pin_id)
    db.execute(delete(PinTopicLock).where(PinTopicLock.pin_id == pin.id))
    db.execute(delete(PinTopic).where(PinTopic.pin_id == pin.id))
    enqueue(db=db, kind="topics.assign_pin", payload={"pin_id": pin.id})
    db.flush()


# ---------------------------------------------------------------- automatic assignment

_classifiers: dict[tuple[str, str], Classifier] = {}
_classifiers_lock = threading.Lock()


def _uses_minilm(ctx: AppContext) -> bool:
    from pinhaven.search.text import semantic

    return bool(ctx.settings.semantic_search) and semantic.is_installed()


def classifier_for(ctx: AppContext, db: Session) -> Classifier:
    """This process's classifier for the current taxonomy (rebuilt, once, after an edit)."""
    ensure_taxonomy(db)
    active = [t for t in list_topics(db=db) if t.active]
    nodes = [Node(t.slug, t.parent_slug or t.slug, t.name, t.description) for t in active]
    mode = "minilm" if _uses_minilm(ctx) else "lexical"
    key = (taxonomy_key(nodes), mode)
    with _classifiers_lock:
        found = _classifiers.get(key)
    if found is not None:
        return found
    encode = None
    if mode == "minilm":
        from pinhaven.search.text import semantic

        encode = semantic.encoder().encode
    built = Classifier(nodes, encode)
    with _classifiers_lock:
        return _classifiers.setdefault(key, built)


@dataclass(frozen=True)
class _PinRow:
    pin_id: int
    image_id: int
    text: str


def _pin_rows(db: Session, pin_ids: Sequence[int]) -> list[_PinRow]:
    locked = set(db.scalars(select(PinTopicLock.pin_id).where(PinTopicLock.pin_id.in_(list(pin_ids)))))
    rows = db.execute(
        select(
            Pin.id, Pin.image_id, Pin.title, Pin.description, Pin.source_domain, Board.name, ImageText.text
        )
        .join(Board, Board.id == Pin.board_id)
        .outerjoin(ImageText, ImageText.image_id == Pin.image_id)
        .where(Pin.id.in_(list(pin_ids)))
    )
    return [
        _PinRow(
            pin_id,
            image_id,
            pin_text(
                title=title or "",
                description=description or "",
                board_name=board or "",
                ocr_text=ocr or "",
                domain=domain or "",
            ),
        )
        for pin_id, image_id, title, description, domain, board, ocr in rows
        if pin_id not in locked
    ]


def _image_distributions(
    ctx: AppContext, classifier: Classifier, image_ids: list[int]
) -> list[np.ndarray | None]:
    """CLIP zero-shot distributions per image (None where CLIP is off or the image has no vector yet)."""
    if ctx.settings.visual_model != "clip" or not image_ids:
        return [None] * len(image_ids)
    try:
        from pinhaven.search.visual.models import ImageEmbedding
        from pinhaven.search.visual.service import visual_service
        from pinhaven.search.visual.text_to_image import TextEmbedder

        service = visual_service(ctx)
        embedder = service.embedder
        if not isinstance(embedder, TextEmbedder):
            return [None] * len(image_ids)
        prompts = embedder.embed_texts([f"a photo of {n.name.lower()}" for n in classifier.nodes])
        with session_scope(ctx.read_sessions) as db:
            stored: dict[int, bytes] = {
                image_id: vector
                for image_id, vector in db.execute(
                    select(ImageEmbedding.image_id, ImageEmbedding.vector).where(
                        ImageEmbedding.model_id == service.model_id, ImageEmbedding.image_id.in_(image_ids)
                    )
                )
            }
    except Exception as exc:  # CLIP is optional: text topics stand alone
        log.warning("CLIP zero-shot topics unavailable: %s", exc)
        return [None] * len(image_ids)
    out: list[np.ndarray | None] = []
    for image_id in image_ids:
        raw = stored.get(image_id)
        out.append(
            classifier.zero_shot(np.frombuffer(raw, dtype="<f4"), prompts) if raw is not None else None
        )
    return out


def assign_pins(ctx: AppContext, pin_ids: Sequence[int]) -> dict[int, list[Scored]]:
    """Classify these pins and store their automatic topics (pins the owner corrected are left alone)."""
    if not pin_ids:
        return {}
    with session_scope(ctx.read_sessions) as db:
        rows = _pin_rows(db, pin_ids)
        classifier = classifier_for(ctx, db)
    if not rows:
        return {}
    images = _image_distributions(ctx, classifier, [r.image_id for r in rows])
    found = classifier.classify([r.text for r in rows], images)
    results = {r.pin_id: scored for r, scored in zip(rows, found, strict=True)}
    with session_scope(ctx.sessions) as db:
        locked = set(db.scalars(select(PinTopicLock.pin_id).where(PinTopicLock.pin_id.in_(list(results)))))
        alive = set(db.scalars(select(Pin.id).where(Pin.id.in_(list(results)))))
        todo = [p for p in results if p in alive and p not in locked]
        if todo:
            db.execute(delete(PinTopic).where(PinTopic.pin_id.in_(todo)))
        for pin_id in todo:
            for rank, s in enumerate(results[pin_id]):
                db.add(
                    PinTopic(
                        pin_id=pin_id,
                        topic_slug=s.slug,
                        top_slug=s.top_slug,
                        confidence=s.confidence,
                        ordinal=rank,
                        source="auto",
                    )
                )
    return results


def with_understanding(db: Session, read: Any, *, image_id: int) -> Any:
    """/ext/v1/pins/{id}'s answer: `read` (a PinWithSocial) plus the pin's topics and its picture's text."""
    from pinhaven.ocr.service import text_for_image
    from pinhaven.topics.schemas import PinDetail, PinTopicRead

    pin_id = int(read.id)
    return PinDetail(
        **read.model_dump(),
        topics=[
            PinTopicRead.model_validate(t.as_json())
            for t in topics_for_pins(db=db, pin_ids=[pin_id]).get(pin_id, [])
        ],
        image_text=text_for_image(db=db, image_id=image_id) or None,
    )
