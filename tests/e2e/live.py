"""Serve the real app with uvicorn in a background thread on a free loopback port (for browser tests)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from pinhaven.app import create_app
from pinhaven.config import Settings
from pinhaven.context import AppContext, build_context


@dataclass
class LiveServer:
    base_url: str
    ctx: AppContext


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(settings: Settings) -> Iterator[LiveServer]:
    """The app over `settings` (worker threads included, so uploaded images get processed). Requests never time
    out in the admission queue: a loaded test machine must not turn a page into a 503 (tests/core/test_admission.py
    covers the deadline)."""
    ctx = build_context(settings.with_overrides(admission_queue_deadline_seconds=0.0))
    config = uvicorn.Config(
        create_app(ctx=ctx), host="127.0.0.1", port=free_port(), log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{config.port}", ctx)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        ctx.engine.dispose()
