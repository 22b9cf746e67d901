"""Typo tolerance: when a query finds nothing, replace unknown words with close, frequent indexed words.

The vocabulary (word → number of documents) is read from `search_documents` in Python, so it is the same on
every backend, and kept per database in this process. Lookup is SymSpell-style: every vocabulary word is
indexed under itself and its one-letter deletions, so candidates within one edit (two for long words) are a
few dictionary probes; they are verified with the optimal-string-alignment distance.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from pinhaven.search.text.models import SearchDocument
from pinhaven.search.text.query import words_of
from pinhaven.search.text.readers import background_reader, database_key

log = logging.getLogger("pinhaven.search")

MIN_WORD = 4  # shorter words have too many neighbours to correct safely
MAX_WORD = 30
MAX_DOCS = 200_000  # the newest documents are read; enough for the words people search
INLINE_BUILD_DOCS = (
    20_000  # below this the first build runs in the request (tens of ms), above it in the background
)
REBUILD_SECONDS = 600.0


def _deletes(word: str) -> Iterator[str]:
    for i in range(len(word)):
        yield word[:i] + word[i + 1 :]


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance (insertions, deletions, substitutions, adjacent transpositions)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]


class Vocabulary:
    """Words with document frequencies and a deletion index for near-miss lookups."""

    def __init__(self, frequencies: dict[str, int]) -> None:
        self.frequencies = frequencies
        self._index: dict[str, list[str]] = {}
        for word in frequencies:
            for key in (word, *_deletes(word)):
                self._index.setdefault(key, []).append(word)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> Vocabulary:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update({w for w in words_of(text) if MIN_WORD <= len(w) <= MAX_WORD and w.isalpha()})
        return cls(dict(counts))

    def __contains__(self, word: object) -> bool:
        return word in self.frequencies

    def correct(self, word: str) -> str | None:
        """The most frequent known word within 1 edit (2 for words of 8+ letters); None if known or none."""
        if word in self.frequencies or not MIN_WORD <= len(word) <= MAX_WORD or not word.isalpha():
            return None
        limit = 1 if len(word) < 8 else 2
        keys = {word, *_deletes(word)}
        if limit == 2:
            keys |= {d2 for d1 in _deletes(word) for d2 in _deletes(d1)}
        candidates = {c for key in keys for c in self._index.get(key, ())}
        best: tuple[int, int, str] | None = None
        for candidate in candidates:
            distance = edit_distance(word, candidate)
            if distance <= limit:
                rank = (distance, -self.frequencies[candidate], candidate)
                best = rank if best is None or rank < best else best
        return best[2] if best is not None else None


class VocabularyCache:
    """One database's vocabulary in this process; rebuilt in the background when stale."""

    def __init__(self, engine: Engine) -> None:
        self.engine = background_reader(engine)
        self._vocabulary: Vocabulary | None = None
        self._built_at = 0.0
        self._fingerprint: tuple[object, object] | None = None  # (count, newest stamp) of an inline build
        self._lock = threading.Lock()
        self._worker: threading.Thread | None = None

    def build(self, db: Session | None = None) -> Vocabulary:
        """Read the newest public documents' words now, through `db` or a background connection (blocks).

        Only public boards' words: a correction must never reveal that a word occurs on a secret board.
        """
        columns = (
            SearchDocument.title,
            SearchDocument.description,
            SearchDocument.alt_text,
            SearchDocument.board_name,
        )
        public = ~SearchDocument.facets.like("% sec")
        query = select(*columns).where(public).order_by(SearchDocument.pin_id.desc()).limit(MAX_DOCS)
        if db is not None:
            vocabulary = Vocabulary.from_texts(" ".join(row) for row in db.execute(query))
        else:
            with Session(self.engine) as own:
                vocabulary = Vocabulary.from_texts(" ".join(row) for row in own.execute(query))
        self._vocabulary, self._built_at = vocabulary, time.monotonic()
        return vocabulary

    def get(self, db: Session) -> Vocabulary | None:
        """The vocabulary, or None while a first build runs in the background.

        Small tables (up to INLINE_BUILD_DOCS documents) are re-read in the request whenever their contents
        changed (count or newest stamp: tens of milliseconds); larger ones in the background when stale.
        """
        count, newest = db.execute(select(func.count(), func.max(SearchDocument.updated_at))).one()
        if count <= INLINE_BUILD_DOCS:
            if self._vocabulary is None or (count, newest) != self._fingerprint:
                self._fingerprint = (count, newest)
                return self.build(db)
            return self._vocabulary
        if self._vocabulary is None or time.monotonic() - self._built_at > REBUILD_SECONDS:
            self._build_in_background()
        return self._vocabulary

    def invalidate(self) -> None:
        """Forget the vocabulary (tests, bulk imports): the next lookup rebuilds it."""
        self._vocabulary, self._built_at, self._fingerprint = None, 0.0, None

    def _build_in_background(self) -> None:
        with self._lock:
            if self._worker is not None and self._worker.is_alive():
                return
            self._worker = threading.Thread(target=self._build_quietly, name="search-vocabulary", daemon=True)
            self._worker.start()

    def _build_quietly(self) -> None:
        try:
            self.build()
        except Exception:
            log.exception("building the search vocabulary failed")


_caches: dict[str, VocabularyCache] = {}
_caches_lock = threading.Lock()


def forget_all() -> None:
    """Drop every database's vocabulary (after a restore or wipe; tests)."""
    with _caches_lock:
        _caches.clear()


def vocabulary_cache(engine: Engine) -> VocabularyCache:
    """This process's vocabulary for the database behind `engine`."""
    with _caches_lock:
        cache = _caches.get(database_key(engine))
        if cache is None:
            cache = _caches[database_key(engine)] = VocabularyCache(engine)
        return cache
