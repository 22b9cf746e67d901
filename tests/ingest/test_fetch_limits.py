"""The fetcher's limits against a hostile local site: time, bytes on the wire, and decompressed bytes."""

from __future__ import annotations

import gzip
import time
from urllib.parse import quote

import pytest
from tests.ingest.ingest_site import LOOPBACK, Site, fetch_settings

from pinhaven.ingest.fetch import FetchError, fetch
from pinhaven.ingest.scrape import scrape_page


def test_slow_headers_time_out_within_the_limit(site: Site) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(site.url("/slow?s=5"), settings=fetch_settings("127.0.0.0/8", timeout=0.5))
    elapsed = time.monotonic() - started
    assert "did not answer within 0.5 s" in caught.value.message
    assert 0.4 < elapsed < 1.2


def test_a_body_dripping_forever_is_cut_by_the_total_time_limit(site: Site) -> None:
    # Each byte arrives well inside any per-read timeout; only a deadline for the whole fetch stops this.
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"did not answer within 0\.8 s"):
        fetch(site.url("/drip"), settings=fetch_settings("127.0.0.0/8", timeout=0.8, max_bytes=10**9))
    assert time.monotonic() - started < 1.5


def test_redirects_share_one_time_budget(site: Site) -> None:
    # Two hops of 0.4 s each: each within a 0.6 s limit, together over it.
    second = "/slowto?s=0.4&u=/text"
    first = "/slowto?s=0.4&u=" + quote(second, safe="")
    started = time.monotonic()
    with pytest.raises(FetchError, match="did not answer"):
        fetch(site.url(first), settings=fetch_settings("127.0.0.0/8", timeout=0.6))
    assert time.monotonic() - started < 1.0
    assert fetch(site.url(first), settings=fetch_settings("127.0.0.0/8", timeout=3)).body == b"just some text"


def test_an_endless_body_is_cut_at_the_byte_cap(site: Site) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="larger than 262144 bytes"):
        fetch(site.url("/endless"), settings=LOOPBACK, max_bytes=256 * 1024)
    assert time.monotonic() - started < 2.0


def test_settings_byte_cap_applies_by_default(site: Site) -> None:
    with pytest.raises(FetchError, match="larger than 100000 bytes"):
        fetch(site.url("/endless"), settings=fetch_settings("127.0.0.0/8", max_bytes=100_000))


def test_a_declared_oversized_body_is_refused_before_reading(site: Site) -> None:
    with pytest.raises(FetchError, match=r"larger than 1000000 bytes \(1000000000 declared\)"):
        fetch(site.url("/big-declared"), settings=LOOPBACK)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_compression_bombs_are_refused_at_the_decoded_cap(site: Site, encoding: str) -> None:
    # 64 MiB of zeros compress to under 100 KB: fine on the wire, refused once 1 MB has been decoded.
    started = time.monotonic()
    with pytest.raises(FetchError) as caught:
        fetch(site.url(f"/bomb/{encoding}"), settings=LOOPBACK)
    assert caught.value.message == "url: the response decompresses to more than 1000000 bytes"
    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "raw-deflate", "br", "gzip-twice"])
def test_compressed_pages_are_decoded(site: Site, encoding: str) -> None:
    page = fetch(site.url(f"/encoded/{encoding}"), settings=LOOPBACK)
    assert scrape_page(page.body, base_url=page.url).title == "A very good cat"


def test_an_unknown_content_encoding_is_refused(site: Site) -> None:
    with pytest.raises(FetchError, match=r"unsupported content encoding \(compress\)"):
        fetch(site.url("/unknown-encoding"), settings=LOOPBACK)


def test_corrupt_compressed_data_is_invalid_input(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.ingest import ingest_site

    monkeypatch.setitem(ingest_site.bombs(), "gzip", gzip.compress(b"x" * 1000)[:20] + b"garbage" * 10)
    with pytest.raises(FetchError, match="not valid gzip data"):
        fetch(site.url("/bomb/gzip"), settings=LOOPBACK)


def test_a_refused_connection_is_invalid_input_not_a_crash() -> None:
    # 127.0.0.4:9 (discard) has nobody listening on this machine.
    with pytest.raises(FetchError, match=r"could not connect to 127\.0\.0\.4:9"):
        fetch("http://127.0.0.4:9/", settings=LOOPBACK)
