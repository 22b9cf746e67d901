"""Run the HTTP server: one uvicorn process, or several that each accept on their own SO_REUSEPORT socket.

uvicorn's own multi-process mode shares one listening socket, and whichever worker wakes first accepts every
connection waiting on it: keep-alive clients that connect together (a proxy's pool, a load test) all land on
one process while the other idles (measured: 16 connections, 2 processes → 16/0, half the throughput). With a
socket per worker in one SO_REUSEPORT group, the kernel spreads connections across workers by address hash.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType

import uvicorn

log = logging.getLogger("pinhaven")

APP = "pinhaven.asgi:app"
STARTUP_FAILURE = 3  # uvicorn's exit code for a worker that could not start (bad app, port taken)
STOP_TIMEOUT_SECONDS = 35.0  # a worker's graceful stop waits for the background job pool (30 s)
MAX_SOCKET_PATH = 100  # AF_UNIX path limit (108 on Linux), with room to spare
MODEL_START_SECONDS = 20.0
MODEL_STOP_SECONDS = 5.0


def serve(*, host: str, port: int, processes: int, log_level: str) -> None:
    """Serve `pinhaven.asgi:app` until interrupted (SIGINT/SIGTERM), with the host's model process beside it."""
    model = ModelProcess.start_if_wanted()
    try:
        _serve(host=host, port=port, processes=processes, log_level=log_level, model=model)
    finally:
        if model is not None:
            model.stop()


def _serve(*, host: str, port: int, processes: int, log_level: str, model: ModelProcess | None) -> None:
    if processes <= 1 or port == 0 or not hasattr(socket, "SO_REUSEPORT") or sys.platform != "linux":
        # One process; or no balanced SO_REUSEPORT here (other kernels hand every connection to one socket)
        uvicorn.run(
            APP,
            host=host,
            port=port,
            workers=processes if processes > 1 else None,
            log_level=log_level,
            access_log=False,
        )
        return
    _reuse_port_socket(host, port).close()  # fail now, not in every worker, when the port is taken
    Supervisor(host=host, port=port, processes=processes, log_level=log_level, model=model).run()


class ModelProcess:
    """The host's text-embedding process (`pinhaven.modelserver`), started before the server processes,
    which find its socket in PINHAVEN_MODEL_SOCKET. Not started when semantic search is off or not
    installed, when `model_process` is off, or when a socket is configured already (another process
    serves this host)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.process: subprocess.Popen[bytes] | None = None

    @classmethod
    def start_if_wanted(cls) -> ModelProcess | None:
        from pinhaven.config import load_settings
        from pinhaven.modelserver import socket_path
        from pinhaven.search.text.semantic import is_installed

        settings = load_settings()
        if not (settings.model_process and settings.semantic_search) or settings.model_socket:
            return None
        if not is_installed():
            return None
        path = socket_path(settings.data_dir.resolve())
        if len(str(path)) > MAX_SOCKET_PATH:  # AF_UNIX paths are short: a private folder instead
            path = Path(tempfile.mkdtemp(prefix="pinhaven-models-")) / "models.sock"
        model = cls(path)
        model.start()
        os.environ["PINHAVEN_MODEL_SOCKET"] = str(path)  # the server processes read it with their settings
        return model

    def start(self) -> None:
        # Its own interpreter (`python -m pinhaven.modelserver`): it imports only what the model needs, and
        # shows as such in `ps`.
        self.path.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pinhaven.modelserver", str(self.path), str(os.getpid())]
        )
        deadline = time.monotonic() + MODEL_START_SECONDS
        while not self.path.exists() and self.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)  # the socket is up before the model loads (it loads on the first texts)
        if not self.path.exists():
            log.warning("the model process did not start; server processes will load the model themselves")

    def restart_if_dead(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            log.warning(
                "model process %s exited (code %s); starting another",
                self.process.pid,
                self.process.returncode,
            )
            self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(MODEL_STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _reuse_port_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def _worker(host: str, port: int, log_level: str) -> None:
    config = uvicorn.Config(APP, host=host, port=port, log_level=log_level, access_log=False)
    server = uvicorn.Server(config)
    server.run(sockets=[_reuse_port_socket(host, port)])
    if not server.started:
        sys.exit(STARTUP_FAILURE)


class Supervisor:
    """Starts `processes` workers, restarts one that dies, stops them all on SIGINT/SIGTERM."""

    def __init__(
        self, *, host: str, port: int, processes: int, log_level: str, model: ModelProcess | None = None
    ) -> None:
        self.args = (host, port, log_level)
        self.model = model
        self.processes = processes
        self.workers: list[BaseProcess] = []
        self.stopping = threading.Event()
        self.exit_code = 0

    def run(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_signal)
        self.workers = [self._start() for _ in range(self.processes)]
        while not self.stopping.wait(0.5):
            self._replace_dead_workers()
            if self.model is not None and not self.stopping.is_set():
                self.model.restart_if_dead()
        self._stop_all()
        if self.exit_code:
            sys.exit(self.exit_code)

    def _start(self) -> BaseProcess:
        # spawn, as uvicorn does: workers import the app afresh rather than inheriting this process's state.
        worker = multiprocessing.get_context("spawn").Process(target=_worker, args=self.args)
        worker.start()
        return worker

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping.set()

    def _replace_dead_workers(self) -> None:
        for index, worker in enumerate(self.workers):
            if worker.is_alive() or self.stopping.is_set():
                continue
            if worker.exitcode == STARTUP_FAILURE:  # would fail the same way on every restart
                log.error("server process %s failed to start; stopping", worker.pid)
                self.exit_code = STARTUP_FAILURE
                self.stopping.set()
                return
            log.warning("server process %s exited (code %s); starting another", worker.pid, worker.exitcode)
            self.workers[index] = self._start()

    def _stop_all(self) -> None:
        for worker in self.workers:
            if worker.is_alive():
                worker.terminate()  # SIGTERM: uvicorn finishes in-flight requests, then runs the lifespan end
        for worker in self.workers:
            worker.join(STOP_TIMEOUT_SECONDS)
            if worker.is_alive():
                worker.kill()
                worker.join()
