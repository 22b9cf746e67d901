"""Importing from a (fake, local) Pinry 2.x API: boards, paging, tags, private pins, tokens, bad images."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.factories import Account
from tests.ingest_flows.conftest import pins_by_board
from tests.ingest_flows.fake_web import PINRY_TOKEN, FakeWeb, pinry_pin

from pinhaven.boards.models import Board
from pinhaven.context import AppContext
from pinhaven.errors import InvalidInput
from pinhaven.ingest import importers_pinry
from pinhaven.ingest.importers import run_import
from pinhaven.ingest.importers_pinry import PinrySource


@pytest.fixture
def pinry(web: FakeWeb, monkeypatch: pytest.MonkeyPatch) -> FakeWeb:
    monkeypatch.setattr(importers_pinry, "PAGE_SIZE", 2)  # several pages from a handful of pins
    web.pinry.pins = [
        pinry_pin(
            1,
            image="/media/p1.jpg",
            description="Blue door",
            tags=("doors", "blue paint"),
            referer="https://travel.example/lisbon?utm_source=x",
            url="https://cdn.example/p1.jpg",
        ),
        pinry_pin(2, image=web.url("/media/p2.jpg"), description="", url="https://cdn.example/p2.jpg"),
        pinry_pin(3, image="/media/p3.jpg", description="Secret sketch", private=True),
        pinry_pin(4, image="/media/p4.jpg", description="Loose pin"),
        pinry_pin(5, image="/media/missing.jpg", description="Broken"),
    ]
    web.pinry.boards = [
        {"id": 10, "name": "Doors", "pins": [1, 2, 3]},
        {"id": 11, "name": "Private stuff", "private": True, "pins": [2]},
    ]
    return web


def _run(ctx: AppContext, account: Account, web: FakeWeb, tmp_path: Path, token: str | None) -> object:
    source = PinrySource(web.base + "/", settings=ctx.settings, token=token)
    return run_import(ctx=ctx, user_id=account.user.id, source=source, report_path=tmp_path / "pinry.jsonl")


def test_pinry_pins_and_boards_come_over_with_tags_links_and_privacy(
    ctx: AppContext, alice: Account, pinry: FakeWeb, tmp_path: Path
) -> None:
    summary = _run(ctx, alice, pinry, tmp_path, PINRY_TOKEN)
    assert (summary.created, summary.failed) == (5, 1)  # type: ignore[attr-defined]
    boards = pins_by_board(ctx, alice.user.id)
    assert {name: len(pins) for name, pins in boards.items()} == {
        "Doors": 2,
        "Doors (private)": 1,
        "Private stuff": 1,
        "Pinry": 1,
    }
    door = boards["Doors"][0]
    assert door.description == "Blue door #doors #bluepaint"
    assert door.link == "https://travel.example/lisbon"  # referer first, trackers removed
    assert boards["Doors"][1].link == "https://cdn.example/p2.jpg"  # no referer: the pin's url
    assert boards["Pinry"][0].description == "Loose pin"
    with ctx.sessions() as db:
        privacy = {b.name: b.privacy for b in db.query(Board)}
    assert privacy == {
        "Doors": "PUBLIC",
        "Doors (private)": "SECRET",
        "Private stuff": "SECRET",
        "Pinry": "PUBLIC",
    }
    # every API call carried the token; paging walked offsets 0, 2, 4
    api = [(path, auth) for path, auth in pinry.pinry.requests]
    assert {auth for _, auth in api} == {f"Token {PINRY_TOKEN}"}
    assert sum(1 for path, _ in api if path == "/api/v2/pins/") >= 3
    failed = [
        json.loads(line) for line in (tmp_path / "pinry.jsonl").read_text().splitlines() if '"failed"' in line
    ]
    assert len(failed) == 1 and "404" in failed[0]["reason"]


def test_without_a_token_only_public_pins_come_and_a_rerun_adds_nothing(
    ctx: AppContext, alice: Account, pinry: FakeWeb, tmp_path: Path
) -> None:
    first = _run(ctx, alice, pinry, tmp_path, None)
    assert (first.created, first.failed) == (3, 1)  # type: ignore[attr-defined]
    assert "Private stuff" not in pins_by_board(ctx, alice.user.id)
    again = _run(ctx, alice, pinry, tmp_path, None)
    assert (again.created, again.skipped) == (0, 3)  # type: ignore[attr-defined]


@pytest.mark.parametrize("fetch_networks", [()], indirect=True)
def test_a_pinry_on_loopback_needs_the_network_allowed(
    ctx: AppContext, alice: Account, pinry: FakeWeb, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match="refused"):
        _run(ctx, alice, pinry, tmp_path, PINRY_TOKEN)
    assert pinry.pinry.requests == []


def test_something_that_is_not_pinry_is_refused(
    ctx: AppContext, alice: Account, web: FakeWeb, tmp_path: Path
) -> None:
    source = PinrySource(web.url("/og"), settings=ctx.settings)
    with pytest.raises(InvalidInput, match="Pinry"):
        run_import(ctx=ctx, user_id=alice.user.id, source=source)


def test_a_pinry_that_breaks_off_keeps_what_was_imported_and_resumes(
    ctx: AppContext, alice: Account, pinry: FakeWeb, tmp_path: Path
) -> None:
    pinry.pinry.fail_from_offset = 2
    with pytest.raises(InvalidInput, match="500"):
        _run(ctx, alice, pinry, tmp_path, PINRY_TOKEN)
    kept = sum(len(p) for p in pins_by_board(ctx, alice.user.id).values())
    assert kept == 3  # pins 1 and 2 (pin 2 sits on two boards) were committed before the failure
    pinry.pinry.fail_from_offset = None
    resumed = _run(ctx, alice, pinry, tmp_path, PINRY_TOKEN)
    assert (resumed.skipped, resumed.created, resumed.failed) == (3, 2, 1)  # type: ignore[attr-defined]
