"""Host parsing and address classification for the fetcher's SSRF guard.

`parse_host` turns whatever a URL's host says (`0x7f.1`, `2130706433`, `[::ffff:127.0.0.1]`,
`%31%32%37.0.0.1`, `ⓛⓞⓒⓐⓛⓗⓞⓢⓣ`, `example.com.`) into either an IP address or a lower-case ASCII
host name, the way a browser (WHATWG URL standard) reads it. `refusal_reason` says why an address must
not be fetched, looking through IPv6 forms that embed an IPv4 address (mapped, compatible, NAT64, 6to4,
Teredo). Nothing here touches the network except `system_resolve`.
"""

from __future__ import annotations

import ipaddress
import socket
import string
from collections.abc import Callable, Iterable, Sequence
from urllib.parse import unquote_to_bytes

import idna

__all__ = [
    "HostError",
    "IPAddress",
    "IPNetwork",
    "Resolver",
    "format_host",
    "parse_host",
    "refusal_reason",
    "split_authority",
    "system_resolve",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# Takes an ASCII host name, returns its addresses (strings or ipaddress objects), best first.
Resolver = Callable[[str], Sequence[str | IPAddress]]

_net = ipaddress.ip_network

# Named individually so the refusal says what the address is; every one also sits in a blocked range below.
_METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean instance metadata
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.169.253",  # AWS VPC DNS
        "169.254.169.123",  # AWS time sync
        "100.100.100.200",  # Alibaba Cloud metadata
        "192.0.0.192",  # Oracle Cloud classic metadata
        "fd00:ec2::254",  # AWS metadata over IPv6
        "fd00:ec2::253",  # AWS DNS over IPv6
        "fd00:ec2::123",  # AWS time sync over IPv6
        "fd20:ce::254",  # GCP metadata over IPv6
    )
)

# First match wins, so narrower ranges come before the ranges that contain them.
_V4_BLOCKED: tuple[tuple[ipaddress.IPv4Network, str], ...] = tuple(
    (ipaddress.IPv4Network(n), why)
    for n, why in (
        ("0.0.0.0/32", "the unspecified address"),
        ("0.0.0.0/8", "a 'this network' address (0.0.0.0/8)"),
        ("10.0.0.0/8", "a private address (RFC 1918)"),
        ("100.64.0.0/10", "a carrier-grade NAT address (100.64.0.0/10)"),
        ("127.0.0.0/8", "a loopback address"),
        ("169.254.0.0/16", "a link-local address"),
        ("172.16.0.0/12", "a private address (RFC 1918)"),
        ("192.0.0.0/24", "an IETF protocol assignment address (192.0.0.0/24)"),
        ("192.0.2.0/24", "a documentation address"),
        ("192.88.99.0/24", "a 6to4 relay anycast address"),
        ("192.168.0.0/16", "a private address (RFC 1918)"),
        ("198.18.0.0/15", "a benchmarking address (198.18.0.0/15)"),
        ("198.51.100.0/24", "a documentation address"),
        ("203.0.113.0/24", "a documentation address"),
        ("224.0.0.0/4", "a multicast address"),
        ("255.255.255.255/32", "the broadcast address"),
        ("240.0.0.0/4", "a reserved address (240.0.0.0/4)"),
    )
)

_V6_BLOCKED: tuple[tuple[ipaddress.IPv6Network, str], ...] = tuple(
    (ipaddress.IPv6Network(n), why)
    for n, why in (
        ("::/128", "the unspecified address"),
        ("::1/128", "a loopback address"),
        ("64:ff9b:1::/48", "a local-use NAT64 address"),
        ("100::/64", "a discard-only address"),
        ("2001:db8::/32", "a documentation address"),
        ("3fff::/20", "a documentation address"),
        ("2001::/23", "an IETF protocol assignment address (2001::/23)"),
        ("5f00::/16", "a reserved SRv6 address"),
        ("fc00::/7", "a unique local address (IPv6 ULA)"),
        ("fe80::/10", "a link-local address"),
        ("fec0::/10", "a site-local address"),
        ("ff00::/8", "a multicast address"),
        ("::/8", "a reserved address (::/8)"),
    )
)
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # SIIT, RFC 2765
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, list[ipaddress.IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, and the name of the form that carries them."""
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        return "an IPv4-mapped address", [ip.ipv4_mapped]
    if ip in _IPV4_TRANSLATED:
        return "an IPv4-translated address", [low32]
    if ip in _NAT64:
        return "a NAT64 address", [low32]
    if ip.sixtofour is not None:
        return "a 6to4 address", [ip.sixtofour]
    if ip.teredo is not None:
        server, client = ip.teredo
        return "a Teredo address", [server, client]
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:
        return "an IPv4-compatible address", [low32]
    return "", []


def _v4_reason(ip: ipaddress.IPv4Address) -> str | None:
    if ip in _METADATA:
        return "a cloud metadata address"
    for network, why in _V4_BLOCKED:
        if ip in network:
            return why
    if not ip.is_global:
        return "not a public address"
    return None


def refusal_reason(ip: IPAddress, allow: Iterable[IPNetwork] = ()) -> str | None:
    """Why the fetcher must not connect to `ip` (e.g. "a loopback address"), or None when it may."""
    allowed = tuple(allow)
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    if any(ip in n or (mapped is not None and mapped in n) for n in allowed):
        return None
    if isinstance(ip, ipaddress.IPv4Address):
        return _v4_reason(ip)
    if ip in _METADATA:
        return "a cloud metadata address"
    form, inner = _embedded_ipv4(ip)
    for v4 in inner:
        why = _v4_reason(v4)
        if why is not None:
            return f"{form} of {v4}, {why}"
    if inner and form in ("an IPv4-mapped address", "a NAT64 address"):
        return None  # the connection goes to (or through a translator to) that public IPv4 address
    for network, why in _V6_BLOCKED:
        if ip in network:
            return why
    if ip not in _GLOBAL_UNICAST:
        return "a reserved address (outside 2000::/3)"
    if not ip.is_global:
        return "not a public address"
    return None


# WHATWG "forbidden domain code points" (after percent-decoding); '%' would start a second decoding.
_FORBIDDEN = frozenset("\x00\t\n\r #/:<>?@[\\]^|%\x7f") | frozenset(chr(c) for c in range(0x20))
_HOST_CHARS = frozenset(string.ascii_lowercase + string.digits + "-_.")


class HostError(ValueError):
    """A URL host that no browser would accept either; the message names the host and the problem."""


def _invalid(raw: str, why: str) -> HostError:
    return HostError(f"{raw!r} is not a valid host: {why}")


def _parse_ipv4_number(part: str) -> int | None:
    """One WHATWG IPv4 part: decimal, 0x-hex or 0-octal; None when it is not a number."""
    try:
        if part[:2] in ("0x", "0X"):
            return int(part[2:], 16) if part[2:] else 0
        if len(part) > 1 and part.startswith("0"):
            return int(part[1:], 8)
        return int(part, 10) if part.isdigit() else None
    except ValueError:
        return None


def _ends_in_number(labels: list[str]) -> bool:
    last = labels[-1]
    if last.isascii() and last.isdigit():
        return True
    return last[:2] in ("0x", "0X") and all(c in string.hexdigits for c in last[2:])


def _parse_ipv4(labels: list[str], raw: str) -> ipaddress.IPv4Address:
    """WHATWG IPv4 parser: `127.1`, `0177.0.0.1`, `0x7f.1` and `2130706433` all mean 127.0.0.1."""
    if len(labels) > 4:
        raise _invalid(raw, "too many parts for an IPv4 address")
    numbers = [_parse_ipv4_number(p) for p in labels]
    if any(n is None for n in numbers):
        raise _invalid(raw, "not a valid IPv4 address")
    values = [n for n in numbers if n is not None]
    if any(n > 255 for n in values[:-1]) or values[-1] >= 256 ** (5 - len(values)):
        raise _invalid(raw, "IPv4 part out of range")
    address = values[-1]
    for i, n in enumerate(values[:-1]):
        address += n << (8 * (3 - i))
    return ipaddress.IPv4Address(address)


def parse_host(raw: str) -> IPAddress | str:
    """Read a URL host as a browser would: an IP address, or a lower-case ASCII (IDNA) host name.

    Raises HostError (a ValueError) when the host is malformed."""
    if not raw:
        raise _invalid(raw, "empty host")
    if raw.startswith("["):
        if not raw.endswith("]") or "%" in raw:
            raise _invalid(raw, "bad IPv6 literal (zone ids are not accepted)")
        try:
            return ipaddress.IPv6Address(raw[1:-1])
        except ValueError as exc:
            raise _invalid(raw, str(exc)) from exc
    try:
        decoded = unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _invalid(raw, "percent-encoding is not UTF-8") from exc
    if any(c in _FORBIDDEN for c in decoded):
        raise _invalid(raw, "forbidden character")
    try:
        # UTS 46 mapping folds case, full-width digits and dots, and circled letters before anything else.
        mapped = idna.uts46_remap(decoded, std3_rules=False, transitional=False)
    except (idna.IDNAError, ValueError) as exc:
        raise _invalid(raw, f"not a valid international name ({exc})") from exc
    host = mapped.rstrip(".")
    if not host:
        raise _invalid(raw, "empty host")
    labels = host.split(".")
    if _ends_in_number(labels):
        return _parse_ipv4(labels, raw)
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=False).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError) as exc:
            raise _invalid(raw, f"not a valid international name ({exc})") from exc
    if len(host) > 253 or any(not 0 < len(label) <= 63 for label in host.split(".")):
        raise _invalid(raw, "host name or label too long, or an empty label")
    if not set(host) <= _HOST_CHARS:
        raise _invalid(raw, "forbidden character")
    return host


def split_authority(netloc: str) -> tuple[str, str]:
    """(host, port text) of a URL authority; userinfo (`user:pass@`) is dropped. ValueError if malformed."""
    hostport = netloc.rpartition("@")[2]
    if not hostport.startswith("["):
        host, _, port = hostport.partition(":")
        return host, port
    end = hostport.find("]")
    rest = hostport[end + 1 :] if end > 0 else "?"
    if rest and not rest.startswith(":"):
        raise ValueError(f"not a valid host: {hostport!r}")
    return hostport[: end + 1], rest[1:]


def format_host(host: IPAddress | str) -> str:
    """The host as written in a URL or Host header: IPv6 addresses in brackets."""
    if isinstance(host, ipaddress.IPv6Address):
        return f"[{host.compressed}]"
    return str(host)


def system_resolve(host: str) -> list[str]:
    """Addresses of `host` from the operating system's resolver (getaddrinfo), in its preferred order."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in seen:
            seen.append(address)
    return seen
