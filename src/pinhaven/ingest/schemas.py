"""Request and response shapes of /ext/v1 save-from-URL."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from pinhaven.boards.schemas import ID_PATTERN
from pinhaven.ingest.jsonld import Offer
from pinhaven.ingest.service import PagePreview
from pinhaven.pins.products import PinProduct
from pinhaven.pins.schemas import PinRead
from pinhaven.text_rules import Line, Paragraph

URL_CHARS = 8192


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: Line = Field(min_length=1, max_length=URL_CHARS)


class FromUrlRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    url: Line = Field(min_length=1, max_length=URL_CHARS)
    board_id: str = Field(pattern=ID_PATTERN, max_length=19)
    board_section_id: str | None = Field(default=None, pattern=ID_PATTERN, max_length=19)
    image_url: Line | None = Field(default=None, max_length=URL_CHARS)
    title: Line | None = Field(default=None, max_length=100)
    description: Paragraph | None = Field(default=None, max_length=800)
    alt_text: Paragraph | None = Field(default=None, max_length=500)


class CandidateRead(BaseModel):
    url: str
    width: int | None
    height: int | None


class ProductRead(BaseModel):
    """Price as decimal text (exact), ISO 4217 currency, availability like IN_STOCK / OUT_OF_STOCK."""

    price: str | None
    currency: str | None
    availability: str | None

    @classmethod
    def from_offer(cls, offer: Offer | None) -> ProductRead | None:
        if offer is None:
            return None
        price = format(offer.price, "f") if offer.price is not None else None
        return cls(price=price, currency=offer.currency, availability=offer.availability)

    @classmethod
    def from_row(cls, row: PinProduct | None) -> ProductRead | None:
        if row is None:
            return None
        return cls(price=row.price, currency=row.currency, availability=row.availability)


class PreviewRead(BaseModel):
    url: str
    is_image: bool
    title: str | None
    description: str | None
    canonical_url: str | None
    site_name: str | None
    images: list[CandidateRead]
    product: ProductRead | None

    @classmethod
    def from_preview(cls, page: PagePreview) -> PreviewRead:
        return cls(
            url=page.url,
            is_image=page.is_image,
            title=page.title,
            description=page.description,
            canonical_url=page.canonical_url,
            site_name=page.site_name,
            images=[CandidateRead(url=i.url, width=i.width, height=i.height) for i in page.images],
            product=ProductRead.from_offer(page.product),
        )


class PinFromUrlRead(PinRead):
    """The new pin (v5 shape) with the product facts its page declared, if any."""

    product: ProductRead | None = None
