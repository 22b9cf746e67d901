"""A page's content fingerprint: a 64-bit SimHash of its visible words, for "is this the same page?".

Two fetches of one page rarely match byte for byte (ad slots, CSRF tokens, timestamps), so an exact hash
would call every pair different. SimHash over word 3-shingles moves only a few bits for small edits and
about half of them for a different page, so `same_content` is a Hamming distance threshold. Scripts,
styles and tags are removed first; only the first `MAX_TEXT_CHARS` of text count (the bound keeps a huge
page cheap). A direct image has no words: its fingerprint comes from its bytes (identical bytes, equal).
"""

from __future__ import annotations

import hashlib
import re
from html import unescape

import numpy as np

__all__ = ["SAME_CONTENT_BITS", "bytes_fingerprint", "hamming", "page_fingerprint", "same_content"]

SAME_CONTENT_BITS = 3  # at most this many differing bits: the same page content
MAX_TEXT_CHARS = 200_000
_SHINGLE = 3
_INVISIBLE = re.compile(rb"<(script|style|noscript|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
_TAG = re.compile(rb"<[^>]*>")
_WORD = re.compile(r"\w+")
_SIGN_BIT = 1 << 63


def _signed(value: int) -> int:
    """The 64-bit value as a signed integer, so it fits a BIGINT column on every database."""
    return value - (1 << 64) if value & _SIGN_BIT else value


def _unsigned(value: int) -> int:
    return value & ((1 << 64) - 1)


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def visible_words(html: bytes, encoding: str | None = None) -> list[str]:
    """The page's words as a reader sees them (lower-cased), in order."""
    body = _TAG.sub(b" ", _COMMENT.sub(b" ", _INVISIBLE.sub(b" ", html)))
    text = unescape(body.decode(encoding or "utf-8", errors="replace"))[:MAX_TEXT_CHARS]
    return _WORD.findall(text.lower())


def page_fingerprint(html: bytes, encoding: str | None = None) -> int:
    """SimHash (signed 64-bit) of the page's visible text; pages without words all share one value."""
    words = visible_words(html, encoding)
    shingles = [" ".join(words[i : i + _SHINGLE]) for i in range(max(len(words) - _SHINGLE + 1, 1))]
    hashes = np.array([_hash64(s) for s in shingles], dtype=np.uint64)
    bits = (hashes[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)  # one row per shingle
    majority = bits.sum(axis=0) * 2 > len(shingles)  # a bit is set when most shingles set it
    return _signed(sum(1 << int(bit) for bit in np.flatnonzero(majority)))


def bytes_fingerprint(data: bytes) -> int:
    """A direct image's fingerprint: its bytes' hash (signed 64-bit)."""
    return _signed(int.from_bytes(hashlib.sha256(data).digest()[:8], "big"))


def hamming(a: int, b: int) -> int:
    return (_unsigned(a) ^ _unsigned(b)).bit_count()


def same_content(a: int | None, b: int | None) -> bool:
    """Both fingerprints known and within `SAME_CONTENT_BITS` of each other."""
    return a is not None and b is not None and hamming(a, b) <= SAME_CONTENT_BITS
