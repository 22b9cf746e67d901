"""Save from the web: a URL (a page or a direct image) becomes a pin with the page's image, text and link.

    preview(url)                 → PagePreview   what the page offers: text, canonical link, images best first
    reuse_source(url, image_url) → PinSource?    an earlier fetch of the same link the saver may reuse
    fetch_source(url, image_url) → PinSource     the page's facts and the chosen image's bytes (network only)
    create_from_source(source)   → Pin           ingest the image, create the pin, keep the product facts
    save_from_url(...)           = (reuse_source or fetch_source) + create_from_source

Links are normalised with the learned link rules (ingest.url_rules) before the page is fetched, so a page
saved under two spellings that differ only in a learned no-op parameter is fetched and stored as one link.

Fetching happens without the database: HTTP handlers end their read phase before calling `fetch_source`,
so a slow site never holds a database transaction open. Every request goes through `ingest.fetch` (the
SSRF guard); refusals and unusable answers are `InvalidInput` (400) naming the cause.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace

from PIL import Image
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.config import Settings
from pinhaven.context import AppContext
from pinhaven.errors import InvalidInput
from pinhaven.ingest import link_reuse
from pinhaven.ingest.addresses import Resolver, system_resolve
from pinhaven.ingest.fetch import DEFAULT_ACCEPT, BlockedAddress, FetchError, FetchResult, fetch
from pinhaven.ingest.fingerprint import bytes_fingerprint, page_fingerprint
from pinhaven.ingest.jsonld import Offer
from pinhaven.ingest.scrape import ImageCandidate, PageInfo, scrape_page, sniff_image_type
from pinhaven.ingest.url_rules import Rules, learned_rules
from pinhaven.ingest.urls import normalize_link
from pinhaven.media import service as media_service
from pinhaven.media.models import MediaImage
from pinhaven.pins import products
from pinhaven.pins import service as pins_service
from pinhaven.pins.models import Pin

__all__ = [
    "FetchedImage",
    "PagePreview",
    "PinSource",
    "create_from_source",
    "fetch_source",
    "preview",
    "reuse_source",
    "save_from_url",
]

IMAGE_ACCEPT = "image/avif,image/webp,image/png,image/jpeg,image/*;q=0.8"
MAX_IMAGE_TRIES = 4  # candidates tried, best first, before giving up on a page
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(frozen=True)
class FetchedImage:
    url: str  # the URL it was requested as
    data: bytes
    width: int | None = None
    height: int | None = None


@dataclass(frozen=True)
class PagePreview:
    """What a URL offers for a pin; for a direct image, `images` is that image and `is_image` is set."""

    url: str  # final URL after redirects
    title: str | None
    description: str | None
    canonical_url: str | None
    site_name: str | None
    images: tuple[ImageCandidate, ...]
    product: Offer | None
    is_image: bool = False


@dataclass(frozen=True)
class PinSource:
    """A fetched page (or image) ready to become a pin; or an earlier fetch reused (`reused_image_id`)."""

    link: str | None
    title: str | None
    description: str | None
    image: FetchedImage | None
    product: Offer | None = None
    notes: tuple[str, ...] = field(default=())  # why a page fetch was skipped, etc.
    requested_url: str = ""  # what the saver asked for
    fetched_url: str = ""  # what was requested from the site (learned parameters dropped)
    picked_image_url: str | None = None  # the image the saver chose, if any
    fingerprint: int | None = None  # the page's content fingerprint (ingest.fingerprint)
    reused_image_id: int | None = None  # set when no fetch happened: this stored image is reused


def _shorten(text: str | None, limit: int) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _image_size(data: bytes) -> tuple[int | None, int | None]:
    try:
        with Image.open(io.BytesIO(data)) as image:  # header only: no pixels are decoded
            return image.size
    except Exception:  # an unreadable header just means "size unknown" here; ingest judges the image
        return None, None


def _is_html(result: FetchResult) -> bool:
    if result.content_type in _HTML_TYPES:
        return True
    head = result.body[:512].lstrip().lower()
    return not result.content_type and head.startswith((b"<!doctype html", b"<html", b"<head", b"<meta"))


def _fetch_url(url: str, *, settings: Settings, resolve: Resolver) -> FetchResult:
    if not isinstance(url, str) or not url.strip():
        raise InvalidInput("is required", field="url")
    return fetch(url.strip(), settings=settings, accept=DEFAULT_ACCEPT, resolve=resolve)


def _page_from(result: FetchResult) -> PagePreview:
    """A direct image or an HTML page; anything else is refused."""
    if sniff_image_type(result.body) is not None:
        width, height = _image_size(result.body)
        candidate = ImageCandidate(result.url, width, height, "direct", 0)
        return PagePreview(result.url, None, None, None, None, (candidate,), None, is_image=True)
    if not _is_html(result):
        kind = result.content_type or "of unknown type"
        raise InvalidInput(f"{result.url} is neither a web page nor an image (it is {kind})", field="url")
    info: PageInfo = scrape_page(result.body, base_url=result.url, encoding=result.charset)
    return PagePreview(
        url=result.url,
        title=info.title,
        description=info.description,
        canonical_url=info.canonical_url,
        site_name=info.site_name,
        images=info.images,
        product=info.product,
    )


def preview(
    *, settings: Settings, url: str, resolve: Resolver = system_resolve, rules: Rules | None = None
) -> PagePreview:
    """Fetch and read a URL: a page's text, canonical link and candidate images (best first), or an image.
    With `rules` (the learned link rules), the link normalised with them is what is fetched."""
    return _page_from(_fetch_url(_fetch_target(url, rules), settings=settings, resolve=resolve))


def _fetch_image(url: str, *, settings: Settings, resolve: Resolver) -> FetchedImage:
    result = fetch(
        url, settings=settings, accept=IMAGE_ACCEPT, max_bytes=settings.max_upload_bytes, resolve=resolve
    )
    if sniff_image_type(result.body) is None:
        kind = result.content_type or "of unknown type"
        raise InvalidInput(f"{url} is not an image (it is {kind})", field="image_url")
    width, height = _image_size(result.body)
    return FetchedImage(url, result.body, width, height)


def _best_image(page: PagePreview, *, settings: Settings, resolve: Resolver) -> FetchedImage:
    """The first of the page's best candidates that really is an image."""
    if not page.images:
        raise InvalidInput(f"the page at {page.url} offers no images; give an image_url", field="url")
    reasons: list[str] = []
    for candidate in page.images[:MAX_IMAGE_TRIES]:
        try:
            return _fetch_image(candidate.url, settings=settings, resolve=resolve)
        except InvalidInput as exc:
            reasons.append(exc.message)
    raise InvalidInput(f"none of the page's images could be used ({'; '.join(reasons)})", field="url")


def _link_for(page: PagePreview, rules: Rules | None) -> str:
    """The canonical link when it is a usable http(s) link, else the page's own final URL."""
    for candidate in (page.canonical_url, page.url):
        if candidate:
            try:
                return normalize_link(candidate, drop_params=rules)
            except InvalidInput:
                continue
    return page.url


def _fetch_target(url: str, rules: Rules | None) -> str:
    """The URL to request: the link normalised with the learned rules (the site answers the same without
    the dropped parameters: that is what was learned), or the URL as given when it cannot be normalised
    (the fetcher then names the problem)."""
    if not isinstance(url, str):
        return url
    try:
        return normalize_link(url.strip(), drop_params=rules)
    except InvalidInput:
        return url


def fetch_source(
    *,
    settings: Settings,
    url: str,
    image_url: str | None = None,
    resolve: Resolver = system_resolve,
    rules: Rules | None = None,
) -> PinSource:
    """Fetch the page and the image for a pin (no database work).

    `image_url` is the image the user picked: one of the page's candidates or any direct image URL; either
    way its bytes must be an image. When the page itself cannot be fetched (a site that needs a login), a
    picked image is still saved, linking to the page; a refused address is never skipped over. `rules` are
    the learned link rules (ingest.url_rules), applied to the URL fetched and to the pin's link.
    """
    image_url = (image_url or "").strip() or None
    target = _fetch_target(url, rules)
    source = _fetch_page_source(settings, url, target, image_url, resolve, rules)
    requested = url.strip() if isinstance(url, str) else ""
    return replace(source, requested_url=requested, fetched_url=target, picked_image_url=image_url)


def _fetch_page_source(
    settings: Settings, url: str, target: str, image_url: str | None, resolve: Resolver, rules: Rules | None
) -> PinSource:
    try:
        result = _fetch_url(target, settings=settings, resolve=resolve)
        page = _page_from(result)
    except BlockedAddress:
        raise
    except FetchError as exc:
        if image_url is None:
            raise
        image = _fetch_image(image_url, settings=settings, resolve=resolve)
        link = normalize_link(url.strip(), drop_params=rules)
        notes = (f"the page was not read: {exc.message}",)
        return PinSource(link, None, None, image, None, notes=notes)  # no page: no fingerprint
    if page.is_image:  # a direct image URL: the bytes are already here
        chosen = page.images[0]
        image = FetchedImage(result.url, result.body, chosen.width, chosen.height)
        fingerprint = bytes_fingerprint(result.body)
        return PinSource(_link_for(page, rules), None, None, image, fingerprint=fingerprint)
    if image_url is not None:
        image = _fetch_image(image_url, settings=settings, resolve=resolve)
    else:
        image = _best_image(page, settings=settings, resolve=resolve)
    return PinSource(
        link=_link_for(page, rules),
        title=_shorten(page.title, pins_service.LIMITS["title"]),
        description=_shorten(page.description, pins_service.LIMITS["description"]),
        image=image,
        product=page.product,
        fingerprint=page_fingerprint(result.body, result.charset),
    )


def reuse_source(
    *, db: Session, viewer: Viewer, url: str, image_url: str | None = None, rules: Rules | None = None
) -> PinSource | None:
    """An earlier fetch of this link that the saver may see (see ingest.link_reuse), as a source; None
    when the page must be fetched. Call it in the read phase, before `fetch_source`."""
    if not isinstance(url, str) or not url.strip():
        return None
    rules = learned_rules(db) if rules is None else rules
    found = link_reuse.find_reusable(db=db, viewer=viewer, url=url, image_url=image_url, rules=rules)
    if found is None:
        return None
    return PinSource(
        link=found.link,
        title=found.title,
        description=found.description,
        image=None,
        requested_url=url.strip(),
        fetched_url=found.fetched_url,
        picked_image_url=found.image_url,
        fingerprint=found.fingerprint,
        reused_image_id=found.image_id,
    )


def create_from_source(
    *,
    db: Session,
    ctx: AppContext,
    viewer: Viewer,
    source: PinSource,
    board_id: int | None,
    section_id: int | None = None,
    title: str | None = None,
    description: str | None = None,
    alt_text: str | None = None,
) -> Pin:
    """Ingest the fetched image and create the pin; the user's own title/description win over the page's."""
    pins_service.check_can_pin(db=db, viewer=viewer, board_id=board_id)
    image = _source_image(db, ctx, source, owner_id=viewer.user_id)
    fields = pins_service.PinFields(
        title=title if title else source.title,
        description=description if description else source.description,
        link=source.link,
        alt_text=alt_text or None,
    )
    pin = pins_service.create(
        db=db, viewer=viewer, board_id=board_id, image=image, fields=fields, section_id=section_id
    )
    offer = source.product
    if offer is not None and (offer.price is not None or offer.availability is not None):
        products.set_for_pin(
            db=db,
            pin_id=pin.id,
            price=offer.price,
            currency=offer.currency,
            availability=offer.availability,
            source_url=pin.link,
        )
    if source.requested_url and source.fetched_url:
        link_reuse.record_fetch(
            db=db,
            pin=pin,
            requested_url=source.requested_url,
            fetched_url=source.fetched_url,
            image_url=source.picked_image_url,
            fingerprint=source.fingerprint,
            title=source.title,
            description=source.description,
            had_product=offer is not None,
            fetched=source.reused_image_id is None,
            rules=learned_rules(db),
        )
    return pin


def _source_image(db: Session, ctx: AppContext, source: PinSource, *, owner_id: int | None) -> MediaImage:
    if source.reused_image_id is not None:
        # The fetch's pin was visible to the saver moments ago (reuse_source); the image row cannot
        # vanish while any pin shows it, and a pin deleted since leaves at worst a re-fetch to do.
        image = db.get(MediaImage, source.reused_image_id)
        if image is not None:
            return image
    if source.image is None:
        raise InvalidInput("the page must be fetched again; please retry", field="url")
    return media_service.ingest_bytes(
        db=db,
        store=media_service.media_store(ctx),
        settings=ctx.settings,
        data=source.image.data,
        owner_id=owner_id,
    )


def save_from_url(
    *,
    db: Session,
    ctx: AppContext,
    viewer: Viewer,
    url: str,
    board_id: int | None,
    section_id: int | None = None,
    image_url: str | None = None,
    title: str | None = None,
    description: str | None = None,
    alt_text: str | None = None,
    resolve: Resolver = system_resolve,
) -> Pin:
    """Fetch `url` and pin it to the board (both steps in one call; for scripts and the CLI)."""
    pins_service.check_can_pin(db=db, viewer=viewer, board_id=board_id)
    rules = learned_rules(db)
    source = reuse_source(db=db, viewer=viewer, url=url, image_url=image_url, rules=rules)
    if source is None:
        source = fetch_source(
            settings=ctx.settings, url=url, image_url=image_url, resolve=resolve, rules=rules
        )
    return create_from_source(
        db=db,
        ctx=ctx,
        viewer=viewer,
        source=source,
        board_id=board_id,
        section_id=section_id,
        title=title,
        description=description,
        alt_text=alt_text,
    )
