"""SQLite: write transactions take turns on a lock in the process instead of racing for the database lock.

SQLite lets one writer in at a time. Without help, every writer thread that finds the lock taken sleeps in
SQLite's busy handler, which polls with growing sleeps (1, 2, 5, 10 … 100 ms): a writer can sleep 100 ms
past the moment the lock came free while later arrivals slip in first. At 16 concurrent pin creations that
made p50 6–11 ms but p99 1.5–2.2 s (issue 20).

Here a writer engine waits for its turn before `BEGIN IMMEDIATE`: first on a lock in the process (a waiter
wakes the moment it is released, no polling), then across the host's processes on an advisory file lock
beside the database (`<db>-writer.lock`), so SQLite's own lock is free when BEGIN IMMEDIATE runs. The turn
ends right after COMMIT or ROLLBACK (the dialect's own calls, wrapped), or when the connection goes back to
the pool in any other way.

A transaction that waits longer than `timeout` (the busy timeout, 30 s) fails with SQLite's own
"database is locked" error, as before. A thread that begins a second write transaction while holding one
would wait for itself: that was a 30 s "database is locked" before too, and it still is.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import weakref
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

__all__ = ["WriteQueue", "install", "queue_of"]

_HELD = "pinhaven.write_turn"  # key in the pooled connection's info: this connection holds the turn


class WriteQueue:
    """One writer at a time: a lock within the process, plus a file lock across processes when the database
    is a file. Not first-come-first-served on purpose: handing the turn to one chosen waiter makes every
    hand-over wait for that thread to be scheduled and to get the GIL (a lock convoy: measured 10 pins/s
    and seconds of p99 at concurrency 16); a released lock is taken by whichever waiter runs first, at once,
    with no polling."""

    def __init__(self, lock_path: str | None, timeout: float) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._lock_path = lock_path
        self._fd: int | None = None
        self.turns = 0  # how many transactions took a turn (tests, diagnostics)
        self.waited = 0  # how many of them found it taken

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout
        if not self._lock.acquire(blocking=False):
            self.waited += 1
            if not self._lock.acquire(timeout=self.timeout):
                raise _locked("waiting for this process's other writer")
        try:
            self._lock_file(deadline)
        except BaseException:
            self._lock.release()
            raise
        self.turns += 1

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._lock.release()

    def _lock_file(self, deadline: float) -> None:
        """The other processes on this database: a blocking wait in short steps (flock has no timeout)."""
        if self._lock_path is None:
            return
        if self._fd is None:
            self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        delay = 0.0002
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise _locked("waiting for another process's write") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.002)


def _locked(doing: str) -> OperationalError:
    return OperationalError(f"BEGIN IMMEDIATE ({doing})", None, Exception("database is locked"))


_queues: weakref.WeakKeyDictionary[Engine, WriteQueue] = weakref.WeakKeyDictionary()


def queue_of(engine: Engine) -> WriteQueue | None:
    """The write queue of a SQLite writer engine (None for other engines)."""
    return _queues.get(engine)


def install(engine: Engine, path: str | None, timeout: float = 30.0) -> WriteQueue:
    """Queue `engine`'s transactions (a SQLite writer engine: each opens with BEGIN IMMEDIATE)."""
    in_memory = not path or path == ":memory:" or path.startswith("file::memory:")
    lock_path = None if in_memory else f"{path}-writer.lock"
    queue = WriteQueue(lock_path, timeout)

    def end_turn(dbapi_connection: Any) -> None:
        try:
            info = dbapi_connection.info
        except (AttributeError, NotImplementedError):  # an ad-hoc connection (the dialect's first connect)
            return
        if info.pop(_HELD, False):
            queue.release()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        queue.acquire()
        try:
            # Through SQLAlchemy: "database is locked" must surface as its OperationalError.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            queue.release()
            raise
        connection.connection.info[_HELD] = True

    # The turn ends right after the driver's COMMIT or ROLLBACK: the dialect's own methods, wrapped on this
    # engine's dialect instance only (the pool's reset-on-return rolls back through them too).
    dialect = engine.dialect
    do_commit, do_rollback = dialect.do_commit, dialect.do_rollback

    def commit_then_pass(dbapi_connection: Any) -> None:
        do_commit(dbapi_connection)  # a failed COMMIT keeps the turn: the rollback that follows ends it
        end_turn(dbapi_connection)

    def rollback_then_pass(dbapi_connection: Any) -> None:
        try:
            do_rollback(dbapi_connection)
        finally:
            end_turn(dbapi_connection)

    dialect.do_commit = commit_then_pass  # type: ignore[method-assign]
    dialect.do_rollback = rollback_then_pass  # type: ignore[method-assign]

    def on_pool_event(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
        # A connection leaving service any other way (invalidated, closed, detached) gives its turn back.
        if record is not None and record.info.pop(_HELD, False):
            queue.release()

    for name in ("checkin", "invalidate", "soft_invalidate", "close", "detach"):
        event.listen(engine, name, on_pool_event)
    _queues[engine] = queue
    return queue
