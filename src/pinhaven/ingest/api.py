"""HTTP: /ext/v1 save from a web page (preview the page's images, then pin one)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from pinhaven.accounts.scopes import Viewer
from pinhaven.db.ids import parse_id
from pinhaven.deps import BaseUrl, Ctx, DbSession, Scopes
from pinhaven.ingest import service
from pinhaven.ingest.schemas import FromUrlRequest, PinFromUrlRead, PreviewRead, PreviewRequest, ProductRead
from pinhaven.ingest.url_rules import learned_rules, rules_for
from pinhaven.pins import products
from pinhaven.pins import service as pins_service
from pinhaven.pins.present import present_pin

ext_router = APIRouter(prefix="/ext/v1", tags=["ingest"])

PinsWrite = Annotated[Viewer, Depends(Scopes("pins:write"))]


@ext_router.post("/pins/from-url/preview", response_model=PreviewRead)
def preview_url(db: DbSession, ctx: Ctx, viewer: PinsWrite, body: PreviewRequest) -> PreviewRead:
    """What a page offers for a pin: title, description, canonical link, candidate images (best first)."""
    db.commit()  # nothing to write: end the transaction before waiting on a remote site
    page = service.preview(settings=ctx.settings, url=body.url, rules=rules_for(ctx))
    return PreviewRead.from_preview(page)


@ext_router.post("/pins/from-url", response_model=PinFromUrlRead, status_code=201)
def create_from_url(
    db: DbSession, ctx: Ctx, viewer: PinsWrite, body: FromUrlRequest, base_url: BaseUrl
) -> PinFromUrlRead:
    """Pin a web page (its best image, or the `image_url` picked) or a direct image URL to a board."""
    board_id, section_id = parse_id(body.board_id), parse_id(body.board_section_id)
    pins_service.check_can_pin(db=db, viewer=viewer, board_id=board_id)
    rules = learned_rules(db)
    reused = service.reuse_source(db=db, viewer=viewer, url=body.url, image_url=body.image_url, rules=rules)
    db.commit()  # end the read phase: no transaction stays open while remote sites answer
    source = reused or service.fetch_source(
        settings=ctx.settings, url=body.url, image_url=body.image_url, rules=rules
    )
    pin = service.create_from_source(
        db=db,
        ctx=ctx,
        viewer=viewer,
        source=source,
        board_id=board_id,
        section_id=section_id,
        title=body.title,
        description=body.description,
        alt_text=body.alt_text,
    )
    read = present_pin(db=db, viewer=viewer, pin=pin, base_url=base_url)
    product = ProductRead.from_row(products.get_for_pin(db=db, pin_id=pin.id))
    return PinFromUrlRead(**read.model_dump(), product=product)
