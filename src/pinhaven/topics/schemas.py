"""Request and response shapes of topics (/ext/v1)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pinhaven.comments.schemas import PinWithSocial
from pinhaven.pins.schemas import PinProductRead, PinRead


class TopicRef(BaseModel):
    id: str
    name: str


class PinTopicRead(BaseModel):
    id: str  # the topic's slug
    name: str
    top_topic: TopicRef
    confidence: float
    source: str  # auto | owner


class PinTopicList(BaseModel):
    items: list[PinTopicRead]
    corrected: bool  # the owner set these topics (automatic assignment leaves them alone)


class PinTopicsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topics: list[str] = Field(max_length=3, description="Topic ids (slugs), main topic first; [] for none.")


class TopicRead(BaseModel):
    id: str
    name: str
    description: str
    parent: TopicRef | None = None
    children: list[TopicRef] = []
    url: str


class TopicList(BaseModel):
    items: list[TopicRead]


class TopicPinPage(BaseModel):
    topic: TopicRead
    items: list[PinRead]
    bookmark: str | None


class PinDetail(PinWithSocial):
    """/ext/v1/pins/{id}: the v5 Pin, its comments and reactions (comments/), and what Pinhaven understood of it.
    v5 pins (in lists and alone) keep one shape without these."""

    topics: list[PinTopicRead] = []  # up to 3, main first
    image_text: str | None = None  # the words OCR read in the picture
    product: PinProductRead | None = None  # price and availability (pins/products.py, catalogs/)
