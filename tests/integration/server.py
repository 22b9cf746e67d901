"""Run the real `pinhaven serve` in a subprocess on a free port (for integration tests)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

PINHAVEN = [sys.executable, "-m", "pinhaven.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(
    data_dir: Path, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*PINHAVEN, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "PINHAVEN_DATA_DIR": str(data_dir),
            "PINHAVEN_PASSWORD_HASH_FAST": "1",
            **(env or {}),
        },
        timeout=120,
    )


@contextmanager
def running_server(
    data_dir: Path, *, env: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> Iterator[str]:
    port = free_port()
    log = open(data_dir / "server.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [*PINHAVEN, "serve", "--port", str(port), *args],
        env={
            **os.environ,
            "PINHAVEN_DATA_DIR": str(data_dir),
            "PINHAVEN_PASSWORD_HASH_FAST": "1",
            **(env or {}),
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{(data_dir / 'server.log').read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


def start_worker(data_dir: Path, env: dict[str, str], *, threads: int = 1) -> subprocess.Popen[bytes]:
    """A `pinhaven worker` process on `data_dir` (its log appended to worker.log there)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = open(data_dir / "worker.log", "a")  # noqa: SIM115
    return subprocess.Popen(
        [*PINHAVEN, "worker", "--threads", str(threads)],
        env={**os.environ, "PINHAVEN_DATA_DIR": str(data_dir), "PINHAVEN_PASSWORD_HASH_FAST": "1", **env},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Send `sig` to the process group, then SIGKILL if it has not exited within 20 s."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_until(check: Callable[[], Any], *, timeout: float, what: str, interval: float = 0.1) -> Any:
    """Poll `check()` until it returns something truthy (returned), failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
