"""POST /ext/v1/pins/from-url and /preview against a real local web site."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.factories import Account
from tests.ingest_flows.conftest import make_board, make_section
from tests.ingest_flows.fake_web import FakeWeb, picture
from tests.web.helpers import WebClient

from pinhaven.context import AppContext
from pinhaven.media import service as media_service
from pinhaven.media import variants
from pinhaven.media.models import MediaImage
from pinhaven.pins import products
from pinhaven.pins.models import Pin

FROM_URL = "/ext/v1/pins/from-url"
PREVIEW = "/ext/v1/pins/from-url/preview"


def _save(client: TestClient, account: Account, **body: object) -> dict[str, object]:
    response = client.post(FROM_URL, json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def _stored_original(ctx: AppContext, pin_id: str) -> bytes:
    with ctx.sessions() as db:
        pin = db.get(Pin, int(pin_id))
        assert pin is not None
        image = db.get(MediaImage, pin.image_id)
        assert image is not None
        data = media_service.media_store(ctx).get(variants.original_key(image.sha256, image.original_format))
    assert data is not None
    return data


def test_og_page_becomes_a_pin_with_text_canonical_link_and_domain(
    client: TestClient, ctx: AppContext, alice: Account, web: FakeWeb
) -> None:
    board = make_board(ctx, alice.user.id, "Cats")
    pin = _save(client, alice, url=web.url("/og"), board_id=str(board))
    assert pin["title"] == "A very good cat"
    assert pin["description"] == "Orange cat on a sofa."
    # og:url, with the trackers gone and the other parameter kept
    assert pin["link"] == f"{web.base}/articles/cat?id=7"
    assert pin["source_domain"] == "127.0.0.1"
    assert pin["board_id"] == str(board)
    assert pin["product"] is None
    # the og:image was chosen (not the smaller <img> or the 1×1 spacer), and stored byte for byte (JPEG)
    assert "/img/cat.jpg" in web.hits and "/img/other.jpg" not in web.hits
    stored = _stored_original(ctx, str(pin["id"]))
    assert stored[:2] == b"\xff\xd8" and len(stored) > len(picture("cat.jpg")) // 2


def test_product_page_keeps_price_currency_and_availability(
    client: TestClient, ctx: AppContext, alice: Account, web: FakeWeb
) -> None:
    board = make_board(ctx, alice.user.id, "Shopping")
    pin = _save(client, alice, url=web.url("/product"), board_id=str(board))
    assert pin["product"] == {"price": "18.5", "currency": "USD", "availability": "IN_STOCK"}
    assert pin["link"] == f"{web.base}/shop/mug"  # <link rel=canonical>, made absolute
    assert pin["title"] == "Mug — Shop"
    with ctx.sessions() as db:
        row = products.get_for_pin(db=db, pin_id=int(str(pin["id"])))
        assert row is not None
        assert (str(row.price_decimal), row.currency, row.availability) == ("18.5", "USD", "IN_STOCK")
        assert row.source_url == f"{web.base}/shop/mug"


def test_srcset_page_fetches_the_sharpest_candidate(
    client: TestClient, ctx: AppContext, alice: Account, web: FakeWeb
) -> None:
    board = make_board(ctx, alice.user.id, "Gallery")
    pin = _save(client, alice, url=web.url("/srcset"), board_id=str(board))
    assert "/img/g-1440.jpg" in web.hits and "/img/g-small.jpg" not in web.hits
    media = pin["media"]
    assert isinstance(media, dict) and media["images"]["originals"]["width"] == 960


def test_a_direct_image_url_becomes_a_pin_linking_to_the_image(
    client: TestClient, ctx: AppContext, alice: Account, web: FakeWeb
) -> None:
    board = make_board(ctx, alice.user.id, "Direct")
    section = make_section(ctx, alice.user.id, board, "Loose")
    pin = _save(
        client,
        alice,
        url=web.url("/img/photo.png"),
        board_id=str(board),
        board_section_id=str(section),
        title="My own title",
        alt_text="A test picture",
    )
    assert (pin["title"], pin["alt_text"], pin["board_section_id"]) == (
        "My own title",
        "A test picture",
        str(section),
    )
    assert pin["link"] == web.url("/img/photo.png")
    assert _stored_original(ctx, str(pin["id"]))[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_picked_image_is_used_and_a_broken_best_image_falls_back(
    client: TestClient, ctx: AppContext, alice: Account, web: FakeWeb
) -> None:
    board = make_board(ctx, alice.user.id, "Picks")
    picked = _save(
        client, alice, url=web.url("/og"), board_id=str(board), image_url=web.url("/img/other.jpg")
    )
    assert "/img/other.jpg" in web.hits
    assert picked["title"] == "A very good cat"
    fallback = _save(client, alice, url=web.url("/broken-first"), board_id=str(board))
    assert "/img/missing.jpg" in web.hits and "/img/second.jpg" in web.hits
    assert fallback["title"] == "Broken"


@pytest.mark.parametrize(
    ("path", "image_path", "message"),
    [
        ("/text", None, "neither a web page nor an image"),
        ("/og", "/img/fake.jpg", "is not an image"),
        ("/empty", None, "offers no images"),
        ("/nowhere", None, "answered 404"),
    ],
)
def test_unusable_urls_are_refused_with_the_reason(
    client: TestClient,
    ctx: AppContext,
    alice: Account,
    web: FakeWeb,
    path: str,
    image_path: str | None,
    message: str,
) -> None:
    board = make_board(ctx, alice.user.id, "Nope")
    body: dict[str, object] = {"url": web.url(path), "board_id": str(board)}
    if image_path:
        body["image_url"] = web.url(image_path)
    response = client.post(FROM_URL, json=body, headers=alice.headers)
    assert response.status_code == 400
    assert message in response.json()["message"]
    with ctx.sessions() as db:
        assert db.query(Pin).count() == 0


@pytest.mark.parametrize("fetch_networks", [()], indirect=True)
def test_loopback_is_refused_when_not_allowed(
    client: TestClient, ctx: AppContext, alice: Account, web: FakeWeb
) -> None:
    board = make_board(ctx, alice.user.id, "Local")
    for endpoint, body in (
        (FROM_URL, {"url": web.url("/og"), "board_id": str(board)}),
        (PREVIEW, {"url": web.url("/og")}),
    ):
        response = client.post(endpoint, json=body, headers=alice.headers)
        assert response.status_code == 400, response.text
        assert "refused" in response.json()["message"] and "loopback" in response.json()["message"]
    assert web.hits == []


def test_preview_lists_the_page_facts_and_candidates_best_first(
    client: TestClient, alice: Account, web: FakeWeb
) -> None:
    response = client.post(PREVIEW, json={"url": web.url("/og")}, headers=alice.headers)
    assert response.status_code == 200, response.text
    page = response.json()
    assert (page["title"], page["site_name"], page["is_image"]) == ("A very good cat", "Cats Weekly", False)
    assert [i["url"] for i in page["images"]] == [web.url("/img/cat.jpg"), web.url("/img/other.jpg")]
    assert page["images"][0] | {} == {"url": web.url("/img/cat.jpg"), "width": 640, "height": 480}
    product = client.post(PREVIEW, json={"url": web.url("/product")}, headers=alice.headers).json()
    assert product["product"] == {"price": "18.50", "currency": "USD", "availability": "IN_STOCK"}
    image = client.post(PREVIEW, json={"url": web.url("/img/x.jpg")}, headers=alice.headers).json()
    assert image["is_image"] and image["images"] == [
        {"url": web.url("/img/x.jpg"), "width": 320, "height": 240}
    ]


def test_saving_needs_a_token_with_pins_write_and_a_board_of_ones_own(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account, web: FakeWeb
) -> None:
    board = make_board(ctx, alice.user.id, "Mine")
    body = {"url": web.url("/og"), "board_id": str(board)}
    assert client.post(FROM_URL, json=body).status_code == 401
    assert client.post(PREVIEW, json={"url": web.url("/og")}).status_code == 401
    refused = client.post(FROM_URL, json=body, headers=bob.headers)
    assert refused.status_code == 403
    assert web.hits == []  # the board is checked before any fetch


def test_web_session_needs_the_csrf_header(client: TestClient, ctx: AppContext, web: FakeWeb) -> None:
    visitor = WebClient(client.app)  # type: ignore[arg-type]
    visitor.signup("carol")
    with ctx.sessions() as db:
        from pinhaven.accounts.service import get_by_username_or_raise

        carol = get_by_username_or_raise(db=db, username="carol").id
    board = make_board(ctx, carol, "Session")
    body = {"url": web.url("/og"), "board_id": str(board)}
    assert visitor.http.post(FROM_URL, json=body).status_code == 403
    response = visitor.http.post(FROM_URL, json=body, headers={"X-CSRF-Token": visitor.csrf()})
    assert response.status_code == 201, response.text
