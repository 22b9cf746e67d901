"""Fetching from a real local site: content, redirects, DNS rebinding, and the scraper on fetched pages."""

from __future__ import annotations

import json
import socket
import threading
from decimal import Decimal
from urllib.parse import quote

import pytest
from tests.ingest.ingest_site import LOOPBACK, Site, fetch_settings, only, png_bytes

from pinhaven.config import load_settings
from pinhaven.ingest.fetch import MAX_REDIRECTS, BlockedAddress, FetchError, fetch
from pinhaven.ingest.scrape import looks_like_image, scrape_page


def test_fetches_a_page_with_headers_and_content_type(site: Site) -> None:
    result = fetch(site.url("/og"), settings=LOOPBACK)
    assert result.status == 200
    assert result.content_type == "text/html"
    assert result.charset == "utf-8"
    assert result.headers["content-length"] == str(len(result.body))
    assert b'property="og:image"' in result.body
    assert result.address == "127.0.0.1"
    assert result.redirects == ()


def test_host_header_and_final_url_keep_the_name_not_the_address(site: Site) -> None:
    resolve = only({"pins.test": ["127.0.0.1"]})
    result = fetch(site.url("/echo?q=1", host="Pins.Test."), settings=LOOPBACK, resolve=resolve)
    assert json.loads(result.body) == {
        "host": f"pins.test:{site.port}",
        "server": "127.0.0.1",
        "path": "/echo?q=1",
    }
    assert result.url == f"http://pins.test:{site.port}/echo?q=1"


def test_og_page_scrapes_to_an_image_that_is_really_an_image(site: Site) -> None:
    page = fetch(site.url("/og"), settings=LOOPBACK)
    info = scrape_page(page.body, base_url=page.url, encoding=page.charset)
    assert info.title == "A very good cat"
    assert info.description == "Orange cat on a sofa."
    assert info.image_url == site.url("/img/cat.png")
    assert [(i.width, i.height) for i in info.images] == [(320, 240)]  # the 1×1 spacer is not a candidate
    image = fetch(info.image_url, settings=LOOPBACK, accept="image/*")
    assert looks_like_image(image.content_type, image.body)
    assert image.body == png_bytes()


def test_json_ld_product_page_gives_price_and_availability(site: Site) -> None:
    page = fetch(site.url("/product"), settings=LOOPBACK)
    info = scrape_page(page.body, base_url=page.url)
    assert info.product is not None
    assert (info.product.price, info.product.currency, info.product.availability) == (
        Decimal("18.5"),
        "USD",
        "OUT_OF_STOCK",
    )
    assert info.image_url == site.url("/img/mug.jpg")
    assert info.title == "Mug — Shop"


def test_srcset_page_offers_the_largest_candidates(site: Site) -> None:
    page = fetch(site.url("/srcset"), settings=LOOPBACK)
    info = scrape_page(page.body, base_url=page.url)
    assert [i.url for i in info.images] == [site.url("/img/lazy.jpg"), site.url("/img/g-1440.jpg")]
    assert (info.images[1].width, info.images[1].height) == (480, 320)  # ranked by its declared size


def test_charset_from_the_http_header_is_used(site: Site) -> None:
    page = fetch(site.url("/latin1"), settings=LOOPBACK)
    assert page.charset == "windows-1252"
    assert scrape_page(page.body, base_url=page.url, encoding=page.charset).title == "Crème brûlée"


@pytest.mark.parametrize(
    ("path", "is_image"),
    [
        ("/img/cat.png", True),
        ("/img/disguised", True),
        ("/fake.png", False),
        ("/text", False),
        ("/og", False),
    ],
)
def test_images_are_told_from_pages_by_their_bytes(site: Site, path: str, is_image: bool) -> None:
    result = fetch(site.url(path), settings=LOOPBACK)
    assert looks_like_image(result.content_type, result.body) is is_image


@pytest.mark.parametrize("status", [404, 410, 500, 503])
def test_a_non_2xx_answer_is_invalid_input_naming_the_status(site: Site, status: int) -> None:
    with pytest.raises(FetchError) as caught:
        fetch(site.url(f"/status/{status}"), settings=LOOPBACK)
    assert caught.value.message == f"url: the site answered {status}"
    assert caught.value.status == 400


def test_a_redirect_chain_of_five_is_followed(site: Site) -> None:
    result = fetch(site.url(f"/chain/{MAX_REDIRECTS}"), settings=LOOPBACK)
    assert result.body == b"landed"
    assert result.url == site.url("/chain/0")
    assert result.redirects == tuple(site.url(f"/chain/{n}") for n in range(MAX_REDIRECTS, 0, -1))


def test_six_redirects_are_refused(site: Site) -> None:
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(site.url(f"/chain/{MAX_REDIRECTS + 1}"), settings=LOOPBACK)


def test_a_redirect_loop_is_refused(site: Site) -> None:
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(site.url("/loop"), settings=LOOPBACK)


def test_a_redirect_to_a_forbidden_address_is_refused(site_pair: tuple[Site, Site]) -> None:
    allowed, forbidden = site_pair
    only_allowed = fetch_settings("127.0.0.2/32")
    assert fetch(allowed.url("/echo"), settings=only_allowed).address == "127.0.0.2"  # the first host is fine
    hop = allowed.url("/to?u=" + quote(forbidden.url("/echo"), safe=""))
    with pytest.raises(BlockedAddress) as caught:
        fetch(hop, settings=only_allowed)
    assert caught.value.message == "url: refused: 127.0.0.1 is a loopback address"
    assert forbidden.hits == []


@pytest.mark.parametrize(
    "target",
    [
        "http://[::ffff:127.0.0.1]:{port}/echo",
        "http://0x7f.1:{port}/echo",
        "http://metadata.test/latest/meta-data/",
        "http://2852039166/latest/meta-data/",
    ],
)
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_every_redirect_hop_is_checked(site_pair: tuple[Site, Site], target: str, status: int) -> None:
    allowed, forbidden = site_pair
    location = quote(target.format(port=forbidden.port), safe="")
    resolve = only({"metadata.test": ["169.254.169.254"]})
    with pytest.raises(BlockedAddress):
        fetch(
            allowed.url(f"/to?status={status}&u={location}"),
            settings=fetch_settings("127.0.0.2/32"),
            resolve=resolve,
        )
    assert forbidden.hits == []


@pytest.mark.parametrize("target", ["file:///etc/passwd", "gopher://127.0.0.2:70/", "ftp://127.0.0.2/x"])
def test_a_redirect_to_another_scheme_is_refused(site: Site, target: str) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        fetch(site.url("/to?u=" + quote(target, safe="")), settings=LOOPBACK)


def test_dns_rebinding_cannot_move_the_connection(site_pair: tuple[Site, Site]) -> None:
    """The resolver answers an allowed address once, then 127.0.0.1: the fetcher must never ask twice."""
    allowed, forbidden = site_pair
    answers = iter([["127.0.0.2"]])
    calls: list[str] = []

    def rebinding(host: str) -> list[str]:
        calls.append(host)
        return next(answers, ["127.0.0.1"])

    result = fetch(
        allowed.url("/echo", host="rebind.test"), settings=fetch_settings("127.0.0.2/32"), resolve=rebinding
    )
    assert json.loads(result.body)["server"] == "127.0.0.2"
    assert result.address == "127.0.0.2"
    assert calls == ["rebind.test"]
    assert forbidden.hits == []
    assert allowed.hits[-1].host_header == f"rebind.test:{allowed.port}"


def test_dns_rebinding_from_a_public_answer_connects_only_to_the_checked_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Public IP first, then 127.0.0.1: the socket is opened to the public IP (intercepted here, never sent)."""
    answers = iter([["93.184.216.34"]])
    calls: list[str] = []
    connects: list[tuple[str, int]] = []

    def rebinding(host: str) -> list[str]:
        calls.append(host)
        return next(answers, ["127.0.0.1"])

    def intercept(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        connects.append(address)
        raise ConnectionRefusedError("intercepted by the test")

    monkeypatch.setattr(socket, "create_connection", intercept)
    with pytest.raises(FetchError, match=r"could not connect to rebind\.test"):
        fetch("http://rebind.test/", settings=fetch_settings(), resolve=rebinding)
    assert connects == [("93.184.216.34", 80)]
    assert calls == ["rebind.test"]


def test_a_second_checked_address_is_tried_when_the_first_refuses(site: Site) -> None:
    # 127.0.0.3 has no server on this port, so the connection is refused and the next checked answer is used.
    resolve = only({"two.test": ["127.0.0.3", "127.0.0.1"]})
    result = fetch(site.url("/echo", host="two.test"), settings=LOOPBACK, resolve=resolve)
    assert result.address == "127.0.0.1"


def test_allow_networks_setting_from_the_environment(site: Site, tmp_path: object) -> None:
    settings = load_settings(
        env={"PINHAVEN_FETCH_ALLOW_NETWORKS": "127.0.0.0/8, ::1/128"}, data_dir=tmp_path, secret_key="x"
    )
    assert fetch(site.url("/text"), settings=settings).body == b"just some text"
    with pytest.raises(BlockedAddress):
        fetch(site.url("/text"), settings=load_settings(env={}, data_dir=tmp_path, secret_key="x"))


def test_concurrent_fetches_are_independent(site: Site) -> None:
    results: list[bytes] = []
    errors: list[Exception] = []

    def run(n: int) -> None:
        try:
            results.append(fetch(site.url(f"/chain/{n % 3}"), settings=LOOPBACK).body)
        except Exception as exc:  # collected, then asserted empty
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and results == [b"landed"] * 8


def test_an_allowed_ipv4_mapped_literal_is_dialled_as_ipv4(site: Site) -> None:
    result = fetch(f"http://[::ffff:127.0.0.1]:{site.port}/echo", settings=LOOPBACK)
    assert result.address == "127.0.0.1"
    assert json.loads(result.body)["host"] == f"[::ffff:7f00:1]:{site.port}"


def test_a_resolver_that_crashes_is_a_clear_error_not_a_500() -> None:
    def broken(host: str) -> list[str]:
        raise KeyError(host)

    with pytest.raises(FetchError, match="could not be resolved"):
        fetch("http://broken.test/", settings=LOOPBACK, resolve=broken)


def test_a_resolver_answering_garbage_is_a_clear_error() -> None:
    with pytest.raises(FetchError, match="not an address"):
        fetch("http://garbage.test/", settings=LOOPBACK, resolve=only({"garbage.test": ["not-an-ip"]}))
