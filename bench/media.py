"""Media pipeline benchmark: ms per full variant set vs a naive Pillow baseline, plus peak RSS.

Cases (generated here, nothing downloaded): a 12 MP JPEG, a 2 MP PNG with alpha, a 1 MP WebP.
Methods, each run in its own child process so its peak RSS is its own:
  naive            open → load → for each variant: LANCZOS resize from the full image (ImageOps.fit for
                   crops) → save WebP (Pillow defaults) and JPEG q85; one core
  variant set      every variant in WebP and JPEG from the stored original (each from a DCT-scaled decode,
                   parallel encode); one core, then all cores. Pinhaven no longer renders it up front
  upload + set     the in-request ingest (validate, strip or normalise, colour) plus the variant set; one core
  upload + eager   what an import does per image: the ingest plus the eager variants (236x WebP + JPEG,
                   rendered from the validation decode), the rest being rendered when first requested
  on demand        one variant rendered from the stored original, as the /media route does (736x WebP)

    .venv/bin/python bench/media.py                 # 5 runs per case
    .venv/bin/python bench/media.py --runs 15       # steadier percentiles
    .venv/bin/python bench/media.py --cases 12mp    # one case
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

CASES = {
    "12mp": ("JPEG", (4000, 3000)),
    "jpeg2mp": ("JPEG", (1632, 1224)),  # the import benchmark's size
    "png2mp": ("PNG", (1633, 1225)),
    "webp1mp": ("WEBP", (1155, 866)),
}
LADDER = {"1200x": 1200, "736x": 736, "600x": 600, "474x": 474, "236x": 236}
CROPS = {"400x300": (400, 300), "150x150": (150, 150)}


def make_image(fmt: str, size: tuple[int, int], path: Path) -> None:
    """A photo-like picture: fractal detail, smooth gradients, mild sensor noise (alpha for PNG)."""
    width, height = size
    rng = np.random.default_rng(7)
    detail = Image.effect_mandelbrot((width // 4, height // 4), (-2.2, -1.2, 1.0, 1.2), 60).resize(
        size, Image.Resampling.BICUBIC
    )
    noise = Image.fromarray(rng.normal(128, 10, (height, width)).clip(0, 255).astype(np.uint8), "L")
    bands = [
        Image.blend(detail, noise, 0.15),
        Image.blend(Image.linear_gradient("L").resize(size), noise, 0.1),
        Image.blend(Image.radial_gradient("L").resize(size), detail, 0.4),
    ]
    image = Image.merge("RGB", bands)
    if fmt == "PNG":
        image.putalpha(Image.radial_gradient("L").resize(size).point(lambda v: 255 - v))
        image.save(path, "PNG")
    elif fmt == "WEBP":
        image.save(path, "WEBP", quality=85)
    else:
        image.save(path, "JPEG", quality=90)


def naive(data: bytes) -> int:
    image: Image.Image = Image.open(io.BytesIO(data))
    image.load()
    image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
    written = 0
    outputs: list[Image.Image] = []
    for width in LADDER.values():
        w = min(width, image.width)
        outputs.append(
            image.resize((w, max(1, round(image.height * w / image.width))), Image.Resampling.LANCZOS)
        )
    for size in CROPS.values():
        outputs.append(ImageOps.fit(image, size, Image.Resampling.LANCZOS))
    for variant in outputs:
        for fmt in ("WEBP", "JPEG"):
            out = io.BytesIO()
            (variant.convert("RGB") if fmt == "JPEG" else variant).save(
                out, fmt, quality=85 if fmt == "JPEG" else 80
            )
            written += out.tell()
    return written


def upload_and_set(data: bytes) -> int:
    from pinhaven.media.colour import analyse
    from pinhaven.media.processing import normalise_upload

    original = normalise_upload(data, max_bytes=50_000_000, max_pixels=50_000_000)
    analyse(original.preview)
    return variant_set(original.data, parallel=False)


def upload_and_eager(data: bytes) -> int:
    from pinhaven.media import variants
    from pinhaven.media.colour import analyse
    from pinhaven.media.processing import normalise_upload
    from pinhaven.media.service import _eager_scale

    original = normalise_upload(data, max_bytes=50_000_000, max_pixels=50_000_000, verify_scale=_eager_scale)
    analyse(original.preview)
    rendered = variants.render(
        original.data,
        original.width,
        original.height,
        wanted=variants.EAGER_VARIANTS,
        parallel=False,
        with_palette=False,
        decoded=original.decoded,
    )
    return sum(len(b) for b in rendered.files.values())


def on_demand(original: bytes) -> int:
    from pinhaven.media import variants

    width, height = Image.open(io.BytesIO(original)).size
    rendered = variants.render(
        original, width, height, wanted=[("736x", "webp")], parallel=False, with_palette=False
    )
    return sum(len(b) for b in rendered.files.values())


def variant_set(original: bytes, parallel: bool) -> int:
    from pinhaven.media import variants

    width, height = Image.open(io.BytesIO(original)).size
    rendered = variants.render(original, width, height, parallel=parallel)
    return sum(len(b) for b in rendered.files.values())


def child(method: str, path: str, runs: int) -> None:
    from pinhaven.media.processing import normalise_upload

    if method != "set-n":
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    data = Path(path).read_bytes()
    if method.startswith(("set-", "demand")):  # these start from the stored (normalised) original
        data = normalise_upload(data, max_bytes=50_000_000, max_pixels=50_000_000).data
    run = {
        "naive": naive,
        "set-1": lambda d: variant_set(d, parallel=False),
        "set-n": lambda d: variant_set(d, parallel=True),
        "upload-1": upload_and_set,
        "eager-1": upload_and_eager,
        "demand-1": on_demand,
    }[method]
    run(data)  # warm-up: imports, plugin registration, thread pool
    timings, cpu, written = [], [], 0
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        written = run(data)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    print(json.dumps({"timings": timings, "cpu": cpu, "peak_mb": _peak_rss_mb(), "bytes": written}))


def _peak_rss_mb() -> float:
    """Peak resident memory of this process image (VmHWM; ru_maxrss would include the parent's pre-exec peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(method: str, path: Path, runs: int) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", method, str(path), str(runs)],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    timings = sorted(result["timings"])
    return {
        "p50": statistics.median(timings),
        "p90": timings[min(len(timings) - 1, round(0.9 * (len(timings) - 1)))],
        "min": timings[0],
        "cpu": statistics.median(result["cpu"]),
        "peak_mb": result["peak_mb"],
        "kb": result["bytes"] / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated: " + ", ".join(CASES))
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "PATH", "RUNS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"media pipeline: {args.runs} runs per case, {os.cpu_count()} cpus (load {load}), Pillow {Image.__version__}"
    )
    header = (
        f"{'case':<9} {'method':<22} {'p50 ms':>8} {'p90 ms':>8} {'min ms':>8} {'CPU ms':>8} {'out KB':>7} "
        f"{'peak RSS MB':>12} {'x wall':>7} {'x CPU':>6}"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    with tempfile.TemporaryDirectory() as tmp:
        for case in args.cases.split(","):
            fmt, size = CASES[case]
            path = Path(tmp) / f"{case}.{fmt.lower()}"
            make_image(fmt, size, path)
            base = measure("naive", path, args.runs)
            rows = [
                ("naive (1 core)", base),
                ("variant set (1 core)", measure("set-1", path, args.runs)),
                ("variant set (all)", measure("set-n", path, args.runs)),
                ("upload + set (1 core)", measure("upload-1", path, args.runs)),
                ("upload + eager (1 core)", measure("eager-1", path, args.runs)),
                ("on demand 736x (1 core)", measure("demand-1", path, args.runs)),
            ]
            for name, row in rows:
                ratio, cpu_ratio = base["p50"] / row["p50"], base["cpu"] / row["cpu"]
                print(
                    f"{case:<9} {name:<22} {row['p50']:>8.1f} {row['p90']:>8.1f} {row['min']:>8.1f} "
                    f"{row['cpu']:>8.1f} {row['kb']:>7.0f} {row['peak_mb']:>12.0f} {ratio:>6.1f}x {cpu_ratio:>5.1f}x"
                )
            eager = rows[4][1]
            verdicts.append(
                f"{case} upload + eager variants (what an import pays per image): {eager['cpu']:.1f} ms CPU"
                f" vs {rows[3][1]['cpu']:.1f} ms with every variant"
            )
            if case == "12mp":
                one, total = rows[1][1], rows[3][1]
                verdicts.append(
                    f"12 MP variant set on one core: p50 {one['p50']:.0f} ms wall, {one['cpu']:.0f} ms CPU (target ≤ 300)"
                )
                verdicts.append(
                    f"12 MP upload + variant set on one core: p50 {total['p50']:.0f} ms wall, {total['cpu']:.0f} ms CPU"
                )
                verdicts.append(
                    f"speed-up on one core: {base['p50'] / one['p50']:.1f}x wall, {base['cpu'] / one['cpu']:.1f}x CPU"
                    " (target ≥ 3x)"
                )
            verdicts.append(
                f"{case} peak RSS: {max(r[1]['peak_mb'] for r in rows[1:]):.0f} MB (target ≤ 250)"
            )
    print(
        "\nCPU ms = median process CPU time per set (all threads): what one idle core would take, even while"
        "\nother work shares the machine; wall times include waiting for a CPU when the machine is busy."
    )
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
