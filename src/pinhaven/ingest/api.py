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
    """What a web page offers for a pin, before saving it: its title, description, canonical link and
    candidate images (best first), or the image itself when the URL is one. The server fetches the URL with
    its SSRF guard (never loopback, private, link-local or metadata addresses, whatever the spelling or
    redirects) and size and time limits. Needs a signed-in caller with `pins:write` (token, or session
    cookie with its CSRF token). Errors: 400 for a bad URL, a refused address, a fetch that fails, times
    out or answers an error, or content too large; 403 for a missing scope or CSRF token; 401 when signed
    out.
    """
    db.commit()  # nothing to write: end the transaction before waiting on a remote site
    page = service.preview(settings=ctx.settings, url=body.url, rules=rules_for(ctx))
    return PreviewRead.from_preview(page)


@ext_router.post("/pins/from-url", response_model=PinFromUrlRead, status_code=201)
def create_from_url(
    db: DbSession, ctx: Ctx, viewer: PinsWrite, body: FromUrlRequest, base_url: BaseUrl
) -> PinFromUrlRead:
    """Pin a web page to a board the caller owns or collaborates on (optionally in a section): its best image,
    or the `image_url` picked from the preview, or a direct image URL; the pin links back to the page,
    takes its title and description unless the caller gives their own, and records a product price and
    availability the page declares. An earlier fetch of the same link may be reused instead of fetching
    again. Fetches go through the SSRF guard. Needs `pins:write` (token, or session cookie with its CSRF
    token; a token also needs `pins:write_secret` for a secret board). Answers 201 with the pin and its
    product fields. Errors: 400 for a bad URL or fields, a refused address, a failed fetch, a page without
    usable images, or an image that cannot be decoded; 404 for an unknown or invisible board or section;
    403 for a board the caller may not pin to or a missing scope; 413 for an image over the size or pixel
    limit or the storage quota; 429 over the daily upload quota; 401 when signed out.
    """
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
