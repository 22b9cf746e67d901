"""The one safe fetcher: every outbound HTTP request Pinhaven makes goes through `fetch`.

    fetch(url)
      → _parse_url          scheme, host, port, read as a browser would (urls.split_url)
      → _resolve_checked    resolve once, refuse if any address is loopback/private/metadata/...
      → _open               connect to that checked address (`_PinnedBackend`), never to a second lookup
      → redirect?           back to _parse_url for the Location, at most MAX_REDIRECTS times
      → _read_body          byte cap on the wire, decompression cap on the decoded body

Built on httpcore (the transport under httpx) because its documented `network_backend` hook lets us pick the
socket's address while the URL, Host header, TLS SNI and certificate check keep the original host name.
Every socket operation is clamped to one deadline for the whole fetch, redirects included.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Collection, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from ssl import SSLContext
from typing import Any
from urllib.parse import quote, urljoin

import httpcore
import httpx

from pinhaven.config import Settings
from pinhaven.errors import InvalidInput
from pinhaven.ingest.addresses import IPAddress, IPNetwork, Resolver, refusal_reason, system_resolve
from pinhaven.ingest.decoding import ACCEPT_ENCODING, DecodeError, TooLarge, decoders_for
from pinhaven.ingest.urls import SplitUrl, UrlError, split_url

__all__ = [
    "DEFAULT_ACCEPT",
    "MAX_REDIRECTS",
    "BlockedAddress",
    "FetchError",
    "FetchResult",
    "check_url",
    "fetch",
]

DEFAULT_ACCEPT = "text/html,application/xhtml+xml;q=0.9,image/avif,image/webp,image/*;q=0.8,*/*;q=0.5"
MAX_REDIRECTS = 5
MAX_URL_CHARS = 8192
USER_AGENT = "Mozilla/5.0 (compatible; Pinhaven/0.1; +https://pinhaven.invalid/bot)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_ADDRESSES_TRIED = 3


class FetchError(InvalidInput):
    """Raised when a URL cannot be fetched: bad URL, network failure, timeout, size cap, non-2xx answer."""

    def __init__(self, message: str, *, field: str = "url") -> None:
        super().__init__(message, field=field)


class BlockedAddress(FetchError):
    """Raised when a URL or a redirect leads to an address the fetcher refuses (loopback, private, ...)."""


@dataclass(frozen=True)
class FetchResult:
    """A fetched response: final URL after redirects, status, headers (lower-case names) and decoded body."""

    url: str
    status: int
    headers: dict[str, str]
    content_type: str  # media type only, lower-case ("" when absent)
    body: bytes
    address: str  # the peer address the final response came from, read from the socket
    redirects: tuple[str, ...] = field(default=())  # earlier URLs of the chain, in order

    @property
    def charset(self) -> str | None:
        """The charset parameter of Content-Type, if any."""
        for param in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"').lower()
        return None


@dataclass(frozen=True)
class _Target:
    split: SplitUrl
    target: str  # path and query, percent-encoded ASCII

    @property
    def url(self) -> str:
        return f"{self.split.scheme}://{self.split.authority}{self.target}"


def _parse_url(url: str, allowed_ports: Collection[int] | None) -> _Target:
    try:
        split = split_url(url, max_chars=MAX_URL_CHARS)
    except UrlError as exc:
        raise FetchError(str(exc)) from exc
    if allowed_ports is not None and split.port not in allowed_ports:
        raise BlockedAddress(f"refused: port {split.port} is not allowed")
    path = quote(split.path or "/", safe="/%!$&'()*+,;=:@~-._")
    query = quote(split.query, safe="/?%!$&'()*+,;=:@~-._")
    return _Target(split, path + (f"?{query}" if query else ""))


@cache
def _dns_pool() -> ThreadPoolExecutor:
    # getaddrinfo cannot be interrupted; running it in a thread lets the deadline apply to slow DNS too.
    return ThreadPoolExecutor(max_workers=4, thread_name_prefix="pinhaven-dns")


def _resolve_checked(
    target: _Target, allow: Iterable[IPNetwork], resolve: Resolver, deadline: float
) -> list[IPAddress]:
    allowed = tuple(allow)
    if not isinstance(target.split.host, str):
        why = refusal_reason(target.split.host, allowed)
        if why is not None:
            raise BlockedAddress(f"refused: {target.split.host} is {why}")
        return [target.split.host]
    future = _dns_pool().submit(resolve, target.split.host)
    try:
        answers = future.result(timeout=max(deadline - time.monotonic(), 0.001))
    except FuturesTimeout as exc:
        raise FetchError(f"{target.split.host} could not be resolved in time") from exc
    except (
        OSError,
        ValueError,
        LookupError,
    ) as exc:  # whatever a resolver raises is "not resolved", not a 500
        raise FetchError(f"{target.split.host} could not be resolved ({exc})") from exc
    try:
        addresses = [a if not isinstance(a, str) else ipaddress.ip_address(a) for a in answers]
    except ValueError as exc:
        raise FetchError(f"{target.split.host} resolved to something that is not an address ({exc})") from exc
    if not addresses:
        raise FetchError(f"{target.split.host} has no addresses")
    # Refuse if any answer is bad: a name mixing public and private answers is an attack or a mistake.
    for address in addresses:
        why = refusal_reason(address, allowed)
        if why is not None:
            raise BlockedAddress(f"refused: {target.split.host} resolves to {address}, {why}")
    return addresses


class _DeadlineStream(httpcore.NetworkStream):
    """Clamps every socket wait to the fetch's deadline, so a slow-drip server cannot outlast it."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def _timeout(self, timeout: float | None, exc: type[Exception]) -> float:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise exc("time limit reached")
        return remaining if timeout is None else min(timeout, remaining)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._timeout(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._timeout(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        inner = self._stream.start_tls(
            ssl_context, server_hostname, self._timeout(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _PinnedBackend(httpcore.NetworkBackend):
    """Opens every connection to one already-checked address, whatever host name the request carries."""

    def __init__(self, address: IPAddress, deadline: float) -> None:
        self.address = address
        self.peer: str | None = None
        self._deadline = deadline
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        # `host` is the URL's name and is deliberately unused: a second lookup is what DNS rebinding exploits.
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise httpcore.ConnectTimeout("time limit reached")
        # An IPv4-mapped IPv6 answer is dialled as the IPv4 address it stands for (works without IPv6).
        mapped = self.address.ipv4_mapped if isinstance(self.address, ipaddress.IPv6Address) else None
        stream = self._inner.connect_tcp(
            str(mapped or self.address),
            port,
            timeout=remaining if timeout is None else min(timeout, remaining),
            local_address=local_address,
            socket_options=socket_options,
        )
        peer = stream.get_extra_info("server_addr")
        self.peer = str(peer[0]) if peer else str(self.address)
        return _DeadlineStream(stream, self._deadline)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are never fetched")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@cache
def _ssl_context() -> SSLContext:
    return httpx.create_ssl_context()  # certifi roots, hostname checking on


@dataclass(frozen=True)
class _Budget:
    """What every hop of one fetch shares: its deadline, caps and TLS context."""

    deadline: float
    timeouts: dict[str, float]
    max_bytes: int
    accept: str
    ssl_context: SSLContext


_OWN_HEADERS = frozenset({"host", "connection", "accept-encoding", "content-length", "transfer-encoding"})


@contextmanager
def _open(
    target: _Target, addresses: list[IPAddress], budget: _Budget, extra: Mapping[str, str] | None = None
) -> Iterator[tuple[str, httpcore.Response]]:
    """GET from the first reachable checked address; yields (peer address, response with its body unread)."""
    headers = [
        (b"Host", target.split.authority.encode("ascii")),
        (b"User-Agent", USER_AGENT.encode()),
        (b"Accept", budget.accept.encode("latin-1")),
        (b"Accept-Encoding", ACCEPT_ENCODING.encode()),
        (b"Connection", b"close"),
    ]
    for name, value in (extra or {}).items():
        if any(c in name + value for c in "\r\n\0") or not name.isascii() or not value.isascii():
            raise FetchError(f"the {name!r} header holds characters a header cannot carry", field="headers")
        if name.lower() not in _OWN_HEADERS:
            headers.append((name.encode("ascii"), value.encode("ascii")))
    url = httpcore.URL(
        scheme=target.split.scheme.encode(),
        host=(
            target.split.host if isinstance(target.split.host, str) else target.split.host.compressed
        ).encode(),
        port=target.split.port,
        target=target.target.encode("ascii"),
    )
    failure: Exception | None = None
    for address in addresses[:_MAX_ADDRESSES_TRIED]:
        backend = _PinnedBackend(address, budget.deadline)
        with httpcore.ConnectionPool(ssl_context=budget.ssl_context, network_backend=backend) as pool:
            request = httpcore.Request(b"GET", url, headers=headers, extensions={"timeout": budget.timeouts})
            try:
                response = pool.handle_request(request)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            try:
                yield backend.peer or str(address), response
            finally:
                response.close()
            return
    assert failure is not None
    raise failure


def _exchange(
    target: _Target, addresses: list[IPAddress], budget: _Budget, extra: Mapping[str, str] | None = None
) -> FetchResult | str:
    """One request: the final result, or the Location of a redirect (body left unread)."""
    with _open(target, addresses, budget, extra) as (peer, response):
        location = _location(response.headers) if response.status in _REDIRECTS else None
        if location is not None:
            return location
        if not 200 <= response.status < 300:
            raise FetchError(f"the site answered {response.status}")
        headers = _header_dict(response.headers)
        body = _read_body(response, headers, budget.max_bytes)
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        return FetchResult(target.url, response.status, headers, content_type, body, peer)


def _read_body(response: httpcore.Response, headers: dict[str, str], limit: int) -> bytes:
    """The body, decoded; refuses more than `limit` bytes on the wire or after decompression."""
    try:
        decoders = decoders_for(headers.get("content-encoding", ""))
    except DecodeError as exc:
        raise FetchError(f"the site answered with {exc}") from exc
    declared = headers.get("content-length", "")
    if not decoders and declared.isdigit() and int(declared) > limit:
        raise FetchError(f"the response is larger than {limit} bytes ({declared} declared)")
    received = size = 0
    body: list[bytes] = []
    try:
        for chunk in response.iter_stream():
            received += len(chunk)
            if received > limit:
                raise FetchError(f"the response is larger than {limit} bytes")
            for decoder in decoders:
                chunk = decoder.feed(chunk, limit)
            size += len(chunk)
            if size > limit:
                raise TooLarge
            body.append(chunk)
    except TooLarge as exc:
        raise FetchError(f"the response decompresses to more than {limit} bytes") from exc
    except DecodeError as exc:
        raise FetchError(f"the response is {exc}") from exc
    return b"".join(body)


def _header_dict(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1").strip()
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def _location(raw: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in raw:
        if name.lower() == b"location":
            try:
                return value.decode("utf-8").strip()
            except UnicodeDecodeError:
                return value.decode("latin-1").strip()
    return None


def check_url(url: str, *, settings: Settings, resolve: Resolver = system_resolve) -> str:
    """Validate and resolve `url` without fetching it; returns its canonical form or raises FetchError."""
    target = _parse_url(url, None)
    deadline = time.monotonic() + settings.fetch_timeout_seconds
    _resolve_checked(target, settings.fetch_allow_networks, resolve, deadline)
    return target.url


def fetch(
    url: str,
    *,
    settings: Settings,
    accept: str = DEFAULT_ACCEPT,
    max_bytes: int | None = None,
    resolve: Resolver = system_resolve,
    allowed_ports: Collection[int] | None = None,
    connect_timeout: float | None = None,
    ssl_context: SSLContext | None = None,
    headers: Mapping[str, str] | None = None,
) -> FetchResult:
    """GET `url` safely (see module docstring); raises FetchError/BlockedAddress (both InvalidInput, 400).

    `resolve` is the host-name lookup (tests inject one); `allowed_ports` restricts ports (default: any);
    `ssl_context` replaces the default certifi-based verification (e.g. for a private CA); `headers` (e.g. an
    API token) go only to the URL's own scheme, host and port, never to a redirect elsewhere."""
    total = settings.fetch_timeout_seconds
    budget = _Budget(
        deadline=time.monotonic() + total,
        timeouts={
            "connect": min(total, 5.0) if connect_timeout is None else connect_timeout,
            "read": total,
            "write": total,
            "pool": total,
        },
        max_bytes=settings.fetch_max_bytes if max_bytes is None else max_bytes,
        accept=accept,
        ssl_context=ssl_context or _ssl_context(),
    )
    target = _parse_url(url, allowed_ports)
    origin = (target.split.scheme, target.split.authority)
    chain: list[str] = []
    try:
        while True:
            addresses = _resolve_checked(target, settings.fetch_allow_networks, resolve, budget.deadline)
            same_origin = (target.split.scheme, target.split.authority) == origin
            outcome = _exchange(target, addresses, budget, headers if same_origin else None)
            if isinstance(outcome, FetchResult):
                return replace(outcome, redirects=tuple(chain))
            if len(chain) >= MAX_REDIRECTS:
                raise FetchError(f"refused: more than {MAX_REDIRECTS} redirects")
            chain.append(target.url)
            target = _parse_url(urljoin(target.url, outcome), allowed_ports)
    except httpcore.TimeoutException as exc:
        raise FetchError(f"{target.split.authority} did not answer within {total:g} s") from exc
    except httpcore.ConnectError as exc:
        raise FetchError(
            f"could not connect to {target.split.authority} ({exc or 'connection failed'})"
        ) from exc
    except (httpcore.ProtocolError, httpcore.NetworkError, OSError) as exc:
        reason = str(exc) or type(exc).__name__
        raise FetchError(f"the connection to {target.split.authority} failed ({reason})") from exc
