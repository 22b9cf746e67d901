"""JSON request bodies parsed by hand (routes that also accept multipart): depth-limited, 400 on any defect.

`json.loads` recurses once per nesting level, so `[[[[...]]]]` a few thousand levels deep raises
RecursionError (a 500) before any schema sees it. The depth is measured first, without recursion, and only
when the body holds enough brackets to exceed the limit (`bytes.count` is C speed, so a large base64 body
costs next to nothing).
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from pinhaven.errors import InvalidInput

__all__ = ["MAX_JSON_DEPTH", "json_depth_exceeds", "parse_json", "validated"]

_M = TypeVar("_M", bound=BaseModel)

MAX_JSON_DEPTH = 64  # no Pinhaven body nests beyond 4 levels; deep nesting is only ever an attack
_TOKENS = re.compile(rb'[\[\]{}]|"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_depth_exceeds(raw: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when brackets (outside strings) nest deeper than `limit`."""
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    depth = 0
    for match in _TOKENS.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def parse_json(raw: bytes, *, limit: int = MAX_JSON_DEPTH) -> Any:
    """The decoded body; InvalidInput when it is not JSON or nests deeper than `limit`."""
    if json_depth_exceeds(raw, limit):
        raise InvalidInput(f"the body nests deeper than {limit} levels")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidInput("the body is not valid JSON") from None


def validated(model: type[_M], data: Any) -> _M:
    """`data` checked against a pydantic model; InvalidInput naming the first wrong fields otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        parts = []
        for error in exc.errors()[:3]:
            field = ".".join(str(p) for p in error.get("loc", ())) or "body"
            parts.append(f"{field}: {error.get('msg', 'invalid')}")
        raise InvalidInput("; ".join(parts)) from None
