"""`pinhaven serve` runs the text model once per host: a `pinhaven.modelserver` process beside the server
processes, which embed pins (jobs) and queries through it and never load the model themselves; stopping
the server stops it. `PINHAVEN_MODEL_PROCESS=0` keeps the old behaviour (no model process)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from tests.integration.server import cli, running_server, wait_until

from pinhaven.search.text import semantic

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not semantic.is_installed(), reason="the `semantic` extra is not installed"),
]


def processes_with(data_dir: Path, needle: bytes) -> list[int]:
    marker = f"PINHAVEN_DATA_DIR={data_dir}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (
                marker in (entry / "environ").read_bytes().split(b"\0")
                and needle in (entry / "cmdline").read_bytes()
            ):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def maps_minilm(pid: int) -> bool:
    """Has the process mapped the MiniLM weights (it loaded the model)?"""
    try:
        return "model.safetensors" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def setup(data_dir: Path) -> dict[str, str]:
    assert cli(data_dir, "init").returncode == 0
    assert (
        cli(data_dir, "users", "create", "ann", "--email", "a@x.test", stdin="a good password\n").returncode
        == 0
    )
    token = cli(data_dir, "tokens", "create", "ann").stdout.strip()
    return {"Authorization": f"Bearer {token}"}


def create_pin(base: str, headers: dict[str, str], title: str) -> None:
    from tests.factories import media_source

    board = httpx.post(f"{base}/v5/boards", json={"name": "Dogs"}, headers=headers, timeout=30).json()["id"]
    body = {"board_id": board, "title": title, "media_source": media_source(seed=1)}
    assert httpx.post(f"{base}/v5/pins", json=body, headers=headers, timeout=60).status_code == 201


def test_one_model_process_embeds_for_the_server_processes(tmp_path: Path) -> None:
    headers = setup(tmp_path)
    with running_server(tmp_path, args=("--processes", "2")) as base:
        (model,) = processes_with(tmp_path, b"pinhaven.modelserver")
        assert (tmp_path / "run" / "models.sock").exists()
        create_pin(base, headers, "A happy puppy playing fetch")
        # The pin's text is embedded by a job in a server process, which sends it to the model process.
        wait_until(
            lambda: maps_minilm(model), timeout=120, what="the model process loading MiniLM", interval=0.5
        )
        for query in ("puppy", "a dog playing", "fetch"):  # query vectors come from there too
            response = httpx.get(
                f"{base}/ext/v1/search/pins", params={"q": query}, headers=headers, timeout=60
            )
            assert response.status_code == 200
        servers = processes_with(tmp_path, b"spawn_main")
        assert len(servers) == 2
        assert not any(maps_minilm(pid) for pid in servers)  # the server processes never loaded it
    deadline = time.monotonic() + 10
    while processes_with(tmp_path, b"pinhaven.modelserver") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_with(tmp_path, b"pinhaven.modelserver") == []  # stopped with the server


def test_turned_off_each_process_embeds_for_itself(tmp_path: Path) -> None:
    headers = setup(tmp_path)
    with running_server(tmp_path, env={"PINHAVEN_MODEL_PROCESS": "0"}) as base:
        assert processes_with(tmp_path, b"pinhaven.modelserver") == []
        create_pin(base, headers, "A happy puppy playing fetch")
        (server,) = processes_with(tmp_path, b"serve")
        wait_until(lambda: maps_minilm(server), timeout=120, what="the server loading MiniLM", interval=0.5)
