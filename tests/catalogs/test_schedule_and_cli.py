"""Feeds are fetched again on a schedule (PINHAVEN_CATALOG_SYNC_INTERVAL_HOURS, default 6 h) and on request
with `pinhaven catalogs sync FEED_ID`."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.catalogs.shop import Shop
from tests.factories import Account
from typer.testing import CliRunner

from pinhaven.catalogs.jobs import DUE_JOB, ensure_scheduled, sync_due_job
from pinhaven.catalogs.models import CatalogFeed, CatalogItem, CatalogProcessingResult
from pinhaven.cli import app
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.jobs.models import Job
from pinhaven.jobs.worker import drain

FEED = "id,title,link,image_link,price,availability,brand,mpn\nS1,Vase,https://shop.test/s1,{base}/img/S1.jpg,{price},in stock,Clay,V-1\n"


def _feed(client: TestClient, who: Account, location: str) -> str:
    body = {
        "name": "Clay",
        "format": "CSV",
        "location": location,
        "default_locale": "en-US",
        "default_country": "US",
    }
    response = client.post("/v5/catalogs/feeds", json=body, headers=who.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _results(ctx: AppContext, feed_id: str) -> int:
    with ctx.sessions() as db:
        return len(
            list(
                db.scalars(
                    select(CatalogProcessingResult.id).where(CatalogProcessingResult.feed_id == int(feed_id))
                )
            )
        )


def _price(ctx: AppContext) -> str:
    with ctx.sessions() as db:
        return db.scalars(select(CatalogItem.price).where(CatalogItem.item_id == "S1")).one()


def test_due_feeds_are_synced_again(client: TestClient, ctx: AppContext, shop: Shop, alice: Account) -> None:
    assert ctx.settings.catalog_sync_interval_hours == 6.0
    location = shop.put("/clay.csv", FEED.format(base=shop.base, price="30 USD"))
    feed_id = _feed(client, alice, location)
    drain(ctx, kinds=["catalogs.sync_feed"])
    with ctx.sessions() as db:
        feed = db.get(CatalogFeed, int(feed_id))
        assert feed is not None and feed.next_sync_at is not None
        assert timedelta(hours=5.9) < feed.next_sync_at - utcnow() <= timedelta(hours=6)
    shop.put("/clay.csv", FEED.format(base=shop.base, price="24 USD"))
    with session_scope(ctx.sessions) as db:
        assert ensure_scheduled(db=db, interval_hours=6.0) is True
        assert ensure_scheduled(db=db, interval_hours=6.0) is False  # one waiting job per instance
        assert ensure_scheduled(db=db, interval_hours=0) is False  # scheduling off
    drain(ctx, kinds=[DUE_JOB])  # not due yet: nothing queued
    assert drain(ctx, kinds=["catalogs.sync_feed"]) == 0 and _price(ctx) == "30.00"
    with session_scope(ctx.sessions) as db:
        feed = db.get(CatalogFeed, int(feed_id))
        assert feed is not None
        feed.next_sync_at = utcnow() - timedelta(minutes=1)  # six hours later
    sync_due_job(ctx, {})
    assert drain(ctx, kinds=["catalogs.sync_feed"]) == 1
    assert _price(ctx) == "24.00" and _results(ctx, feed_id) == 2
    with ctx.sessions() as db:  # the checker queued its own next run
        waiting = db.scalars(select(Job).where(Job.kind == DUE_JOB, Job.state == "queued")).all()
        assert len(waiting) >= 1 and all(j.run_after > utcnow() for j in waiting)
    # An inactive feed is never fetched by the scheduler.
    client.patch(f"/v5/catalogs/feeds/{feed_id}", json={"status": "INACTIVE"}, headers=alice.headers)
    with session_scope(ctx.sessions) as db:
        feed = db.get(CatalogFeed, int(feed_id))
        assert feed is not None
        feed.next_sync_at = utcnow() - timedelta(minutes=1)
    sync_due_job(ctx, {})
    assert drain(ctx, kinds=["catalogs.sync_feed"]) == 0


def test_sync_command(client: TestClient, ctx: AppContext, shop: Shop, alice: Account) -> None:
    location = shop.put("/clay.csv", FEED.format(base=shop.base, price="30 USD"))
    feed_id = _feed(client, alice, location)
    env = {
        "PINHAVEN_DATA_DIR": str(ctx.settings.data_dir),
        "PINHAVEN_DATABASE_URL": ctx.settings.database_url,
        "PINHAVEN_SECRET_KEY": ctx.settings.secret_key,
        "PINHAVEN_FETCH_ALLOW_NETWORKS": "127.0.0.0/8",
        "PINHAVEN_SEMANTIC_SEARCH": "0",
    }
    result = CliRunner().invoke(app, ["catalogs", "sync", feed_id], env=env)
    assert result.exit_code == 0, result.output
    assert "COMPLETED: 1 of 1 items ingested" in result.output
    assert _price(ctx) == "30.00"
    listed = CliRunner().invoke(app, ["catalogs", "feeds"], env=env)
    assert listed.exit_code == 0 and feed_id in listed.output and location in listed.output
    missing = CliRunner().invoke(app, ["catalogs", "sync", "12345"], env=env)
    assert missing.exit_code == 1 and "feed not found" in missing.output
    shop.put("/clay.csv", "title,link\nno,ids\n")
    failed = CliRunner().invoke(app, ["catalogs", "sync", feed_id], env=env)
    assert failed.exit_code == 1 and "FAILED" in failed.output and "no id column" in failed.output
