"""The one rule for text that reaches a database: no NUL, no C0 control characters, no lone surrogates.

PostgreSQL refuses NUL in text (a 500 before this rule), SQLite and MariaDB store it and every reader then
carries an invisible character; lone surrogates cannot be encoded as UTF-8 at all. Tab, newline and
carriage return are kept where text may span lines (descriptions, notes, search queries).

Applied at the edge: `Line` / `Paragraph` types in request schemas and form fields, and `deps.text_guard`
for every path parameter and query value.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

__all__ = ["Line", "Paragraph", "check_line", "check_paragraph", "text_problem", "without_controls"]

_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_CONTROL_BUT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def text_problem(value: str, *, multiline: bool) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    found = (_CONTROL_BUT_WHITESPACE if multiline else _ANY_CONTROL).search(value)
    if found is None:
        return None
    char = found.group()
    if 0xD800 <= ord(char) <= 0xDFFF:
        return "must not contain unpaired surrogate code points"
    return f"must not contain control characters (found U+{ord(char):04X})"


def without_controls(value: str) -> str:
    """`value` with the characters the rule refuses removed: for text taken from others' pages, not users."""
    return _CONTROL_BUT_WHITESPACE.sub("", value)


def check_line(value: str) -> str:
    """Pydantic validator: single-line text (names, titles, usernames, links)."""
    problem = text_problem(value, multiline=False)
    if problem is not None:
        raise ValueError(problem)
    return value


def check_paragraph(value: str) -> str:
    """Pydantic validator: text that may hold tabs and line breaks (descriptions, notes)."""
    problem = text_problem(value, multiline=True)
    if problem is not None:
        raise ValueError(problem)
    return value


Line = Annotated[str, AfterValidator(check_line)]
Paragraph = Annotated[str, AfterValidator(check_paragraph)]
