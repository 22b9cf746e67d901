"""Small instances with planted tastes, built through the real services, for evaluating discovery.

A world is a few groups of people, each group with one taste (a demo theme such as "food" or
"architecture"). Each person posts pictures of their taste on boards named after it, and saves pictures of
people with the same taste (plus a little noise from other tastes). One *target* person then acts: saves,
close-ups, or a follow. The ranker never sees the planted taste: it sees only what a real instance holds
(boards, saves, events, follows and, with `pixels=True`, the pictures drawn by demo.images). The taste
labels are kept here, on the side, to score what the feed and "more like this" return.

Everything is written through the services (accounts, boards, pins, events, follows), so the measured path
is the one a person uses, on whatever database the context points at.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.orm import Session

from pinhaven.accounts import follows
from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.demo.images import MOTIFS, render
from pinhaven.events import service as events_service
from pinhaven.media import service as media_service
from pinhaven.media.models import MediaImage
from pinhaven.pins import service as pins_service

__all__ = ["SCENARIOS", "PlantedWorld", "Scenario", "build_world", "target_acts"]

TASTES = ("food", "architecture", "gardens", "fashion", "travel", "interiors", "art", "outdoors")
TargetKind = Literal["save", "closeup", "follow"]


@dataclass(frozen=True)
class Scenario:
    """The shape of one planted world (sizes are per taste group unless said otherwise)."""

    name: str
    tastes: int = 2
    people_per_taste: int = 5  # the target is one more person, in the first taste
    pictures_per_person: int = 6
    boards_per_person: int = 1
    co_save_share: float = 0.4  # share of their own taste's pictures each person saves
    noise_saves: int = 1  # pictures of another taste each person saves anyway
    target: TargetKind = "save"
    target_share: float = 0.6  # share of the target taste's pictures the target means to save
    holdout_share: float = 0.3  # of those, kept back to score recommendations
    target_boards: int = 1
    page_size: int = 10
    pixels: bool = False  # real pictures (demo.images) with embeddings, not only rows
    seed: int = 0

    @property
    def people(self) -> int:
        return self.tastes * self.people_per_taste + 1

    @property
    def pictures(self) -> int:
        return self.tastes * self.people_per_taste * self.pictures_per_person


# The scenario and its variations; `small` ones run in tests in seconds, the rest in the bench.
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        # Two groups with different tastes, a few dozen public pictures, one person saves most of theirs.
        Scenario("issue"),
        # One person on the instance acts; the pictures come from people who only post (an import, a family).
        Scenario("one-user", co_save_share=0.0, noise_saves=0, people_per_taste=3, pictures_per_person=12,
                 boards_per_person=2),
        # The target keeps their saves on many boards of the one taste.
        Scenario("many-boards", target_boards=8, pictures_per_person=8),
        # No saves yet: only close-ups of a few pictures.
        Scenario("new-user", target="closeup", target_share=0.3, holdout_share=0.5),
        # No saves, no close-ups: follows one person of the taste.
        Scenario("follows-one", target="follow", target_share=0.5, holdout_share=1.0),
        # Bigger worlds (the bench): 5 tastes, 50 people, 1,000 and 3,000 pictures.
        Scenario("medium", tastes=5, people_per_taste=9, pictures_per_person=22, boards_per_person=3,
                 target_share=0.15, page_size=25),
        Scenario("large", tastes=5, people_per_taste=9, pictures_per_person=66, boards_per_person=4,
                 target_share=0.05, page_size=25, co_save_share=0.15),
    )
}  # fmt: skip


@dataclass
class PlantedWorld:
    """What was built, plus the hidden taste of every picture (for scoring only)."""

    scenario: Scenario
    target_id: int
    target_taste: str
    user_ids: dict[str, int] = field(default_factory=dict)  # username -> id
    taste_of_user: dict[int, str] = field(default_factory=dict)
    taste_of_image: dict[int, str] = field(default_factory=dict)
    originals: dict[int, int] = field(default_factory=dict)  # original pin id -> image id
    target_boards: list[int] = field(default_factory=list)
    intended: list[int] = field(default_factory=list)  # original pins the target is meant to like
    acted: list[int] = field(default_factory=list)  # ... acted on (saved, close-up), in order
    held_out: list[int] = field(default_factory=list)  # ... kept back to score recommendations
    followed: int | None = None  # the person the target follows ("follow" scenarios)

    def taste_pins(self, taste: str) -> list[int]:
        return [p for p, i in self.originals.items() if self.taste_of_image[i] == taste]


class _Images:
    """Pin images: rows only (a content hash per label), or demo pictures stored through the media service."""

    def __init__(self, ctx: AppContext, pixels: bool) -> None:
        self.ctx, self.pixels = ctx, pixels
        self.store = media_service.media_store(ctx) if pixels else None

    def make(self, db: Session, taste: str, seed: int, motif: str) -> MediaImage:
        if self.store is not None:
            art = render(taste, seed, motif=motif)
            return media_service.ingest_bytes(
                db=db, store=self.store, settings=self.ctx.settings, data=art.jpeg
            )
        image = MediaImage(sha256=hashlib.sha256(f"{taste}:{seed}".encode()).hexdigest(), width=600,
                           height=800, original_format="jpeg", byte_size=50_000, status="ready")  # fmt: skip
        db.add(image)
        db.flush()
        return image


def build_world(ctx: AppContext, scenario: Scenario) -> PlantedWorld:
    """Everyone but the target posts and saves; the target only exists (see `target_acts`)."""
    if scenario.tastes > len(TASTES):
        raise ValueError(f"at most {len(TASTES)} tastes")
    rng = random.Random(scenario.seed)
    images = _Images(ctx, scenario.pixels)
    tastes = TASTES[: scenario.tastes]
    with session_scope(ctx.sessions) as db:
        target = _person(db, "target")
        world = PlantedWorld(scenario, target, tastes[0], {"target": target}, {target: tastes[0]})
        boards: dict[int, list[int]] = {}
        motifs: dict[int, list[str]] = {}
        posts: list[tuple[int, str, int, int]] = []  # (user, taste, seed, k)
        for i in range(scenario.people_per_taste):
            for t, taste in enumerate(tastes):
                uid = _person(db, f"{taste}{i}")
                world.user_ids[f"{taste}{i}"], world.taste_of_user[uid] = uid, taste
                motifs[uid] = rng.sample(MOTIFS[taste], min(len(MOTIFS[taste]), scenario.boards_per_person))
                boards[uid] = [
                    boards_service.create(db=db, owner_id=uid, name=f"{m.title()} {taste} ideas",
                                          privacy="PUBLIC").id
                    for m in motifs[uid]
                ]  # fmt: skip
                posts += [
                    (uid, taste, t * 100_000 + i * 1000 + k, k) for k in range(scenario.pictures_per_person)
                ]
        # Posted in a shuffled order: no taste is older than another (popularity breaks ties by age).
        rng.shuffle(posts)
        for uid, taste, seed, k in posts:
            motif = motifs[uid][k % len(motifs[uid])]
            image = images.make(db, taste, seed, motif)
            pin = pins_service.create(
                db=db, viewer=session_viewer(uid), board_id=boards[uid][k % len(motifs[uid])], image=image,
                fields=pins_service.PinFields(title=f"{motif.title()} no. {k + 1}", description=f"{taste} {motif}"),
            )  # fmt: skip
            world.originals[pin.id], world.taste_of_image[image.id] = image.id, taste
        world.target_boards = [
            boards_service.create(db=db, owner_id=target, name=f"My {tastes[0]} {n + 1}", privacy="PUBLIC").id
            for n in range(scenario.target_boards)
        ]
    by_taste = {taste: world.taste_pins(taste) for taste in tastes}
    creator_of = _creators(ctx, world.originals)
    with session_scope(ctx.sessions) as db:
        for uid, taste in world.taste_of_user.items():
            if uid == target:
                continue
            own_taste = [p for p in by_taste[taste] if creator_of[p] != uid]
            picks = rng.sample(own_taste, round(scenario.co_save_share * len(own_taste)))
            others = [p for t, ps in by_taste.items() if t != taste for p in ps]
            picks += rng.sample(others, min(scenario.noise_saves, len(others)))
            for p in picks:
                pins_service.save(db=db, viewer=session_viewer(uid), pin_id=p, board_id=boards[uid][0],
                                  section_id=None)  # fmt: skip
    if scenario.pixels:
        from pinhaven.jobs.worker import drain

        drain(ctx)  # media.process → visual.embed_image, as the workers would
    mine = by_taste[world.target_taste]
    if scenario.target == "follow":
        followed = world.user_ids[f"{world.target_taste}0"]
        world.followed = followed
        mine = [p for p in mine if creator_of[p] != followed]  # what the follow should lead to
    world.intended = rng.sample(mine, max(1, round(scenario.target_share * len(mine))))
    n_held = round(scenario.holdout_share * len(world.intended))
    world.held_out = world.intended[:n_held]
    world.acted = world.intended[n_held:]
    return world


def target_acts(ctx: AppContext, world: PlantedWorld) -> None:
    """The target saves / closes up on the `acted` pins, or follows one person of their taste."""
    viewer = session_viewer(world.target_id)
    with session_scope(ctx.sessions) as db:
        if world.scenario.target == "follow":
            assert world.followed is not None
            username = next(n for n, u in world.user_ids.items() if u == world.followed)
            follows.follow_user(db=db, viewer=viewer, username=username)
        elif world.scenario.target == "closeup":
            events = [{"type": "closeup", "pin_id": str(p), "surface": "home", "position": i}
                      for i, p in enumerate(world.acted)]  # fmt: skip
            events_service.record_batch(db=db, viewer=viewer, events=events)
        else:
            for i, p in enumerate(world.acted):
                board = world.target_boards[i % len(world.target_boards)]
                pins_service.save(db=db, viewer=viewer, pin_id=p, board_id=board, section_id=None)


def _person(db: Session, username: str) -> int:
    user = accounts_service.create(
        db=db, username=username, email=f"{username}@example.test", password="planted taste world"
    )
    return int(user.id)


def _creators(ctx: AppContext, pin_ids: Iterable[int]) -> dict[int, int]:
    from sqlalchemy import select

    from pinhaven.pins.models import Pin

    ids = list(pin_ids)
    with session_scope(ctx.read_sessions) as db:
        out: dict[int, int] = {}
        for start in range(0, len(ids), 900):
            rows = db.execute(select(Pin.id, Pin.creator_id).where(Pin.id.in_(ids[start : start + 900])))
            out.update({int(p): int(c) for p, c in rows})
    return out
