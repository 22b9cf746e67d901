"""Topic assignment benchmark: top-1 accuracy of the classifier on labelled generated pins, and its cost.

    python bench/topics.py              # 8 generated pins per topic (31 topics) + 400 demo-style pins
    python bench/topics.py --per 20 --demo 1000

Sets: `generated` (pinhaven.topics.synthetic: titles, board names, descriptions, link hosts per topic, written
apart from the taxonomy's descriptions), the same without board names, and `demo` (the demo's own pin texts,
labelled by theme: food, gardens, travel, outdoors, interiors, fashion, art, architecture).
Methods in the same run: MiniLM against topic descriptions (shipped), the lexical fallback, and the sign-up
picker's keyword lists (discovery/topics.py, its 12 topics only: a pin matching none counts as wrong).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.visual import pct, table

from pinhaven.topics.classify import Classifier, Node, pin_text
from pinhaven.topics.service import load_taxonomy_file
from pinhaven.topics.synthetic import LabelledPin, demo_pins, generated_pins


def nodes() -> list[Node]:
    out = []
    for top in load_taxonomy_file():
        out.append(Node(top["slug"], top["slug"], top["name"], top.get("description", "")))
        out += [
            Node(c["slug"], top["slug"], c["name"], c.get("description", "")) for c in top.get("children", [])
        ]
    return out


def text_of(p: LabelledPin) -> str:
    return pin_text(
        title=p.title, description=p.description, board_name=p.board_name, ocr_text="", domain=p.domain
    )


def keyword_baseline(pins: Sequence[LabelledPin]) -> list[str | None]:
    from pinhaven.discovery.topics import TOPICS

    out: list[str | None] = []
    for p in pins:
        hay = f"{p.board_name} {p.title}".lower()
        out.append(next((t.key for t in TOPICS if any(w in hay for w in t.words)), None))
    return out


def evaluate(
    name: str, classify: Callable[[list[str]], list[str | None]], sets: dict[str, list[LabelledPin]]
) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for set_name, pins in sets.items():
        texts = [text_of(p) for p in pins]
        per_pin: list[float] = []
        predicted: list[str | None] = []
        for start in range(0, len(texts), 32):  # batches of 32, as the job's backfill does
            t = time.perf_counter()
            predicted += classify(texts[start : start + 32])
            per_pin += [(time.perf_counter() - t) * 1000 / len(texts[start : start + 32])] * len(
                texts[start : start + 32]
            )
        correct = sum(p == q.topic for p, q in zip(predicted, pins, strict=True))
        rows.append(
            (
                name,
                set_name,
                len(pins),
                correct / len(pins),
                sum(x is None for x in predicted),
                pct(per_pin, 0.5),
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per", type=int, default=8)
    parser.add_argument("--demo", type=int, default=400)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()}")
    sets = {
        "generated": generated_pins(args.per),
        "generated, no board": generated_pins(args.per, with_board=False, seed=8),
        "demo": demo_pins(args.demo),
    }
    taxonomy = nodes()
    rows = []
    from pinhaven.search.text import semantic

    if semantic.is_installed():
        started = time.perf_counter()
        encoder = semantic.encoder()
        encoder.load()
        minilm = Classifier(taxonomy, encoder.encode)
        print(
            f"MiniLM loaded and {len(taxonomy)} topic texts embedded in {time.perf_counter() - started:.1f} s"
        )
        rows += evaluate(
            "minilm", lambda ts: [r[0].top_slug if r else None for r in minilm.classify(ts)], sets
        )
    lexical = Classifier(taxonomy, None)
    rows += evaluate("lexical", lambda ts: [r[0].top_slug if r else None for r in lexical.classify(ts)], sets)
    for set_name, pins in sets.items():
        guessed = keyword_baseline(pins)
        correct = sum(g == p.topic for g, p in zip(guessed, pins, strict=True))
        rows.append(
            (
                "signup keywords",
                set_name,
                len(pins),
                correct / len(pins),
                sum(g is None for g in guessed),
                0.0,
            )
        )
    table(
        "Top-1 topic accuracy (31 top topics)",
        ("method", "set", "n", "top-1", "no topic", "ms/pin p50"),
        rows,
    )
    print(f"load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
