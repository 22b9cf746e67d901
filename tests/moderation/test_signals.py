"""Automatic signals: spam (blocklist, text, learned domain reputation, new accounts), flood, nudity."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.factories import Account, image_bytes, make_account
from tests.moderation.helpers import board, make_role, pin

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.jobs.worker import drain
from pinhaven.moderation import nudity, spam

SCAN = ["moderation.scan_pin"]


@pytest.fixture
def mod(ctx: AppContext) -> Account:
    account = make_account(ctx, "mod")
    make_role(ctx, account, "admin")
    return account


def _queue(client: TestClient, mod: Account) -> dict[str, dict]:
    return {
        c["object_id"]: c for c in client.get("/ext/v1/moderation/queue", headers=mod.headers).json()["items"]
    }


def test_blocklisted_link_is_hidden_pending_review_then_dismissed(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account, mod: Account
) -> None:
    board_id = board(client, alice)
    bad = pin(
        client, alice, board_id, seed=1, title="Great deal", link="https://shop.cheap-pills-online.example/x"
    )
    fine = pin(client, alice, board_id, seed=2, title="Tiled kitchen", link="https://tiles.example/kitchen")
    assert drain(ctx, kinds=SCAN) == 2
    assert client.get(f"/ext/v1/pins/{bad}", headers=bob.headers).status_code == 404
    assert client.get(f"/ext/v1/pins/{fine}", headers=bob.headers).status_code == 200
    assert (
        client.get(f"/ext/v1/pins/{bad}", headers=alice.headers).status_code == 200
    )  # the owner still sees it
    queue = _queue(client, mod)
    assert set(queue) == {bad}
    case = queue[bad]
    assert case["auto_hidden"] is True and case["state"] == "hidden"
    assert case["signals"]["spam.blocklist"] == 1.0 and case["signals"]["spam"] == 1.0
    assert case["actions"][0]["action"] == "auto_hide" and case["actions"][0]["actor_id"] is None
    dismissed = client.post(
        "/ext/v1/moderation/actions", json={"case_id": case["id"], "action": "dismiss"}, headers=mod.headers
    )
    assert dismissed.json()["state"] == "visible"
    assert client.get(f"/ext/v1/pins/{bad}", headers=bob.headers).status_code == 200
    # A later scan of the same pin does not overrule the moderator.
    client.patch(f"/v5/pins/{bad}", json={"title": "Great deal again"}, headers=alice.headers)
    from pinhaven.moderation.jobs import scan
    from pinhaven.pins.models import Pin

    with session_scope(ctx.sessions) as db:
        row = db.get(Pin, int(bad))
        assert row is not None
        scan(db, row)
    assert client.get(f"/ext/v1/pins/{bad}", headers=bob.headers).status_code == 200


def test_text_patterns_and_threshold_setting(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account, mod: Account
) -> None:
    board_id = board(client, alice)
    loud = pin(client, alice, board_id, seed=3, title="BUY NOW!!! casino bonus", description="click here")
    mild = pin(client, alice, board_id, seed=4, title="DM me for the pattern")
    drain(ctx, kinds=SCAN)
    queue = _queue(client, mod)
    assert queue[loud]["state"] == "hidden" and queue[loud]["signals"]["spam.text_patterns"] >= 0.8
    assert mild not in queue  # 0.3: below half the 0.8 threshold
    assert (
        client.patch(
            "/ext/v1/instance/settings", json={"spam_threshold": 0.3}, headers=mod.headers
        ).status_code
        == 200
    )
    again = pin(client, alice, board_id, seed=5, title="DM me for the pattern")
    drain(ctx, kinds=SCAN)
    assert _queue(client, mod)[again]["state"] == "hidden"
    assert client.get(f"/ext/v1/pins/{again}", headers=bob.headers).status_code == 404


def test_domain_reputation_is_learned_from_moderation(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account, mod: Account
) -> None:
    board_id = board(client, alice)
    for seed in (6, 7, 8):
        spammy = pin(client, alice, board_id, seed=seed, title="Look", link=f"https://promo.example/{seed}")
        reported = client.post(
            "/ext/v1/reports",
            json={"object_type": "pin", "object_id": spammy, "reason": "spam"},
            headers=bob.headers,
        )
        assert reported.status_code == 201
        removed = client.post(
            "/ext/v1/moderation/actions",
            json={"object_type": "pin", "object_id": spammy, "action": "remove"},
            headers=mod.headers,
        )
        assert removed.status_code == 200
    drain(ctx, kinds=SCAN)
    fresh = pin(client, alice, board_id, seed=9, title="Look", link="https://promo.example/new")
    drain(ctx, kinds=SCAN)
    case = _queue(client, mod)[fresh]
    assert case["signals"]["spam.domain_reputation"] == pytest.approx(0.75)  # 3 spam / (3 + 0 + 1)


def test_new_accounts_saving_one_link_and_duplicate_flood(
    ctx: AppContext, client: TestClient, alice: Account, mod: Account
) -> None:
    link = "https://landing.example/offer"
    last = ""
    for n in range(6):
        account = make_account(ctx, f"fresh{n}")
        last = pin(client, account, board(client, account), seed=20 + n, title="Nice", link=link)
    drain(ctx, kinds=SCAN)
    assert _queue(client, mod)[last]["signals"]["spam.new_account_link"] == 1.0
    board_id = board(client, alice, "Same")
    flood = [pin(client, alice, board_id, seed=40, title=f"copy {i}") for i in range(10)]
    drain(ctx, kinds=SCAN)
    queue = _queue(client, mod)
    assert queue[flood[-1]]["signals"]["flood"] == 1.0 and queue[flood[-1]]["state"] == "hidden"
    assert flood[0] not in queue  # the first of the burst stays clean
    assert client.get(f"/ext/v1/pins/{flood[0]}").status_code == 200


def test_blocklist_matches_subdomains_only() -> None:
    assert spam.is_blocklisted("cheap-pills-online.example")
    assert spam.is_blocklisted("www.cheap-pills-online.example")
    assert not spam.is_blocklisted("not-cheap-pills-online.example")
    assert not spam.is_blocklisted(None)
    assert spam.text_score("A lovely kitchen with blue tiles") == 0.0


@pytest.mark.skipif(not nudity.available(), reason="nudenet (the `safety` extra) is not installed")
def test_nudity_detector_runs_offline_and_scores_a_plain_picture_low() -> None:
    score = nudity.score_image(image_bytes(size=(736, 552)))
    assert score is not None and 0.0 <= score < 0.2
    assert nudity.score_image(b"not an image") is None


def test_spam_probability_demotes_in_ranking(
    ctx: AppContext, client: TestClient, alice: Account, mod: Account
) -> None:
    from pinhaven.moderation.signals import demoted, spam_scores

    board_id = board(client, alice)
    queued = pin(client, alice, board_id, seed=60, title="Buy now, DM me")  # 0.7: queued, not hidden
    clean = pin(client, alice, board_id, seed=61, title="Blue tiles")
    drain(ctx, kinds=SCAN)
    with session_scope(ctx.sessions) as db:
        found = spam_scores(db=db, pin_ids=[int(queued), int(clean)])
    assert set(found) == {int(queued)} and 0.5 <= found[int(queued)] < 0.8
    assert demoted(2.0, 0.5) == 1.0 and demoted(-2.0, 0.5) == -3.0  # lower either way
    assert demoted(1.0, 0.0) == 1.0
