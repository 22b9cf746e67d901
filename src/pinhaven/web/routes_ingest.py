"""Pages that bring the web in: "Save from website", the bookmarklet and its popup, import and export.

    GET  /pin-builder/website?url=   paste a URL, see the page's images as a grid, pick one and a board
    POST /pin-builder/website        save it (→ the new pin's page)
    GET  /settings/bookmarklet       the "Save to Pinhaven" bookmarklet (a javascript: link to drag)
    GET  /ext/v1/save?url=&media=    the bookmarklet's popup: pick a board, save (POST, CSRF form field)
    GET|POST /settings/import        upload a zip/CSV/JSONL or name a Pinry instance; imports run as jobs
    GET|POST /settings/export        queue the whole account as a zip (the `ingest.export` job), list exports
    GET /settings/export/{id}/download   the finished zip (its owner only)

Uploads, reports and zips live in the media store under private keys (ingest.run_files); the downloads are
copied from there into a scratch folder, sent, and deleted: never a public URL.

Pages that show a site's own images extend `img-src` to http(s) (images only; scripts stay 'self'), and the
images carry referrerpolicy="no-referrer". The popup's behaviour lives in /static/ingest.js (no inline code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from pydantic import AfterValidator
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask

from pinhaven.accounts.scopes import Viewer
from pinhaven.context import AppContext
from pinhaven.db.ids import parse_id
from pinhaven.deps import Ctx, DbSession
from pinhaven.errors import PinhavenError
from pinhaven.ingest import exports, runs, service
from pinhaven.ingest.run_files import LocalCopy
from pinhaven.ingest.url_rules import learned_rules, rules_for
from pinhaven.media.service import media_store
from pinhaven.pins import service as pins_service
from pinhaven.pins.models import Pin
from pinhaven.text_rules import check_paragraph
from pinhaven.web.forms import has_file, optional_id
from pinhaven.web.present import board_choices
from pinhaven.web.session import SignedIn, WebUser, WebViewer
from pinhaven.web.templating import render

router = APIRouter()

Field = Annotated[str, Form(max_length=8192), AfterValidator(check_paragraph)]
UrlQuery = Annotated[str, Query(max_length=8192)]
_REMOTE_IMAGES = ("img-src 'self' data: blob:", "img-src 'self' data: blob: https: http:")


@dataclass(frozen=True)
class Candidate:
    url: str
    width: int | None = None
    height: int | None = None


def _remote_images(response: Response) -> Response:
    """Let this page show the images of the site being saved from (the CSP keeps everything else 'self')."""
    csp = response.headers.get("Content-Security-Policy")
    if csp:
        response.headers["Content-Security-Policy"] = csp.replace(*_REMOTE_IMAGES, 1)
    return response


def _form(**values: str | None) -> dict[str, str]:
    return {k: v or "" for k, v in values.items()}


def _picker(
    request: Request,
    db: Session,
    me_id: int,
    template: str,
    *,
    page: service.PagePreview | None = None,
    candidates: list[Candidate] | None = None,
    form: dict[str, str],
    status: int = 200,
    **extra: Any,
) -> Response:
    if candidates is None:
        candidates = [Candidate(i.url, i.width, i.height) for i in page.images] if page else []
    context = {
        "choices": board_choices(db=db, user_id=me_id),
        "candidates": candidates,
        "page": page,
        "form": form,
        **extra,
    }
    return _remote_images(render(request, template, context, status=status))


def _save(
    db: Session,
    ctx: AppContext,
    viewer: Viewer,
    *,
    url: str,
    image_url: str,
    board_id: str,
    section_id: str,
    title: str,
    description: str,
    alt_text: str = "",
) -> Pin:
    board = optional_id(board_id, field="board_id")
    section = optional_id(section_id, field="section_id")
    pins_service.check_can_pin(db=db, viewer=viewer, board_id=board)
    picked, rules = image_url.strip() or None, learned_rules(db)
    reused = service.reuse_source(db=db, viewer=viewer, url=url, image_url=picked, rules=rules)
    db.commit()  # end the read phase: no transaction stays open while remote sites answer
    source = reused or service.fetch_source(settings=ctx.settings, url=url, image_url=picked, rules=rules)
    return service.create_from_source(
        db=db,
        ctx=ctx,
        viewer=viewer,
        source=source,
        board_id=board,
        section_id=section,
        title=title.strip() or None,
        description=description.strip() or None,
        alt_text=alt_text.strip() or None,
    )


# --- Save from website ------------------------------------------------------------------------------


@router.get("/pin-builder/website")
def website_page(
    request: Request, db: DbSession, ctx: Ctx, me: SignedIn, url: UrlQuery = "", board: str = ""
) -> Response:
    page, error, status = None, None, 200
    if url.strip():
        try:
            page = service.preview(settings=ctx.settings, url=url, rules=rules_for(ctx))
        except PinhavenError as exc:
            error, status = exc.message, exc.status
    form = _form(
        url=url,
        board_id=board,
        image_url=page.images[0].url if page and page.images else "",
        title=page.title if page else "",
        description=page.description if page else "",
    )
    return _picker(
        request, db, me.id, "ingest/website.html", page=page, form=form, status=status, error=error
    )


@router.post("/pin-builder/website")
def website_save(
    request: Request,
    db: DbSession,
    ctx: Ctx,
    viewer: WebViewer,
    me: SignedIn,
    url: Field = "",
    image_url: Field = "",
    board_id: Field = "",
    section_id: Field = "",
    title: Field = "",
    description: Field = "",
    alt_text: Field = "",
) -> Response:
    fields = {
        "url": url,
        "image_url": image_url,
        "board_id": board_id,
        "section_id": section_id,
        "title": title,
        "description": description,
        "alt_text": alt_text,
    }
    pin = _save_or_error_page(request, db, ctx, viewer, me.id, "ingest/website.html", fields)
    if isinstance(pin, Response):
        return pin
    return RedirectResponse(f"/pin/{pin.id}", status_code=303)


def _save_or_error_page(
    request: Request,
    db: Session,
    ctx: AppContext,
    viewer: Viewer,
    me_id: int,
    template: str,
    fields: dict[str, str],
) -> Pin | Response:
    """Save the pin, or render `template` again with the form as it was and the error that stopped it."""
    try:
        return _save(db, ctx, viewer, **fields)
    except PinhavenError as exc:
        db.rollback()
        image_url = fields["image_url"]
        candidates = [Candidate(image_url)] if image_url.strip() else []
        return _picker(
            request,
            db,
            me_id,
            template,
            candidates=candidates,
            form=_form(**fields),
            status=exc.status,
            error=exc.message,
        )


# --- Bookmarklet -------------------------------------------------------------------------------------

# Runs on the page being read: the largest loaded image (else og:image), the address and the title go to
# the popup. `noopener`: the popup cannot reach back into that page.
BOOKMARKLET = (
    "javascript:(function(){var d=document,m='',a=0,i,e,s,u;for(i=0;i<d.images.length;i++){e=d.images[i];"
    "u=e.currentSrc||e.src;s=e.naturalWidth*e.naturalHeight;if(s>a&&e.naturalWidth>=100&&/^https?:/.test(u))"
    "{a=s;m=u;}}e=d.querySelector('meta[property=\"og:image\"]');if(!m&&e&&e.content)m=e.content;"
    "window.open('{base}/ext/v1/save?url='+encodeURIComponent(location.href)+'&media='+encodeURIComponent(m)"
    "+'&title='+encodeURIComponent(d.title.slice(0,200)),'pinhaven_save','width=820,height=700,noopener');})();"
)


def bookmarklet_code(base_url: str) -> str:
    """The bookmarklet's javascript: URL for an instance at `base_url`."""
    return BOOKMARKLET.replace("{base}", base_url.rstrip("/").replace("'", "%27"))


@router.get("/settings/bookmarklet")
def bookmarklet_page(request: Request, ctx: Ctx, me: SignedIn) -> Response:
    base = ctx.settings.base_url or str(request.base_url).rstrip("/")
    return render(request, "ingest/bookmarklet.html", {"tab": "bookmarklet", "code": bookmarklet_code(base)})


@router.get("/ext/v1/save")
def popup_page(
    request: Request,
    db: DbSession,
    ctx: Ctx,
    user: WebUser,
    url: UrlQuery = "",
    media: UrlQuery = "",
    title: Annotated[str, Query(max_length=1000)] = "",
    every_image: Annotated[int, Query(alias="all")] = 0,
) -> Response:
    if user is None:  # this path answers JSON errors, so send the visitor to log in ourselves
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    page, error, status = None, None, 200
    candidates = [Candidate(media)] if media.strip() and not every_image else None
    if candidates is None and url.strip():
        try:
            page = service.preview(settings=ctx.settings, url=url, rules=rules_for(ctx))
            title = title or page.title or ""
        except PinhavenError as exc:
            error, status = exc.message, exc.status
    form = _form(
        url=url,
        image_url=media or (page.images[0].url if page and page.images else ""),
        title=title[: pins_service.LIMITS["title"]],
    )
    return _picker(
        request,
        db,
        user.id,
        "ingest/popup.html",
        page=page,
        candidates=candidates,
        form=form,
        status=status,
        error=error,
    )


@router.post("/ext/v1/save")
def popup_save(
    request: Request,
    db: DbSession,
    ctx: Ctx,
    viewer: WebViewer,
    me: SignedIn,
    url: Field = "",
    image_url: Field = "",
    board_id: Field = "",
    section_id: Field = "",
    title: Field = "",
    description: Field = "",
) -> Response:
    fields = {
        "url": url,
        "image_url": image_url,
        "board_id": board_id,
        "section_id": section_id,
        "title": title,
        "description": description,
    }
    pin = _save_or_error_page(request, db, ctx, viewer, me.id, "ingest/popup.html", fields)
    if isinstance(pin, Response):
        return pin
    context = {"pin_url": f"/pin/{pin.id}", "board_url": f"/board/{pin.board_id}"}
    return render(request, "ingest/popup_done.html", context, status=201)


# --- Import and export ------------------------------------------------------------------------------


def _import_page(request: Request, db: Session, me_id: int, *, status: int = 200, **extra: Any) -> Response:
    context = {"tab": "import", "runs": runs.list_for_user(db=db, user_id=me_id), **extra}
    return render(request, "ingest/import.html", context, status=status)


@router.get("/settings/import")
def import_page(request: Request, db: DbSession, me: SignedIn, started: int = 0) -> Response:
    return _import_page(request, db, me.id, started=bool(started))


@router.post("/settings/import")
def import_start(
    request: Request,
    db: DbSession,
    ctx: Ctx,
    me: SignedIn,
    file: Annotated[UploadFile | None, File()] = None,
    pinry_url: Field = "",
    pinry_token: Field = "",
    board: Field = "",
) -> Response:
    upload = file if has_file(file) else None
    try:
        runs.create_run(
            db=db,
            settings=ctx.settings,
            store=media_store(ctx),
            user_id=me.id,
            filename=upload.filename if upload else None,
            stream=upload.file if upload else None,
            pinry_url=pinry_url,
            pinry_token=pinry_token,
            board=board,
        )
    except PinhavenError as exc:
        db.rollback()
        form = {"pinry_url": pinry_url, "board": board}
        return _import_page(request, db, me.id, status=exc.status, error=exc.message, form=form)
    return RedirectResponse("/settings/import?started=1", status_code=303)


def _send_copy(copy: LocalCopy, media_type: str, filename: str) -> FileResponse:
    """Send a local copy of a stored run file, deleting it once sent."""
    return FileResponse(
        copy.path, media_type=media_type, filename=filename, background=BackgroundTask(copy.discard)
    )


@router.get("/settings/import/{run_id}/report")
def import_report(db: DbSession, ctx: Ctx, me: SignedIn, run_id: str) -> Response:
    parsed = parse_id(run_id)
    copy = runs.report_for_user(
        db=db, settings=ctx.settings, store=media_store(ctx), user_id=me.id, run_id=parsed
    )
    return _send_copy(copy, "application/x-ndjson", f"import-{parsed}-report.jsonl")


def _export_page(request: Request, db: Session, me_id: int, *, status: int = 200, **extra: Any) -> Response:
    runs_shown = exports.list_for_user(db=db, user_id=me_id)
    context = {
        "tab": "export",
        "exports": runs_shown,
        "pending": any(r.status in exports.PENDING for r in runs_shown),
        **extra,
    }
    return render(request, "ingest/export.html", context, status=status)


@router.get("/settings/export")
def export_page(request: Request, db: DbSession, me: SignedIn, started: int = 0) -> Response:
    return _export_page(request, db, me.id, started=bool(started))


@router.post("/settings/export")
def export_start(request: Request, db: DbSession, ctx: Ctx, me: SignedIn) -> Response:
    """Queue the account's zip; the page lists it and links the download once the job wrote it."""
    try:
        exports.request_export(db=db, settings=ctx.settings, store=media_store(ctx), user_id=me.id)
    except PinhavenError as exc:
        db.rollback()
        return _export_page(request, db, me.id, status=exc.status, error=exc.message)
    return RedirectResponse("/settings/export?started=1", status_code=303)


@router.get("/settings/export/{run_id}/download")
def export_download(db: DbSession, ctx: Ctx, me: SignedIn, run_id: str) -> Response:
    copy = exports.download_for_user(
        db=db, settings=ctx.settings, store=media_store(ctx), user_id=me.id, run_id=parse_id(run_id)
    )
    return _send_copy(copy, "application/zip", copy.path.name)
