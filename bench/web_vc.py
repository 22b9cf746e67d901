"""Web visual-complete benchmark: how long until every above-the-fold image of the home page has loaded.

Serves the real app (uvicorn on 127.0.0.1) over ~400 demo pins made through the services, then loads the
signed-out home page in headless Chromium, each load in a fresh browser context (cold browser cache, warm
server), and records when the last image that intersects the 1280×800 viewport finished loading
(ms since navigation start). Two modes, interleaved:

  pinhaven         the page as served: 236/474 px variants via srcset, width/height set, colour placeholders
  pinhaven-routed  the same, with /media requests passing through a Playwright route hook
  naive-routed     the same hook answering each image with its full-size original (what a gallery that
                   serves uploads as-is sends): the baseline, compared with pinhaven-routed

On loopback bandwidth is free, so the size ladder shows in bytes more than in time; `--mbps 20` emulates a
20 Mbit/s link (plus 20 ms latency) for every mode.

    .venv/bin/python bench/web_vc.py                     # 400 pins, 20 loads per mode
    .venv/bin/python bench/web_vc.py --mbps 20           # over an emulated 20 Mbit/s link
    .venv/bin/python bench/web_vc.py --pins 1000 --loads 50 --viewport 1920x1080 --render
    .venv/bin/python bench/web_vc.py --data-dir /tmp/demo      # keep the demo data; later runs reuse it
"""

from __future__ import annotations

import argparse
import io
import random
import re
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import uvicorn
from PIL import Image

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.scopes import session_viewer
from pinhaven.app import create_app
from pinhaven.boards import service as boards_service
from pinhaven.config import load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.media import service as media_service
from pinhaven.pins import service as pins_service

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WORDS = [
    "kitchen",
    "garden",
    "linen",
    "sunrise",
    "sourdough",
    "desk",
    "travel",
    "cabin",
    "tiles",
    "plants",
    "ceramic",
    "autumn",
    "coast",
]

# Resolves once every image intersecting the viewport has loaded; the time is the latest load, from the
# resource timing entry (images finished before this script ran) or the load event (the rest).
ABOVE_FOLD_LOADED = """
async () => {
  await new Promise(r => document.readyState === "loading"
    ? document.addEventListener("DOMContentLoaded", r) : r());
  await new Promise(r => requestAnimationFrame(() => r()));
  const visible = [...document.images].filter(img => {
    const box = img.getBoundingClientRect();
    return box.bottom > 0 && box.top < innerHeight && box.right > 0 && box.left < innerWidth && box.width > 0;
  });
  const times = await Promise.all(visible.map(img => new Promise(resolve => {
    const done = () => {
      const entry = performance.getEntriesByName(img.currentSrc).pop();
      resolve(entry ? entry.responseEnd : performance.now());
    };
    if (img.complete && img.naturalWidth) done();
    else { img.addEventListener("load", () => resolve(performance.now()), { once: true });
           img.addEventListener("error", () => resolve(NaN), { once: true }); }
  })));
  const bytes = visible.reduce((sum, img) => {
    const entry = performance.getEntriesByName(img.currentSrc).pop();
    return sum + (entry ? entry.encodedBodySize : 0);
  }, 0);
  return { ms: Math.max(...times), images: visible.length, bytes };
}
"""

VARIANT = re.compile(r"/(?:150x150|400x300|236x|474x|600x|736x|1200x)(?:\.webp|\.jpg)?$")


def photo(rng: random.Random, width: int, height: int) -> bytes:
    """A photo-like JPEG: a gradient plus detail at several scales (so small variants keep realistic
    sizes, as texture in real photos does) plus grain."""
    noise = np.random.default_rng(rng.randrange(1 << 30))
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.array([rng.randrange(40, 220) for _ in range(3)], dtype=np.float32)
    tilt = np.array([rng.uniform(-0.12, 0.12) for _ in range(3)], dtype=np.float32)
    pixels = base + tilt * (x[..., None] * 0.6 + y[..., None] * 0.4)
    for cell, amplitude in ((48, 45.0), (12, 30.0), (3, 18.0)):
        small = noise.normal(128, amplitude, (height // cell + 1, width // cell + 1, 3)).clip(0, 255)
        layer = Image.fromarray(small.astype(np.uint8)).resize((width, height), Image.Resampling.BILINEAR)
        pixels += np.asarray(layer, dtype=np.float32) - 128
    pixels += noise.normal(0, 6, (height, width, 3))
    out = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(out, "JPEG", quality=88)
    return out.getvalue()


def seed_demo(ctx: AppContext, pins: int, *, render: bool) -> None:
    """Demo users, boards and pins through the services; optionally run the queued jobs (all variants).

    Without `render`, the media endpoint renders the variants the warm-up load asks for, on demand.
    """
    rng = random.Random(7)
    started = time.perf_counter()
    with session_scope(ctx.sessions) as db:
        owners = []
        for i in range(8):
            user = accounts_service.create(
                db=db, username=f"demo{i}", email=f"demo{i}@example.test", password="correct horse battery"
            )
            boards = [
                boards_service.create(db=db, owner_id=user.id, name=f"{w.title()} ideas")
                for w in WORDS[i : i + 3]
            ]
            owners.append((user, boards))
    store = media_service.media_store(ctx)
    for n in range(pins):
        user, boards = owners[n % len(owners)]
        width = 1000
        height = int(width * rng.choice([0.66, 0.75, 1.0, 1.25, 1.5, 1.78]))
        with session_scope(ctx.sessions) as db:
            image = media_service.ingest_bytes(
                db=db, store=store, settings=ctx.settings, data=photo(rng, width, height)
            )
            pins_service.create(
                db=db,
                viewer=session_viewer(user.id),
                board_id=boards[n % 3].id,
                image=image,
                fields=pins_service.PinFields(title=f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} #{n}"),
            )
        if (n + 1) % 100 == 0:
            print(f"  {n + 1} pins ({time.perf_counter() - started:.0f} s)", flush=True)
    if render:
        done = drain(ctx)
        print(f"  ran {done} queued jobs ({time.perf_counter() - started:.0f} s in all)", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(ctx: AppContext) -> tuple[uvicorn.Server, threading.Thread, str]:
    config = uvicorn.Config(create_app(ctx=ctx), host="127.0.0.1", port=free_port(), log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread, f"http://127.0.0.1:{config.port}"


MODES = ("pinhaven", "pinhaven-routed", "naive-routed")


def load_once(
    browser: Any, base_url: str, viewport: tuple[int, int], mode: str, mbps: float
) -> dict[str, float]:
    """One cold load. The routed modes send /media requests through a Playwright hook (the same overhead
    for both); naive-routed swaps each variant for the full-size original, as a server without a size
    ladder would send."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()

    def media(route: Any) -> None:
        url = route.request.url
        route.continue_(url=VARIANT.sub("/originals", url) if mode == "naive-routed" else url)

    try:
        if mbps > 0:
            cdp = context.new_cdp_session(page)
            rate = mbps * 1_000_000 / 8
            cdp.send("Network.enable")
            cdp.send(
                "Network.emulateNetworkConditions",
                {"offline": False, "latency": 20, "downloadThroughput": rate, "uploadThroughput": rate},
            )
        if mode != "pinhaven":
            page.route("**/media/**", media)
        page.goto(base_url + "/", wait_until="commit")
        result: dict[str, float] = page.evaluate(ABOVE_FOLD_LOADED)
        return result
    finally:
        context.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pins", type=int, default=400)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--viewport", default="1280x800")
    parser.add_argument("--data-dir", type=Path, default=None, help="reuse (or keep) the demo data here")
    parser.add_argument("--render", action="store_true", help="run every image's media jobs first (slow)")
    parser.add_argument(
        "--mbps", type=float, default=0.0, help="emulate a link of this many Mbit/s (0: loopback)"
    )
    args = parser.parse_args()
    viewport = tuple(int(v) for v in args.viewport.split("x"))
    assert len(viewport) == 2

    from playwright.sync_api import sync_playwright

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="pinhaven-web-vc-"))
    fresh = not (data_dir / "pinhaven.db").exists()
    settings = load_settings(env={}, data_dir=data_dir, password_hash_fast=True, worker_threads=0)
    ctx = build_context(settings)
    if fresh:
        print(f"seeding {args.pins} demo pins in {data_dir}", flush=True)
        seed_demo(ctx, args.pins, render=args.render)
    server, thread, base_url = serve(ctx)
    results: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for mode in MODES:  # warm-up: server caches, on-demand variants, the browser itself
                load_once(browser, base_url, viewport, mode, args.mbps)
            for _ in range(args.loads):
                for mode in MODES:  # interleaved, so background load on the machine hits every mode alike
                    results[mode].append(load_once(browser, base_url, viewport, mode, args.mbps))
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    link = f"emulated {args.mbps:g} Mbit/s link" if args.mbps else "loopback"
    print(f"\nhome page, {args.viewport} viewport, {args.loads} loads per mode, cold browser cache, {link}")
    print("time = last above-the-fold image loaded, ms after navigation start")
    header = f"{'mode':<16} {'p50 ms':>8} {'p90 ms':>8} {'min ms':>8} {'max ms':>8} {'images':>7} {'KB above fold':>14}"
    print(header)
    p50 = {}
    for mode, runs in results.items():
        times = [r["ms"] for r in runs]
        p50[mode] = percentile(times, 0.5)
        print(
            f"{mode:<16} {p50[mode]:>8.0f} {percentile(times, 0.9):>8.0f} {min(times):>8.0f}"
            f" {max(times):>8.0f} {statistics.median(r['images'] for r in runs):>7.0f}"
            f" {statistics.median(r['bytes'] for r in runs) / 1024:>14.0f}"
        )
    kb = {mode: statistics.median(r["bytes"] for r in runs) for mode, runs in results.items()}
    print(
        f"naive-routed / pinhaven-routed: p50 {p50['naive-routed'] / p50['pinhaven-routed']:.2f}x,"
        f" bytes {kb['naive-routed'] / max(kb['pinhaven-routed'], 1):.1f}x"
    )
    verdict = "met" if p50["pinhaven"] <= 600 else "missed"
    print(f"target pinhaven p50 <= 600 ms: {verdict} ({p50['pinhaven']:.0f} ms)")


if __name__ == "__main__":
    main()
