"""Product pins: the price and availability show on the close-up and the grid cards, saved copies included,
but never through a copy whose original the viewer may no longer see."""

from __future__ import annotations

import re

import pytest
from tests.web.helpers import WebClient

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.pins import products


def _make_product(ctx: AppContext, pin_id: str, price: str, currency: str | None, availability: str) -> None:
    with session_scope(ctx.sessions) as db:
        products.set_for_pin(
            db=db, pin_id=int(pin_id), price=price, currency=currency, availability=availability
        )


def test_product_facts_on_the_closeup_cards_and_saved_copies(
    ctx: AppContext, ann: WebClient, ben: WebClient
) -> None:
    board = ann.create_board("Lamps")
    lamp = ann.upload(board, seed=1, title="Brass lamp", link="https://shop.example.com/lamp")["id"]
    plain = ann.upload(board, seed=2, title="Just a photo")["id"]
    _make_product(ctx, lamp, "1299.5", "USD", "IN_STOCK")

    page = ben.get(f"/pin/{lamp}").text
    assert re.search(r"data-price>\$1,299\.50<", page) and re.search(r"data-availability>In stock<", page)
    assert "Shop on shop.example.com" in page
    assert "data-product" not in ben.get(f"/pin/{plain}").text
    grid = ben.get(f"/board/{board}").text
    assert grid.count('class="price-badge"') == 1 and "$1,299.50" in grid

    copy_board = ben.create_board("Wishlist")
    saved = ben.post(f"/pin/{lamp}/save", {"board_id": copy_board})
    assert saved.status_code == 303
    assert "$1,299.50" in ben.get(f"/board/{copy_board}").text  # the copy shows its original's price

    edit = ann.post(f"/board/{board}/edit", {"name": "Lamps", "description": "", "secret": "1"})
    assert edit.status_code == 303
    copy_page = ben.get(f"/board/{copy_board}").text  # the original is secret now: its facts stay hidden
    assert "price-badge" not in copy_page


@pytest.mark.parametrize(
    ("price", "currency", "availability", "shown", "status"),
    [
        ("8", "EUR", "OUT_OF_STOCK", "€8.00", "Out of stock"),
        ("12000", "JPY", "PREORDER", "¥12,000", "Pre-order"),
        ("19.9", "CHF", "LIMITED_AVAILABILITY", "19.90 CHF", "Limited availability"),
        ("5", None, "BACKORDER", "5.00", "Back-order"),
    ],
)
def test_prices_read_naturally(
    ctx: AppContext,
    ann: WebClient,
    price: str,
    currency: str | None,
    availability: str,
    shown: str,
    status: str,
) -> None:
    pin = ann.upload(ann.create_board("Shop"), seed=3, title="Thing")["id"]
    _make_product(ctx, pin, price, currency, availability)
    page = ann.get(f"/pin/{pin}").text
    assert f"data-price>{shown}<" in page and f"data-availability>{status}<" in page
