"""SQLite write transactions take turns (db/sqlite_writer.py) and always hand their turn on:
after commit, rollback, a session closed without either, and across engines (processes) on one file."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from pinhaven.db.engine import make_engine
from pinhaven.db.sqlite_writer import WriteQueue, queue_of


def engine_at(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, who TEXT)"))
    return engine


def queue(engine: Engine) -> WriteQueue:
    found = queue_of(engine)
    assert found is not None
    return found


def test_sixteen_writers_all_commit_and_queue_instead_of_failing(tmp_path: Path) -> None:
    engine = engine_at(tmp_path / "a.db")
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def write(n: int) -> None:
        try:
            start.wait()
            for i in range(20):
                with engine.begin() as connection:
                    connection.execute(text("INSERT INTO t (who) VALUES (:w)"), {"w": f"{n}-{i}"})
                    time.sleep(0.0005)  # hold the turn a little, so others must queue
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 320
    assert queue(engine).waited > 0  # they did queue (in Python, not in SQLite's busy handler)


@pytest.mark.parametrize("ending", ["commit", "rollback", "close", "error"])
def test_every_way_a_transaction_ends_passes_the_turn(tmp_path: Path, ending: str) -> None:
    engine = engine_at(tmp_path / "b.db")
    queue(engine).timeout = 2.0  # a turn never given back would fail the next writer after 2 s
    for _ in range(3):
        connection = engine.connect()
        transaction = connection.begin()
        connection.execute(text("INSERT INTO t (who) VALUES ('x')"))
        if ending == "commit":
            transaction.commit()
        elif ending == "rollback":
            transaction.rollback()
        elif ending == "error":
            with pytest.raises(OperationalError):
                connection.execute(text("INSERT INTO no_such_table VALUES (1)"))
            transaction.rollback()
        connection.close()
        started = time.monotonic()
        with engine.begin() as other:  # the next writer gets its turn at once
            other.execute(text("SELECT 1"))
        assert time.monotonic() - started < 1.0


def test_a_writer_that_waits_past_the_timeout_gets_database_is_locked(tmp_path: Path) -> None:
    engine = engine_at(tmp_path / "c.db")
    queue(engine).timeout = 0.3
    holder = engine.connect()
    holder.begin()
    holder.execute(text("INSERT INTO t (who) VALUES ('holder')"))
    try:
        with pytest.raises(OperationalError, match="database is locked"), engine.begin() as connection:
            connection.execute(text("SELECT 1"))
    finally:
        holder.commit()
        holder.close()
    with engine.begin() as connection:  # the queue still works after a writer gave up
        connection.execute(text("INSERT INTO t (who) VALUES ('after')"))


def test_waiting_writers_all_go_once_the_holder_commits(tmp_path: Path) -> None:
    engine = engine_at(tmp_path / "d.db")
    holder = engine.connect()
    holder.begin()
    done: list[int] = []

    def write(n: int) -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t (who) VALUES (:w)"), {"w": str(n)})
        done.append(n)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while queue(engine).waited < 6 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert queue(engine).waited == 6 and done == []  # all in line behind the holder
    holder.commit()
    holder.close()
    for thread in threads:
        thread.join(10)
    assert sorted(done) == list(range(6))


def test_engines_on_one_file_exclude_each_other(tmp_path: Path) -> None:
    """Two engines stand for two processes: the file lock beside the database orders them."""
    first, second = engine_at(tmp_path / "e.db"), make_engine(f"sqlite:///{tmp_path / 'e.db'}")
    assert (tmp_path / "e.db-writer.lock").exists()
    holder = first.connect()
    holder.begin()
    holder.execute(text("INSERT INTO t (who) VALUES ('first')"))
    done = threading.Event()

    def write() -> None:
        with second.begin() as connection:
            connection.execute(text("INSERT INTO t (who) VALUES ('second')"))
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    assert not done.wait(0.3)  # waiting on the other engine's turn
    holder.commit()
    holder.close()
    assert done.wait(5)
    thread.join()
    with first.connect() as connection:
        assert connection.execute(text("SELECT who FROM t ORDER BY id")).scalars().all() == [
            "first",
            "second",
        ]


def test_in_memory_databases_queue_without_a_lock_file(tmp_path: Path) -> None:
    engine = make_engine("sqlite://")
    with engine.begin() as connection:
        connection.execute(text("SELECT 1"))
    assert queue(engine).turns == 1
    assert list(tmp_path.iterdir()) == []
