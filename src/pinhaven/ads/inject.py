"""The one hook where the home feed, search results and related pins take their promoted pins.

API lists (`into_pins`) get v5 pins marked `has_been_promoted` / `is_promoted` with `promoted_by` (who paid)
and a click token; web grids (`into_cards`) get cards labelled "Promoted by …" whose link records the click.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from pinhaven.accounts.scopes import Viewer
from pinhaven.ads.serving import Context, ServedAd, select_ads
from pinhaven.boards.schemas import Owner
from pinhaven.context import AppContext
from pinhaven.discovery.topics import get_interests
from pinhaven.pins.models import Pin
from pinhaven.pins.present import present_pins
from pinhaven.pins.schemas import PinRead

if TYPE_CHECKING:
    from pinhaven.web.present import PinCard


def context_for(
    db: Session, *, viewer: Viewer, surface: str, text: str, page_pin_ids: Sequence[int]
) -> Context:
    interests: frozenset[str] = frozenset()
    if surface == "home" and viewer.user_id is not None:
        interests = frozenset(i.lower() for i in (get_interests(db=db, user_id=viewer.user_id) or []))
        text = " ".join([text, *interests])
    return Context(surface=surface, text=text, interests=interests, exclude_pin_ids=frozenset(page_pin_ids))


def page_text(pins: Sequence[PinRead]) -> str:
    return " ".join(f"{p.title or ''} {p.description or ''}" for p in pins)


def into_pins(
    ctx: AppContext,
    db: Session,
    *,
    viewer: Viewer,
    items: list[PinRead],
    surface: str,
    text: str,
    base_url: str,
) -> list[PinRead]:
    """`items` with promoted pins in their slots (unchanged when no ad wins)."""
    context = context_for(
        db, viewer=viewer, surface=surface, text=text, page_pin_ids=[int(p.id) for p in items]
    )
    served = select_ads(ctx, db, viewer=viewer, context=context, organic_count=len(items))
    if not served:
        return items
    pins = {p.id: p for p in db.scalars(select(Pin).where(Pin.id.in_([s.pin_id for s in served])))}
    shown = [s for s in served if s.pin_id in pins]
    reads = present_pins(db=db, viewer=viewer, pins=[pins[s.pin_id] for s in shown], base_url=base_url)
    merged = list(items)
    for ad, read in zip(shown, reads, strict=True):
        merged.insert(ad.position, _promoted(read, ad))
    return merged


def _promoted(read: PinRead, ad: ServedAd) -> PinRead:
    return read.model_copy(
        update={
            "has_been_promoted": True,
            "is_promoted": True,
            "promoted_by": Owner(username=ad.advertiser_name),
            "ad_id": str(ad.ad_id),
            "ad_click_token": ad.token,
        }
    )


def into_cards(
    ctx: AppContext,
    db: Session,
    *,
    viewer: Viewer,
    cards: list[PinCard],
    surface: str,
    text: str,
) -> list[PinCard]:
    """Web grid cards with promoted cards in their slots, labelled and linked through the click recorder."""
    from pinhaven.web.present import pin_cards

    context = context_for(
        db, viewer=viewer, surface=surface, text=text, page_pin_ids=[int(c.id) for c in cards]
    )
    served = select_ads(ctx, db, viewer=viewer, context=context, organic_count=len(cards))
    if not served:
        return cards
    pins = {p.id: p for p in db.scalars(select(Pin).where(Pin.id.in_([s.pin_id for s in served])))}
    shown = [s for s in served if s.pin_id in pins]
    made = pin_cards(db=db, viewer=viewer, pins=[pins[s.pin_id] for s in shown])
    merged = list(cards)
    for ad, card in zip(shown, made, strict=True):
        merged.insert(
            ad.position, replace(card, url=f"/ads/click?t={ad.token}", promoted_by=ad.advertiser_name)
        )
    return merged
