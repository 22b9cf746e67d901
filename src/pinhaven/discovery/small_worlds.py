"""Small instances with planted tastes, built through the real services, for evaluating discovery.

A world is a few groups of people, each group with one taste (a demo theme such as "food" or
"architecture") made of a few sub-tastes (the theme's motifs: "pasta", "cake", ...). Everyone posts
pictures across their taste's sub-tastes (half in their own), one board per sub-taste (as people keep a board
per subject), and saves mostly pictures of their own sub-taste (a few of the taste's other sub-tastes, and a little noise
from other tastes). Several *targets* then act: each saves (or closes up on) pictures of one sub-taste, or
follows one person who shares it. Some of the pictures a target means to save are held out: a feed that
learned the target's taste shows them in its first pages; a popularity list only does so by chance, since
a sub-taste is a small share of the pool (that is what makes the held-out hit rate discriminate).

The ranker never sees the planted labels: it sees only what a real instance holds (boards, saves, events,
follows and, with `pixels=True`, the pictures drawn by demo.images). The labels are kept here, on the side,
to score what the feed and "more like this" return.

Everything is written through the services (accounts, boards, pins, events, follows), so the measured path
is the one a person uses, on whatever database the context points at.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
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

__all__ = ["SCENARIOS", "PlantedWorld", "Scenario", "Target", "build_world", "target_acts"]

TASTES = ("food", "architecture", "gardens", "fashion", "travel", "interiors", "art", "outdoors")
TargetKind = Literal["save", "closeup", "follow"]


@dataclass(frozen=True)
class Scenario:
    """The shape of one planted world (sizes are per taste group unless said otherwise)."""

    name: str
    tastes: int = 2
    subtastes: int = 3  # motifs per taste: each person posts across them, one board per motif
    people_per_taste: int = 6  # people who post and save (the targets come on top)
    pictures_per_person: int = 12
    own_post_share: float = 0.5  # of their posts, in their own sub-taste (the rest spread over the others)
    co_save_share: float = 0.4  # share of their own sub-taste's pictures each person saves
    side_saves: int = 2  # pictures of their taste's other sub-tastes each person saves
    noise_saves: int = 1  # pictures of another taste each person saves anyway
    target: TargetKind = "save"
    targets: int = 4  # people who act, spread over the tastes and sub-tastes; scores average over them
    target_share: float = 0.6  # share of their sub-taste's pictures a target means to save
    holdout_share: float = 0.4  # of those, kept back to score recommendations
    target_boards: int = 1
    page_size: int = 10
    pixels: bool = False  # real pictures (demo.images) with embeddings, not only rows
    seed: int = 0

    @property
    def people(self) -> int:
        return self.tastes * self.people_per_taste + self.targets

    @property
    def pictures(self) -> int:
        return self.tastes * self.people_per_taste * self.pictures_per_person


# The scenario and its variations; the issue world runs in the default tests, the rest in slow tests
# and the bench. Each holds out 16-40 pictures in all (a few per target), for a hit rate that means something.
SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        # Two groups with different tastes, 144 public pictures; each target saves most of their sub-taste's.
        Scenario("issue"),
        # One person on the instance acts; the pictures come from people who only post (an import, a family).
        Scenario("one-user", co_save_share=0.0, side_saves=0, noise_saves=0, people_per_taste=3,
                 pictures_per_person=24, targets=1, holdout_share=0.5),
        # The targets keep their saves on many boards.
        Scenario("many-boards", target_boards=8),
        # No saves yet: only close-ups of a few pictures.
        Scenario("new-user", target="closeup", target_share=0.4, holdout_share=0.5),
        # No saves, no close-ups: each target follows one person of their sub-taste.
        Scenario("follows-one", target="follow", target_share=0.5, holdout_share=1.0),
        # Bigger worlds (the bench): 5 tastes, 50 people, 1,000 and 3,000 pictures.
        Scenario("medium", tastes=5, people_per_taste=9, pictures_per_person=22, targets=5,
                 target_share=0.2, page_size=25),
        Scenario("large", tastes=5, people_per_taste=9, pictures_per_person=66, targets=5,
                 target_share=0.07, page_size=25, co_save_share=0.15),
    )
}  # fmt: skip


@dataclass
class Target:
    """One person who acts, and what they were meant to like (for scoring only)."""

    user_id: int
    taste: str
    subtaste: str
    boards: list[int] = field(default_factory=list)
    intended: list[int] = field(default_factory=list)  # original pins of their sub-taste they mean to like
    acted: list[int] = field(default_factory=list)  # ... acted on (saved, close-up), in order
    held_out: list[int] = field(default_factory=list)  # ... kept back to score recommendations
    followed: int | None = None  # the person the target follows ("follow" scenarios)


@dataclass
class PlantedWorld:
    """What was built, plus the hidden taste and sub-taste of every picture (for scoring only)."""

    scenario: Scenario
    targets: list[Target] = field(default_factory=list)
    user_ids: dict[str, int] = field(default_factory=dict)  # username -> id
    taste_of_user: dict[int, str] = field(default_factory=dict)
    taste_of_image: dict[int, str] = field(default_factory=dict)
    subtaste_of_image: dict[int, str] = field(default_factory=dict)
    originals: dict[int, int] = field(default_factory=dict)  # original pin id -> image id

    def pins_of(self, taste: str, subtaste: str | None = None) -> list[int]:
        return [
            p
            for p, i in self.originals.items()
            if self.taste_of_image[i] == taste and subtaste in (None, self.subtaste_of_image[i])
        ]


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
    """Everyone but the targets posts and saves; the targets only exist (see `target_acts`)."""
    if scenario.tastes > len(TASTES):
        raise ValueError(f"at most {len(TASTES)} tastes")
    rng = random.Random(scenario.seed)
    images = _Images(ctx, scenario.pixels)
    tastes = TASTES[: scenario.tastes]
    # Each taste's sub-tastes: a seeded choice of its motifs.
    subs = {t: rng.sample(MOTIFS[t], min(len(MOTIFS[t]), scenario.subtastes)) for t in tastes}
    world = PlantedWorld(scenario)
    boards: dict[int, dict[str, int]] = {}  # user -> motif -> board
    own_sub: dict[int, str] = {}
    with session_scope(ctx.sessions) as db:
        posts: list[tuple[int, str, str, int, int]] = []  # (user, taste, motif, seed, k)
        for i in range(scenario.people_per_taste):
            for t, taste in enumerate(tastes):
                uid = _person(db, f"{taste}{i}")
                world.user_ids[f"{taste}{i}"], world.taste_of_user[uid] = uid, taste
                own_sub[uid] = subs[taste][i % len(subs[taste])]
                boards[uid] = {
                    m: boards_service.create(db=db, owner_id=uid, name=f"{m.title()} {taste} ideas",
                                             privacy="PUBLIC").id
                    for m in subs[taste]
                }  # fmt: skip
                posts += [
                    (uid, taste, _motif_of_post(subs[taste], i, k, scenario), t * 100_000 + i * 1000 + k, k)
                    for k in range(scenario.pictures_per_person)
                ]
        # Posted in a shuffled order: no taste is older than another (popularity breaks ties by age).
        rng.shuffle(posts)
        for uid, taste, motif, seed, k in posts:
            image = images.make(db, taste, seed, motif)
            pin = pins_service.create(
                db=db, viewer=session_viewer(uid), board_id=boards[uid][motif], image=image,
                fields=pins_service.PinFields(title=f"{motif.title()} no. {k + 1}", description=f"{taste} {motif}"),
            )  # fmt: skip
            world.originals[pin.id] = image.id
            world.taste_of_image[image.id], world.subtaste_of_image[image.id] = taste, motif
        for j in range(scenario.targets):
            taste = tastes[j % len(tastes)]
            subtaste = subs[taste][(j // len(tastes)) % len(subs[taste])]
            uid = _person(db, f"target{j}")
            world.user_ids[f"target{j}"], world.taste_of_user[uid] = uid, taste
            target = Target(uid, taste, subtaste)
            target.boards = [
                boards_service.create(db=db, owner_id=uid, name=f"My {subtaste} {n + 1}", privacy="PUBLIC").id
                for n in range(scenario.target_boards)
            ]
            world.targets.append(target)
    creator_of = _creators(ctx, world.originals)
    saves_of: Counter[int] = Counter()
    with session_scope(ctx.sessions) as db:
        for uid, their_sub in own_sub.items():
            taste = world.taste_of_user[uid]
            not_own = [p for p in world.pins_of(taste) if creator_of[p] != uid]
            same = [p for p in not_own if world.subtaste_of_image[world.originals[p]] == their_sub]
            side = [p for p in not_own if world.subtaste_of_image[world.originals[p]] != their_sub]
            others = [p for t in tastes if t != taste for p in world.pins_of(t)]
            picks = rng.sample(same, round(scenario.co_save_share * len(same)))
            picks += rng.sample(side, min(scenario.side_saves, len(side)))
            picks += rng.sample(others, min(scenario.noise_saves, len(others)))
            saves_of.update(picks)
            for p in picks:
                motif = world.subtaste_of_image[world.originals[p]]
                board = boards[uid].get(
                    motif, boards[uid][their_sub]
                )  # noise goes to their own sub-taste's board
                pins_service.save(
                    db=db, viewer=session_viewer(uid), pin_id=p, board_id=board, section_id=None
                )
    if scenario.pixels:
        from pinhaven.jobs.worker import drain

        drain(ctx)  # media.process → visual.embed_image, as the workers would
    for target in world.targets:
        mine = world.pins_of(target.taste, target.subtaste)
        if scenario.target == "follow":
            # Someone who shares the sub-taste (half their posts and most of their saves show it).
            sharing = [
                u
                for u, s in own_sub.items()
                if s == target.subtaste and world.taste_of_user[u] == target.taste
            ]
            target.followed = sharing[0]
            mine = [p for p in mine if creator_of[p] != target.followed]  # what the follow should lead to
        # Like their peers, a target likes more often what many people saved (and the popularity baseline
        # gets its fair chance): picks weighted by 1 + saves.
        target.intended = _weighted_sample(rng, mine, [1 + saves_of[p] for p in mine],
                                           max(1, round(scenario.target_share * len(mine))))  # fmt: skip
        n_held = max(1, round(scenario.holdout_share * len(target.intended)))
        target.held_out = target.intended[:n_held]
        target.acted = target.intended[n_held:]
    return world


def target_acts(ctx: AppContext, world: PlantedWorld) -> None:
    """Each target saves / closes up on their `acted` pins, or follows one person of their sub-taste."""
    for target in world.targets:
        viewer = session_viewer(target.user_id)
        with session_scope(ctx.sessions) as db:
            if world.scenario.target == "follow":
                assert target.followed is not None
                username = next(n for n, u in world.user_ids.items() if u == target.followed)
                follows.follow_user(db=db, viewer=viewer, username=username)
            elif world.scenario.target == "closeup":
                events = [{"type": "closeup", "pin_id": str(p), "surface": "home", "position": i}
                          for i, p in enumerate(target.acted)]  # fmt: skip
                events_service.record_batch(db=db, viewer=viewer, events=events)
            else:
                for i, p in enumerate(target.acted):
                    board = target.boards[i % len(target.boards)]
                    pins_service.save(db=db, viewer=viewer, pin_id=p, board_id=board, section_id=None)


def _motif_of_post(motifs: list[str], person: int, k: int, scenario: Scenario) -> str:
    """Person `person`'s k-th post: their own sub-taste for the first `own_post_share`, then the others in turn."""
    own = motifs[person % len(motifs)]
    if k < round(scenario.own_post_share * scenario.pictures_per_person) or len(motifs) == 1:
        return own
    others = [m for m in motifs if m != own]
    return others[k % len(others)]


def _weighted_sample(rng: random.Random, items: list[int], weights: list[int], k: int) -> list[int]:
    """k items without replacement, each draw in proportion to weight (Efraimidis-Spirakis keys)."""
    keys = sorted(
        ((rng.random() ** (1.0 / w), item) for item, w in zip(items, weights, strict=True)), reverse=True
    )
    return [item for _, item in keys[:k]]


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
