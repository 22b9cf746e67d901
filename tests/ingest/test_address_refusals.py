"""The SSRF guard: every spelling of a forbidden address is refused before any connection is made."""

from __future__ import annotations

import ipaddress
import socket
import time

import pytest
from tests.ingest.ingest_site import LOOPBACK, Site, fetch_settings, only

from pinhaven.errors import InvalidInput
from pinhaven.ingest.addresses import HostError, parse_host, refusal_reason, system_resolve
from pinhaven.ingest.fetch import BlockedAddress, FetchError, check_url, fetch

NO_ALLOW = fetch_settings()

# `{port}` is the port of a real server listening on 127.0.0.1: if any of these got through, it would answer.
LOOPBACK_SPELLINGS = [
    "http://127.0.0.1:{port}/echo",
    "http://127.1:{port}/echo",
    "http://127.0.1:{port}/echo",
    "http://2130706433:{port}/echo",
    "http://0x7f000001:{port}/echo",
    "http://0x7f.1:{port}/echo",
    "http://0X7F.0X0.0X0.0X1:{port}/echo",
    "http://0177.0.0.1:{port}/echo",
    "http://0177.1:{port}/echo",
    "http://017700000001:{port}/echo",
    "http://127.000.000.001:{port}/echo",
    "http://127.0.0.1.:{port}/echo",
    "http://127.0.0.1..:{port}/echo",
    "http://127.255.255.254:{port}/echo",
    "http://evil.example@127.0.0.1:{port}/echo",
    "http://user:pass@127.0.0.1:{port}/echo",
    "http://127.0.0.1\\@evil.example:{port}/echo",
    "http://127.0.0.1:{port}\\@evil.example/echo",
    "http://%31%32%37.0.0.1:{port}/echo",
    "http://%31%32%37%2e%30%2e%30%2e%31:{port}/echo",
    "http://\uff11\uff12\uff17\u3002\uff10\u3002\uff10\u3002\uff11:{port}/echo",  # full-width digits and dots
    "HTTP://127.0.0.1:{port}/echo",
    "  http://127.0.0.1:{port}/echo\t",
    "https://127.0.0.1:{port}/echo",
    "http://[::1]:{port}/echo",
    "http://[0:0:0:0:0:0:0:1]:{port}/echo",
    "http://[::ffff:127.0.0.1]:{port}/echo",
    "http://[::ffff:7f00:1]:{port}/echo",
    "http://[::127.0.0.1]:{port}/echo",
    "http://[::ffff:0:127.0.0.1]:{port}/echo",
    "http://[64:ff9b::127.0.0.1]:{port}/echo",
    "http://[2002:7f00:1::]:{port}/echo",
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:{port}/echo",  # Teredo, client 127.0.0.1
    "http://localhost:{port}/echo",
    "http://LOCALHOST.:{port}/echo",
    "http://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3:{port}/echo",  # circled letters: localhost
    "http://0:{port}/echo",
    "http://0.0.0.0:{port}/echo",
    "http://[::]:{port}/echo",
]


def _only_localhost(host: str) -> list[str]:
    """The system resolver, but for `localhost` only: no public name is ever looked up."""
    assert host == "localhost", host
    return system_resolve(host)


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    attempts: list[tuple[object, ...]] = []

    def refuse(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        attempts.append(address)
        raise AssertionError(f"the fetcher tried to connect to {address}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    return attempts


def test_the_table_is_big_enough() -> None:
    assert len(LOOPBACK_SPELLINGS) >= 30


@pytest.mark.parametrize("template", LOOPBACK_SPELLINGS)
def test_every_loopback_spelling_is_refused(
    template: str, site: Site, no_connections: list[tuple[object, ...]]
) -> None:
    url = template.format(port=site.port)
    with pytest.raises(BlockedAddress) as caught:
        fetch(url, settings=NO_ALLOW, resolve=_only_localhost)
    message = caught.value.message
    assert message.startswith("url: refused: ")
    assert "loopback" in message or "unspecified" in message or "'this network'" in message
    assert caught.value.status == 400 and isinstance(caught.value, InvalidInput)
    assert no_connections == []


def test_refusal_message_names_address_and_reason() -> None:
    with pytest.raises(BlockedAddress) as caught:
        fetch("http://0x7f.1/", settings=NO_ALLOW)
    assert caught.value.message == "url: refused: 127.0.0.1 is a loopback address"


def test_refusal_message_for_a_name_says_what_it_resolved_to() -> None:
    with pytest.raises(BlockedAddress) as caught:
        fetch("http://intranet.test/", settings=NO_ALLOW, resolve=only({"intranet.test": ["10.1.2.3"]}))
    assert (
        caught.value.message
        == "url: refused: intranet.test resolves to 10.1.2.3, a private address (RFC 1918)"
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.1/", "private address"),
        ("http://172.16.5.4/", "private address"),
        ("http://172.31.255.255/", "private address"),
        ("http://192.168.1.1/", "private address"),
        ("http://100.64.0.1/", "carrier-grade NAT"),
        ("http://100.127.255.254/", "carrier-grade NAT"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://169.254.170.2/v2/credentials", "cloud metadata"),
        ("http://100.100.100.200/", "cloud metadata"),
        ("http://[fd00:ec2::254]/", "cloud metadata"),
        ("http://2852039166/", "cloud metadata"),  # 169.254.169.254 as one number
        ("http://[::ffff:169.254.169.254]/", "cloud metadata"),
        ("http://[64:ff9b::a9fe:a9fe]/", "cloud metadata"),
        ("http://169.254.1.1/", "link-local"),
        ("http://224.0.0.1/", "multicast"),
        ("http://239.255.255.250/", "multicast"),
        ("http://255.255.255.255/", "broadcast"),
        ("http://240.0.0.1/", "reserved"),
        ("http://192.0.2.1/", "documentation"),
        ("http://198.51.100.7/", "documentation"),
        ("http://203.0.113.9/", "documentation"),
        ("http://198.18.0.1/", "benchmarking"),
        ("http://192.0.0.8/", "IETF protocol assignment"),
        ("http://0.1.2.3/", "'this network'"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fec0::1]/", "site-local"),
        ("http://[fc00::1]/", "unique local"),
        ("http://[fd12:3456::1]/", "unique local"),
        ("http://[ff02::1]/", "multicast"),
        ("http://[2001:db8::1]/", "documentation"),
        ("http://[3fff::1]/", "documentation"),
        ("http://[100::1]/", "discard-only"),
        ("http://[64:ff9b:1::a00:1]/", "local-use NAT64"),
        ("http://[::ffff:10.0.0.1]/", "IPv4-mapped address of 10.0.0.1, a private address"),
        ("http://[2002:c0a8:101::]/", "6to4 address of 192.168.1.1, a private address"),
        ("http://[64:ff9b::192.168.0.1]/", "NAT64 address of 192.168.0.1"),
        ("http://[2001::1]/", "Teredo address of 0.0.0.0"),
    ],
)
def test_non_public_addresses_are_refused_with_their_reason(
    url: str, reason: str, no_connections: list[tuple[object, ...]]
) -> None:
    with pytest.raises(BlockedAddress) as caught:
        fetch(url, settings=NO_ALLOW)
    assert reason in caught.value.message
    assert no_connections == []


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8",
                                     "64:ff9b::808:808", "2002:808:808::1", "1.1.1.1"])  # fmt: skip
def test_public_addresses_pass_the_check(address: str) -> None:
    assert refusal_reason(ipaddress.ip_address(address)) is None


def test_allow_networks_let_a_private_range_through() -> None:
    allow = (ipaddress.ip_network("10.0.0.0/8"),)
    assert refusal_reason(ipaddress.ip_address("10.2.3.4"), allow) is None
    assert refusal_reason(ipaddress.ip_address("::ffff:10.2.3.4"), allow) is None
    assert refusal_reason(ipaddress.ip_address("192.168.0.1"), allow) == "a private address (RFC 1918)"


def test_a_name_with_one_private_answer_among_public_ones_is_refused(
    no_connections: list[tuple[object, ...]],
) -> None:
    resolve = only({"mixed.test": ["93.184.216.34", "127.0.0.1"]})
    with pytest.raises(BlockedAddress, match=r"mixed\.test resolves to 127\.0\.0\.1, a loopback address"):
        fetch("http://mixed.test/", settings=NO_ALLOW, resolve=resolve)
    assert no_connections == []


def test_allowed_spelling_reaches_the_site_with_the_canonical_host(site: Site) -> None:
    result = fetch(f"http://0x7f.1:{site.port}/echo", settings=LOOPBACK)
    assert result.url == f"http://127.0.0.1:{site.port}/echo"
    assert site.hits[-1].host_header == f"127.0.0.1:{site.port}"


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("ftp://example.test/file", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://127.0.0.1:70/", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("//example.test/relative", "only http and https"),
        ("http:///nohost", "no host"),
        ("http://exa mple.test/", "not a valid host"),
        ("http://1.2.3.4.5/", "too many parts"),
        ("http://256.0.0.1/", "out of range"),
        ("http://0x1g.0.0.1/", "not a valid host"),
        ("http://[::1/", "not a valid"),
        ("http://[fe80::1%25eth0]/", "zone ids"),
        ("http://example.test:99999/", "not a valid port"),
        ("http://example.test:-1/", "not a valid port"),
        ("http://%zz.test/", "not a valid host"),
        ("http://a\nb.test/", "control characters"),
        ("", "the URL is empty"),
        (" \x00\t", "the URL is empty"),
    ],
)
def test_malformed_urls_are_invalid_input(url: str, complaint: str) -> None:
    with pytest.raises(FetchError) as caught:
        fetch(url, settings=NO_ALLOW, resolve=only({}))
    assert complaint in caught.value.message
    assert caught.value.field == "url"


def test_ports_can_be_restricted() -> None:
    with pytest.raises(BlockedAddress, match="port 22 is not allowed"):
        fetch("http://files.test:22/", settings=NO_ALLOW, resolve=only({}), allowed_ports={80, 443})


def test_unresolvable_names_are_a_clear_error() -> None:
    with pytest.raises(FetchError, match=r"nowhere\.test could not be resolved"):
        fetch("http://nowhere.test/", settings=NO_ALLOW, resolve=only({}))


def test_a_slow_resolver_is_cut_off_by_the_time_limit() -> None:
    def slow(host: str) -> list[str]:
        time.sleep(1.5)
        return ["93.184.216.34"]

    started = time.monotonic()
    with pytest.raises(FetchError, match="could not be resolved in time"):
        fetch("http://slow-dns.test/", settings=fetch_settings(timeout=0.3), resolve=slow)
    assert time.monotonic() - started < 1.0


def test_check_url_validates_without_fetching(no_connections: list[tuple[object, ...]]) -> None:
    resolve = only({"shop.test": ["93.184.216.34"], "db.test": ["10.0.0.5"]})
    assert check_url("HTTP://Shop.Test./a b", settings=NO_ALLOW, resolve=resolve) == "http://shop.test/a%20b"
    with pytest.raises(BlockedAddress):
        check_url("http://db.test/", settings=NO_ALLOW, resolve=resolve)
    assert no_connections == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Example.COM", "example.com"),
        ("example.com.", "example.com"),
        ("b\u00fccher.de", "xn--bcher-kva.de"),
        ("B%C3%BCcher.de", "xn--bcher-kva.de"),
        ("under_score.test", "under_score.test"),
        ("0x7f.1", ipaddress.ip_address("127.0.0.1")),
        ("3232235777", ipaddress.ip_address("192.168.1.1")),
        ("10.1", ipaddress.ip_address("10.0.0.1")),
        ("[2001:DB8::1]", ipaddress.ip_address("2001:db8::1")),
    ],
)
def test_parse_host_reads_hosts_like_a_browser(raw: str, expected: object) -> None:
    assert parse_host(raw) == expected


def test_parse_host_rejects_an_over_long_label() -> None:
    with pytest.raises(HostError, match="too long"):
        parse_host("a" * 64 + ".test")
