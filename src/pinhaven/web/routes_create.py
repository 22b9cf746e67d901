"""Creating pins: the pin builder page (drag-and-drop, up to 10 files) and its JSON endpoints.

With JavaScript the builder posts each file to `POST /web/api/pins` (CSRF header, per-file progress);
without it the form posts every file at once to `POST /pin-builder`. Both run the same steps as /v5:
check the board, ingest the image through the media pipeline, create the pin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.boards import service as boards_service
from pinhaven.boards.access import PUBLIC
from pinhaven.context import AppContext
from pinhaven.deps import Ctx, DbSession
from pinhaven.errors import InvalidInput, PinhavenError
from pinhaven.media import service as media_service
from pinhaven.pins import service as pins_service
from pinhaven.pins.models import Pin
from pinhaven.text_rules import check_paragraph
from pinhaven.web.forms import checked, has_file, optional_id, read_upload
from pinhaven.web.present import board_choices
from pinhaven.web.session import SignedIn, WebViewer
from pinhaven.web.templating import render

router = APIRouter()

MAX_FILES = 10
Field = Annotated[str, Form(max_length=4096), AfterValidator(check_paragraph)]


@dataclass(frozen=True)
class Outcome:
    """What happened to one file of a bulk upload."""

    filename: str
    pin_id: str | None = None
    error: str | None = None


def _fields(title: str, description: str, link: str, alt_text: str) -> pins_service.PinFields:
    return pins_service.PinFields(
        title=title.strip() or None,
        description=description.strip() or None,
        link=link.strip() or None,
        alt_text=alt_text.strip() or None,
    )


def _pin_from_upload(
    db: Session,
    ctx: AppContext,
    viewer: Viewer,
    upload: UploadFile,
    board_id: int | None,
    section_id: int | None,
    fields: pins_service.PinFields,
) -> Pin:
    pins_service.check_can_pin(db=db, viewer=viewer, board_id=board_id)  # before the costly image work
    data = read_upload(upload, max_bytes=ctx.settings.max_upload_bytes)
    image = media_service.ingest_bytes(
        db=db, store=media_service.media_store(ctx), settings=ctx.settings, data=data, owner_id=viewer.user_id
    )
    return pins_service.create(
        db=db, viewer=viewer, board_id=board_id, image=image, fields=fields, section_id=section_id
    )


def _builder(request: Request, db: Session, me_id: int, *, status: int = 200, **extra: object) -> Response:
    context = {"choices": board_choices(db=db, user_id=me_id), "max_files": MAX_FILES, **extra}
    context.setdefault("max_bytes", request.app.state.ctx.settings.max_upload_bytes)
    return render(request, "pin_builder.html", context, status=status)


@router.get("/pin-builder")
def builder_page(request: Request, db: DbSession, me: SignedIn, board: str | None = None) -> Response:
    return _builder(request, db, me.id, form={"board_id": board or ""})


@router.post("/pin-builder")
def builder_submit(
    request: Request,
    db: DbSession,
    ctx: Ctx,
    viewer: WebViewer,
    me: SignedIn,
    files: Annotated[list[UploadFile] | None, File()] = None,
    board_id: Field = "",
    section_id: Field = "",
    title: Field = "",
    description: Field = "",
    link: Field = "",
    alt_text: Field = "",
) -> Response:
    """Every chosen file becomes a pin; a rejected file is reported by name and the others still save."""
    uploads = [f for f in files or [] if has_file(f)]
    form = {
        "board_id": board_id,
        "section_id": section_id,
        "title": title,
        "description": description,
        "link": link,
        "alt_text": alt_text,
    }
    try:
        if not uploads:
            raise InvalidInput("choose at least one image", field="files")
        if len(uploads) > MAX_FILES:
            raise InvalidInput(f"at most {MAX_FILES} images at once", field="files")
        board = optional_id(board_id, field="board_id")
        section = optional_id(section_id, field="section_id")
        pins_service.check_can_pin(db=db, viewer=viewer, board_id=board)
    except PinhavenError as exc:
        return _builder(request, db, me.id, status=exc.status, form=form, error=exc.message)
    fields = _fields(title, description, link, alt_text)
    outcomes = []
    for upload in uploads:
        name = upload.filename or "file"
        try:
            with db.begin_nested():  # one bad file rolls back only itself
                pin = _pin_from_upload(db, ctx, viewer, upload, board, section, fields)
            outcomes.append(Outcome(name, pin_id=str(pin.id)))
        except PinhavenError as exc:
            outcomes.append(Outcome(name, error=exc.message))
    status = 201 if all(o.pin_id for o in outcomes) else 200 if any(o.pin_id for o in outcomes) else 400
    return _builder(
        request, db, me.id, status=status, form=form, outcomes=outcomes, board_url=f"/board/{board}"
    )


@router.post("/web/api/pins", status_code=201)
def upload_pin(
    db: DbSession,
    ctx: Ctx,
    viewer: WebViewer,
    me: SignedIn,
    file: Annotated[UploadFile, File()],
    board_id: Field = "",
    section_id: Field = "",
    title: Field = "",
    description: Field = "",
    link: Field = "",
    alt_text: Field = "",
) -> JSONResponse:
    """One file of the builder's bulk upload → a pin; errors come back as `{code, message}`."""
    board = optional_id(board_id, field="board_id")
    section = optional_id(section_id, field="section_id")
    pin = _pin_from_upload(db, ctx, viewer, file, board, section, _fields(title, description, link, alt_text))
    return JSONResponse(
        {"id": str(pin.id), "url": f"/pin/{pin.id}", "board_url": f"/board/{pin.board_id}"}, 201
    )


@router.post("/web/api/boards", status_code=201)
def create_board_inline(
    db: DbSession, me: SignedIn, name: Field = "", secret: Field = "", description: Field = ""
) -> JSONResponse:
    """A board created from the builder's or the save dialog's "Create board" field."""
    privacy = "SECRET" if checked(secret) else PUBLIC
    board = boards_service.create(
        db=db, owner_id=me.id, name=name, description=description or None, privacy=privacy
    )
    body = {
        "id": str(board.id),
        "name": board.name,
        "secret": board.privacy != PUBLIC,
        "url": f"/board/{board.id}",
    }
    return JSONResponse(body, 201)
