"""HTTP serving of media files: `GET`/`HEAD /media/{sha256[:2]}/{sha256}/{variant}[.webp|.jpg|.png]`.

Public images are served with `Cache-Control: public, max-age=31536000, immutable`; images only the viewer
may see (secret boards) with `private`, so shared caches never keep them. Unknown and invisible files both
answer 404. Strong ETags; `If-None-Match` answers 304.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from pinhaven.deps import Ctx, CurrentViewer, DbSession
from pinhaven.media import service
from pinhaven.media.service import IMMUTABLE, MediaFile

router = APIRouter(tags=["media"])


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = [part.strip() for part in header.split(",")]
    return "*" in candidates or etag in candidates or f"W/{etag}" in candidates


def _headers(media: MediaFile) -> dict[str, str]:
    headers = {
        "ETag": media.etag,
        "Cache-Control": ("public, " if media.public else "private, ") + IMMUTABLE,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    vary = (["Accept"] if media.negotiated else []) + ([] if media.public else ["Authorization", "Cookie"])
    if vary:
        headers["Vary"] = ", ".join(vary)
    return headers


_MEDIA_PATH = "/media/{prefix}/{sha256}/{name}"
_MEDIA_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/webp": {}, "image/jpeg": {}, "image/png": {}}},
    304: {},
    404: {},
}


# GET and HEAD are two operations with their own ids (one id for both is invalid OpenAPI).
@router.head(
    _MEDIA_PATH,
    response_class=Response,
    responses=_MEDIA_RESPONSES,
    summary="Headers of an image variant",
    operation_id="head_media",
)
@router.get(
    _MEDIA_PATH,
    response_class=Response,
    responses=_MEDIA_RESPONSES,
    summary="Fetch an image variant",
    operation_id="get_media",
)
def get_media(
    prefix: str, sha256: str, name: str, request: Request, db: DbSession, viewer: CurrentViewer, ctx: Ctx
) -> Response:
    """One image file; a variant not rendered yet is rendered on the spot."""
    media = service.fetch_media(
        db=db,
        store=service.media_store(ctx),
        viewer=viewer,
        prefix=prefix,
        sha256=sha256,
        name=name,
        accept=request.headers.get("accept"),
        lock_engine=ctx.engine,  # a cold variant is rendered once across every host
    )
    headers = _headers(media)
    if _etag_matches(request.headers.get("if-none-match"), media.etag):
        return Response(status_code=304, headers=headers)
    headers["Content-Length"] = str(len(media.data))
    body = b"" if request.method == "HEAD" else media.data
    return Response(content=body, media_type=media.content_type, headers=headers)
