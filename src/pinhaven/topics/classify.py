"""Pin text (and, with CLIP, picture) → up to three topics with confidences.

Text: the pin's title, description, board name, the words read from its picture (OCR) and its link's domain,
embedded with the MiniLM model semantic search already uses, compared with every taxonomy node's
"name. description" embedding. A top topic scores the best cosine of its own node and its subtopics'; the
confidences are a softmax over top topics (temperature TEMPERATURE), so they sum to 1 across the taxonomy.
The stored topic is the best-scoring node inside the chosen top topic (a subtopic when one fits better).

Without the `semantic` extra (or with semantic search off), a lexical fallback scores stemmed word overlap
with each node's name and description: weaker, but topics, caps and pages keep working. With MiniLM the
same overlap is added to the cosines (LEXICAL_WEIGHT).

With CLIP active (`PINHAVEN_VISUAL_MODEL=clip`), the image's stored CLIP vector is compared with "a photo of
<topic>" prompts (zero-shot) and mixed in with weight IMAGE_WEIGHT.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import snowballstemmer

__all__ = [
    "MAX_TOPICS",
    "Classifier",
    "Node",
    "Scored",
    "pin_text",
]

MAX_TOPICS = 3
TEMPERATURE = 0.04  # softmax over cosine similarities: 0.04 apart ≈ e× the confidence
MIN_SIMILARITY = 0.10  # best cosine below this: the text says nothing about any topic
MIN_CONFIDENCE = 0.15  # a second or third topic needs at least this confidence
# MiniLM mode adds the lexical overlap with this weight: exact topic words ("tattoo", "wedding") then count
# beyond what the sentence embedding makes of them (bench/topics.py: demo set 0.81 → 0.86, generated 0.91 both)
LEXICAL_WEIGHT = 0.5
IMAGE_WEIGHT = 0.3  # share of the CLIP zero-shot distribution in the mixed confidence
CLIP_SCALE = 100.0  # CLIP's logit scale

Encode = Callable[[Sequence[str]], np.ndarray]


@dataclass(frozen=True)
class Node:
    slug: str
    top_slug: str
    name: str
    description: str

    @property
    def text(self) -> str:
        return f"{self.name}. {self.description}".strip()


@dataclass(frozen=True)
class Scored:
    slug: str
    top_slug: str
    confidence: float


def pin_text(*, title: str, description: str, board_name: str, ocr_text: str, domain: str) -> str:
    """The text a pin is classified by (each part once; the link's domain as words)."""
    parts = [title.strip(), description.strip()]
    if board_name.strip():
        parts.append(f"Board: {board_name.strip()}")
    if ocr_text.strip():
        parts.append(" ".join(ocr_text.split())[:300])
    site = re.sub(r"^www\.", "", domain.strip().lower()).rsplit(".", 1)[0].replace(".", " ")
    if site:
        parts.append(f"from {site}")
    return ". ".join(p for p in parts if p)


_stemmer = snowballstemmer.stemmer("english")
_stem_lock = threading.Lock()
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "of",
        "for",
        "in",
        "on",
        "to",
        "with",
        "from",
        "by",
        "at",
        "or",
        "your",
        "my",
        "our",
        "their",
        "this",
        "that",
        "is",
        "are",
        "be",
        "as",
        "it",
        "its",
        "ideas",
        "idea",
        "board",
        "photo",
        "things",
        "how",
        "what",
        "best",
    ]
)


def _terms(text: str) -> list[str]:
    words = [w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2 and w not in _STOP]
    with _stem_lock:
        return list(_stemmer.stemWords(words))


class Classifier:
    """Scores texts against a fixed list of taxonomy nodes (rebuilt when the taxonomy changes)."""

    def __init__(self, nodes: Sequence[Node], encode: Encode | None) -> None:
        self.nodes = list(nodes)
        self.encode = encode
        self.tops = sorted({n.top_slug for n in self.nodes})
        top_index = {t: i for i, t in enumerate(self.tops)}
        self.node_top = np.array([top_index[n.top_slug] for n in self.nodes], dtype=np.int64)
        self.vectors: np.ndarray | None = None
        if encode is not None and self.nodes:
            self.vectors = encode([n.text for n in self.nodes])
        self._lexicon = [set(_terms(f"{n.name} {n.name} {n.description}")) for n in self.nodes]

    @property
    def mode(self) -> str:
        return "minilm" if self.vectors is not None else "lexical"

    def node_similarities(self, texts: Sequence[str]) -> np.ndarray:
        """(texts, nodes) similarities: cosines plus weighted word overlap (MiniLM), or the overlap alone."""
        if not self.nodes:
            return np.zeros((len(texts), 0), np.float32)
        lexical = self._lexical(texts)
        if self.vectors is not None and self.encode is not None:
            return self.encode(list(texts)) @ self.vectors.T + LEXICAL_WEIGHT * lexical
        return lexical

    def _lexical(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(self.nodes)), np.float32)
        for i, text in enumerate(texts):
            terms = set(_terms(text))
            if not terms:
                continue
            for j, lexicon in enumerate(self._lexicon):
                hits = len(terms & lexicon)
                if hits:
                    out[i, j] = hits / (len(lexicon) ** 0.5 + 1.0)
        return out * 0.5  # into the range of MiniLM cosines, so the same thresholds apply

    def top_scores(self, similarities: np.ndarray) -> np.ndarray:
        """(texts, top topics): each top topic's best node similarity."""
        out = np.full((similarities.shape[0], len(self.tops)), -1.0, np.float32)
        for j, t in enumerate(self.node_top):
            out[:, t] = np.maximum(out[:, t], similarities[:, j])
        return out

    def classify(
        self, texts: Sequence[str], image_probabilities: Sequence[np.ndarray | None] | None = None
    ) -> list[list[Scored]]:
        """Up to MAX_TOPICS topics per text, best first; `image_probabilities`: per text, a distribution over
        `self.tops` from the picture (CLIP zero-shot) or None."""
        if not texts or not self.nodes:
            return [[] for _ in texts]
        sims = self.node_similarities(texts)
        tops = self.top_scores(sims)
        results: list[list[Scored]] = []
        for i in range(len(texts)):
            best = float(tops[i].max())
            image = image_probabilities[i] if image_probabilities is not None else None
            if best < MIN_SIMILARITY and image is None:
                results.append([])
                continue
            logits = (tops[i] - best) / TEMPERATURE
            confidence = np.exp(logits)
            confidence /= confidence.sum()
            if best < MIN_SIMILARITY:
                confidence = np.asarray(image, np.float64)
            elif image is not None:
                confidence = (1.0 - IMAGE_WEIGHT) * confidence + IMAGE_WEIGHT * np.asarray(image, np.float64)
            order = np.argsort(-confidence)[:MAX_TOPICS]
            chosen: list[Scored] = []
            for rank, t in enumerate(order):
                if rank > 0 and confidence[t] < MIN_CONFIDENCE:
                    break
                members = np.flatnonzero(self.node_top == t)
                node = self.nodes[int(members[np.argmax(sims[i, members])])]
                chosen.append(Scored(node.slug, node.top_slug, round(float(confidence[t]), 4)))
            results.append(chosen)
        return results

    def zero_shot(self, image_vector: np.ndarray, prompt_vectors: np.ndarray) -> np.ndarray:
        """A distribution over top topics from one image vector and one prompt vector per node."""
        node_logits = CLIP_SCALE * (prompt_vectors @ image_vector)
        top = np.full(len(self.tops), -np.inf)
        for j, t in enumerate(self.node_top):
            top[t] = max(top[t], float(node_logits[j]))
        top -= top.max()
        probabilities = np.exp(top)
        return np.asarray(probabilities / probabilities.sum(), np.float64)


def taxonomy_key(nodes: Sequence[Node]) -> str:
    """Changes whenever a node's slug, parent, name or description does (cache key of embeddings)."""
    digest = hashlib.sha256()
    for n in nodes:
        digest.update(f"{n.slug}|{n.top_slug}|{n.name}|{n.description}\n".encode())
    return digest.hexdigest()
