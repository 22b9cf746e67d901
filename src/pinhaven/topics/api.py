"""HTTP: /ext/v1/taxonomy, /ext/v1/topics/{slug} (a topic and its best pins) and /ext/v1/pins/{id}/topics (read, correct)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from pinhaven.accounts.scopes import Viewer
from pinhaven.db.ids import parse_id
from pinhaven.deps import BaseUrl, CurrentViewer, DbSession, Pagination, v5_scopes
from pinhaven.pins.present import present_pins
from pinhaven.pins.service import get_visible
from pinhaven.topics import browse, service
from pinhaven.topics.models import PinTopicLock, Topic
from pinhaven.topics.schemas import (
    PinTopicList,
    PinTopicRead,
    PinTopicsUpdate,
    TopicList,
    TopicPinPage,
    TopicRead,
    TopicRef,
)

router = APIRouter(prefix="/ext/v1", tags=["topics"])

PinsWrite = Annotated[Viewer, Depends(v5_scopes("boards:read", "boards:write", "pins:read", "pins:write"))]


def topic_read(topic: Topic, topics: list[Topic]) -> TopicRead:
    by_slug = {t.slug: t for t in topics}
    parent = by_slug.get(topic.parent_slug) if topic.parent_slug else None
    return TopicRead(
        id=topic.slug,
        name=topic.name,
        description=topic.description,
        parent=TopicRef(id=parent.slug, name=parent.name) if parent else None,
        children=[TopicRef(id=t.slug, name=t.name) for t in topics if t.parent_slug == topic.slug],
        url=f"/topics/{topic.slug}",
    )


def _pin_topics(db: DbSession, pin_id: int) -> PinTopicList:
    views = service.topics_for_pins(db=db, pin_ids=[pin_id]).get(pin_id, [])
    return PinTopicList(
        items=[PinTopicRead.model_validate(v.as_json()) for v in views],
        corrected=db.get(PinTopicLock, pin_id) is not None,
    )


# Not at /ext/v1/topics: that path is the sign-up picker's (discovery/api.py, registered first), and a second
# route there was never reached while the OpenAPI document described it (found by tests/fuzz).
@router.get("/taxonomy", response_model=TopicList)
def list_taxonomy(db: DbSession) -> TopicList:
    """The topic taxonomy: every active top topic in its order, each followed by its subtopics, with names,
    descriptions, parent and children and the web page of each. Public: anyone may call it, signed in or
    not (unless an admin turned anonymous browsing off: then 401 for signed-out visitors). The sign-up
    topic picker is a different list, at `/ext/v1/topics`. No other errors than the generic ones (400,
    503).
    """
    topics = service.list_topics(db=db)
    return TopicList(items=[topic_read(t, topics) for t in topics])


@router.get("/topics/{slug}", response_model=TopicRead)
def get_topic(db: DbSession, slug: str) -> TopicRead:
    """One topic of the taxonomy by its id (slug): name, description, parent and subtopics. Public: anyone may
    call it, signed in or not (unless an admin turned anonymous browsing off). Errors: 404 for an unknown
    or retired topic; 401 when signed out while anonymous browsing is off.
    """
    return topic_read(service.get_by_slug(db=db, slug=slug), service.list_topics(db=db))


@router.get("/topics/{slug}/pins", response_model=TopicPinPage)
def topic_pins(
    db: DbSession, viewer: CurrentViewer, slug: str, page: Pagination, base_url: BaseUrl
) -> TopicPinPage:
    """A topic and its best pins (those most confidently about it first, then the most saved; a top topic
    includes its subtopics' pins), paginated with `page_size` (1-250, default 25) and the signed
    `bookmark`. Anyone may call it, signed in or not; only pins the caller may see are listed (pins on
    secret boards only for the board's owner and collaborators, never pins hidden by moderation). Errors:
    404 for an unknown or retired topic; 400 for a bad page size or bookmark; 401 for a bad token.
    """
    topic = service.get_by_slug(db=db, slug=slug)
    result = browse.pins_for_topic(db=db, viewer=viewer, slug=topic.slug, page=page)
    return TopicPinPage(
        topic=topic_read(topic, service.list_topics(db=db)),
        items=present_pins(db=db, viewer=viewer, pins=result.items, base_url=base_url),
        bookmark=result.bookmark,
    )


@router.get("/pins/{pin_id}/topics", response_model=PinTopicList)
def get_pin_topics(db: DbSession, viewer: CurrentViewer, pin_id: str) -> PinTopicList:
    """The topics of a pin the caller may see (up to 3, main first), each with its top topic, confidence and
    source (`auto` or `owner`), and whether the owner corrected them (`corrected`). Anyone may call it,
    signed in or not; a pin on a secret board answers 404 to anyone but the board's owner and collaborators
    (a token also needs `pins:read_secret`), as does a pin hidden by moderation. Errors: 404 for an unknown
    or invisible pin; 401 for a bad token.
    """
    pin = get_visible(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    return _pin_topics(db, pin.id)


@router.put("/pins/{pin_id}/topics", response_model=PinTopicList)
def set_pin_topics(db: DbSession, viewer: PinsWrite, pin_id: str, body: PinTopicsUpdate) -> PinTopicList:
    """Correct a pin's topics: exactly the given topic ids (at most 3, main first; `[]` for none), kept from
    then on instead of the automatic ones. The pin's creator or the board's owner may call it, with a
    bearer token holding `boards:read`, `boards:write`, `pins:read` and `pins:write` (and
    `pins:write_secret` for a pin on a secret board). Errors: 400 for more than 3 or unknown topics; 404
    for an unknown or invisible pin; 403 when the caller may not change the pin or lacks a scope; 401
    without a valid token.
    """
    service.set_pin_topics(db=db, viewer=viewer, pin_id=parse_id(pin_id), slugs=body.topics)
    return _pin_topics(db, int(pin_id))


@router.delete("/pins/{pin_id}/topics", response_model=PinTopicList)
def reset_pin_topics(db: DbSession, viewer: PinsWrite, pin_id: str) -> PinTopicList:
    """Undo the owner's correction of a pin's topics: automatic topics again, assigned by a background job
    (the answer may list no topics until it runs). The pin's creator or the board's owner may call it, with
    a bearer token holding `boards:read`, `boards:write`, `pins:read` and `pins:write` (and
    `pins:write_secret` for a pin on a secret board). Errors: 404 for an unknown or invisible pin; 403 when
    the caller may not change the pin or lacks a scope; 401 without a valid token.
    """
    service.reset_pin_topics(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    return _pin_topics(db, int(pin_id))
