"""OCR benchmark: character error rate on generated pictures with known text, time per image, skip rate.

    python bench/ocr.py                 # 10 pictures per condition (~1-2 min on 2 shared cores)
    python bench/ocr.py --per 30 --det-side 736

Pictures come from pinhaven.ocr.synthetic (DejaVu fonts in four faces, 22-60 px text on 736×920 pins;
conditions clear, inverse, rotated ±2-5°, gradient, a banner over a painted scene, and scenes with no text).
The engine runs on one thread (ONNX Runtime intra-op threads = 1); times are wall-clock and CPU per image.
Baseline in the same run: the same pictures without the text-likelihood check (every picture fully read).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.visual import pct, table

from pinhaven.ocr.engine import OcrEngine
from pinhaven.ocr.synthetic import CONDITIONS, font_files, generate


def cer(truth: str, found: str) -> float:
    """Levenshtein distance / length of the truth (line breaks count as characters)."""
    previous = list(range(len(found) + 1))
    for i, a in enumerate(truth, 1):
        current = [i]
        for j, b in enumerate(found, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1] / max(1, len(truth))


def run(per: int, det_side: int, seed: int) -> None:
    samples = generate(per, seed=seed)
    engine = OcrEngine(det_side=det_side, threads=1)
    started = time.perf_counter()
    engine.load()
    print(f"models loaded in {time.perf_counter() - started:.2f} s; fonts: {len(font_files()) or 'builtin'}")
    engine.read(samples[0].image)  # warm-up (first inference allocates)
    stats: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for checked in (True, False):
        label = "checked" if checked else "no-check"
        for s in samples:
            wall, cpu = time.perf_counter(), time.process_time()
            result = engine.read(s.image, check=checked)
            wall_ms, cpu_ms = (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000
            row = stats[f"{label}:{s.condition}"]
            row["wall"].append(wall_ms)
            row["cpu"].append(cpu_ms)
            row["skipped"].append(float(result.status == "skipped"))
            if s.text:
                row["cer"].append(cer(s.text, result.text))
            else:
                row["false_text"].append(float(bool(result.text)))
    rows = []
    for label in ("checked", "no-check"):
        for condition in CONDITIONS:
            r = stats[f"{label}:{condition}"]
            mean_cer = sum(r["cer"]) / len(r["cer"]) if r["cer"] else float("nan")
            exact = sum(c == 0 for c in r["cer"]) / len(r["cer"]) if r["cer"] else float("nan")
            rows.append(
                (
                    label,
                    condition,
                    len(r["wall"]),
                    mean_cer,
                    exact,
                    sum(r["skipped"]) / len(r["skipped"]),
                    pct(r["wall"], 0.5),
                    pct(r["wall"], 0.9),
                    pct(r["cpu"], 0.5),
                    pct(r["cpu"], 0.9),
                )
            )
    table(
        f"OCR, det side {det_side}px, {per} pictures per condition (CER: edit distance / characters)",
        ("mode", "condition", "n", "CER", "exact", "skipped", "wall p50", "wall p90", "cpu p50", "cpu p90"),
        rows,
    )
    text_wall = [
        w for k, r in stats.items() if k.startswith("checked:") and "notext" not in k for w in r["wall"]
    ]
    all_cpu = [w for k, r in stats.items() if k.startswith("checked:") for w in r["cpu"]]
    print(
        f"\nall text pictures (checked): wall p50 {pct(text_wall, 0.5):.0f} ms, p90 {pct(text_wall, 0.9):.0f} ms;"
        f" every picture cpu p50 {pct(all_cpu, 0.5):.0f} ms"
    )
    print(f"load average {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--per", type=int, default=10, help="pictures per condition")
    parser.add_argument("--det-side", type=int, default=480)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()}")
    run(args.per, args.det_side, args.seed)


if __name__ == "__main__":
    main()
