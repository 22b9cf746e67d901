"""Export an account, import it into an empty instance, and compare every record (through the CLI)."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.factories import image_bytes
from typer.testing import CliRunner

from pinhaven.accounts import follows
from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.models import User, UserFollow
from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards import members
from pinhaven.boards import service as boards_service
from pinhaven.boards.models import Board, BoardCollaborator, BoardFollow, BoardSection
from pinhaven.cli import app as cli_app
from pinhaven.config import Settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.engine import session_scope
from pinhaven.media import service as media_service
from pinhaven.media import variants
from pinhaven.media.models import MediaImage
from pinhaven.pins import products
from pinhaven.pins import service as pins_service
from pinhaven.pins.models import Pin

SMALL = (200, 150)


def _user(ctx: AppContext, name: str) -> int:
    with session_scope(ctx.sessions) as db:
        return accounts_service.create(
            db=db, username=name, email=f"{name}@example.test", password="correct horse battery"
        ).id


def _pin(
    ctx: AppContext, user_id: int, board_id: int, seed: int, section_id: int | None = None, **fields: Any
) -> int:
    with session_scope(ctx.sessions) as db:
        image = media_service.ingest_bytes(
            db=db,
            store=media_service.media_store(ctx),
            settings=ctx.settings,
            data=image_bytes(size=SMALL, seed=seed),
        )
        pin = pins_service.create(
            db=db,
            viewer=session_viewer(user_id),
            board_id=board_id,
            image=image,
            fields=pins_service.PinFields(**fields),
            section_id=section_id,
        )
        return pin.id


def _build_account(ctx: AppContext) -> None:
    """alice with public and secret boards, sections, pins, a product, saves, follows, an avatar, a cover."""
    alice, bob, carol = _user(ctx, "alice"), _user(ctx, "bob"), _user(ctx, "carol")
    me, bob_viewer = session_viewer(alice), session_viewer(bob)
    with session_scope(ctx.sessions) as db:
        kitchen = boards_service.create(
            db=db, owner_id=alice, name="Kitchen", description="Tiles and taps"
        ).id
        secret = boards_service.create(db=db, owner_id=alice, name="Secret plans", privacy="SECRET").id
        empty = boards_service.create(db=db, owner_id=alice, name="Saved things").id
        tiles = boards_service.create_section(db=db, viewer=me, board_id=kitchen, name="Tiles").id
        boards_service.create_section(db=db, viewer=me, board_id=kitchen, name="Taps")
        bobs_board = boards_service.create(db=db, owner_id=bob, name="Bob stuff").id
        members.add_collaborator(db=db, viewer=me, board_id=secret, username="bob")
    first = _pin(
        ctx,
        alice,
        kitchen,
        1,
        tiles,
        title="Blue tiles",
        description="Glazed",
        link="https://tiles.example/blue?utm_source=x",
        alt_text="Blue square tiles",
        note="ask about price",
    )
    second = _pin(ctx, alice, kitchen, 2, title="Sink")
    _pin(ctx, alice, kitchen, 2, title="Sink again")  # the same picture twice on one board, on purpose
    _pin(ctx, alice, secret, 3, title="Hidden", description="Nobody sees this")
    lamp = _pin(ctx, alice, kitchen, 4, title="Lamp", link="https://shop.example/lamp")
    bobs_pin = _pin(ctx, bob, bobs_board, 5, title="Bob's chair")
    with session_scope(ctx.sessions) as db:
        products.set_for_pin(
            db=db,
            pin_id=lamp,
            price="49.90",
            currency="EUR",
            availability="IN_STOCK",
            source_url="https://shop.example/lamp",
        )
        pins_service.save(db=db, viewer=me, pin_id=first, board_id=empty, section_id=None)
        pins_service.save(db=db, viewer=me, pin_id=bobs_pin, board_id=empty, section_id=None)
        db.get(Board, kitchen).cover_pin_id = second  # type: ignore[union-attr]
        follows.follow_user(db=db, viewer=me, username="bob")
        follows.follow_user(db=db, viewer=me, username="carol")
        members.follow_board(db=db, viewer=me, board_id=bobs_board)
        avatar = media_service.ingest_bytes(
            db=db,
            store=media_service.media_store(ctx),
            settings=ctx.settings,
            data=image_bytes("PNG", size=(96, 96), seed=9),
        )
        user = db.get(User, alice)
        assert user is not None
        accounts_service.update_profile(
            db=db,
            user=user,
            display_name="Alice A.",
            about="I like kitchens",
            website_url="https://alice.example",
            profile_image_id=avatar.id,
        )
    del bob_viewer, carol


def _snapshot(ctx: AppContext, username: str) -> dict[str, Any]:
    """Everything an export should carry, keyed by names rather than ids (ids differ between instances)."""
    with ctx.sessions() as db:
        user = accounts_service.get_by_username_or_raise(db=db, username=username)
        avatar = db.get(MediaImage, user.profile_image_id) if user.profile_image_id else None
        boards = list(db.scalars(select(Board).where(Board.owner_id == user.id).order_by(Board.name)))
        pins = list(
            db.scalars(
                select(Pin)
                .join(Board, Board.id == Pin.board_id)
                .where(Board.owner_id == user.id)
                .order_by(Pin.created_at)
            )
        )
        by_id = {p.id: p for p in pins}
        sections = {s.id: s.name for s in db.scalars(select(BoardSection))}
        board_names = {b.id: b.name for b in db.scalars(select(Board))}
        images = {i.id: i.sha256 for i in db.scalars(select(MediaImage))}
        facts = products.for_pins(db=db, pin_ids=list(by_id))
        store = media_service.media_store(ctx)
        stored = {
            i.sha256: store.get(variants.original_key(i.sha256, i.original_format)) or b""
            for i in db.scalars(select(MediaImage))
        }
        followed_users = sorted(
            db.scalars(
                select(User.username)
                .join(UserFollow, UserFollow.followee_id == User.id)
                .where(UserFollow.follower_id == user.id)
            )
        )
        followed_boards = sorted(
            db.scalars(
                select(Board.name)
                .join(BoardFollow, BoardFollow.board_id == Board.id)
                .where(BoardFollow.user_id == user.id)
            )
        )
        collaborators = sorted(
            (board_names[b], u)
            for b, u in db.execute(
                select(BoardCollaborator.board_id, User.username).join(
                    User, User.id == BoardCollaborator.user_id
                )
            )
        )
        return {
            "profile": (user.display_name, user.about, user.website_url, avatar.sha256 if avatar else None),
            "boards": [
                (
                    b.name,
                    b.description,
                    b.privacy,
                    b.pin_count,
                    by_id[b.cover_pin_id].title if b.cover_pin_id else None,
                    sorted(
                        s.name for s in db.scalars(select(BoardSection).where(BoardSection.board_id == b.id))
                    ),
                )
                for b in boards
            ],
            "pins": [
                (
                    board_names[p.board_id],
                    sections.get(p.section_id) if p.section_id else None,
                    p.title,
                    p.description,
                    p.link,
                    p.source_domain,
                    p.alt_text,
                    p.note,
                    p.dominant_color,
                    p.created_at.isoformat(),
                    images[p.image_id],
                    len(stored[images[p.image_id]]),
                    (by_id[p.parent_pin_id].title if p.parent_pin_id in by_id else "elsewhere")
                    if p.parent_pin_id
                    else None,
                    (facts[p.id].price, facts[p.id].currency, facts[p.id].availability)
                    if p.id in facts
                    else None,
                )
                for p in pins
            ],
            "follows": (followed_users, followed_boards),
            "collaborators": collaborators,
        }


@pytest.fixture
def second_instance(tmp_path: Path, settings: Settings) -> Iterator[AppContext]:
    other = settings.with_overrides(data_dir=tmp_path / "b", database_url=f"sqlite:///{tmp_path / 'b.db'}")
    context = build_context(other)
    yield context
    context.engine.dispose()


def _cli(monkeypatch: pytest.MonkeyPatch, settings: Settings, *args: str) -> str:
    monkeypatch.setenv("PINHAVEN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PINHAVEN_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("PINHAVEN_PASSWORD_HASH_FAST", "1")
    result = CliRunner().invoke(cli_app, [*args, "--data-dir", str(settings.data_dir)])
    assert result.exit_code == 0, result.output
    return result.output


def test_export_then_import_into_an_empty_instance_reproduces_the_account(
    ctx: AppContext, second_instance: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _build_account(ctx)
    original = _snapshot(ctx, "alice")
    archive = tmp_path / "alice.zip"
    printed = _cli(monkeypatch, ctx.settings, "export", "--user", "alice", "--out", str(archive))
    assert "exported 7 pins, 3 boards, 2 sections" in printed
    with zipfile.ZipFile(archive) as zipped:
        manifest = json.loads(zipped.read("manifest.json"))
        assert manifest["format"] == "pinhaven-export" and manifest["counts"]["pins"] == 7
        assert sum(1 for n in zipped.namelist() if n.startswith("originals/")) == 6  # 5 pictures + the avatar

    # the new instance knows bob (and his board) but not carol
    _user(second_instance, "alice")
    bob = _user(second_instance, "bob")
    with session_scope(second_instance.sessions) as db:
        boards_service.create(db=db, owner_id=bob, name="Bob stuff")
    report = tmp_path / "restore.jsonl"
    _cli(
        monkeypatch,
        second_instance.settings,
        "import",
        str(archive),
        "--user",
        "alice",
        "--report",
        str(report),
    )

    restored = _snapshot(second_instance, "alice")
    original_pins, restored_pins = original.pop("pins"), restored.pop("pins")
    # follows are restored where the followed user exists here (carol does not)
    assert original.pop("follows") == (["bob", "carol"], ["Bob stuff"])
    assert restored.pop("follows") == (["bob"], ["Bob stuff"])
    assert restored == original
    # bob's pin is not on the new instance: that save keeps everything but its parent
    assert [p[:-2] + p[-1:] for p in restored_pins] == [p[:-2] + p[-1:] for p in original_pins]
    parents = [(p[2], p[-2]) for p in restored_pins if p[-2]]
    assert parents == [("Blue tiles", "Blue tiles")]
    assert [p[2] for p in original_pins if p[-2] == "elsewhere"] == ["Bob's chair"]
    notes = [json.loads(line) for line in report.read_text().splitlines()]
    assert {(n["kind"], n["label"], n["status"]) for n in notes if n["kind"] == "follow"} == {
        ("follow", "bob", "created"),
        ("follow", "carol", "skipped"),
    }
    assert any(n["kind"] == "save" and n["status"] == "skipped" for n in notes)

    _cli(
        monkeypatch,
        second_instance.settings,
        "import",
        str(archive),
        "--user",
        "alice",
        "--report",
        str(report),
    )
    rerun = [json.loads(line) for line in report.read_text().splitlines()]
    assert [(r["status"], r["reason"]) for r in rerun if r["kind"] == "pin"] == [
        ("skipped", "already imported")
    ] * 7
    assert _snapshot(second_instance, "alice")["boards"] == original["boards"]
