"""Notifications: fan-out of a save by a user with N followers, live delivery over SSE, inbox page latency.

1. Fan-out throughput (in process, the service the job runs): `hooks.fanout_save` for a saver with N followers
   (bulk insert, one transaction, committed), notifications created per second; against the naive baseline of
   one `notify()` (ORM row + aggregation lookup) per follower, on a smaller N.
2. Delivery (real `pinhaven serve` subprocess, its worker threads run the fan-out job): K followers hold open
   `/notifications/stream` connections; the saver saves through the API; for each stream, the time from the
   save's response to the stream's new `unread` event (includes the job's queue pickup).
3. Inbox page: a follower with M notifications; GET /ext/v1/notifications (25 items, unread_count) and the
   HTML /notifications page, sequentially, p50/p99 client-timed.

    .venv/bin/python bench/notifications.py [--followers 10000] [--streams 100] [--requests 300]

Prints the load average with the figures (the machine is shared).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.factories import image_bytes
from tests.integration.server import running_server

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.models import User, UserFollow
from pinhaven.accounts.passwords import hash_password
from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.config import load_settings
from pinhaven.context import build_context
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import new_id
from pinhaven.media import service as media_service
from pinhaven.notifications import hooks, service
from pinhaven.notifications.models import Notification
from pinhaven.pins import service as pins_service

PASSWORD = "correct horse battery"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def seed_users(ctx, prefix: str, count: int) -> list[int]:  # type: ignore[no-untyped-def]
    """`count` users inserted in bulk (one password hash shared: they never log in by password here)."""
    hashed = hash_password(PASSWORD)
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "username": f"{prefix}{i}",
            "email": f"{prefix}{i}@bench.test",
            "password_hash": hashed,
            "display_name": f"{prefix} {i}",
            "created_at": now,
        }
        for i in range(count)
    ]
    with session_scope(ctx.sessions) as db:
        for start in range(0, len(rows), 2000):
            db.execute(User.__table__.insert(), rows[start : start + 2000])
    return [r["id"] for r in rows]


def follow_all(ctx, followers: list[int], followee: int) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    with session_scope(ctx.sessions) as db:
        rows = [{"follower_id": f, "followee_id": followee, "created_at": now} for f in followers]
        for start in range(0, len(rows), 2000):
            db.execute(UserFollow.__table__.insert(), rows[start : start + 2000])
        db.execute(User.__table__.update().where(User.id == followee).values(follower_count=len(followers)))


def make_pin(ctx, owner_id: int, board_id: int, seed: int) -> int:  # type: ignore[no-untyped-def]
    with session_scope(ctx.sessions) as db:
        image = media_service.ingest_bytes(
            db=db,
            store=media_service.media_store(ctx),
            settings=ctx.settings,
            data=image_bytes(size=(200, 150), seed=seed),
        )
        pin = pins_service.create(
            db=db,
            viewer=session_viewer(owner_id),
            board_id=board_id,
            image=image,
            fields=pins_service.PinFields(title=f"p{seed}"),
        )
        return pin.id


def account(ctx, username: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    with session_scope(ctx.sessions) as db:
        user = accounts_service.create(
            db=db, username=username, email=f"{username}@bench.test", password=PASSWORD
        )
        _, token = accounts_service.create_token(db=db, user=user, name="bench")
        return user.id, token


def tokens_for(ctx, user_ids: list[int]) -> list[str]:  # type: ignore[no-untyped-def]
    out = []
    with session_scope(ctx.sessions) as db:
        for uid in user_ids:
            user = db.get(User, uid)
            _, token = accounts_service.create_token(db=db, user=user, name="bench")
            out.append(token)
    return out


def board_of(ctx, owner_id: int, name: str) -> int:  # type: ignore[no-untyped-def]
    with session_scope(ctx.sessions) as db:
        return boards_service.create(
            db=db, owner_id=owner_id, name=name, description=None, privacy="PUBLIC"
        ).id


# --- 1. fan-out throughput -------------------------------------------------------------------------------


def fanout_throughput(ctx, saver: int, saver_board: int, source_pin: int, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    rates = []
    for r in range(rounds):
        with session_scope(ctx.sessions) as db:
            saved = pins_service.save(
                db=db, viewer=session_viewer(saver), pin_id=source_pin, board_id=saver_board, section_id=None
            )
            pin_id = saved.id
        started = time.perf_counter()
        with session_scope(ctx.sessions) as db:
            created = hooks.fanout_save(db, saver_id=saver, pin_id=pin_id)
        elapsed = time.perf_counter() - started
        rates.append(created / elapsed)
        print(
            f"  round {r + 1}: {created} notifications in {elapsed * 1000:.0f} ms ({created / elapsed:,.0f}/s)"
        )
    return rates


def naive_throughput(ctx, saver: int, followers: list[int], pin_id: int, board_id: int) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    with session_scope(ctx.sessions) as db:
        for f in followers:
            service.notify(
                db, recipient_id=f, actor_id=saver, type="save", object_type="followed_save",
                object_id=pin_id, board_id=board_id, pin_id=pin_id, aggregate=False,
            )  # fmt: skip
    return len(followers) / (time.perf_counter() - started)


# --- 2. delivery over SSE --------------------------------------------------------------------------------


async def delivery(
    base: str, saver_token: str, follower_tokens: list[str], source_pin: int, board_id: int
) -> list[float]:
    arrivals: dict[int, float] = {}
    ready = [asyncio.Event() for _ in follower_tokens]
    saved_at = asyncio.Event()

    async def listen(i: int, token: str) -> None:
        async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(60.0)) as client:
            headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
            async with client.stream("GET", "/notifications/stream", headers=headers) as response:
                first: int | None = None
                async for line in response.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    count = json.loads(line[6:])["unread"]
                    if first is None:
                        first = count
                        ready[i].set()
                    elif count > first and saved_at.is_set():
                        arrivals[i] = time.perf_counter()
                        return

    tasks = [asyncio.create_task(listen(i, t)) for i, t in enumerate(follower_tokens)]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready)), timeout=120)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        response = await client.post(
            f"/v5/pins/{source_pin}/save",
            json={"board_id": str(board_id)},
            headers={"Authorization": f"Bearer {saver_token}"},
        )
        assert response.status_code == 201, response.text
    t0 = time.perf_counter()
    saved_at.set()
    _, pending = await asyncio.wait(tasks, timeout=30)
    for task in pending:
        task.cancel()
    return [arrivals[i] - t0 for i in sorted(arrivals)]


# --- 3. inbox page ---------------------------------------------------------------------------------------


def inbox_latency(
    base: str, token: str, username: str, requests: int
) -> tuple[list[float], list[float], list[float]]:
    api, html, baseline = [], [], []
    with httpx.Client(base_url=base, timeout=30) as client:
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(20):  # warm up
            client.get("/ext/v1/notifications", headers=headers)
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get("/ext/v1/notifications", headers=headers)
            api.append(time.perf_counter() - started)
            assert response.status_code == 200 and len(response.json()["items"]) == 25
            started = time.perf_counter()  # same-run baseline: a small authenticated read
            assert client.get("/ext/v1/users/saver", headers=headers).status_code == 200
            baseline.append(time.perf_counter() - started)
    with httpx.Client(base_url=base, timeout=30, follow_redirects=False) as web:
        page = web.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf, "no csrf token on /login"
        logged = web.post(
            "/login", data={"login": username, "password": PASSWORD, "csrf_token": csrf.group(1)}
        )
        assert logged.status_code == 303, logged.text
        for _ in range(20):
            web.get("/notifications")
        for _ in range(requests):
            started = time.perf_counter()
            response = web.get("/notifications")
            html.append(time.perf_counter() - started)
            assert response.status_code == 200 and "data-notification=" in response.text
    return api, html, baseline


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument(
        "--naive", type=int, default=1_000, help="followers for the one-notify()-each baseline"
    )
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--inbox-items", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="bench-notifications-"))
    try:
        settings = load_settings(
            env={}, data_dir=data_dir, password_hash_fast=True, worker_threads=0, semantic_search=False
        )
        ctx = build_context(settings)
        print(f"machine: {os.cpu_count()} cores; {load()}")
        print(f"database: SQLite ({settings.resolved_database_url})")
        started = time.perf_counter()
        owner, _ = account(ctx, "owner")
        saver, saver_token = account(ctx, "saver")
        followers = seed_users(ctx, "fan", args.followers)
        follow_all(ctx, followers, saver)
        owner_board = board_of(ctx, owner, "Originals")
        saver_board = board_of(ctx, saver, "Saved")
        source = make_pin(ctx, owner, owner_board, 1)
        print(f"seeded {args.followers} followers in {time.perf_counter() - started:.1f} s")

        print(f"\n1. fan-out of one save to {args.followers} followers (in process, committed)")
        rates = fanout_throughput(ctx, saver, saver_board, source, args.rounds)
        naive_users = followers[: args.naive]
        naive = naive_throughput(ctx, saver, naive_users, source, owner_board)
        print(f"  bulk fan-out: median {statistics.median(rates):,.0f} notifications/s")
        print(f"  baseline, one notify() per follower ({args.naive}): {naive:,.0f} notifications/s")
        print(f"  {load()}")

        # an inbox of M items for one follower
        reader = followers[0]
        with session_scope(ctx.sessions) as db:
            now = utcnow()
            rows = [
                {"id": new_id(), "user_id": reader, "type": "follow", "object_type": "user", "object_id": reader,
                 "board_id": None, "pin_id": None, "group_key": None, "actor_ids": [saver], "actor_count": 1,
                 "excerpt": None, "seq": new_id(), "created_at": now, "updated_at": now}
                for _ in range(args.inbox_items)
            ]  # fmt: skip
            for start in range(0, len(rows), 2000):
                db.execute(Notification.__table__.insert(), rows[start : start + 2000])
        stream_tokens = tokens_for(ctx, followers[1 : args.streams + 1])
        reader_token = tokens_for(ctx, [reader])[0]  # (its unread count is saturated: not a stream)
        ctx.engine.dispose()

        env = {
            "PINHAVEN_ADMISSION_QUEUE_DEADLINE_SECONDS": "0",
            "PINHAVEN_SEMANTIC_SEARCH": "0",
            "PINHAVEN_WORKER_THREADS": "2",
        }
        with running_server(data_dir, env=env) as base:
            print(
                f"\n2. delivery to {args.streams} open SSE streams after a save through the API (job + fan-out + push)"
            )
            latencies = asyncio.run(delivery(base, saver_token, stream_tokens, source, saver_board))
            if latencies:
                print(
                    f"  {len(latencies)}/{args.streams} streams told; p50 {pct(latencies, 0.5) * 1000:.0f} ms, "
                    f"p99 {pct(latencies, 0.99) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
                )
            else:
                print("  no stream was told within 30 s")
            print(f"  {load()}")
            print(
                f"\n3. inbox of a follower with {args.inbox_items + args.rounds + 1} notifications, {args.requests} sequential requests"
            )
            api, html, baseline = inbox_latency(base, reader_token, "fan0", args.requests)
            for name, values in (
                ("GET /ext/v1/notifications (25 items)", api),
                ("GET /notifications (HTML)", html),
                ("baseline GET /ext/v1/users/saver", baseline),
            ):
                print(
                    f"  {name}: p50 {pct(values, 0.5) * 1000:.1f} ms, p99 {pct(values, 0.99) * 1000:.1f} ms"
                )
            print(f"  {load()}")
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
