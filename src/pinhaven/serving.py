"""Run the HTTP server: one uvicorn process, or several that each accept on their own SO_REUSEPORT socket.

uvicorn's own multi-process mode shares one listening socket, and whichever worker wakes first accepts every
connection waiting on it: keep-alive clients that connect together (a proxy's pool, a load test) all land on
one process while the other idles (measured: 16 connections, 2 processes → 16/0, half the throughput). With a
socket per worker in one SO_REUSEPORT group, the kernel spreads connections across workers by address hash.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import threading
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn

log = logging.getLogger("pinhaven")

APP = "pinhaven.asgi:app"
STARTUP_FAILURE = 3  # uvicorn's exit code for a worker that could not start (bad app, port taken)
STOP_TIMEOUT_SECONDS = 35.0  # a worker's graceful stop waits for the background job pool (30 s)


def serve(*, host: str, port: int, processes: int, log_level: str) -> None:
    """Serve `pinhaven.asgi:app` until interrupted (SIGINT/SIGTERM)."""
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
    Supervisor(host=host, port=port, processes=processes, log_level=log_level).run()


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

    def __init__(self, *, host: str, port: int, processes: int, log_level: str) -> None:
        self.args = (host, port, log_level)
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
