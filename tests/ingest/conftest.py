"""Fixtures: `site` listens on 127.0.0.1; `site_pair` on 127.0.0.2 and 127.0.0.1 with the same port, so a test
can allow only 127.0.0.2 and prove that nothing reaches 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.ingest.ingest_site import Site, serve, stop


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    server, site = serve("127.0.0.1")
    yield site
    stop(server)


@pytest.fixture(scope="module")
def _pair() -> Iterator[tuple[Site, Site]]:
    for _attempt in range(20):
        allowed_server, allowed = serve("127.0.0.2")
        try:
            forbidden_server, forbidden = serve("127.0.0.1", allowed.port)
        except OSError:  # that port is taken on 127.0.0.1; pick another
            stop(allowed_server)
            continue
        yield allowed, forbidden
        stop(allowed_server, forbidden_server)
        return
    pytest.fail("could not bind the same port on 127.0.0.1 and 127.0.0.2")


@pytest.fixture
def site_pair(_pair: tuple[Site, Site]) -> tuple[Site, Site]:
    """(allowed, forbidden): servers on 127.0.0.2 and 127.0.0.1 sharing one port number, hits cleared."""
    for server in _pair:
        server.hits.clear()
    return _pair
