"""Tables of the ingest domain: import runs (web-started imports), imported items (resume + idempotency) and
export runs (account zips written by a job).

`import_items` has one row per source item a user imported, keyed by (user, source, source_id): a rerun
skips every item already created or skipped, and retries the failed ones. `source` names the origin
("folder:holiday", "csv:pins.csv", "pinry:https://pins.example", "export:<old user id>").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from pinhaven.db.base import Base, IdMixin, utcnow

ITEM_STATES = ("created", "skipped", "failed")
RUN_STATES = ("queued", "running", "done", "failed")
EXPORT_STATES = ("queued", "running", "done", "failed", "expired")
KEY_CHARS = 255


class ImportItem(Base):
    __tablename__ = "import_items"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    source: Mapped[str] = mapped_column(String(KEY_CHARS), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(KEY_CHARS), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    # What the item became: a pin id, or a board/section id for an export's boards and sections.
    target_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    content_sha: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the stored image's sha256
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImportRun(IdMixin, Base):
    """An import started from the settings page, run by the `ingest.import` job."""

    __tablename__ = "import_runs"
    __table_args__ = (Index("ix_import_runs_user_id_id", "user_id", "id"),)

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # file | pinry
    label: Mapped[str] = mapped_column(String(300))  # the uploaded file's name or the Pinry URL
    status: Mapped[str] = mapped_column(String(16), default="queued")
    # Media-store keys (ingest.run_files: private/imports/<id>-<token>/...) of the upload, kept until the run
    # is done, and of the report, stored when the run ends.
    input_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    report_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    input_path: Mapped[str | None] = mapped_column(Text, nullable=True)  # legacy: local upload (before 0009)
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)  # board, pinry url/token
    report_path: Mapped[str | None] = mapped_column(Text, nullable=True)  # legacy: local report (before 0009)
    total: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ExportRun(IdMixin, Base):
    """An account export requested from the settings page, written by the `ingest.export` job."""

    __tablename__ = "export_runs"
    __table_args__ = (Index("ix_export_runs_user_id_id", "user_id", "id"),)

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="queued")  # EXPORT_STATES
    # The finished zip's media-store key (ingest.run_files: private/exports/<id>-<token>/<name>.zip).
    zip_key: Mapped[str | None] = mapped_column(Text, nullable=True)
    path: Mapped[str | None] = mapped_column(Text, nullable=True)  # legacy: a local zip (before 0009)
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    pins: Mapped[int] = mapped_column(default=0)
    boards: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)


class LinkFetch(IdMixin, Base):
    """One save from a web page: what was fetched, what it showed, and the pin it became.

    Two uses: a later save of the same link reuses the stored image instead of fetching again (only when
    the pin is visible to the saver: see ingest.link_reuse), and link-rule learning compares fetches of
    one page whose URLs differ in one parameter (ingest.url_learning). `fetched` is False for a save that
    reused an earlier fetch: it observed nothing, so learning never counts it.
    """

    __tablename__ = "link_fetches"
    __table_args__ = (
        Index("ix_link_fetches_request_key", "request_key"),
        Index("ix_link_fetches_link_key", "link_key"),
        Index("ix_link_fetches_host", "host"),
    )

    pin_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("pins.id", ondelete="CASCADE"))
    image_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("media_images.id"))
    host: Mapped[str] = mapped_column(String(255))  # of fetched_url: learning groups by it
    fetched_url: Mapped[str] = mapped_column(Text)  # the URL really requested (the experiment)
    request_key: Mapped[str] = mapped_column(String(64))  # sha256 of the requested link, normalised
    link_key: Mapped[str] = mapped_column(String(64))  # sha256 of the pin's link (the page's canonical)
    link: Mapped[str] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text, nullable=True)  # the image the saver picked
    fingerprint: Mapped[int | None] = mapped_column(BigInteger, nullable=True)  # ingest.fingerprint
    title: Mapped[str | None] = mapped_column(Text, nullable=True)  # the page's own, not the saver's
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    had_product: Mapped[bool] = mapped_column(default=False)  # prices change: such pages are re-fetched
    fetched: Mapped[bool] = mapped_column(default=True)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
