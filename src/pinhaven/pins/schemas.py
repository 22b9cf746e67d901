"""Request and response shapes of pins (Pinterest v5)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from pinhaven.boards.schemas import ID_PATTERN, Owner
from pinhaven.text_rules import Line, Paragraph


class ImageDetails(BaseModel):
    width: int
    height: int
    url: str


class PinProductRead(BaseModel):
    """A product pin's shopping facts (/ext/v1/pins/{id}; v5 pins have no such field): its own, or for a save
    those of the pin it was saved from when the viewer may see that pin. Catalog feeds keep them current."""

    price: str | None  # decimal text, e.g. "14.5"
    currency: str | None  # ISO 4217
    price_label: str | None  # "$14.50"
    availability: str | None  # IN_STOCK, OUT_OF_STOCK, PREORDER, ...
    availability_label: str | None  # "In stock"
    updated_at: str


class PinMedia(BaseModel):
    media_type: str = "image"
    images: dict[str, ImageDetails]


class PinRead(BaseModel):
    # Extra keys are kept: promoted pins (ads.inject) add is_promoted, promoted_by, ad_id, ad_click_token.
    model_config = ConfigDict(extra="allow")

    id: str
    created_at: str
    link: str | None
    title: str | None
    description: str | None
    dominant_color: str | None
    alt_text: str | None
    creative_type: str
    board_id: str
    board_section_id: str | None
    board_owner: Owner
    is_owner: bool
    media: PinMedia
    parent_pin_id: str | None
    is_standard: bool
    has_been_promoted: bool = False
    note: str | None
    pin_metrics: dict[str, Any] | None = None
    # Pinhaven additions (extra fields are allowed by v5 clients)
    source_domain: str | None = None
    save_count: int = 0
    creator: Owner | None = None
    image_status: str = "ready"  # processing | ready | failed (variants are made by a background job)
    image_failure_reason: str | None = None


class PinPage(BaseModel):
    items: list[PinRead]
    bookmark: str | None


# v5 PinMediaSource, documented as the one-of it is (validated by pins.service.media_source_bytes, which answers
# 400 for the source types v5 has and this server does not: pin_url, video_id, multiple_image_*).
MEDIA_SOURCE_SCHEMA: dict[str, Any] = {
    "oneOf": [
        {
            "title": "PinMediaSourceImageBase64",
            "type": "object",
            "required": ["source_type", "content_type", "data"],
            "properties": {
                "source_type": {"const": "image_base64", "type": "string"},
                "content_type": {"enum": ["image/jpeg", "image/png"], "type": "string"},
                "data": {"type": "string", "pattern": "^[a-zA-Z0-9+/=]+$"},
                "is_standard": {"type": "boolean", "default": True},
            },
        },
        {
            "title": "PinMediaSourceImageURL",
            "type": "object",
            "required": ["source_type", "url"],
            "properties": {
                "source_type": {"const": "image_url", "type": "string"},
                "url": {"type": "string", "format": "uri", "maxLength": 2048},
                "is_standard": {"type": "boolean", "default": True},
            },
        },
    ],
    "discriminator": {"propertyName": "source_type"},
}
MediaSource = Annotated[dict[str, Any], WithJsonSchema(MEDIA_SOURCE_SCHEMA)]


class PinCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    board_id: str = Field(pattern=ID_PATTERN, max_length=19)
    board_section_id: str | None = Field(default=None, pattern=ID_PATTERN, max_length=19)
    title: Line | None = Field(default=None, max_length=100)
    description: Paragraph | None = Field(default=None, max_length=800)
    link: Line | None = Field(default=None, max_length=2048)
    alt_text: Paragraph | None = Field(default=None, max_length=500)
    dominant_color: str | None = Field(default=None, max_length=7)
    parent_pin_id: str | None = Field(default=None, pattern=ID_PATTERN, max_length=19)
    note: Paragraph | None = Field(default=None, max_length=500)
    media_source: MediaSource


class PinUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Line | None = Field(default=None, max_length=100)
    description: Paragraph | None = Field(default=None, max_length=800)
    link: Line | None = Field(default=None, max_length=2048)
    alt_text: Paragraph | None = Field(default=None, max_length=500)
    board_id: str | None = Field(default=None, pattern=ID_PATTERN, max_length=19)
    board_section_id: str | None = Field(default=None, pattern=ID_PATTERN, max_length=19)
    note: Paragraph | None = Field(default=None, max_length=500)
    carousel_slots: list[dict[str, Any]] | None = None


class PinSave(BaseModel):
    model_config = ConfigDict(extra="ignore")

    board_id: str | None = Field(default=None, pattern=ID_PATTERN, max_length=19)
    board_section_id: str | None = Field(default=None, pattern=ID_PATTERN, max_length=19)
