"""One text-embedding model per host: a small process that serves MiniLM vectors over a Unix socket.

Without it every `serve` process (and every job thread in it) loads its own copy of the model and its
working buffers (≈ 110 MB RSS each, measured). With it, `pinhaven serve` starts one model process beside
its server processes (`serving.py`), and each of them sends texts over `<data_dir>/run/models.sock`; the
query-vector LRU cache stays in each web process (`search.text.semantic.Encoder`), so a repeated query
never leaves the process.

Requests arriving together are batched: the model thread takes the first waiting request, gathers the
others that arrive within `BATCH_WAIT_SECONDS` (up to `MAX_BATCH` texts), runs one forward pass and
answers each. The text model is the only one served: the built-in image descriptor has no weights and
costs less to compute than to send.

Wire format (both directions): a 4-byte big-endian length, then that many bytes. A request is JSON
`{"texts": [...]}`; an answer is a 4-byte big-endian JSON header length, the JSON header
(`{"rows": n, "dim": d}` or `{"error": "..."}`), then n × d little-endian float32.

A client that cannot reach the socket falls back to loading the model in its own process (and says so in
the log): a dead model process costs memory, never results.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import signal
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("pinhaven.models")

MAX_BATCH = 64
BATCH_WAIT_SECONDS = 0.003
MAX_FRAME_BYTES = 16 * 1024 * 1024
CONNECT_TIMEOUT_SECONDS = 2.0
ANSWER_TIMEOUT_SECONDS = 120.0  # a first call may wait for the model to load
RETRIES = 4  # then the model is loaded in this process instead
RETRY_PAUSE_SECONDS = 0.25  # times the attempt number

Encode = Callable[[Sequence[str]], np.ndarray]


def socket_path(data_dir: Path) -> Path:
    return data_dir / "run" / "models.sock"


def _read_exact(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("the model process closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_frame(sock: socket.socket) -> bytes:
    (size,) = struct.unpack(">I", _read_exact(sock, 4))
    if size > MAX_FRAME_BYTES:
        raise ConnectionError(f"frame of {size} bytes is over the limit")
    return _read_exact(sock, size)


def _send_frame(sock: socket.socket, payload: bytes) -> None:
    sock.sendall(struct.pack(">I", len(payload)) + payload)


def _answer(header: dict[str, Any], body: bytes = b"") -> bytes:
    encoded = json.dumps(header).encode()
    return struct.pack(">I", len(encoded)) + encoded + body


# --- server -----------------------------------------------------------------------------------------------


class Batcher:
    """Runs `encode` on one thread over batches of the texts that requests bring."""

    def __init__(self, encode: Encode) -> None:
        self._encode = encode
        self._queue: queue.Queue[tuple[list[str], Future[np.ndarray]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="model-batcher", daemon=True)
        self.batches = 0  # forward passes run (tests, diagnostics)
        self.texts = 0
        self._thread.start()

    def submit(self, texts: list[str]) -> Future[np.ndarray]:
        future: Future[np.ndarray] = Future()
        self._queue.put((texts, future))
        return future

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            count = len(first[0])
            deadline = time.monotonic() + BATCH_WAIT_SECONDS
            while count < MAX_BATCH:
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(item)
                count += len(item[0])
            texts = [text for asked, _ in batch for text in asked]
            try:
                vectors = self._encode(texts) if texts else np.zeros((0, 0), np.float32)
            except Exception as exc:  # every request of the batch hears of it
                for _, future in batch:
                    future.set_exception(exc)
                continue
            self.batches += 1
            self.texts += len(texts)
            at = 0
            for asked, future in batch:
                future.set_result(vectors[at : at + len(asked)])
                at += len(asked)


class _Handler(socketserver.BaseRequestHandler):
    server: ModelServer

    def handle(self) -> None:
        sock: socket.socket = self.request
        while True:
            try:
                request = json.loads(_read_frame(sock))
            except (ConnectionError, OSError, struct.error):
                return
            except ValueError:
                _send_frame(sock, _answer({"error": "the request is not JSON"}))
                continue
            texts = request.get("texts") if isinstance(request, dict) else None
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                _send_frame(sock, _answer({"error": "texts must be a list of strings"}))
                continue
            try:
                vectors = np.ascontiguousarray(self.server.batcher.submit(texts).result(), dtype="<f4")
            except Exception as exc:
                _send_frame(sock, _answer({"error": f"{type(exc).__name__}: {exc}"}))
                continue
            rows, dim = (vectors.shape[0], vectors.shape[1]) if vectors.ndim == 2 else (0, 0)
            _send_frame(sock, _answer({"rows": rows, "dim": dim}, vectors.tobytes()))


class ModelServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    request_queue_size = 128  # every server process's threads may connect at once (the default is 5)

    def __init__(self, path: Path, encode: Encode) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            path.unlink()  # left by a process that was killed
        self.batcher = Batcher(encode)
        super().__init__(str(path), _Handler)
        os.chmod(path, 0o600)  # the host's own processes (same user) only

    def server_close(self) -> None:
        super().server_close()
        self.batcher.stop()


def minilm_encode() -> Encode:
    """The packaged MiniLM, loaded once (lazily, on the first batch)."""
    from pinhaven.search.text.semantic import Encoder

    encoder = Encoder()
    return lambda texts: encoder.encode(texts)


PARENT_CHECK_SECONDS = 1.0


def run(path: str, parent: int | None = None) -> None:
    """The model process's entry point (`serving.py` spawns it): serve until SIGTERM/SIGINT."""
    logging.basicConfig(level=logging.WARNING)
    server = ModelServer(Path(path), minilm_encode())
    stop = threading.Event()

    def on_signal(_signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    thread = threading.Thread(target=server.serve_forever, name="model-server", daemon=True)
    thread.start()
    # Also stop when the server that started us (`parent`, passed by it: it may be gone before we could ask) dies
    # without telling us (SIGKILL, a crash): an orphaned model process would hold its memory and socket forever.
    parent = os.getppid() if parent is None else parent
    while not stop.wait(PARENT_CHECK_SECONDS) and os.getppid() == parent:
        pass
    server.shutdown()
    server.server_close()
    Path(path).unlink(missing_ok=True)


# --- client ------------------------------------------------------------------------------------------------


class RemoteTextModel:
    """Stands where the MiniLM model would (`encode` as sentence-transformers has it), sending the texts to
    the host's model process; one connection per thread. Unreachable: the model is loaded here instead."""

    def __init__(self, path: str, fallback: Callable[[], Any] | None = None) -> None:
        self.path = path
        self._local = threading.local()
        self._fallback_loader = fallback
        self._fallback: Any = None
        self._fallback_lock = threading.Lock()

    def encode(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        normalize_embeddings: bool = True,
        convert_to_numpy: bool = True,
    ) -> np.ndarray:
        del batch_size, normalize_embeddings, convert_to_numpy  # the model process always normalises
        texts = list(texts)
        failure: BaseException | None = None
        for attempt in range(RETRIES):
            try:
                return self._remote(texts)
            except (OSError, ConnectionError) as exc:  # fresh connections: the process may have restarted
                self._drop_connection()
                failure = exc
                time.sleep(RETRY_PAUSE_SECONDS * attempt)
        assert failure is not None
        return self._local_model(failure).encode(texts, normalize_embeddings=True, convert_to_numpy=True)

    def _connection(self) -> socket.socket:
        sock: socket.socket | None = getattr(self._local, "sock", None)
        if sock is None:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(CONNECT_TIMEOUT_SECONDS)
            try:
                sock.connect(self.path)
            except OSError:
                sock.close()
                raise
            sock.settimeout(ANSWER_TIMEOUT_SECONDS)
            self._local.sock = sock
        return sock

    def _drop_connection(self) -> None:
        sock = getattr(self._local, "sock", None)
        if sock is not None:
            sock.close()
            self._local.sock = None

    def _remote(self, texts: list[str]) -> np.ndarray:
        sock = self._connection()
        _send_frame(sock, json.dumps({"texts": texts}).encode())
        frame = _read_frame(sock)
        (size,) = struct.unpack(">I", frame[:4])
        header = json.loads(frame[4 : 4 + size])
        if "error" in header:
            raise RuntimeError(f"the model process failed: {header['error']}")
        rows, dim = int(header["rows"]), int(header["dim"])
        vectors = np.frombuffer(frame[4 + size :], dtype="<f4")
        return vectors.reshape(rows, dim) if rows else np.zeros((0, dim), np.float32)

    def _local_model(self, why: BaseException) -> Any:
        with self._fallback_lock:
            if self._fallback is None:
                log.warning("model process unreachable at %s (%s): loading the model here", self.path, why)
                if self._fallback_loader is None:
                    from pinhaven.search.text.semantic import load_minilm

                    self._fallback_loader = load_minilm
                self._fallback = self._fallback_loader()
            return self._fallback


if __name__ == "__main__":
    import sys

    run(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None)
