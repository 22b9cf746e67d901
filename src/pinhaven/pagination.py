"""Keyset pagination with opaque, URL-safe bookmarks (Pinterest v5 `{items, bookmark}` pages)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pinhaven.errors import InvalidInput

T = TypeVar("T")

MAX_PAGE_SIZE = 250
DEFAULT_PAGE_SIZE = 25


def encode_bookmark(values: Sequence[Any]) -> str:
    raw = json.dumps(list(values), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_bookmark(bookmark: str | None, *, arity: int = 1) -> list[Any] | None:
    """The keyset values a bookmark carries; InvalidInput when it was not made by `encode_bookmark`."""
    if bookmark is None or bookmark == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(bookmark + "=" * (-len(bookmark) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidInput("is not a bookmark this server issued", field="bookmark") from None
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidInput("is not a bookmark this server issued", field="bookmark")
    for value in values:
        if not isinstance(value, (int, float, str)) or isinstance(value, bool):
            raise InvalidInput("is not a bookmark this server issued", field="bookmark")
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
