"""`pinhaven demo`: people, boards, follows, pins and saves made through the services, deterministically."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from pinhaven.accounts import service as accounts
from pinhaven.accounts.follows import followed_user_ids
from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import ANONYMOUS, session_viewer
from pinhaven.boards.access import access_pin, visible_pin_ids
from pinhaven.boards.members import followed_board_ids
from pinhaven.boards.models import Board, BoardSection
from pinhaven.cli import app as cli_app
from pinhaven.config import Settings, load_settings
from pinhaven.context import AppContext, build_context
from pinhaven.db.base import utcnow
from pinhaven.demo.content import database_is_empty, load_demo
from pinhaven.demo.plan import BOARDS, DEMO_EMAIL, DEMO_PASSWORD, DEMO_USERNAME, USERS
from pinhaven.demo.texts import TITLES
from pinhaven.errors import Conflict, NotFound
from pinhaven.media.models import MediaImage
from pinhaven.pins.models import Pin

PINS = 40


def _settings(data_dir: Path) -> Settings:
    return load_settings(
        env={}, data_dir=data_dir, password_hash_fast=True, worker_threads=0, secret_key="test-secret-key"
    )


def _context(data_dir: Path) -> AppContext:
    return build_context(_settings(data_dir))


@pytest.fixture(scope="module")
def demo_ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    """One small demo shared by the read-only tests of this module."""
    ctx = _context(tmp_path_factory.mktemp("demo"))
    load_demo(ctx, pins=PINS, seed=7, jobs=1, process_images=False)
    yield ctx
    ctx.engine.dispose()


def _pins_oldest_first(ctx: AppContext) -> list[tuple[Pin, MediaImage]]:
    with ctx.sessions() as db:
        rows = db.execute(
            select(Pin, MediaImage).join(MediaImage, MediaImage.id == Pin.image_id).order_by(Pin.id)
        )
        return [(pin, image) for pin, image in rows.tuples()]


def test_creates_the_people_and_their_boards_with_sections(demo_ctx: AppContext) -> None:
    with demo_ctx.sessions() as db:
        users = {u.username: u for u in db.scalars(select(User))}
        assert set(users) == {u.username for u in USERS}
        assert users[DEMO_USERNAME].email == DEMO_EMAIL
        assert all(u.profile_image_id is not None and u.about for u in users.values())
        boards = list(db.scalars(select(Board)))
        assert len(boards) == len(BOARDS) >= 12
        secret = [b for b in boards if b.privacy == "SECRET"]
        assert [users[DEMO_USERNAME].id] == [b.owner_id for b in secret]
        sections = db.scalar(select(func.count()).select_from(BoardSection))
        assert sections == sum(len(b.sections) for b in BOARDS)


def test_people_follow_each_other_and_some_boards(demo_ctx: AppContext) -> None:
    with demo_ctx.sessions() as db:
        users = {u.username: u for u in db.scalars(select(User))}
        demo = users[DEMO_USERNAME]
        others = {u.id for name, u in users.items() if name != DEMO_USERNAME}
        assert set(followed_user_ids(db=db, user_id=demo.id)) == others
        for other in others:
            assert demo.id in followed_user_ids(db=db, user_id=other)
        assert demo.following_count == len(others) and demo.follower_count == len(others)
        assert len(followed_board_ids(db=db, user_id=demo.id)) == 2


def test_pins_have_distinct_generated_images_and_text(demo_ctx: AppContext) -> None:
    pins = _pins_oldest_first(demo_ctx)
    assert len(pins) == PINS
    originals = [(p, i) for p, i in pins if p.parent_pin_id is None]
    assert len({i.sha256 for _, i in originals}) == len(originals)  # every original has its own picture
    for pin, image in originals:
        assert pin.title and pin.description and pin.alt_text
        assert image.height >= image.width * 0.7  # portrait-heavy, a few landscapes
        assert pin.link is None or (
            pin.source_domain and pin.source_domain.endswith(("example.com", "example.org", "example.net"))
        )
    assert sum(p.section_id is not None for p, _ in pins) > 0


def test_pins_fit_their_board(demo_ctx: AppContext) -> None:
    """A "Dream kitchens" board holds kitchens; sections hold their motifs (read back from the titles)."""
    with demo_ctx.sessions() as db:
        names = {b.id: b.name for b in db.scalars(select(Board))}
        section_names = {s.id: s.name for s in db.scalars(select(BoardSection))}
    spec = {b.name: b for b in BOARDS}
    for pin, _ in _pins_oldest_first(demo_ctx):
        board = spec[names[pin.board_id]]
        templates = [(m, t) for m, ts in TITLES[board.theme].items() for t in ts]
        motifs = {m for m, t in templates if _matches(t, pin.title or "")}
        assert motifs & set(board.allowed), (board.name, pin.title)
        if pin.section_id is not None:
            assert motifs & set(board.sections[section_names[pin.section_id]])


def _matches(template: str, title: str) -> bool:
    pattern = re.escape(template).replace(re.escape("{Detail}"), ".+").replace(re.escape("{detail}"), ".+")
    return re.fullmatch(pattern, title) is not None


def test_saves_point_at_other_peoples_pins_and_count(demo_ctx: AppContext) -> None:
    pins = {p.id: p for p, _ in _pins_oldest_first(demo_ctx)}
    saves = [p for p in pins.values() if p.parent_pin_id is not None]
    assert len(saves) == round(PINS * 0.18)
    with demo_ctx.sessions() as db:
        privacy = {b.id: b.privacy for b in db.scalars(select(Board))}
    for save in saves:
        parent = pins[save.parent_pin_id]  # type: ignore[index]
        assert parent.creator_id != save.creator_id
        assert (parent.title, parent.image_id, parent.link) == (save.title, save.image_id, save.link)
        assert parent.id < save.id
    for pin in pins.values():
        public_saves = sum(1 for s in saves if s.parent_pin_id == pin.id and privacy[s.board_id] == "PUBLIC")
        assert pin.save_count == public_saves


def test_history_is_back_dated_over_two_months_in_id_order(demo_ctx: AppContext) -> None:
    pins = [p for p, _ in _pins_oldest_first(demo_ctx)]
    times = [p.created_at for p in pins]
    assert times == sorted(times)  # snowflake ids were made from created_at
    assert utcnow() - times[0] > timedelta(days=40)
    assert utcnow() - times[-1] < timedelta(days=10)


def test_secret_board_pins_are_hidden_from_everyone_but_demo(demo_ctx: AppContext) -> None:
    with demo_ctx.sessions() as db:
        users = {u.username: u for u in db.scalars(select(User))}
        secret = db.scalar(select(Board).where(Board.privacy == "SECRET"))
        assert secret is not None
        hidden = list(db.scalars(select(Pin.id).where(Pin.board_id == secret.id)))
        assert hidden
        owner, stranger = session_viewer(users[DEMO_USERNAME].id), session_viewer(users["maya_greens"].id)
        assert visible_pin_ids(db=db, viewer=owner, pin_ids=hidden) == set(hidden)
        assert visible_pin_ids(db=db, viewer=stranger, pin_ids=hidden) == set()
        assert visible_pin_ids(db=db, viewer=ANONYMOUS, pin_ids=hidden) == set()
        with pytest.raises(NotFound):
            access_pin(db=db, viewer=stranger, pin_id=hidden[0])


def test_demo_user_signs_in_with_the_documented_password(demo_ctx: AppContext) -> None:
    with demo_ctx.sessions() as db:
        assert accounts.authenticate(db=db, login=DEMO_USERNAME, password=DEMO_PASSWORD) is not None
        assert accounts.authenticate(db=db, login=DEMO_EMAIL, password=DEMO_PASSWORD) is not None
        assert accounts.authenticate(db=db, login=DEMO_USERNAME, password="wrong-password") is None


def test_same_seed_gives_the_same_demo_and_another_seed_does_not(
    tmp_path: Path, demo_ctx: AppContext
) -> None:
    def fingerprint(ctx: AppContext) -> list[tuple[str | None, str, bool]]:
        return [(p.title, i.sha256, p.parent_pin_id is None) for p, i in _pins_oldest_first(ctx)]

    again = _context(tmp_path / "again")
    other = _context(tmp_path / "other")
    try:
        load_demo(again, pins=PINS, seed=7, jobs=1, process_images=False)
        load_demo(other, pins=PINS, seed=8, jobs=1, process_images=False)
        assert fingerprint(again) == fingerprint(demo_ctx)
        assert [t for t, _, _ in fingerprint(other)] != [t for t, _, _ in fingerprint(demo_ctx)]
    finally:
        again.engine.dispose()
        other.engine.dispose()


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path: Path) -> None:
    ctx = _context(tmp_path / "resume")

    def stop_late(stage: str, done: int, total: int) -> None:
        if stage == "pins" and done == 55:
            raise KeyboardInterrupt

    try:
        with pytest.raises(KeyboardInterrupt):
            load_demo(ctx, pins=60, seed=3, jobs=1, process_images=False, progress=stop_late)
        assert len(_pins_oldest_first(ctx)) == 50  # the first batch was committed, the second rolled back
        result = load_demo(ctx, pins=60, seed=3, jobs=1, process_images=False)
        assert (result.resumed_from, result.pins_created) == (50, 10)
        resumed = [(p.title, i.sha256, p.parent_pin_id is not None) for p, i in _pins_oldest_first(ctx)]

        fresh_ctx = _context(tmp_path / "fresh")
        load_demo(fresh_ctx, pins=60, seed=3, jobs=1, process_images=False)
        assert resumed == [
            (p.title, i.sha256, p.parent_pin_id is not None) for p, i in _pins_oldest_first(fresh_ctx)
        ]
        fresh_ctx.engine.dispose()

        assert load_demo(ctx, pins=60, seed=3, jobs=1, process_images=False).pins_created == 0
        with pytest.raises(Conflict):
            load_demo(ctx, pins=60, seed=4, jobs=1, process_images=False)
    finally:
        ctx.engine.dispose()


def test_cli_if_empty_loads_once_then_skips(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PINHAVEN_PASSWORD_HASH_FAST", "1")
    monkeypatch.setenv("PINHAVEN_WORKER_THREADS", "0")
    data_dir = tmp_path / "cli"
    args = ["demo", "--if-empty", "--pins", "12", "--jobs", "2", "--data-dir", str(data_dir)]
    first = CliRunner().invoke(cli_app, args)
    assert first.exit_code == 0, first.output
    assert "sign in as demo / pinhaven-demo" in first.output
    ctx = _context(data_dir)
    try:
        assert not database_is_empty(ctx)
        with ctx.sessions() as db:
            before = db.scalar(select(func.count()).select_from(Pin))
            # --process-images (the default) rendered every new image's variants
            statuses = set(db.scalars(select(MediaImage.status)))
        assert before == 12
        assert statuses == {"ready"}
        second = CliRunner().invoke(cli_app, args)
        assert second.exit_code == 0, second.output
        assert "skipped" in second.output
        with ctx.sessions() as db:
            assert db.scalar(select(func.count()).select_from(Pin)) == before
    finally:
        ctx.engine.dispose()


def test_processing_images_renders_grid_variants_while_writing_without_jobs(tmp_path: Path) -> None:
    from pinhaven.jobs.models import Job
    from pinhaven.media import service as media
    from pinhaven.media import variants

    ctx = _context(tmp_path / "eager")
    try:
        result = load_demo(ctx, pins=12, seed=5, jobs=1, process_images=True)  # inline: no renderer processes
        store = media.media_store(ctx)
        with ctx.sessions() as db:
            images = db.scalars(select(MediaImage)).all()
            media_jobs = db.scalar(select(func.count()).select_from(Job).where(Job.kind == "media.process"))
        assert {image.status for image in images} == {"ready"} and media_jobs == 0
        assert result.images_processed == len(images)  # the pins' pictures and the people's avatars
        for image in images:
            for key, ext in variants.EAGER_VARIANTS:
                assert store.stat(variants.variant_key(image.sha256, key, ext)) is not None
    finally:
        ctx.engine.dispose()
