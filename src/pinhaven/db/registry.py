"""Imports every domain's models so `Base.metadata` knows all tables (Alembic, tests)."""

from __future__ import annotations

from sqlalchemy import MetaData

from pinhaven.db.base import Base


def all_metadata() -> MetaData:
    # One import per domain that owns tables; add yours here.
    import pinhaven.accounts.lifecycle_models
    import pinhaven.accounts.models
    import pinhaven.ads.models
    import pinhaven.boards.models
    import pinhaven.catalogs.models
    import pinhaven.comments.models
    import pinhaven.discovery.models
    import pinhaven.events.models
    import pinhaven.experiments.models
    import pinhaven.ingest.models
    import pinhaven.ingest.url_learning
    import pinhaven.jobs.models
    import pinhaven.media.models
    import pinhaven.messages.models
    import pinhaven.moderation.models
    import pinhaven.notifications.models
    import pinhaven.ocr.models
    import pinhaven.pins.models
    import pinhaven.pins.products
    import pinhaven.ranking.models
    import pinhaven.safety.models
    import pinhaven.search.text.models
    import pinhaven.search.visual.models
    import pinhaven.stream.models
    import pinhaven.topics.models  # noqa: F401

    return Base.metadata
