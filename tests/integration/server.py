"""Run the real `pinhaven serve` in a subprocess on a free port (for integration tests)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
