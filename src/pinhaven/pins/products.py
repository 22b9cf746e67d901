"""Shopping facts of a pin saved from a product page: price, currency and availability (JSON-LD / meta tags).

One optional row per pin (`pin_products`), deleted with the pin. The price is kept as decimal text so every
database stores it exactly (SQLite has no decimal type).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from pinhaven.accounts.scopes import Viewer
from pinhaven.db.base import Base, utcnow

__all__ = [
    "PinProduct",
    "availability_label",
    "for_pins",
    "get_for_pin",
    "price_label",
    "read_for",
    "set_for_pin",
    "shown_for_pins",
]

MAX_PRICE_CHARS = 32


class PinProduct(Base):
    __tablename__ = "pin_products"

    pin_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("pins.id", ondelete="CASCADE"), primary_key=True
    )
    price: Mapped[str | None] = mapped_column(String(MAX_PRICE_CHARS), nullable=True)  # decimal text
    currency: Mapped[str | None] = mapped_column(String(3), nullable=True)  # ISO 4217
    availability: Mapped[str | None] = mapped_column(String(32), nullable=True)  # IN_STOCK, OUT_OF_STOCK, ...
    source_url: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def price_decimal(self) -> Decimal | None:
        """The price as a Decimal (None when absent)."""
        return Decimal(self.price) if self.price is not None else None


def _price_text(price: Decimal | str | float | None) -> str | None:
    if price is None:
        return None
    try:
        value = Decimal(str(price))
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    text = format(value.normalize(), "f")
    return text if len(text) <= MAX_PRICE_CHARS else None


def set_for_pin(
    *,
    db: Session,
    pin_id: int,
    price: Decimal | str | float | None,
    currency: str | None,
    availability: str | None,
    source_url: str | None = None,
) -> PinProduct:
    """Create or replace the pin's product facts (invalid prices and currencies are dropped, not refused)."""
    row = db.get(PinProduct, pin_id)
    if row is None:
        row = PinProduct(pin_id=pin_id)
        db.add(row)
    row.price = _price_text(price)
    code = (currency or "").strip().upper()
    row.currency = code if len(code) == 3 and code.isalpha() else None
    row.availability = (availability or "").strip().upper()[:32] or None
    row.source_url = source_url[:2048] if source_url else None
    row.updated_at = utcnow()
    db.flush()
    return row


def get_for_pin(*, db: Session, pin_id: int) -> PinProduct | None:
    return db.get(PinProduct, pin_id)


def for_pins(*, db: Session, pin_ids: Iterable[int]) -> dict[int, PinProduct]:
    """Product rows of several pins, by pin id (one query per 900 ids)."""
    ids = list(set(pin_ids))
    found: dict[int, PinProduct] = {}
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        found.update(
            {p.pin_id: p for p in db.scalars(select(PinProduct).where(PinProduct.pin_id.in_(chunk)))}
        )
    return found


def shown_for_pins(*, db: Session, viewer: Viewer, pins: Iterable[Any]) -> dict[int, PinProduct]:
    """The product facts each pin shows: its own, else those of the pin it was saved from, when the viewer
    may see that pin (saves do not copy the row; a secret original's facts never show through a copy)."""
    from pinhaven.boards.access import visible_pin_ids

    pins = list(pins)
    parents = {p.id: p.parent_pin_id for p in pins if p.parent_pin_id is not None}
    found = for_pins(db=db, pin_ids=[p.id for p in pins] + list(parents.values()))
    missing = {pid: parent for pid, parent in parents.items() if pid not in found and parent in found}
    allowed = visible_pin_ids(db=db, viewer=viewer, pin_ids=missing.values()) if missing else set()
    shown = {p.id: found[p.id] for p in pins if p.id in found}
    shown.update({pid: found[parent] for pid, parent in missing.items() if parent in allowed})
    return shown


_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩", "CNY": "¥"}
_NO_CENTS = {"JPY", "KRW"}


def price_label(product: PinProduct | None) -> str | None:
    """ "$12.50", "€8.00", "12.50 CHF" or "12.50" (no currency); None without a price."""
    if product is None or product.price is None:
        return None
    value = Decimal(product.price)
    currency = product.currency
    amount = f"{value:,.0f}" if currency in _NO_CENTS else f"{value:,.2f}"
    if currency is None:
        return amount
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{amount}" if symbol else f"{amount} {currency}"


_AVAILABILITY = {
    "IN_STOCK": "In stock",
    "OUT_OF_STOCK": "Out of stock",
    "PREORDER": "Pre-order",
    "BACKORDER": "Back-order",
    "LIMITED_AVAILABILITY": "Limited availability",
    "SOLD_OUT": "Sold out",
    "DISCONTINUED": "Discontinued",
}


def read_for(*, db: Session, viewer: Viewer, pin: Any) -> dict[str, Any] | None:
    """The pin's shopping facts as the API shows them (PinProductRead), or None for a pin without any."""
    from pinhaven.timefmt import iso

    row = shown_for_pins(db=db, viewer=viewer, pins=[pin]).get(pin.id)
    if row is None:
        return None
    return {
        "price": row.price,
        "currency": row.currency,
        "price_label": price_label(row),
        "availability": row.availability,
        "availability_label": availability_label(row),
        "updated_at": iso(row.updated_at),
    }


def availability_label(product: PinProduct | None) -> str | None:
    """A readable availability ("In stock") from the stored code (ingest.jsonld.normalize_availability)."""
    if product is None or product.availability is None:
        return None
    code = product.availability
    return _AVAILABILITY.get(code, code.replace("_", " ").capitalize())
