"""Tables of the ranking domain: the served-features log and the model registry.

`ranking_feature_logs` holds, per home-feed session, the exact feature rows the scorer saw (float32, one
row per scored candidate, in the order of `pin_ids`), so training uses what serving used. The labelling
job (`ranking.labels`) later fills `labels` (one byte per candidate: impression, close-up, click, save,
hide bits) and `positions` (int16, -1 = never shown), which turns the row into training examples.

`ranking_models` is the registry of trained models: the files live under
`<data_dir>/models/ranking/v<version>/`; the row holds their metrics and which one serves (`active`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, utcnow

BLOB = LargeBinary(length=2**24)  # MEDIUMBLOB on MySQL/MariaDB (plain BLOB stops at 64 KB)


class FeatureLog(Base):
    """The features every candidate of one feed session was scored with (id = the feed session id)."""

    __tablename__ = "ranking_feature_logs"
    __table_args__ = (
        Index("ix_ranking_feature_logs_labelled_at_id", "labelled_at", "id"),
        Index("ix_ranking_feature_logs_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    surface: Mapped[str] = mapped_column(String(16), default="home")
    scorer: Mapped[str] = mapped_column(String(64))  # e.g. hand-tuned-v1, learned-v3
    arm: Mapped[str | None] = mapped_column(String(80), nullable=True)  # "experiment/arm" when bucketed
    n_features: Mapped[int] = mapped_column(Integer)
    pin_ids: Mapped[bytes] = mapped_column(BLOB)  # int64 little-endian
    features: Mapped[bytes] = mapped_column(BLOB)  # float32 little-endian, len(pin_ids) x n_features
    source_bits: Mapped[bytes] = mapped_column(BLOB)  # uint16 per pin: bit i = source code i proposed it
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    labelled_at: Mapped[datetime | None] = mapped_column(nullable=True)
    labels: Mapped[bytes | None] = mapped_column(BLOB, nullable=True)  # uint8 per pin (LABEL_BITS)
    positions: Mapped[bytes | None] = mapped_column(BLOB, nullable=True)  # int16 per pin, -1: not shown


class RankingModel(Base):
    """One trained model set (one LightGBM booster per objective) and how it did on its hold-out."""

    __tablename__ = "ranking_models"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(16))  # candidate | active | retired | rejected
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    n_examples: Mapped[int] = mapped_column(Integer, default=0)
    feature_names: Mapped[list[str]] = mapped_column(JSON)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
