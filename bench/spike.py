"""A 25x traffic spike against the namespaced multi-host deployment, with a host and the worker killed mid-spike.

Builds the deployment of tests/netns/harness.py (app hosts A and B and a worker host, each in its own network
namespace with its own address and data folder; PostgreSQL+pgvector, Redis, SeaweedFS and NATS in an engines
namespace; the NATS event bus on when this Pinhaven has PINHAVEN_EVENT_BUS_URL), seeds users, boards and pins,
then drives an open-loop load (arrivals on a fixed schedule, whatever the answers: each request is timed from
its scheduled start, so queueing in the client counts) with a realistic mix:

    80% reads  — home feed 25%, a pin 30%, a board's pins 25%
    15% engagement events (POST /ext/v1/events, 5 impressions per batch)
     4% saves  (POST /v5/pins/{id}/save)
     1% uploads (POST /v5/pins, a 640x480 JPEG)

at the baseline rate, then 25x for --spike seconds, then the baseline again. A small client-side balancer sends
each request to A or B in turn; a host that refuses connections is taken out for 2 s (a load balancer's
passive health check) and the request goes to the other one. --kill-at seconds into the spike host A and the
worker are killed with SIGKILL; the worker is restarted 10 s later (host A stays down).

After the load: every pin acknowledged with 2xx (uploads and saves) must be in the database, and every
uploaded one's original image served by B; events accepted vs events stored and counted; time for the job
queue (and the outbox / stream, when on) to drain.

    .venv/bin/python bench/spike.py [--baseline 6] [--factor 25] [--spike 60] [--warm 30] [--after 60]

Bounded: at most --max-inflight requests in flight (arrivals beyond are counted as "shed by client"), each
request times out after 10 s, and the run stops by itself. Every address is on the bridge this run creates.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.netns.harness import APP_PORT, Deployment, unavailable_reason

REQUEST_TIMEOUT = 10.0
IDLE_MAX_SECONDS = 3.0  # uvicorn closes idle keep-alive connections after 5 s: never reuse one that old
EVENTS_PER_BATCH = 5
MIX = (("feed", 25), ("pin", 30), ("board", 25), ("events", 15), ("save", 4), ("upload", 1))
READS = {"feed", "pin", "board"}


def jpeg(seed: int) -> bytes:
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), tuple(rng.randrange(256) for _ in range(3)))  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(640), rng.randrange(480)
        box = (x, y, x + rng.randrange(20, 200), y + rng.randrange(20, 200))
        draw.ellipse(box, fill=tuple(rng.randrange(256) for _ in range(3)))  # type: ignore[arg-type]
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@dataclass
class Result:
    kind: str
    phase: str
    scheduled: float  # seconds since the run started
    latency_ms: float
    status: str  # "200", "503", "conn" (refused everywhere), "reset" (sent, no answer), "timeout", "shed"


@dataclass
class World:
    tokens: list[str]
    boards: dict[str, str]  # token -> that user's board
    pins: list[str]
    users: list[str]
    acknowledged_pins: list[str] = field(default_factory=list)
    uploaded_pins: list[str] = field(default_factory=list)
    events_accepted: int = 0


class HostPool:
    """Keep-alive connections per host, and the passive health check of a small load balancer."""

    def __init__(self, hosts: list[str]) -> None:
        self.hosts = hosts
        self.idle: dict[str, list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]]] = {
            h: [] for h in hosts
        }
        self.down_until: dict[str, float] = dict.fromkeys(hosts, 0.0)
        self.turn = 0

    def order(self) -> list[str]:
        self.turn += 1
        now = time.monotonic()
        rotated = self.hosts[self.turn % len(self.hosts) :] + self.hosts[: self.turn % len(self.hosts)]
        return sorted(rotated, key=lambda h: self.down_until[h] > now)  # healthy hosts first, in turn

    async def connection(self, host: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        now = time.monotonic()
        while self.idle[host]:
            reader, writer, since = self.idle[host].pop()
            if now - since < IDLE_MAX_SECONDS and not writer.is_closing():
                return reader, writer, True
            writer.close()
        reader, writer = await asyncio.open_connection(host, APP_PORT)
        return reader, writer, False

    def release(self, host: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.idle[host].append((reader, writer, time.monotonic()))


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes
) -> tuple[int, bytes, bool]:
    writer.write(raw)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length, close = 0, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
        elif name.strip().lower() == b"connection" and value.strip().lower() == b"close":
            close = True
    body = await reader.readexactly(length) if length else b""
    return status, body, close


def raw_request(method: str, path: str, token: str, body: dict[str, Any] | None = None) -> bytes:
    data = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: spike\r\nAuthorization: Bearer {token}\r\nAccept: application/json\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    return head.encode() + b"\r\n" + data


class Load:
    def __init__(self, world: World, pool: HostPool, images: list[str], seed: int = 7) -> None:
        self.world, self.pool, self.images = world, pool, images
        self.rng = random.Random(seed)
        self.results: list[Result] = []
        self.tasks: set[asyncio.Task[None]] = set()  # in flight (asyncio keeps only weak references)
        self.start = time.monotonic()
        kinds, weights = zip(*MIX, strict=True)
        self.kinds, self.weights = list(kinds), list(weights)

    def next_request(self, kind: str) -> bytes:
        w, rng = self.world, self.rng
        token = rng.choice(w.tokens)
        if kind == "feed":
            return raw_request("GET", "/ext/v1/feed/home?page_size=25", token)
        if kind == "pin":
            return raw_request("GET", f"/v5/pins/{rng.choice(w.pins)}", token)
        if kind == "board":
            return raw_request("GET", f"/v5/boards/{w.boards[rng.choice(w.tokens)]}/pins?page_size=25", token)
        if kind == "events":
            events = [
                {"type": "impression", "pin_id": rng.choice(w.pins), "surface": "home", "position": i}
                for i in range(EVENTS_PER_BATCH)
            ]
            return raw_request("POST", "/ext/v1/events", token, {"events": events})
        if kind == "save":
            return raw_request(
                "POST", f"/v5/pins/{rng.choice(w.pins)}/save", token, {"board_id": w.boards[token]}
            )
        body = {
            "board_id": w.boards[token],
            "title": f"Spike upload {rng.randrange(10**9)}",
            "media_source": {
                "source_type": "image_base64",
                "content_type": "image/jpeg",
                "data": rng.choice(self.images),
            },
        }
        return raw_request("POST", "/v5/pins", token, body)

    async def one(self, kind: str, phase: str, scheduled: float) -> None:
        raw = self.next_request(kind)
        status = "conn"
        body = b""
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT - (time.monotonic() - self.start - scheduled)):
                for host in self.pool.order():
                    try:
                        reader, writer, reused = await self.pool.connection(host)
                    except OSError:
                        self.pool.down_until[host] = time.monotonic() + 2.0  # refused: take it out for 2 s
                        continue
                    try:
                        code, body, close = await exchange(reader, writer, raw)
                    except (OSError, asyncio.IncompleteReadError) as exc:
                        writer.close()
                        if reused and isinstance(exc, asyncio.IncompleteReadError) and not exc.partial:
                            # an idle connection the server had closed: nothing was processed, so try afresh
                            try:
                                reader, writer = await asyncio.open_connection(host, APP_PORT)
                                code, body, close = await exchange(reader, writer, raw)
                            except (OSError, asyncio.IncompleteReadError):
                                writer.close()
                                status = "reset"
                                self.pool.down_until[host] = time.monotonic() + 2.0
                                break
                        else:
                            status = "reset"  # sent and never answered (the host died): not acknowledged
                            self.pool.down_until[host] = time.monotonic() + 2.0
                            break
                    status = str(code)
                    if close:
                        writer.close()
                    else:
                        self.pool.release(host, reader, writer)
                    break
        except TimeoutError:
            status = "timeout"
        latency = (time.monotonic() - self.start - scheduled) * 1000
        self.results.append(Result(kind, phase, scheduled, latency, status))
        if status.startswith("2") and kind in ("save", "upload", "events"):
            answer = json.loads(body)
            if kind == "events":
                self.world.events_accepted += int(answer["accepted"])
            else:
                self.world.acknowledged_pins.append(answer["id"])
                if kind == "upload":
                    self.world.uploaded_pins.append(answer["id"])

    async def run_phase(self, phase: str, rate: float, seconds: float, max_inflight: int) -> None:
        """Open loop: arrivals every 1/rate s from the phase's start, whether or not answers came back."""
        phase_start = time.monotonic() - self.start
        tasks = self.tasks
        count = int(rate * seconds)
        for i in range(count):
            scheduled = phase_start + i / rate
            delay = scheduled - (time.monotonic() - self.start)
            if delay > 0:
                await asyncio.sleep(delay)
            kind = self.rng.choices(self.kinds, self.weights)[0]
            if len(tasks) >= max_inflight:
                self.results.append(Result(kind, phase, scheduled, 0.0, "shed"))
                continue
            task = asyncio.create_task(self.one(kind, phase, scheduled))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        end = phase_start + seconds
        await asyncio.sleep(max(0.0, end - (time.monotonic() - self.start)))
        # requests still in flight finish during the next phase (counted in the phase they were scheduled in)


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1]


def seed_world(deployment: Deployment, users: int, pins_per_user: int, images: list[str]) -> World:
    tokens, boards, pins, names = [], {}, [], []
    with httpx.Client(timeout=60, trust_env=False) as http:
        a = deployment.url("a")
        for u in range(users):
            name = f"u{u:03d}"
            token = deployment.create_user(name)
            headers = {"Authorization": f"Bearer {token}"}
            board = http.post(f"{a}/v5/boards", json={"name": f"Board of {name}"}, headers=headers).json()[
                "id"
            ]
            tokens.append(token)
            boards[token] = board
            names.append(name)
            for p in range(pins_per_user):
                body = {
                    "board_id": board,
                    "title": f"Pin {p} of {name}",
                    "media_source": {
                        "source_type": "image_base64",
                        "content_type": "image/jpeg",
                        "data": images[(u * pins_per_user + p) % len(images)],
                    },
                }
                made = http.post(f"{a}/v5/pins", json=body, headers=headers)
                made.raise_for_status()
                pins.append(made.json()["id"])
        rng = random.Random(3)
        for u, token in enumerate(tokens):  # everyone follows a few others: home feeds have followed pins
            for other in rng.sample([n for i, n in enumerate(names) if i != u], k=min(4, users - 1)):
                http.post(f"{a}/ext/v1/users/{other}/follow", headers={"Authorization": f"Bearer {token}"})
    return World(tokens=tokens, boards=boards, pins=pins, users=names)


HEALTH_TOKEN = secrets.token_urlsafe(
    16
)  # given to every host, so /ext/v1/health shows queue and stream details


def health(deployment: Deployment, role: str = "b") -> dict[str, Any]:
    try:
        url = f"{deployment.url(role)}/ext/v1/health"
        headers = {"X-Health-Token": HEALTH_TOKEN}
        return dict(httpx.get(url, headers=headers, timeout=10, trust_env=False).json())
    except (httpx.HTTPError, ValueError):
        return {}


def backlog(state: dict[str, Any]) -> tuple[int, int, int]:
    """(queued + running jobs, outbox rows not yet published, messages pending in the stream's consumers)."""
    queue = state.get("queue") or {}
    stream = state.get("stream") or {}
    pending = sum(
        int(c.get("pending", 0)) + int(c.get("ack_pending", 0))
        for c in (stream.get("consumers") or {}).values()
    )
    return (
        int(queue.get("queued", 0)) + int(queue.get("running", 0)),
        int(stream.get("outbox_backlog", 0)),
        pending,
    )


def queue_backlog(deployment: Deployment) -> tuple[int, int]:
    """(jobs due or running, outbox rows not yet published) in the shared database."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(deployment.engine_url("postgres"))
    try:
        with engine.connect() as conn:
            jobs = conn.scalar(
                text(
                    "SELECT count(*) FROM jobs WHERE state = 'running' OR (state = 'queued' AND run_after <= now())"
                )
            )
            outbox = 0
            if "outbox_events" in inspect(conn).get_table_names():
                outbox = conn.scalar(text("SELECT count(*) FROM outbox_events WHERE sent_at IS NULL"))
            return int(jobs or 0), int(outbox or 0)
    finally:
        engine.dispose()


def wait_drained(deployment: Deployment, timeout: float) -> float:
    """Seconds until no job is due or running and the outbox is empty (jobs scheduled for later do not count)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if queue_backlog(deployment) == (0, 0):
            return time.monotonic() - start
        time.sleep(0.5)
    return float("inf")


def report_phases(results: list[Result], phases: list[tuple[str, float, float]]) -> list[str]:
    lines = [
        "| phase | offered req/s | done req/s (2xx) | reads p50 / p99 ms | all p50 / p99 ms | writes 2xx | errors by status |",
        "|---|---|---|---|---|---|---|",
    ]
    for phase, rate, seconds in phases:
        rows = [r for r in results if r.phase == phase]
        ok = [r for r in rows if r.status.startswith("2")]
        reads = [r.latency_ms for r in ok if r.kind in READS]
        every = [r.latency_ms for r in rows if r.status != "shed"]
        writes = Counter(r.kind for r in ok if r.kind not in READS)
        errors = Counter(r.status for r in rows if not r.status.startswith("2"))
        lines.append(
            f"| {phase} | {rate:.0f} | {len(ok) / seconds:.1f} | {quantile(reads, 0.5):.0f} / {quantile(reads, 0.99):.0f} | "
            f"{quantile(every, 0.5):.0f} / {quantile(every, 0.99):.0f} | "
            f"{', '.join(f'{k} {v}' for k, v in sorted(writes.items())) or '-'} | "
            f"{', '.join(f'{k}: {v}' for k, v in sorted(errors.items())) or 'none'} |"
        )
    return lines


def windows(
    results: list[Result], start: float, end: float, width: float = 5.0
) -> list[tuple[float, float, int, int]]:
    """(window start, read p99 ms, 2xx, errors) per `width` seconds between start and end (scheduled time)."""
    out = []
    t = start
    while t < end:
        rows = [r for r in results if t <= r.scheduled < t + width]
        reads = [r.latency_ms for r in rows if r.kind in READS and r.status.startswith("2")]
        ok = sum(1 for r in rows if r.status.startswith("2"))
        out.append((t - start, quantile(reads, 0.99), ok, len(rows) - ok))
        t += width
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", type=float, default=6.0, help="baseline requests per second")
    parser.add_argument("--factor", type=float, default=25.0)
    parser.add_argument("--warm", type=float, default=30.0, help="seconds at baseline before the spike")
    parser.add_argument("--spike", type=float, default=60.0)
    parser.add_argument("--after", type=float, default=60.0, help="seconds at baseline after the spike")
    parser.add_argument(
        "--kill-at", type=float, default=20.0, help="seconds into the spike (negative: no kill)"
    )
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--pins-per-user", type=int, default=5)
    parser.add_argument("--processes", type=int, default=1, help="server processes per app host")
    parser.add_argument("--max-inflight", type=int, default=600)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for every host, e.g. admission_read_limit=8 (PINHAVEN_ADMISSION_READ_LIMIT); repeatable",
    )
    args = parser.parse_args()
    host_settings = dict(item.split("=", 1) for item in args.set)
    reason = unavailable_reason()
    if reason:
        raise SystemExit(f"cannot build the namespaced deployment here: {reason}")
    images = [base64.b64encode(jpeg(i)).decode() for i in range(60)]
    with Deployment.start(Path(tempfile.mkdtemp(prefix="pinhaven-spike-"))) as deployment:
        # (the harness passes no PINHAVEN_* variable of this process on: the hosts get these explicitly)
        deployment.env.update({f"PINHAVEN_{name.upper()}": value for name, value in host_settings.items()})
        deployment.env["PINHAVEN_HEALTH_TOKEN"] = HEALTH_TOKEN
        deployment.start_all(processes=args.processes)
        started = time.monotonic()
        world = seed_world(deployment, args.users, args.pins_per_user, images)
        seeded_drain = wait_drained(deployment, 180)
        print(
            f"seeded {len(world.users)} users, {len(world.pins)} pins in {time.monotonic() - started:.0f} s "
            f"(drained {seeded_drain:.0f} s); event bus {'on' if deployment.event_bus else 'off'}",
            flush=True,
        )
        counts_before = database_counts(deployment, [])
        pool = HostPool([deployment.network.address("a"), deployment.network.address("b")])
        load = Load(world, pool, images)
        phases = [
            ("baseline", args.baseline, args.warm),
            (f"spike {args.factor:.0f}x", args.baseline * args.factor, args.spike),
            ("after", args.baseline, args.after),
        ]
        lag_samples: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        kills: list[str] = []
        health_failures: Counter[str] = Counter()

        async def drive() -> None:
            async def sample_lag() -> None:
                while True:
                    now = time.monotonic() - load.start
                    phase = (
                        "baseline"
                        if now < args.warm
                        else phases[1][0]
                        if now < args.warm + args.spike
                        else "after"
                    )
                    state = await asyncio.to_thread(health, deployment)
                    if state:  # an unanswered health check is not a zero backlog
                        lag_samples[phase].append(backlog(state))
                    else:
                        health_failures[phase] += 1
                    await asyncio.sleep(1.0)

            async def chaos() -> None:
                await asyncio.sleep(args.warm + args.kill_at)
                deployment.kill("a")
                deployment.kill("w")
                kills.append(
                    f"host A and the worker killed (SIGKILL) at {time.monotonic() - load.start:.1f} s"
                )
                await asyncio.sleep(10)
                deployment.start_worker()
                kills.append(f"worker restarted at {time.monotonic() - load.start:.1f} s")

            sampler = asyncio.create_task(sample_lag())
            chaos_task = asyncio.create_task(chaos()) if args.kill_at >= 0 else None
            for phase, rate, seconds in phases:
                await load.run_phase(phase, rate, seconds, args.max_inflight)
            await asyncio.sleep(REQUEST_TIMEOUT)  # the last requests finish or time out
            sampler.cancel()
            if chaos_task:
                await chaos_task

        load.start = time.monotonic()
        asyncio.run(drive())
        drained = wait_drained(deployment, 300)
        counts = database_counts(deployment, world.acknowledged_pins)
        served = images_served(deployment, world.uploaded_pins, world.tokens)

    spike_start = args.warm
    lines = [
        f"machine: 2 cores; baseline {args.baseline:g} req/s, spike {args.factor:g}x for {args.spike:g} s; "
        f"event bus {'on' if deployment.event_bus else 'off'}; {args.processes} server process(es) per host"
        + "".join(f"; {name}={value}" for name, value in host_settings.items()),
        "",
    ]
    lines += report_phases(load.results, phases)
    lines.append("")
    lines += [f"- {k}" for k in kills]
    for phase, samples in lag_samples.items():
        if samples:
            lines.append(
                f"- {phase}: max jobs queued+running {max(s[0] for s in samples)}, outbox backlog {max(s[1] for s in samples)}, "
                f"stream pending {max(s[2] for s in samples)}"
            )
    lines += [f"- {phase}: /ext/v1/health on B unanswered {n} times" for phase, n in health_failures.items()]
    acked = len(world.acknowledged_pins)
    lines += [
        f"- pins acknowledged (uploads + saves, 2xx): {acked}; present in the database: {counts['pins_present']}; "
        f"uploaded originals served by host B: {served}/{len(world.uploaded_pins)}",
        f"- events accepted: {world.events_accepted}; stored: {counts['events'] - counts_before['events']}; "
        f"counted in pin_stats.impressions: {counts['impressions'] - counts_before['impressions']}",
        f"- time to drain the job queue{' and the stream' if deployment.event_bus else ''} after the load: {drained:.1f} s",
        "",
        "read p99 per 5 s after the spike (scheduled time from its end): "
        + ", ".join(
            f"{t:.0f}s {p99:.0f} ms"
            for t, p99, _, _ in windows(
                load.results, spike_start + args.spike, spike_start + args.spike + args.after
            )
        ),
        "read p99 per 5 s during the spike: "
        + ", ".join(
            f"{t:.0f}s {p99:.0f} ms ({bad} err)"
            for t, p99, _, bad in windows(load.results, spike_start, spike_start + args.spike)
        ),
    ]
    print("\n".join(lines))


def database_counts(deployment: Deployment, pin_ids: list[str]) -> dict[str, int]:
    from sqlalchemy import bindparam, create_engine, text

    engine = create_engine(deployment.engine_url("postgres"))
    try:
        with engine.connect() as conn:
            present = 0
            if pin_ids:
                query = text("SELECT count(*) FROM pins WHERE id IN :ids").bindparams(
                    bindparam("ids", expanding=True)
                )
                present = int(conn.scalar(query, {"ids": [int(p) for p in set(pin_ids)]}) or 0)
            return {
                "pins_present": present,
                "events": int(
                    conn.scalar(text("SELECT count(*) FROM events WHERE type = 'impression'")) or 0
                ),
                "impressions": int(
                    conn.scalar(text("SELECT coalesce(sum(impressions), 0) FROM pin_stats")) or 0
                ),
            }
    finally:
        engine.dispose()


def images_served(deployment: Deployment, pin_ids: list[str], tokens: list[str]) -> int:
    """How many uploaded pins' original images host B serves (the uploader's token sees any of them: all public)."""
    served = 0
    with httpx.Client(timeout=30, trust_env=False) as http:
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        b = deployment.url("b")
        for pin in pin_ids:
            try:
                shown = http.get(f"{b}/v5/pins/{pin}", headers=headers)
                if shown.status_code != 200:
                    continue
                url = shown.json()["media"]["images"]["originals"]["url"]
                image = http.get(f"{b}{httpx.URL(url).raw_path.decode()}", headers=headers)
            except httpx.HTTPError:
                continue
            served += image.status_code == 200 and len(image.content) > 0
    return served


if __name__ == "__main__":
    main()
