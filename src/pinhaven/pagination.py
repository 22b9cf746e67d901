"""Keyset pagination with opaque, URL-safe, signed bookmarks (Pinterest v5 `{items, bookmark}` pages).

A bookmark is `base64url(JSON keyset values) "." base64url(tag)`, the tag an HMAC-SHA256 (first 12 bytes)
under a key derived from the instance secret over the values and the list they belong to: the request's
path and its query without `bookmark`, `page_size` and `partial` (a page size may change between pages; the
web's infinite scroll adds `partial=1`). So a bookmark forged, altered, or taken from another list or query
is refused with 400 before any of its values reaches a query (an id beyond 64 bits used to crash them).

The binding comes from `bind_request` (an app-wide dependency, one context variable per request). Code with
no request (CLI, jobs, tests calling services) signs and checks with a per-process key and an empty binding.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qsl, urlencode

from pinhaven.errors import InvalidInput

T = TypeVar("T")

MAX_PAGE_SIZE = 250
DEFAULT_PAGE_SIZE = 25
_TAG_BYTES = 12
_UNBOUND_PARAMS = frozenset({"bookmark", "page_size", "partial"})
_INT64 = range(-(2**63), 2**63)
_NOT_ISSUED = "is not a bookmark this server issued for this list"


@dataclass(frozen=True)
class _Binding:
    key: bytes
    path: str
    query: bytes  # the raw query string; canonicalised only when a bookmark is made or read

    def message(self, payload: bytes) -> bytes:
        pairs = sorted((k, v) for k, v in parse_qsl(self.query.decode("latin-1"), keep_blank_values=True)
                       if k not in _UNBOUND_PARAMS)  # fmt: skip
        return b"\n".join((self.path.encode(), urlencode(pairs).encode(), payload))


_PROCESS_KEY = os.urandom(32)
_binding: ContextVar[_Binding | None] = ContextVar("pinhaven_bookmark_binding", default=None)


def bookmark_key(secret_key: str) -> bytes:
    """The signing key of bookmarks, derived so it signs nothing else the secret signs."""
    return hmac.new(secret_key.encode(), b"pinhaven bookmarks v1", hashlib.sha256).digest()


def bind_request(key: bytes, path: str, query: bytes) -> None:
    """Bookmarks made and read in this request belong to `path` + `query` (see the module docstring)."""
    _binding.set(_Binding(key, path, query))


def _current() -> _Binding:
    return _binding.get() or _Binding(_PROCESS_KEY, "", b"")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _tag(binding: _Binding, payload: bytes) -> bytes:
    return hmac.new(binding.key, binding.message(payload), hashlib.sha256).digest()[:_TAG_BYTES]


def encode_bookmark(values: Sequence[Any]) -> str:
    payload = json.dumps(list(values), separators=(",", ":")).encode()
    return f"{_b64(payload)}.{_b64(_tag(_current(), payload))}"


def decode_bookmark(bookmark: str | None, *, arity: int = 1) -> list[Any] | None:
    """The keyset values a bookmark carries; InvalidInput unless `encode_bookmark` made it for this list."""
    if bookmark is None or bookmark == "":
        return None
    body, dot, tag = bookmark.partition(".")
    try:
        payload, given = _unb64(body), _unb64(tag)
    except (binascii.Error, ValueError):
        raise InvalidInput(_NOT_ISSUED, field="bookmark") from None
    if not dot or not hmac.compare_digest(given, _tag(_current(), payload)):
        raise InvalidInput(_NOT_ISSUED, field="bookmark")
    try:
        values = json.loads(payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidInput(_NOT_ISSUED, field="bookmark") from None
    # Signed values are ours; checked anyway, so a leaked secret still cannot crash a query.
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidInput(_NOT_ISSUED, field="bookmark")
    for value in values:
        if not isinstance(value, (int, float, str)) or isinstance(value, bool):
            raise InvalidInput(_NOT_ISSUED, field="bookmark")
        if isinstance(value, int) and value not in _INT64:
            raise InvalidInput(_NOT_ISSUED, field="bookmark")
    return values


def bookmark_int(bookmark: str | None) -> int | None:
    """A bookmark holding one integer key (a snowflake id)."""
    values = decode_bookmark(bookmark)
    if values is None:
        return None
    if not isinstance(values[0], int):
        raise InvalidInput("is not a bookmark this server issued", field="bookmark")
    return values[0]


@dataclass(frozen=True)
class PageParams:
    page_size: int = DEFAULT_PAGE_SIZE
    bookmark: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise InvalidInput(f"must be between 1 and {MAX_PAGE_SIZE}", field="page_size")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    bookmark: str | None

    @property
    def has_next(self) -> bool:
        return self.bookmark is not None


def page_from_rows(rows: Sequence[T], page_size: int, key: Any) -> Page[T]:
    """Cut `page_size + 1` fetched rows into a page; the bookmark carries `key(last row)`."""
    items = list(rows[:page_size])
    if len(rows) > page_size and items:
        k = key(items[-1])
        return Page(items=items, bookmark=encode_bookmark(k if isinstance(k, (list, tuple)) else [k]))
    return Page(items=items, bookmark=None)
