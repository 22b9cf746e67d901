"""Search text → words: the one tokeniser every backend's query builder starts from."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from pinhaven.errors import InvalidInput

MAX_QUERY_CHARS = 200
MAX_WORDS = 8
MAX_WORD_CHARS = 40
# Letters and digits only: no operator of FTS5, tsquery or boolean mode survives tokenising.
_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class ParsedQuery:
    """A normalised query: its display text and its words (lower-case, accents kept, at most MAX_WORDS)."""

    text: str
    words: tuple[str, ...]


def words_of(text: str) -> list[str]:
    """Lower-case letter/digit runs of `text`, NFKC-normalised (also used to build the typo vocabulary)."""
    return _WORD_RE.findall(unicodedata.normalize("NFKC", text).lower())


def parse_query(raw: str | None) -> ParsedQuery:
    """Validate and tokenise a search box entry; InvalidInput names what is wrong."""
    text = " ".join((raw or "").split())
    if not text:
        raise InvalidInput("must not be empty", field="q")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"must be at most {MAX_QUERY_CHARS} characters", field="q")
    words: list[str] = []
    for word in words_of(text):
        word = word[:MAX_WORD_CHARS]
        if word not in words:
            words.append(word)
    if not words:
        raise InvalidInput("must contain at least one letter or digit", field="q")
    return ParsedQuery(text=text, words=tuple(words[:MAX_WORDS]))


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    """English (Porter 2) stem, for backends without a stemming tokenizer (MariaDB); the word if unavailable."""
    stemmer = _stemmer()
    return stemmer.stemWord(word) if stemmer is not None else word


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    try:
        import snowballstemmer
    except ImportError:  # stemming is an improvement, not a requirement
        return None
    return snowballstemmer.stemmer("english")
