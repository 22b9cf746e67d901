"""Serving /media: headers, ETag/304, HEAD, negotiation, on-demand variants, and the secret-image rule."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from tests.factories import Account, make_account
from tests.media import craft
from tests.media.conftest import ingest, pin_image

from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import ANONYMOUS
from pinhaven.accounts.sessions import SESSION_COOKIE, make_session_cookie
from pinhaven.boards.models import Board, BoardCollaborator
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.media import handlers, service, variants
from pinhaven.media.models import MediaImage
from pinhaven.media.store import LocalMediaStore

WEBP_ACCEPT = {"Accept": "image/avif,image/webp,*/*"}


def path_of(image: MediaImage, key: str, fmt: str = "webp") -> str:
    return service.variant_url(image, key, base_url="", fmt=fmt)


@pytest.fixture
def public_image(ctx: AppContext, alice: Account) -> MediaImage:
    image = ingest(ctx, craft.encode(craft.photo((900, 700)), "JPEG"))
    pin_image(ctx, alice, image)
    return image


@pytest.fixture
def secret_image(ctx: AppContext, alice: Account) -> MediaImage:
    image = ingest(ctx, craft.encode(craft.photo((900, 700), seed=7), "PNG"))
    pin_image(ctx, alice, image, privacy="SECRET")
    return image


def test_variant_is_served_with_immutable_caching(media_client: TestClient, public_image: MediaImage) -> None:
    response = media_client.get(path_of(public_image, "236x"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-length"] == str(len(response.content))
    assert response.headers["x-content-type-options"] == "nosniff"
    etag = response.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert Image.open(io.BytesIO(response.content)).size == (236, 184)


def test_variant_requested_before_processing_is_rendered_on_demand(
    ctx: AppContext, media_client: TestClient, public_image: MediaImage, store: LocalMediaStore
) -> None:
    key = variants.variant_key(public_image.sha256, "400x300", "jpg")
    assert store.get(key) is None
    response = media_client.get(path_of(public_image, "400x300", "jpg"))
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert store.get(key) == response.content  # kept for next time
    handlers.process_image(ctx, {"image_id": str(public_image.id)})  # the job later: same bytes, same ETag
    again = media_client.get(path_of(public_image, "400x300", "jpg"))
    assert again.content == response.content and again.headers["etag"] == response.headers["etag"]


def test_concurrent_requests_for_a_cold_variant_render_it_once(
    ctx: AppContext, public_image: MediaImage, store: LocalMediaStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders: list[object] = []
    real_render = variants.render

    def counting_render(*args: Any, **kwargs: Any) -> variants.RenderedSet:
        renders.append(kwargs.get("wanted"))
        time.sleep(0.05)  # widen the window in which the other requests arrive
        return real_render(*args, **kwargs)

    monkeypatch.setattr(variants, "render", counting_render)

    def fetch() -> bytes:
        with ctx.read_sessions() as db:  # a writer session would queue the threads on SQLite's write lock
            name = "736x.webp"
            sha = public_image.sha256
            media = service.fetch_media(
                db=db, store=store, viewer=ANONYMOUS, prefix=sha[:2], sha256=sha, name=name, accept=None
            )
            return media.data

    with ThreadPoolExecutor(max_workers=6) as pool:
        bodies = list(pool.map(lambda _: fetch(), range(6)))
    assert renders == [[("736x", "webp")]]
    assert (
        len(set(bodies)) == 1
        and store.get(variants.variant_key(public_image.sha256, "736x", "webp")) == bodies[0]
    )
    assert Image.open(io.BytesIO(bodies[0])).size == variants.variant_size("736x", 900, 700)


def test_if_none_match_answers_304(media_client: TestClient, public_image: MediaImage) -> None:
    first = media_client.get(path_of(public_image, "600x"))
    etag = first.headers["etag"]
    for header in (etag, f'"nope", {etag}', f"W/{etag}", "*"):
        cached = media_client.get(path_of(public_image, "600x"), headers={"If-None-Match": header})
        assert cached.status_code == 304 and cached.content == b""
        assert cached.headers["etag"] == etag and "immutable" in cached.headers["cache-control"]
    assert (
        media_client.get(path_of(public_image, "600x"), headers={"If-None-Match": '"other"'}).status_code
        == 200
    )


def test_head_sends_headers_without_a_body(media_client: TestClient, public_image: MediaImage) -> None:
    full = media_client.get(path_of(public_image, "originals"))
    head = media_client.head(path_of(public_image, "originals"))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == str(len(full.content))
    assert head.headers["etag"] == full.headers["etag"] == f'"{public_image.sha256}"'
    assert head.headers["content-type"] == "image/jpeg"


def test_extensionless_url_negotiates_webp_or_jpeg(
    media_client: TestClient, public_image: MediaImage
) -> None:
    url = path_of(public_image, "474x", "auto")
    webp = media_client.get(url, headers=WEBP_ACCEPT)
    assert webp.headers["content-type"] == "image/webp" and "Accept" in webp.headers["vary"]
    for accept in ("image/jpeg,*/*", "image/webp;q=0, image/jpeg", ""):
        jpeg = media_client.get(url, headers={"Accept": accept})
        assert jpeg.headers["content-type"] == "image/jpeg", accept
    assert (
        media_client.get(path_of(public_image, "474x", "webp"), headers={"Accept": "image/jpeg"}).headers[
            "content-type"
        ]
        == "image/webp"
    )  # an explicit extension wins


def test_original_has_one_extension(media_client: TestClient, public_image: MediaImage) -> None:
    base = f"/media/{public_image.sha256[:2]}/{public_image.sha256}/"
    assert media_client.get(base + "originals.jpg").status_code == 200
    assert media_client.get(base + "originals").headers["content-type"] == "image/jpeg"
    wrong = media_client.get(base + "originals.png")
    assert wrong.status_code == 404 and ".jpg" in wrong.json()["message"]


@pytest.mark.parametrize(
    "suffix", ["236x.gif", "237x.webp", "originals.exe", "236x.webp/../x", "150x150.png", "236x.WEBP"]
)
def test_malformed_names_are_404(media_client: TestClient, public_image: MediaImage, suffix: str) -> None:
    response = media_client.get(f"/media/{public_image.sha256[:2]}/{public_image.sha256}/{suffix}")
    assert response.status_code == 404


def test_unknown_or_mismatched_keys_are_404(media_client: TestClient, public_image: MediaImage) -> None:
    sha = public_image.sha256
    assert media_client.get(f"/media/{sha[:2]}/{'0' * 64}/236x.webp").status_code == 404
    assert media_client.get(f"/media/zz/{sha}/236x.webp").status_code == 404
    assert media_client.get(f"/media/{sha[:2]}/{sha[:-1]}/236x.webp").status_code == 404


def test_failed_image_variants_are_404(
    ctx: AppContext, media_client: TestClient, public_image: MediaImage
) -> None:
    with session_scope(ctx.sessions) as db:
        row = db.get(MediaImage, public_image.id)
        assert row is not None
        row.status, row.failure_reason = "failed", "test"
    assert media_client.get(path_of(public_image, "236x")).status_code == 404


# --- privacy ----------------------------------------------------------------------------------------------


def test_secret_image_is_404_for_anonymous_and_strangers(
    media_client: TestClient, secret_image: MediaImage, bob: Account
) -> None:
    for key in ("236x", "originals", "150x150"):
        assert media_client.get(path_of(secret_image, key)).status_code == 404
        assert media_client.head(path_of(secret_image, key)).status_code == 404
        assert media_client.get(path_of(secret_image, key), headers=bob.headers).status_code == 404
    # A known ETag does not help either.
    etag = {"If-None-Match": "*"}
    assert media_client.get(path_of(secret_image, "236x"), headers=etag).status_code == 404


def test_secret_image_is_served_privately_to_its_owner_and_collaborators(
    ctx: AppContext, media_client: TestClient, alice: Account, bob: Account
) -> None:
    image = ingest(ctx, craft.encode(craft.photo((500, 400), seed=3), "JPEG"))
    placed = pin_image(ctx, alice, image, privacy="SECRET")
    response = media_client.get(path_of(image, "236x"), headers=alice.headers)
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("private")
    assert "Authorization" in response.headers["vary"]
    assert media_client.get(path_of(image, "236x"), headers=bob.headers).status_code == 404
    with session_scope(ctx.sessions) as db:
        db.add(BoardCollaborator(board_id=placed.board_id, user_id=bob.user.id))
    assert media_client.get(path_of(image, "236x"), headers=bob.headers).status_code == 200


def test_secret_image_needs_the_read_secret_scope(
    ctx: AppContext, media_client: TestClient, alice: Account
) -> None:
    image = ingest(ctx, craft.encode(craft.photo((300, 300), seed=4), "JPEG"))
    pin_image(ctx, alice, image, privacy="SECRET")
    limited = make_account(ctx, "alice2", scopes="pins:read boards:read")
    pin_image(ctx, limited, image, privacy="SECRET")
    assert media_client.get(path_of(image, "236x"), headers=limited.headers).status_code == 404


def test_session_cookie_viewer_sees_own_secret_image(
    ctx: AppContext, media_client: TestClient, alice: Account, secret_image: MediaImage
) -> None:
    with session_scope(ctx.sessions) as db:
        user = db.get(User, alice.user.id)
        assert user is not None
        cookie = make_session_cookie(db=db, secret_key=ctx.settings.secret_key, user=user)
    media_client.cookies.set(SESSION_COOKIE, cookie)
    assert media_client.get(path_of(secret_image, "originals")).status_code == 200


def test_image_on_a_public_and_a_secret_board_is_public(
    ctx: AppContext, media_client: TestClient, alice: Account, bob: Account, secret_image: MediaImage
) -> None:
    assert media_client.get(path_of(secret_image, "236x")).status_code == 404
    pin_image(ctx, bob, secret_image)  # bob uploads the same picture publicly
    response = media_client.get(path_of(secret_image, "236x"))
    assert response.status_code == 200 and response.headers["cache-control"].startswith("public")


def test_making_the_board_secret_stops_serving_at_once(
    ctx: AppContext, media_client: TestClient, alice: Account
) -> None:
    image = ingest(ctx, craft.encode(craft.photo((300, 300), seed=5), "JPEG"))
    placed = pin_image(ctx, alice, image)
    assert media_client.get(path_of(image, "236x")).status_code == 200
    with session_scope(ctx.sessions) as db:
        board = db.get(Board, placed.board_id)
        assert board is not None
        board.privacy = "SECRET"
    assert media_client.get(path_of(image, "236x")).status_code == 404


def test_unreferenced_image_is_not_served(ctx: AppContext, media_client: TestClient) -> None:
    image = ingest(ctx, craft.encode(craft.photo((300, 300), seed=6), "JPEG"))
    assert media_client.get(path_of(image, "originals")).status_code == 404


def test_profile_image_is_public(ctx: AppContext, media_client: TestClient, bob: Account) -> None:
    image = ingest(ctx, craft.encode(craft.photo((200, 200), seed=8), "PNG"))
    with session_scope(ctx.sessions) as db:
        user = db.get(User, bob.user.id)
        assert user is not None
        user.profile_image_id = image.id
    response = media_client.get(path_of(image, "150x150"))
    assert response.status_code == 200 and response.headers["cache-control"].startswith("public")


def test_pin_created_through_v5_serves_its_images(client: TestClient, alice: Account, bob: Account) -> None:
    """The whole app: a pin's response URLs serve, and a secret pin's do not leak to others."""
    from tests.factories import media_source

    for seed, privacy, visible_to_others in ((11, "PUBLIC", True), (12, "SECRET", False)):
        board = client.post(
            "/v5/boards", json={"name": f"b-{privacy}", "privacy": privacy}, headers=alice.headers
        )
        assert board.status_code == 201, board.text
        body = {"board_id": board.json()["id"], "media_source": media_source(seed=seed)}
        created = client.post("/v5/pins", json=body, headers=alice.headers)
        assert created.status_code == 201, created.text
        for key, info in created.json()["media"]["images"].items():
            path = "/" + info["url"].split("/", 3)[3]
            own = client.get(path, headers=alice.headers)
            assert own.status_code == 200, (key, own.text)
            assert Image.open(io.BytesIO(own.content)).size == (info["width"], info["height"])
            expected = 200 if visible_to_others else 404
            assert client.get(path, headers=bob.headers).status_code == expected
            assert client.get(path).status_code == expected
