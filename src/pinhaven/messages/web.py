"""Pages: conversations (/messages), one conversation (/messages/{id}), sending a pin, blocking someone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from pinhaven.db.engine import session_scope
from pinhaven.db.ids import parse_id
from pinhaven.deps import Ctx, DbSession
from pinhaven.errors import PinhavenError
from pinhaven.messages import blocks, service
from pinhaven.messages.present import present_conversation, present_messages
from pinhaven.pagination import PageParams
from pinhaven.web.csrf import require_csrf
from pinhaven.web.forms import optional_id
from pinhaven.web.session import SignedIn, WebViewer
from pinhaven.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(require_csrf)])

Text = Annotated[str, Form(max_length=8192)]
Field = Annotated[str, Form(max_length=512)]


def _list_context(db: DbSession, viewer: WebViewer, me: SignedIn) -> dict[str, object]:
    result = service.conversations(db=db, viewer=viewer, page=PageParams(page_size=50))
    return {
        "conversations": [
            present_conversation(db=db, viewer=viewer, view=v, base_url="") for v in result.items
        ],
        "unread": service.unread_total(db=db, viewer=viewer),
        "messages_from": service.policy_of(db, me.id),
    }


@router.get("/messages")
def conversations_page(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    me: SignedIn,
    pin: Annotated[str | None, Query(max_length=19)] = None,
    to: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    context = _list_context(db, viewer, me)
    shared = service.visible_pin(db, viewer, optional_id(pin, field="pin"))
    context.update({"share_pin": str(shared.id) if shared else None, "to": to or ""})
    return render(request, "social/messages.html", context)


@router.post("/messages")
def start_conversation(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    me: SignedIn,
    usernames: Field = "",
    text: Text = "",
    pin_id: Field = "",
) -> Response:
    """Start (or continue) the conversation with these people: names separated by commas or spaces."""
    try:
        conversation = service.start(db=db, viewer=viewer, usernames=usernames.replace(",", " ").split())
        service.send(
            db=db,
            viewer=viewer,
            conversation_id=conversation.id,
            text=text,
            pin_id=optional_id(pin_id, field="pin_id"),
        )
    except PinhavenError as exc:
        db.rollback()
        context = _list_context(db, viewer, me)
        context.update({"error": exc.message, "to": usernames, "share_pin": pin_id or None, "text": text})
        return render(request, "social/messages.html", context, status=exc.status)
    return RedirectResponse(f"/messages/{conversation.id}", status_code=303)


@router.post("/messages/settings")
def message_settings(db: DbSession, me: SignedIn, messages_from: Field = "connected") -> Response:
    service.set_policy(db, me.id, messages_from)
    return RedirectResponse("/messages", status_code=303)


@router.get("/messages/{conversation_id}")
async def conversation_page(
    request: Request, ctx: Ctx, db: DbSession, viewer: WebViewer, me: SignedIn, conversation_id: str
) -> Response:
    cid = parse_id(conversation_id)

    def read() -> dict[str, object]:
        view = service.get_view(db=db, viewer=viewer, conversation_id=cid)
        page = service.messages(db=db, viewer=viewer, conversation_id=cid, page=PageParams(page_size=100))
        return {
            "conversation": present_conversation(db=db, viewer=viewer, view=view, base_url=""),
            "messages": list(reversed(present_messages(db=db, viewer=viewer, items=page.items, base_url=""))),
            "me_id": str(me.id),
        }

    context = await run_in_threadpool(read)

    def mark() -> None:  # (this GET reads in a read-only transaction; reading a conversation is a write)
        with session_scope(ctx.sessions) as writer:
            service.mark_read(db=writer, viewer=viewer, conversation_id=cid)

    await run_in_threadpool(mark)
    return render(request, "social/conversation.html", context)


@router.post("/messages/{conversation_id}")
def send_message(
    request: Request,
    db: DbSession,
    viewer: WebViewer,
    me: SignedIn,
    conversation_id: str,
    text: Text = "",
    pin_id: Field = "",
) -> Response:
    cid = parse_id(conversation_id)
    service.send(
        db=db, viewer=viewer, conversation_id=cid, text=text, pin_id=optional_id(pin_id, field="pin_id")
    )
    return RedirectResponse(f"/messages/{cid}", status_code=303)


@router.post("/u/{username}/block")
def block(db: DbSession, viewer: WebViewer, me: SignedIn, username: str) -> Response:
    blocks.block(db=db, viewer=viewer, username=username)
    return RedirectResponse("/messages", status_code=303)


@router.post("/u/{username}/unblock")
def unblock(db: DbSession, viewer: WebViewer, me: SignedIn, username: str) -> Response:
    blocks.unblock(db=db, viewer=viewer, username=username)
    return RedirectResponse("/messages", status_code=303)
