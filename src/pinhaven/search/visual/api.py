"""HTTP: /ext/v1 visual search (by upload or by a crop of a pin), duplicates of a pin, board clusters."""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from PIL import Image
from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards.access import access_pin
from pinhaven.context import AppContext
from pinhaven.db.ids import parse_id
from pinhaven.deps import BaseUrl, Ctx, CurrentViewer, DbSession, Scopes
from pinhaven.errors import InvalidInput, InvalidUpload, NotFound
from pinhaven.jsonbody import parse_json, validated
from pinhaven.media.models import MediaImage
from pinhaven.media.processing import normalise_upload
from pinhaven.media.service import media_store
from pinhaven.pins.present import present_pins
from pinhaven.pins.schemas import PinRead
from pinhaven.search.visual import clusters as clusters_service
from pinhaven.search.visual import text_to_image
from pinhaven.search.visual.not_same import mark_not_same
from pinhaven.search.visual.service import (
    Scored,
    find_duplicates,
    load_image,
    ranking_weights,
    search_similar,
    visual_service,
)
from pinhaven.search.visual.visible_groups import visible_group_id

router = APIRouter(prefix="/ext/v1", tags=["visual search"])

MAX_RESULTS = 100
_MIN_CROP_PIXELS = 16  # a smaller region carries too little to describe


class VisualQueryBody(BaseModel):
    """The JSON forms of a visual query; values are range-checked where they are used."""

    model_config = ConfigDict(extra="allow")

    pin_id: StrictStr | StrictInt | None = None
    crop: dict[str, Any] | None = None
    text: StrictStr | None = None
    limit: StrictInt | None = None


class VisualPin(PinRead):
    score: float


class VisualPinPage(BaseModel):
    items: list[VisualPin]
    bookmark: str | None = None


class DuplicatePin(PinRead):
    score: float
    duplicate: str  # "exact" (the same stored image) or "near" (a re-encoded, resized, cropped copy)


class DuplicatePinPage(BaseModel):
    items: list[DuplicatePin]
    bookmark: str | None = None
    group_id: str  # the canonical duplicate group of the pin's image (its oldest image's id)


def _decode_upload(ctx: AppContext, data: bytes) -> Image.Image:
    """Validate the upload exactly as pin uploads are (limits, formats), then decode the normalised bytes."""
    normalised = normalise_upload(
        data, max_bytes=ctx.settings.max_upload_bytes, max_pixels=ctx.settings.max_pixels
    )
    return Image.open(io.BytesIO(normalised.data))


def _crop_box(raw: Any) -> tuple[float, float, float, float] | None:
    """Validated normalised (x, y, w, h), or None when no crop was sent."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise InvalidInput("must be an object {x, y, w, h} of numbers between 0 and 1", field="crop")
    values = []
    for key in ("x", "y", "w", "h"):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput("must be a number between 0 and 1", field=f"crop.{key}")
        if not 0.0 <= float(value) <= 1.0:
            raise InvalidInput(f"must be between 0 and 1, got {value}", field=f"crop.{key}")
        values.append(float(value))
    x, y, w, h = values
    if w <= 0 or h <= 0:
        raise InvalidInput("must be greater than 0", field="crop.w" if w <= 0 else "crop.h")
    if x + w > 1.0 + 1e-6:
        raise InvalidInput("x + w must not exceed 1", field="crop.w")
    if y + h > 1.0 + 1e-6:
        raise InvalidInput("y + h must not exceed 1", field="crop.h")
    return x, y, w, h


def _pin_query(ctx: AppContext, db: Session, viewer: Viewer, body: dict[str, Any]) -> tuple[Image.Image, int]:
    """The (cropped) image of the pin a JSON query names, and that image's id."""
    pin_id = parse_id(body.get("pin_id"))
    if pin_id is None:
        raise InvalidInput("must be a pin id (digits)", field="pin_id")
    box = _crop_box(body.get("crop"))
    pin = access_pin(db=db, viewer=viewer, pin_id=pin_id)
    image = db.get(MediaImage, pin.image_id)
    img = load_image(media_store(ctx), image, for_crop=box is not None) if image is not None else None
    if img is None:
        raise NotFound("This pin's image is not available.")
    img = img.convert("RGB")
    if box is not None:
        x, y, w, h = box
        left, top = round(x * img.width), round(y * img.height)
        right, bottom = round((x + w) * img.width), round((y + h) * img.height)
        if min(right - left, bottom - top) < _MIN_CROP_PIXELS:
            raise InvalidInput(f"the region is under {_MIN_CROP_PIXELS} px on a side", field="crop")
        img = img.crop((left, top, right, bottom))
    return img, pin.image_id


def _items(db: Session, viewer: Viewer, base_url: str, found: list[Scored]) -> list[VisualPin]:
    reads = present_pins(db=db, viewer=viewer, pins=[s.pin for s in found], base_url=base_url)
    return [
        VisualPin.model_construct(**dict(r), score=round(s.score, 4))
        for r, s in zip(reads, found, strict=True)
    ]


@router.post("/search/visual", response_model=VisualPinPage)
async def search_visual(
    request: Request,
    ctx: Ctx,
    db: DbSession,
    viewer: CurrentViewer,
    base_url: BaseUrl,
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS, description="How many pins to return.")] = 25,
) -> VisualPinPage:
    """Visual search: pins the caller may see that look like an uploaded image (multipart file field `image`,
    checked as pin uploads are), like a pin or a region of it (JSON `{pin_id, crop: {x, y, w, h}}`,
    coordinates from 0 to 1; the pin itself and its saves are left out), or, when the CLIP embedder is
    installed, like a text (JSON `{text, limit?}`, up to 300 characters). Best first with a `score`, up to
    `limit` (1-100, default 25), one page. Anyone may call it, signed in or not; pins on secret boards are
    found only by the board's owner and collaborators (a token also needs `pins:read_secret`), never pins
    hidden by moderation. Errors: 400 for another content type, a missing or undecodable image, a bad crop
    or a region under 16 px, a bad pin id, or a text query where the embedder has no text tower; 404 for a
    pin the caller may not see or whose image is gone; 413 for an image over the upload size or pixel
    limit; 401 for a bad token.
    """
    content_type = request.headers.get("content-type", "")
    upload: bytes | None = None
    body: dict[str, Any] | None = None
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=4)
        file = form.get("image")
        if not isinstance(file, UploadFile):
            raise InvalidUpload("Send the image as the multipart file field `image`.")
        upload = await file.read()
    elif content_type.startswith("application/json"):
        parsed = parse_json(await request.body())
        if not isinstance(parsed, dict):
            raise InvalidInput("the body must be a JSON object {pin_id, crop} or {text}")
        validated(VisualQueryBody, parsed)  # types first: a list where an id belongs is a 400, not a crash
        body = parsed
    else:
        raise InvalidInput("send multipart/form-data with an `image` file, or JSON {pin_id, crop} or {text}")

    def run() -> VisualPinPage:
        if body is not None and "text" in body:  # text → image: needs an embedder with a text tower
            found = text_to_image.search_text_body(
                ctx, db, viewer, body, default_limit=limit, max_limit=MAX_RESULTS
            )
            return VisualPinPage(items=_items(db, viewer, base_url, found), bookmark=None)
        exclude: list[int] = []
        if upload is not None:
            img = _decode_upload(ctx, upload)
        else:
            assert body is not None
            img, image_id = _pin_query(ctx, db, viewer, body)
            exclude = [image_id]  # the pin itself and its saves are not "similar pins"
        found = search_similar(
            db=db,
            service=visual_service(ctx),
            viewer=viewer,
            image=img,
            limit=limit,
            weights=ranking_weights(ctx.settings),
            exclude_image_ids=exclude,
        )
        return VisualPinPage(items=_items(db, viewer, base_url, found), bookmark=None)

    return await run_in_threadpool(run)


@router.get("/pins/{pin_id}/duplicates", response_model=DuplicatePinPage)
def pin_duplicates(
    pin_id: str, ctx: Ctx, db: DbSession, viewer: CurrentViewer, base_url: BaseUrl
) -> DuplicatePinPage:
    """Pins the caller may see that show the same stored image as this pin (`exact`) or a near-duplicate of it
    (`near`: re-encoded, resized or cropped copies), with a `score`, in one page, plus the `group_id` of
    the pin's duplicate group. Anyone may call it, signed in or not; a pin on a secret board answers 404 to
    anyone but the board's owner and collaborators (a token also needs `pins:read_secret`), and duplicates
    the caller may not see are never listed. Errors: 404 for an unknown or invisible pin; 401 for a bad
    token.
    """
    pin = access_pin(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    found = find_duplicates(db=db, service=visual_service(ctx), viewer=viewer, pin=pin)
    reads = present_pins(db=db, viewer=viewer, pins=[s.pin for s in found], base_url=base_url)
    items = [
        DuplicatePin.model_construct(**dict(r), score=round(s.score, 4), duplicate=s.kind)
        for r, s in zip(reads, found, strict=True)
    ]
    group = visible_group_id(db, viewer, pin.image_id)  # never an id derived from a picture hidden from them
    return DuplicatePinPage(items=items, bookmark=None, group_id=str(group))


class NotSameResult(BaseModel):
    pin_id: str
    other_id: str
    group_id: str  # the pin's duplicate group after the split
    other_group_id: str
    separated: bool


@router.post("/pins/{pin_id}/duplicates/{other_id}/not_same", response_model=NotSameResult)
def pin_not_same(
    pin_id: str,
    other_id: str,
    ctx: Ctx,
    db: DbSession,
    viewer: Annotated[Viewer, Depends(Scopes("pins:write"))],
) -> NotSameResult:
    """The owner of pin `pin_id` says pin `other_id` (any pin they may see) is not the same picture: the two
    images never group as duplicates again and their current group is split at once. The pin's creator or
    its board's owner may call it, with `pins:write` (token, or session cookie with its CSRF token; a token
    also needs `pins:write_secret` for a pin on a secret board). Answers both pins' groups after the split.
    Errors: 404 for either pin when the caller may not see it; 403 when the caller may not edit `pin_id`,
    or for a missing scope or CSRF token; 400 when both pins show the very same stored image; 401 when
    signed out.
    """
    service = visual_service(ctx)
    separated = mark_not_same(
        db=db, service=service, viewer=viewer, pin_id=parse_id(pin_id), other_pin_id=parse_id(other_id)
    )
    pin = access_pin(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    other = access_pin(db=db, viewer=viewer, pin_id=parse_id(other_id))
    return NotSameResult(
        pin_id=str(pin.id),
        other_id=str(other.id),
        group_id=str(visible_group_id(db, viewer, pin.image_id)),
        other_group_id=str(visible_group_id(db, viewer, other.image_id)),
        separated=separated,
    )


@router.get("/boards/{board_id}/clusters", response_model=clusters_service.ClusterList)
def board_clusters(
    board_id: str, ctx: Ctx, db: DbSession, viewer: CurrentViewer, base_url: BaseUrl
) -> clusters_service.ClusterList:
    """Groups of visually similar pins on a board the caller may see, each with a representative pin and a
    suggested name, in one page. Anyone may call it, signed in or not; a secret board answers 404 to anyone
    but its owner and collaborators (a token also needs `boards:read_secret`), and only pins the caller may
    see are clustered. Errors: 404 for an unknown or invisible board; 401 for a bad token.
    """
    return clusters_service.board_clusters(
        db=db, service=visual_service(ctx), viewer=viewer, board_id=parse_id(board_id), base_url=base_url
    )
