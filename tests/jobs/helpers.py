"""Helpers for the jobs tests: test-only handlers that record what ran, and small queue helpers."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.models import Job
from pinhaven.jobs.queue import PermanentFailure
from pinhaven.jobs.service import enqueue


@dataclass
class Run:
    key: str
    thread: str
    start: float
    end: float = 0.0


@dataclass
class Recorder:
    """What test handlers did, thread-safe: every run with its start and end time."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    runs: list[Run] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    started: threading.Event = field(default_factory=threading.Event)

    def track(self, ctx: AppContext, payload: dict[str, Any]) -> None:
        run = Run(key=str(payload["key"]), thread=threading.current_thread().name, start=time.monotonic())
        with self.lock:
            self.runs.append(run)
        self.started.set()
        time.sleep(float(payload.get("sleep", 0)))
        run.end = time.monotonic()

    def fail(self, ctx: AppContext, payload: dict[str, Any]) -> None:
        with self.lock:
            self.failures[str(payload["key"])] += 1
        raise RuntimeError(f"boom {payload['key']}")

    def flaky(self, ctx: AppContext, payload: dict[str, Any]) -> None:
        """Fails until it has failed `failures` times, then records a run."""
        key = str(payload["key"])
        with self.lock:
            if self.failures[key] < int(payload["failures"]):
                self.failures[key] += 1
                raise ConnectionError(f"transient {key}")
        self.track(ctx, payload)

    def permanent(self, ctx: AppContext, payload: dict[str, Any]) -> None:
        with self.lock:
            self.failures[str(payload["key"])] += 1
        raise PermanentFailure(f"record {payload['key']} is gone")

    def keys(self) -> list[str]:
        with self.lock:
            return [r.key for r in self.runs]


def add_job(ctx: AppContext, kind: str, payload: dict[str, Any], **kwargs: Any) -> int:
    """Enqueue one job in its own transaction; its id."""
    with session_scope(ctx.sessions) as db:
        return enqueue(db=db, kind=kind, payload=payload, **kwargs).id


def load(ctx: AppContext, job_id: int) -> Job:
    with session_scope(ctx.sessions) as db:
        job = db.scalars(select(Job).where(Job.id == job_id)).one()
        db.expunge(job)
        return job


def wait_for(predicate: Any, timeout: float = 20.0, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")
        time.sleep(interval)
