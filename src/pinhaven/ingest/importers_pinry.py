"""Import from a Pinry 2.x instance through its REST API (every request through the safe fetcher).

    GET {base}/api/v2/boards/?limit=&offset=    boards with `pins_detail` (a pin may sit on several boards)
    GET {base}/api/v2/pins/?limit=&offset=      every pin: image.image (URL), description, url, referer, tags

Pages are `{count, next, previous, results}`; we walk them by offset rather than trusting `next` (an
instance behind a proxy often advertises another host). A token is sent as `Authorization: Token ...`,
only to the Pinry host. Each (pin, board) pair becomes a pin; pins on no board go to the default board.
A private pin never lands on a public board: it goes to "<board> (private)", a secret board.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urljoin

from pinhaven.config import Settings
from pinhaven.errors import InvalidInput
from pinhaven.ingest.addresses import Resolver, system_resolve
from pinhaven.ingest.fetch import BlockedAddress, FetchError, fetch
from pinhaven.ingest.importers import Row, Run, Source
from pinhaven.ingest.service import IMAGE_ACCEPT
from pinhaven.ingest.urls import normalize_link
from pinhaven.pins import service as pins_service

__all__ = ["PinrySource"]

PAGE_SIZE = 100
MAX_PAGES = 10_000  # a misbehaving server cannot keep us paging forever
JSON_ACCEPT = "application/json"


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _description(pin: dict[str, Any]) -> str | None:
    """The pin's description with its tags appended as hashtags, cut to the pin limit."""
    text = _text(pin.get("description")) or ""
    tags = [str(t.get("name") if isinstance(t, dict) else t).strip() for t in pin.get("tags") or []]
    tags = ["#" + "".join(t.split()) for t in tags if t]
    combined = " ".join(p for p in (text, " ".join(tags)) if p)
    limit = pins_service.LIMITS["description"]
    return (combined if len(combined) <= limit else combined[: limit - 1] + "…") or None


class PinrySource(Source):
    def __init__(
        self,
        base_url: str,
        *,
        settings: Settings,
        token: str | None = None,
        username: str | None = None,
        resolve: Resolver = system_resolve,
    ) -> None:
        base = base_url.strip().rstrip("/")
        try:
            base = normalize_link(base).rstrip("/")
        except InvalidInput as exc:
            raise InvalidInput(
                f"{base_url!r} is not a Pinry address ({exc.message})", field="pinry_url"
            ) from exc
        self.base = base
        self.settings = settings
        self.resolve = resolve
        self.username = username
        self.headers = {"Authorization": f"Token {token.strip()}"} if token and token.strip() else None
        self.key = f"pinry:{base}"
        self.name = "Pinry"
        self._boards: dict[int, list[tuple[str, bool]]] = {}  # pin id → [(board name, private)]
        self._count: int | None = None

    # --- the API ------------------------------------------------------------------------------

    def _get(self, path: str, offset: int) -> dict[str, Any]:
        params: dict[str, str | int] = {"limit": PAGE_SIZE, "offset": offset}
        if self.username:
            params["submitter__username"] = self.username
        url = f"{self.base}{path}?{urlencode(params)}"
        try:
            result = fetch(
                url, settings=self.settings, accept=JSON_ACCEPT, resolve=self.resolve, headers=self.headers
            )
        except BlockedAddress:
            raise
        except FetchError as exc:
            raise InvalidInput(
                f"{exc.message} for {url}; is this a Pinry 2.x address?", field="pinry_url"
            ) from exc
        try:
            page = json.loads(result.body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InvalidInput(
                f"{url} did not answer JSON; is this a Pinry 2.x address?", field="pinry_url"
            ) from exc
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise InvalidInput(f"{url} did not answer a Pinry page of results", field="pinry_url")
        return page

    def _walk(self, path: str) -> Iterator[tuple[dict[str, Any], int | None]]:
        """(item, count) for every item of a paged list."""
        offset = 0
        for _ in range(MAX_PAGES):
            page = self._get(path, offset)
            count = page.get("count") if isinstance(page.get("count"), int) else None
            results = [r for r in page["results"] if isinstance(r, dict)]
            for item in results:
                yield item, count
            offset += len(page["results"])
            if not page["results"] or (count is not None and offset >= count) or not page.get("next"):
                return

    def _load_boards(self) -> None:
        for board, _ in self._walk("/api/v2/boards/"):
            name = _text(board.get("name")) or f"Pinry board {board.get('id')}"
            private = bool(board.get("private")) or board.get("published") is False
            for pin in board.get("pins_detail") or []:
                if isinstance(pin, dict) and isinstance(pin.get("id"), int):
                    self._boards.setdefault(pin["id"], []).append((name, private))

    def total(self) -> int | None:
        if self._count is None:
            self._count = self._get("/api/v2/pins/", 0).get("count")
        return self._count if isinstance(self._count, int) else None

    # --- rows ---------------------------------------------------------------------------------

    def prepare(self, run: Run) -> None:
        self._load_boards()

    def _image_url(self, pin: dict[str, Any]) -> str | None:
        image = pin.get("image")
        url = _text(image.get("image")) if isinstance(image, dict) else None
        return urljoin(self.base + "/", url) if url else None

    def _load(self, url: str) -> bytes:
        limit = self.settings.max_upload_bytes
        return fetch(
            url,
            settings=self.settings,
            accept=IMAGE_ACCEPT,
            max_bytes=limit,
            resolve=self.resolve,
            headers=self.headers,
        ).body

    def rows(self, run: Run) -> Iterator[Row]:
        for pin, _count in self._walk("/api/v2/pins/"):
            pin_id = pin.get("id")
            url = self._image_url(pin)
            fields = pins_service.PinFields(
                description=_description(pin),
                link=_text(pin.get("referer")) or _text(pin.get("url")),
            )
            private = bool(pin.get("private"))
            placements = self._boards.get(pin_id, []) if isinstance(pin_id, int) else []
            for name, board_private in placements or [(run.default_board, False)]:
                secret = private or board_private
                if private and not board_private:
                    name = f"{name} (private)"
                yield Row(
                    source_id=f"pin:{pin_id}@{name}",
                    label=url or f"pin {pin_id}",
                    load=(lambda u=url: self._load(u)) if url else None,  # type: ignore[misc]
                    board=name,
                    privacy="SECRET" if secret else "PUBLIC",
                    fields=fields,
                    error=None if url else "the Pinry pin has no image URL",
                )
