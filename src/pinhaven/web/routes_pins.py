"""The pin page: close-up, save to a board (or a new one), edit and delete for the owner."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import AfterValidator
from sqlalchemy.orm import Session

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.follows import is_following_user
from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import Viewer
from pinhaven.boards import service as boards_service
from pinhaven.boards.access import PUBLIC
from pinhaven.db.ids import parse_id
from pinhaven.deps import DbSession
from pinhaven.errors import Forbidden, InvalidInput, NotFound, PinhavenError
from pinhaven.moderation.service import moderation_notice
from pinhaven.pins import products
from pinhaven.pins import service as pins_service
from pinhaven.pins.models import Pin
from pinhaven.pins.present import present_pin
from pinhaven.text_rules import check_paragraph
from pinhaven.web.forms import checked, optional_id
from pinhaven.web.present import board_choices, closeup_picture, person, pin_alt
from pinhaven.web.session import SignedIn, WebUser, WebViewer
from pinhaven.web.templating import render

router = APIRouter()

Field = Annotated[str, Form(max_length=4096), AfterValidator(check_paragraph)]


def _visible_or_none(db: Session, viewer: Viewer, pin_id: int | None) -> Pin | None:
    if pin_id is None:
        return None
    try:
        return pins_service.get_visible(db=db, viewer=viewer, pin_id=pin_id)
    except NotFound:
        return None


def _pin_context(db: Session, viewer: Viewer, me: User | None, pin: Pin) -> dict[str, Any]:
    """Everything the close-up shows: image, text, creator, board, parent pin, save choices."""
    read = present_pin(db=db, viewer=viewer, pin=pin, base_url="")
    creator = accounts_service.get_or_raise(db=db, user_id=pin.creator_id)
    board = boards_service.get_visible(db=db, viewer=viewer, board_id=pin.board_id)
    parent = _visible_or_none(db, viewer, pin.parent_pin_id)
    product = products.shown_for_pins(db=db, viewer=viewer, pins=[pin]).get(pin.id)
    return {
        "pin": read,
        "price": products.price_label(product),
        "availability": products.availability_label(product),
        "in_stock": product is not None
        and product.availability in (None, "IN_STOCK", "LIMITED_AVAILABILITY"),
        "picture": closeup_picture(read),
        "creator": person(db, creator),
        "creator_followers": max(creator.follower_count, 0),
        "following_creator": is_following_user(db=db, follower_id=viewer.user_id, followee_id=creator.id),
        "board": board,
        "board_secret": board.privacy != PUBLIC,
        "parent": present_pin(db=db, viewer=viewer, pin=parent, base_url="") if parent else None,
        "choices": board_choices(db=db, user_id=me.id) if me else [],
        "is_me": me is not None and me.id == creator.id,
        # Owners see their moderated pins, with why (moderation/).
        "moderation_notice": moderation_notice(db=db, object_type="pin", object_id=pin.id)
        if me is not None and me.id == pin.creator_id
        else None,
    }


@router.get("/pin/{pin_id}")
def pin_page(
    request: Request, db: DbSession, viewer: WebViewer, me: WebUser, pin_id: str, saved: str | None = None
) -> Response:
    pin = pins_service.get_visible(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    context = _pin_context(db, viewer, me, pin)
    saved_pin = _visible_or_none(db, viewer, parse_id(saved) if saved else None)
    if saved_pin is not None:
        context["saved_board"] = boards_service.get_visible(db=db, viewer=viewer, board_id=saved_pin.board_id)
    if context["pin"].is_owner:  # the owner may tell the duplicate finder it was wrong
        context["near_duplicates"] = _near_duplicates(request, db, viewer, pin)
        context["not_same_done"] = request.query_params.get("not_same") == "1"
        from pinhaven.topics.service import list_topics

        context["topic_choices"] = list_topics(db=db)  # the owner's topic correction form
    from pinhaven.topics.service import topics_for_pins

    context["pin_topics"] = [t.as_json() for t in topics_for_pins(db=db, pin_ids=[pin.id]).get(pin.id, [])]
    return render(request, "pin.html", context)


def _near_duplicates(request: Request, db: Session, viewer: Viewer, pin: Pin) -> list[Any]:
    """Visible pins grouped with this one as the same picture from another file (not the same image)."""
    from pinhaven.search.visual.service import find_duplicates, visual_service

    try:
        found = find_duplicates(db=db, service=visual_service(request.app.state.ctx), viewer=viewer, pin=pin)
    except PinhavenError:  # no visual model on this instance: nothing to review
        return []
    near = [s.pin for s in found if s.kind == "near"]
    return [present_pin(db=db, viewer=viewer, pin=p, base_url="") for p in near]


@router.get("/pin/{pin_id}/save")
def save_page(request: Request, db: DbSession, viewer: WebViewer, me: SignedIn, pin_id: str) -> Response:
    """The save form on its own page (without JavaScript the dialog's button leads here)."""
    pin = pins_service.get_visible(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    return render(request, "pin_save.html", _pin_context(db, viewer, me, pin))


@router.post("/pin/{pin_id}/save")
def save_pin(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    me: SignedIn,
    pin_id: str,
    board_id: Field = "",
    section_id: Field = "",
    new_board_name: Field = "",
    new_board_secret: Field = "",
) -> Response:
    """Save to a chosen board and section, or to a board created on the spot."""
    pin = pins_service.get_visible(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    try:
        section = None
        if new_board_name.strip():
            privacy = "SECRET" if checked(new_board_secret) else PUBLIC
            target: int | None = boards_service.create(
                db=db, owner_id=me.id, name=new_board_name, privacy=privacy
            ).id
        else:
            target = optional_id(board_id, field="board_id")
            section = optional_id(section_id, field="section_id")
        if target is None:
            raise InvalidInput("choose a board, or name a new one", field="board")
        new_pin = pins_service.save(db=db, viewer=viewer, pin_id=pin.id, board_id=target, section_id=section)
    except PinhavenError as exc:
        db.rollback()
        context = {
            **_pin_context(db, viewer, me, pin),
            "error": exc.message,
            "new_board_name": new_board_name,
        }
        return render(request, "pin_save.html", context, status=exc.status)
    return RedirectResponse(f"/pin/{pin.id}?saved={new_pin.id}", status_code=303)


@router.post("/pin/{pin_id}/duplicates/{other_id}/not_same")
def not_same_picture(
    request: Request, db: DbSession, viewer: WebViewer, me: SignedIn, pin_id: str, other_id: str
) -> Response:
    """The owner says a pin shown as a duplicate is a different picture: the pair never groups again."""
    from pinhaven.search.visual.not_same import mark_not_same
    from pinhaven.search.visual.service import visual_service

    mark_not_same(
        db=db,
        service=visual_service(request.app.state.ctx),
        viewer=viewer,
        pin_id=parse_id(pin_id),
        other_pin_id=parse_id(other_id),
    )
    return RedirectResponse(f"/pin/{parse_id(pin_id)}?not_same=1", status_code=303)


@router.get("/pin/{pin_id}/edit")
def edit_page(request: Request, db: DbSession, viewer: WebViewer, me: SignedIn, pin_id: str) -> Response:
    pin = pins_service.get_visible(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    context = _pin_context(db, viewer, me, pin)
    if not context["pin"].is_owner:
        raise Forbidden("You can only edit your own pins.")
    return render(request, "pin_edit.html", context)


@router.post("/pin/{pin_id}/edit")
def edit_pin(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    me: SignedIn,
    pin_id: str,
    title: Field = "",
    description: Field = "",
    link: Field = "",
    alt_text: Field = "",
    board_id: Field = "",
    section_id: Field = "",
) -> Response:
    texts = {"title": title, "description": description, "link": link, "alt_text": alt_text}
    changes: dict[str, Any] = {name: (value.strip() or None) for name, value in texts.items()}
    pin = pins_service.get_visible(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    try:
        new_board = optional_id(board_id, field="board_id")
        if new_board is not None:
            changes["board_id"] = new_board
        changes["board_section_id"] = optional_id(section_id, field="section_id")
        pins_service.update(db=db, viewer=viewer, pin_id=pin.id, changes=changes)
    except PinhavenError as exc:
        db.rollback()
        context = {**_pin_context(db, viewer, me, pin), "error": exc.message, "form": texts}
        return render(request, "pin_edit.html", context, status=exc.status)
    return RedirectResponse(f"/pin/{pin.id}", status_code=303)


@router.get("/pin/{pin_id}/delete")
def delete_page(request: Request, db: DbSession, viewer: WebViewer, me: SignedIn, pin_id: str) -> Response:
    pin = pins_service.get_visible(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    read = present_pin(db=db, viewer=viewer, pin=pin, base_url="")
    if not read.is_owner:
        raise Forbidden("You can only delete your own pins.")
    return render(
        request, "pin_delete.html", {"pin": read, "picture": closeup_picture(read), "alt": pin_alt(read)}
    )


@router.post("/pin/{pin_id}/delete")
def delete_pin(db: DbSession, viewer: WebViewer, me: SignedIn, pin_id: str) -> Response:
    pin = pins_service.get_visible(db=db, viewer=viewer, pin_id=parse_id(pin_id))
    board_id = pin.board_id
    pins_service.delete_pin(db=db, viewer=viewer, pin_id=pin.id)
    return RedirectResponse(f"/board/{board_id}", status_code=303)
