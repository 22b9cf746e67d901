"""Serving promoted pins: eligible ads → relevance → pacing and frequency caps → pCTR → auction → slots.

One entry point, `select_ads`, called by the one hook where the home feed, search results and related pins
are assembled (`ads.inject`). Eligible ads (active ad, ad group and campaign, inside their run windows,
approved, under their caps, creative pin on a public board) are loaded into a per-process pool refreshed
every few seconds; the winners' pins are checked again live before they are shown, so an ad whose pin just
became secret or was deleted never shows.

Relevance (0-1) is the best of: keyword targeting matched by the context's words; interest targeting matched
by the viewer's interests (home feed); cosine similarity between hashed bag-of-words embeddings of the
context (query, viewed pin, pins on the page) and of the ad (its pin's title/description and keywords).
The embedding is weight-free feature hashing (no model to load, ~µs per context), not a learned model.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import re
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from pinhaven.accounts.models import User
from pinhaven.accounts.scopes import ANONYMOUS, Viewer
from pinhaven.ads import auction, pacing, pctr
from pinhaven.ads.billing import AdRef, record_impression
from pinhaven.ads.impressions import queue_impression
from pinhaven.ads.models import Ad, AdAccount, AdCampaign, AdEvent, AdGroup
from pinhaven.ads.service import day_of, targeting_of
from pinhaven.boards.access import visible_pins_clause
from pinhaven.boards.models import Board
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import new_id
from pinhaven.pins.models import Pin

POOL_KEY = "ads.pool"
MODEL_KEY = "ads.pctr_model"
POOL_TTL_SECONDS = 5.0
DIM = 256
SURFACE_PLACEMENTS = {"home": ("ALL", "BROWSE"), "related": ("ALL", "BROWSE"), "search": ("ALL", "SEARCH")}
_WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)
_TOKEN_TTL = timedelta(days=1)


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text or "")]


def embed(text: str) -> np.ndarray:
    """A unit vector of signed feature-hashed word counts (DIM dimensions); zeros for text with no words."""
    vector = np.zeros(DIM, dtype=np.float32)
    for word in words(text):
        h = zlib.crc32(word.encode())
        vector[h % DIM] += 1.0 if (h >> 16) & 1 else -1.0
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


@dataclass(frozen=True)
class PoolAd:
    ref: AdRef
    pin_id: int
    advertiser_id: int
    advertiser_name: str
    bid_micro: int
    billable_event: str
    keywords: frozenset[str]
    interests: frozenset[str]
    placement: str
    frequency_cap: int
    budget_micro: int | None  # the tighter of the ad group's daily budget and the campaign's daily cap
    spent_today: int
    clicks: int
    impressions: int


@dataclass
class Pool:
    """The eligible ads, their embedding matrix, and the per-ad numbers as arrays (vectorised serving)."""

    ads: list[PoolAd]
    matrix: np.ndarray
    loaded_at: float
    bids: np.ndarray = field(init=False)
    cpm: np.ndarray = field(init=False)
    budgets: np.ndarray = field(init=False)  # NaN: no daily budget
    spent: np.ndarray = field(init=False)
    clicks: np.ndarray = field(init=False)
    impressions: np.ndarray = field(init=False)
    ad_ids: np.ndarray = field(init=False)
    placements: dict[str, np.ndarray] = field(init=False)
    by_keyword: dict[str, list[int]] = field(init=False)
    by_interest: dict[str, list[int]] = field(init=False)
    by_pin: dict[int, list[int]] = field(init=False)
    by_ad: dict[int, int] = field(init=False)

    def __post_init__(self) -> None:
        ads = self.ads
        self.bids = np.array([a.bid_micro for a in ads], dtype=np.float64)
        self.cpm = np.array([a.billable_event == auction.CPM for a in ads], dtype=bool)
        self.budgets = np.array(
            [np.nan if a.budget_micro is None else a.budget_micro for a in ads], dtype=np.float64
        )
        self.spent = np.array([a.spent_today for a in ads], dtype=np.float64)
        self.clicks = np.array([a.clicks for a in ads], dtype=np.float64)
        self.impressions = np.array([a.impressions for a in ads], dtype=np.float64)
        self.ad_ids = np.array([a.ref.ad_id for a in ads], dtype=np.int64)
        self.placements = {
            surface: np.array([a.placement in allowed for a in ads], dtype=bool)
            for surface, allowed in SURFACE_PLACEMENTS.items()
        }
        self.by_keyword, self.by_interest, self.by_pin, self.by_ad = {}, {}, {}, {}
        for i, a in enumerate(ads):
            for word in a.keywords:
                self.by_keyword.setdefault(word, []).append(i)
            for interest in a.interests:
                self.by_interest.setdefault(interest, []).append(i)
            self.by_pin.setdefault(a.pin_id, []).append(i)
            self.by_ad[a.ref.ad_id] = i


def forget_pool(ctx: AppContext) -> None:
    """Drop this process's pool (after an advertiser's write) so the next serve reloads it."""
    ctx.services.pop(POOL_KEY, None)


def pool_of(ctx: AppContext, db: Session) -> Pool:
    pool: Pool | None = ctx.services.get(POOL_KEY)
    if pool is None or time.monotonic() - pool.loaded_at > POOL_TTL_SECONDS:
        pool = load_pool(db)
        ctx.services[POOL_KEY] = pool
        from pinhaven.ads.training import refresh_model

        refresh_model(ctx)  # the pCTR model, when `pinhaven ads train-pctr` saved a new one
    return pool


def load_pool(db: Session, now: datetime | None = None) -> Pool:
    """Every ad that may be served now (see the module docstring)."""
    moment = now or utcnow()
    epoch, day = int(moment.timestamp()), day_of(moment)

    def running(model: type[AdCampaign] | type[AdGroup]) -> list[ColumnElement[bool]]:
        return [
            model.status == "ACTIVE",
            or_(model.start_time.is_(None), model.start_time <= epoch),
            or_(model.end_time.is_(None), model.end_time > epoch),
        ]

    rows = db.execute(
        select(Ad, AdGroup, AdCampaign, AdAccount.owner_id, User.username, Pin.title, Pin.description)
        .join(AdGroup, AdGroup.id == Ad.ad_group_id)
        .join(AdCampaign, AdCampaign.id == AdGroup.campaign_id)
        .join(AdAccount, AdAccount.id == Ad.ad_account_id)
        .join(User, User.id == AdAccount.owner_id)
        .join(Pin, Pin.id == Ad.pin_id)
        .join(Board, Board.id == Pin.board_id)
        .where(
            Ad.status == "ACTIVE",
            Ad.review_status == "APPROVED",
            visible_pins_clause(ANONYMOUS),  # public and not under moderation (boards.access)
            AdGroup.bid_in_micro_currency > 0,
            *running(AdCampaign),
            *running(AdGroup),
            or_(
                AdCampaign.lifetime_spend_cap.is_(None),
                AdCampaign.spend_total < AdCampaign.lifetime_spend_cap,
            ),
            or_(
                AdCampaign.daily_spend_cap.is_(None),
                AdCampaign.spend_day != day,
                AdCampaign.spend_today < AdCampaign.daily_spend_cap,
            ),
        )
    ).all()
    ad_ids = [row[0].id for row in rows]
    counts: dict[tuple[int, str], int] = {}
    for start in range(0, len(ad_ids), 900):
        chunk = ad_ids[start : start + 900]
        for ad_id, kind, n in db.execute(
            select(AdEvent.ad_id, AdEvent.kind, func.count())
            .where(AdEvent.ad_id.in_(chunk))
            .group_by(AdEvent.ad_id, AdEvent.kind)
        ):
            counts[(ad_id, kind)] = n
    ads: list[PoolAd] = []
    texts: list[str] = []
    for ad, group, campaign, owner_id, username, title, description in rows:
        targeting = targeting_of(group)
        keywords = frozenset(w for k in targeting.get("KEYWORD", []) for w in words(k))
        interests = frozenset(i.lower() for i in targeting.get("INTEREST", []))
        budgets = [
            b
            for b in (
                group.budget_in_micro_currency if group.budget_type == "DAILY" else None,
                campaign.daily_spend_cap,
            )
            if b is not None
        ]
        spent = max(
            group.spend_today if group.spend_day == day else 0,
            campaign.spend_today if campaign.spend_day == day else 0,
        )
        ads.append(
            PoolAd(
                ref=AdRef(ad.id, group.id, campaign.id, ad.ad_account_id),
                pin_id=ad.pin_id,
                advertiser_id=owner_id,
                advertiser_name=username,
                bid_micro=int(group.bid_in_micro_currency or 0),
                billable_event=group.billable_event,
                keywords=keywords,
                interests=interests,
                placement=group.placement_group,
                frequency_cap=group.lifetime_frequency_cap,
                budget_micro=min(budgets) if budgets else None,
                spent_today=spent,
                clicks=counts.get((ad.id, "click"), 0),
                impressions=counts.get((ad.id, "impression"), 0),
            )
        )
        texts.append(" ".join([title or "", description or "", " ".join(sorted(keywords))]))
    matrix = np.vstack([embed(t) for t in texts]) if texts else np.zeros((0, DIM), dtype=np.float32)
    return Pool(ads=ads, matrix=matrix, loaded_at=time.monotonic())


@dataclass(frozen=True)
class ServedAd:
    position: int  # index in the merged list (organic + ads)
    ad_id: int
    pin_id: int
    advertiser_name: str
    token: str  # signed click token


@dataclass(frozen=True)
class Context:
    surface: str  # home | search | related
    text: str  # the query, the viewed pin's words, or the words of the page's pins
    interests: frozenset[str] = frozenset()
    exclude_pin_ids: frozenset[int] = frozenset()


def slot_positions(organic_count: int, every: int) -> list[int]:
    """Where ads go in the merged list: after every `every` organic pins, never first, never last on a page
    (so never two in a row, even across pages)."""
    if every <= 0:
        return []
    positions: list[int] = []
    for k in range(1, organic_count // every + 1):
        if k * every >= organic_count:
            break
        positions.append(k * every + len(positions))
    return positions


def relevance(pool: Pool, context: Context) -> np.ndarray:
    """Relevance of every pooled ad to the context, 0-1 (see the module docstring)."""
    if not pool.ads:
        return np.zeros(0, dtype=np.float32)
    vector = embed(context.text)
    nonzero = np.flatnonzero(vector)
    # A context has few words, so its vector few non-zero dimensions: multiplying only those columns avoids a
    # BLAS call (whose threads cost more than the work on a busy 2-core box: 8 ms vs 0.3 ms at 10k ads).
    dots = (
        (pool.matrix[:, nonzero] * vector[nonzero]).sum(axis=1) if len(nonzero) < 64 else pool.matrix @ vector
    )
    scores = np.clip(dots.astype(np.float64), 0.0, 1.0)
    matched: dict[int, int] = {}
    for word in set(words(context.text)):
        for i in pool.by_keyword.get(word, ()):
            matched[i] = matched.get(i, 0) + 1
    for i, n in matched.items():
        scores[i] = max(scores[i], 0.5 + 0.5 * n / len(pool.ads[i].keywords))
    for interest in context.interests:
        for i in pool.by_interest.get(interest, ()):
            scores[i] = max(scores[i], 0.6)
    return scores


SHORTLIST = 64  # candidates handed to the auction: the best by score (prices depend only on the top k + 1)


def candidates_for(
    ctx: AppContext,
    db: Session | None,
    *,
    pool: Pool,
    viewer: Viewer,
    context: Context,
    rng: random.Random,
    now: datetime | None = None,
) -> list[auction.Candidate]:
    """Eligible, relevant, paced and frequency-capped candidates with their pCTR, best first (vectorised)."""
    settings = ctx.settings
    if not pool.ads:
        return []
    moment = now or utcnow()
    seconds = (moment - moment.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()
    rel = relevance(pool, context)
    keep = pool.placements[context.surface] & (rel >= settings.ads_relevance_floor) & (pool.bids > 0)
    for pin_id in context.exclude_pin_ids:
        for i in pool.by_pin.get(pin_id, ()):
            keep[i] = False
    if viewer.user_id is not None and db is not None:
        for ad_id, seen in _impressions_today(db, viewer.user_id, moment).items():
            at = pool.by_ad.get(ad_id)
            if at is None:
                continue
            caps = [c for c in (pool.ads[at].frequency_cap, settings.ads_frequency_cap_per_day) if c > 0]
            if caps and seen >= min(caps):
                keep[at] = False
    # Pacing: each ad group joins with its probability (spend rate vs budget); NaN budget = always.
    ahead = min(1.0, (seconds + pacing.DEFAULT_HORIZON_SECONDS) / pacing.DAY_SECONDS)
    window = pool.budgets * pacing.DEFAULT_HORIZON_SECONDS / pacing.DAY_SECONDS
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.clip((pool.budgets * ahead - pool.spent) / window, 0.0, 1.0)
    p = np.where(np.isnan(pool.budgets), 1.0, np.where(pool.spent >= pool.budgets, 0.0, p))
    draws = np.random.default_rng(rng.getrandbits(63)).random(len(pool.ads))
    keep &= (p >= 1.0) | (draws < p)
    prior = pctr.Prior()
    alpha = prior.ctr * prior.strength
    ctr = (pool.clicks + alpha) / (pool.impressions + prior.strength)
    score = np.where(pool.cpm, pool.bids / 1000.0, pool.bids * ctr)
    index = np.nonzero(keep & (score > 0))[0]
    if len(index) > SHORTLIST:
        index = index[np.argpartition(-score[index], SHORTLIST - 1)[:SHORTLIST]]
    model = ctx.services.get(MODEL_KEY)
    if model is not None and len(index):
        rows = [pctr.features(clicks=int(pool.clicks[i]), impressions=int(pool.impressions[i]),
                              relevance=float(rel[i]), surface=context.surface, position=0, prior=prior)
                for i in index]  # fmt: skip
        predicted = dict(zip(index.tolist(), model.predict(rows), strict=True))
    else:
        predicted = {int(i): float(ctr[i]) for i in index}
    return [
        auction.Candidate(
            ad_id=pool.ads[i].ref.ad_id,
            bid_micro=pool.ads[i].bid_micro,
            billable_event=pool.ads[i].billable_event,
            pctr=predicted[i],
            relevance=float(rel[i]),
            advertiser_id=pool.ads[i].advertiser_id,
        )
        for i in (int(j) for j in index)
    ]


def _impressions_today(db: Session, user_id: int, moment: datetime) -> dict[int, int]:
    start = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return dict(
        db.execute(  # type: ignore[arg-type]
            select(AdEvent.ad_id, func.count())
            .where(AdEvent.user_id == user_id, AdEvent.created_at >= start, AdEvent.kind == "impression")
            .group_by(AdEvent.ad_id)
        ).all()
    )


def _public_pins(db: Session, pin_ids: Sequence[int]) -> set[int]:
    """The winners' pins that still exist on a public board, read live: the pool may be a few seconds old,
    and a pin made secret (or deleted) a moment ago must not show. Statuses are the pool's (an advertiser's
    write drops this process's pool at once; other processes see it within POOL_TTL_SECONDS)."""
    if not pin_ids:
        return set()
    query = select(Pin.id).join(Board, Board.id == Pin.board_id)
    return set(db.scalars(query.where(Pin.id.in_(list(pin_ids)), Board.privacy == "PUBLIC")))


def select_ads(
    ctx: AppContext,
    db: Session,
    *,
    viewer: Viewer,
    context: Context,
    organic_count: int,
    rng: random.Random | None = None,
) -> list[ServedAd]:
    """The ads for one page of `organic_count` organic pins: auctioned, recorded (impressions, CPM charges)."""
    settings = ctx.settings
    if not settings.ads_enabled or (viewer.is_anonymous and not settings.ads_signed_out):
        return []
    positions = slot_positions(organic_count, settings.ads_every_organic)
    if not positions:
        return []
    pool = pool_of(ctx, db)
    if not pool.ads:
        return []
    rng = rng or random.Random()
    found = candidates_for(ctx, db, pool=pool, viewer=viewer, context=context, rng=rng)
    winners = auction.run(
        found,
        slots=len(positions),
        reserve_micro=settings.ads_reserve_cpm_micro / 1000.0,
        relevance_floor=settings.ads_relevance_floor,
    )
    if not winners:
        return []
    by_id = {ad.ref.ad_id: ad for ad in pool.ads}
    public = _public_pins(db, [by_id[w.candidate.ad_id].pin_id for w in winners])
    serve_id = new_id()
    served: list[ServedAd] = []
    for slot, winner in enumerate(winners):
        ad = by_id[winner.candidate.ad_id]
        if ad.pin_id not in public:
            continue
        event_id = f"i:{serve_id}:{slot}"
        if winner.impression_cost > 0:  # billed per impression: charged (or refused by a cap) before it shows
            with session_scope(ctx.sessions) as wdb:
                charged = record_impression(wdb, event_id=event_id, ref=ad.ref, user_id=viewer.user_id,
                                            surface=context.surface, cost_micro=winner.impression_cost,
                                            pctr=winner.candidate.pctr, relevance=winner.candidate.relevance)  # fmt: skip
            if not charged:
                continue
        else:  # free (cost per click): written in the background (ads/impressions.py)
            queue_impression(ctx, event_id=event_id, ref=ad.ref, user_id=viewer.user_id, surface=context.surface,
                             pctr=winner.candidate.pctr, relevance=winner.candidate.relevance)  # fmt: skip
        token = sign_click(
            ctx.settings.secret_key,
            ad_id=ad.ref.ad_id,
            user_id=viewer.user_id,
            price=winner.price_micro if ad.billable_event == auction.CPC else 0,
            surface=context.surface,
            impression=event_id,
        )
        served.append(ServedAd(len(served), ad.ref.ad_id, ad.pin_id, ad.advertiser_name, token))
    return [
        ServedAd(positions[i], s.ad_id, s.pin_id, s.advertiser_name, s.token) for i, s in enumerate(served)
    ]


# --- click tokens ------------------------------------------------------------------------------------------


def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"pinhaven ad clicks v1", hashlib.sha256).digest()


def sign_click(
    secret_key: str, *, ad_id: int, user_id: int | None, price: int, surface: str, impression: str
) -> str:
    payload = json.dumps(
        {"a": ad_id, "u": user_id, "p": price, "s": surface, "i": impression, "t": int(time.time())},
        separators=(",", ":"),
    ).encode()
    tag = hmac.new(_key(secret_key), payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(tag)}"


@dataclass(frozen=True)
class ClickToken:
    ad_id: int
    user_id: int | None
    price_micro: int
    surface: str
    impression: str
    issued_at: datetime


def read_click(secret_key: str, token: str, *, max_age: timedelta = _TOKEN_TTL) -> ClickToken | None:
    """The token's contents if this server signed it less than `max_age` ago (default a day), else None."""
    body, _, tag = token.partition(".")
    try:
        payload, given = _unb64(body), _unb64(tag)
        if not hmac.compare_digest(given, hmac.new(_key(secret_key), payload, hashlib.sha256).digest()[:16]):
            return None
        data = json.loads(payload)
        issued = datetime.fromtimestamp(int(data["t"]), UTC)
        parsed = ClickToken(int(data["a"]), data["u"], int(data["p"]), str(data["s"]), str(data["i"]), issued)
    except (ValueError, KeyError, TypeError):
        return None
    if utcnow() - issued > max_age or parsed.price_micro < 0:
        return None
    return parsed


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
