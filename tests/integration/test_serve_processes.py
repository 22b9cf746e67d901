"""`pinhaven serve --processes 2`: both workers take connections, a dead worker is replaced, stop is clean."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

from tests.integration.server import cli, running_server


def worker_pids(data_dir: Path) -> list[int]:
    """The server's worker processes (spawned by the supervisor), found by their environment."""
    marker = f"PINHAVEN_DATA_DIR={data_dir}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if b"spawn_main" in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:  # gone meanwhile
            continue
    return pids


def owners(connections: list[socket.socket], server_port: int, pids: list[int]) -> list[int | None]:
    """The worker holding the server end of each client connection (from /proc/net/tcp and the fd tables)."""
    inode_of: dict[int, str] = {}  # client port → inode of the server-side socket
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, remote_port = (int(address.split(":")[1], 16) for address in fields[1:3])
        if local_port == server_port:
            inode_of[remote_port] = fields[9]
    held = {
        link: pid
        for pid in pids
        for link in (os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir())
        if link.startswith("socket:")
    }
    return [held.get(f"socket:[{inode_of.get(c.getsockname()[1])}]") for c in connections]


def get(connection: socket.socket, path: str, token: str) -> bytes:
    request = f"GET {path} HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer {token}\r\n\r\n"
    connection.sendall(request.encode())
    return connection.recv(65536)


def test_two_processes_share_connections_and_survive_a_dead_worker(tmp_path: Path) -> None:
    assert cli(tmp_path, "init").returncode == 0
    assert (
        cli(tmp_path, "users", "create", "ann", "--email", "a@x.test", stdin="a good password\n").returncode
        == 0
    )
    token = cli(tmp_path, "tokens", "create", "ann").stdout.strip()
    env = {"PINHAVEN_WORKER_THREADS": "0"}
    with running_server(tmp_path, env=env, args=("--processes", "2")) as base:
        host, port = base.removeprefix("http://").split(":")
        deadline = time.monotonic() + 30
        while len(worker_pids(tmp_path)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        workers = worker_pids(tmp_path)
        assert len(workers) == 2
        # Keep-alive clients that connect together: each worker must get some (one shared socket gives
        # them all to whichever worker wakes first; the chance that hashing does is 2 in 65,536).
        connections = [socket.create_connection((host, int(port))) for _ in range(16)]
        try:
            for connection in connections:
                assert get(connection, "/v5/user_account", token).startswith(b"HTTP/1.1 200")
            held_by = owners(connections, int(port), workers)
            assert set(held_by) == set(workers), held_by
        finally:
            for connection in connections:
                connection.close()
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            replaced = worker_pids(tmp_path)
            if len(replaced) == 2 and workers[0] not in replaced:
                break
            time.sleep(0.2)
        assert len(replaced) == 2 and workers[0] not in replaced
        with socket.create_connection((host, int(port))) as connection:
            assert get(connection, "/v5/user_account", token).startswith(b"HTTP/1.1 200")
    deadline = time.monotonic() + 30
    while worker_pids(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert worker_pids(tmp_path) == []
