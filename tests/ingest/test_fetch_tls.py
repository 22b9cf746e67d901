"""HTTPS through the pinned connection: the socket goes to the checked address, while SNI and certificate
verification use the URL's host name."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator

import pytest
import trustme
from tests.ingest.ingest_site import LOOPBACK, Site, only, serve, stop

from pinhaven.ingest.fetch import FetchError, fetch


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def tls_site(ca: trustme.CA) -> Iterator[tuple[Site, list[str | None]]]:
    """An HTTPS site on 127.0.0.1 whose certificate names only `pins.test`; records the SNI it was sent."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("pins.test").configure_cert(context)
    server_names: list[str | None] = []
    context.sni_callback = lambda _sock, name, _ctx: server_names.append(name)
    server, site = serve("127.0.0.1", tls=context)
    yield site, server_names
    stop(server)


@pytest.fixture(scope="module")
def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def test_https_to_a_pinned_address_verifies_the_host_name(
    tls_site: tuple[Site, list[str | None]], client_context: ssl.SSLContext
) -> None:
    site, server_names = tls_site
    url = f"https://pins.test:{site.port}/echo"
    result = fetch(
        url, settings=LOOPBACK, resolve=only({"pins.test": ["127.0.0.1"]}), ssl_context=client_context
    )
    assert result.address == "127.0.0.1"
    assert json.loads(result.body)["host"] == f"pins.test:{site.port}"
    assert server_names[-1] == "pins.test"


def test_a_certificate_for_another_name_is_refused(
    tls_site: tuple[Site, list[str | None]], client_context: ssl.SSLContext
) -> None:
    site, _names = tls_site
    resolve = only({"other.test": ["127.0.0.1"]})
    with pytest.raises(FetchError, match=r"could not connect to other\.test") as caught:
        fetch(
            f"https://other.test:{site.port}/echo",
            settings=LOOPBACK,
            resolve=resolve,
            ssl_context=client_context,
        )
    assert "certificate" in caught.value.message.lower() or "hostname" in caught.value.message.lower()


def test_the_bare_address_does_not_pass_for_the_name(
    tls_site: tuple[Site, list[str | None]], client_context: ssl.SSLContext
) -> None:
    site, _names = tls_site
    with pytest.raises(FetchError, match="could not connect"):
        fetch(f"https://127.0.0.1:{site.port}/echo", settings=LOOPBACK, ssl_context=client_context)


def test_the_default_context_does_not_trust_a_private_ca(tls_site: tuple[Site, list[str | None]]) -> None:
    site, _names = tls_site
    with pytest.raises(FetchError, match="certificate verify failed"):
        fetch(
            f"https://pins.test:{site.port}/echo",
            settings=LOOPBACK,
            resolve=only({"pins.test": ["127.0.0.1"]}),
        )
