"""Learned link rules applied: learning from real fetches (image + page fingerprint, several pages), the rules
dropped from saved links and fetched URLs, reuse of an earlier fetch only when its pin is visible, the
scheduled learning job, and the in-process cache."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit
from zlib import crc32

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from tests.factories import Account, image_bytes, media_source
from tests.ingest_flows.conftest import make_board
from tests.web.helpers import WebClient

from pinhaven.accounts.scopes import session_viewer
from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.ingest.fingerprint import hamming, page_fingerprint, same_content
from pinhaven.ingest.models import LinkFetch
from pinhaven.ingest.url_learning import (
    JOB_KIND,
    LearnedUrlParams,
    decide,
    ensure_scheduled,
    learn_drop_params,
)
from pinhaven.ingest.url_rules import forget_rules, learned_rules
from pinhaven.jobs.models import Job
from pinhaven.jobs.worker import run_one
from pinhaven.media import service as media_service
from pinhaven.pins import service as pins_service
from pinhaven.pins.models import Pin

FROM_URL = "/ext/v1/pins/from-url"
ARTICLE_WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "near",
    "the",
    "river",
    "bank",
    "on",
    "a",
    "sunny",
    "day",
]


def article(topic: str, token: str = "") -> bytes:
    """A page whose words depend on `topic`; `token` is a per-request nonce (as in a real CSRF field)."""
    body = " ".join(f"{w} {topic}" for w in ARTICLE_WORDS * 6)
    return (
        f"<!doctype html><html><head><title>Story {topic}</title>"
        f'<meta property="og:image" content="/img/{topic}.jpg">'
        f'<script>var csrf="{token}";</script></head><body><p>{body}</p>'
        f'<input type="hidden" value="{token}"></body></html>'
    ).encode()


@dataclass
class Site:
    """Pages /story/<n>?id=&ref=&lang=: `ref` changes nothing, `id` changes text and image, `lang` changes
    only the text (the og:image stays the site's picture for that story)."""

    base: str = ""
    hits: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base + path


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.site.hits.append(self.path)
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path.startswith("/img/"):
            name = parts.path.rsplit("/", 1)[1]
            self._send(image_bytes(size=(240, 180), seed=crc32(name.encode())), "image/jpeg")
            return
        story = parts.path.rsplit("/", 1)[-1] + "-" + query.get("id", "0")
        words = article(story + query.get("lang", ""), token=str(len(self.server.site.hits)))
        image_topic = story
        self._send(words.replace(f"/img/{story + query.get('lang', '')}.jpg".encode(),
                                 f"/img/{image_topic}.jpg".encode()), "text/html; charset=utf-8")  # fmt: skip


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, site: Site) -> None:
        self.site = site
        super().__init__(("127.0.0.1", 0), _Handler)


@pytest.fixture
def site() -> Iterator[Site]:
    found = Site()
    server = _Server(found)
    found.base = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    forget_rules()
    try:
        yield found
    finally:
        server.shutdown()
        server.server_close()
        forget_rules()


def _save(client: TestClient, account: Account, url: str, board: int) -> dict[str, object]:
    response = client.post(FROM_URL, json={"url": url, "board_id": str(board)}, headers=account.headers)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def _image_of(ctx: AppContext, pin_id: object) -> int:
    with ctx.sessions() as db:
        pin = db.get(Pin, int(str(pin_id)))
        assert pin is not None
        return pin.image_id


# ---- fingerprints and the decision rule (no database) -------------------------------------------------


def test_page_fingerprint_ignores_scripts_and_nonces_but_not_other_words() -> None:
    a, b = page_fingerprint(article("cats", "t1")), page_fingerprint(article("cats", "t2-longer"))
    assert a == b and same_content(a, b)
    other = page_fingerprint(article("dogs", "t1"))
    assert hamming(a, other) > 20 and not same_content(a, other)
    words = [f"w{i % 97}x{i % 13}" for i in range(300)]
    edited = [*words[:100], "changed", *words[101:200], "also", *words[201:]]  # a date and a counter
    page = lambda ws: ("<p>" + " ".join(ws) + "</p>").encode()
    assert same_content(page_fingerprint(page(words)), page_fingerprint(page(edited)))
    assert not same_content(a, None)


def _fetch(params: dict[str, str], image: int, words: str) -> tuple[dict[str, str], int, int]:
    return params, image, page_fingerprint(article(words))


def test_a_parameter_is_learned_only_from_several_pages_and_both_signals() -> None:
    one_page = {("https", "news.example", "/a"): [_fetch({"ref": str(i)}, 1, "a") for i in range(5)]}
    assert decide(one_page)[0] == {}  # five spellings of one page are one observation
    pages = {("https", "news.example", f"/{p}"): [_fetch({"ref": "x"}, p, p), _fetch({"ref": "y"}, p, p)]
             for p in "abc"}  # fmt: skip
    learned, evidence = decide(pages)
    assert learned == {"news.example": {"ref"}} and evidence == {"news.example": 3}
    # same image (a site logo) but different words: `lang` changes the page, so it is never learned
    logo = {("https", "news.example", f"/{p}"): [_fetch({"lang": "en"}, 9, p), _fetch({"lang": "fr"}, 9, p + "fr")]
            for p in "abc"}  # fmt: skip
    assert decide(logo)[0] == {}
    # one contrary observation outweighs any number of agreeing ones
    contrary = dict(pages)
    contrary[("https", "news.example", "/d")] = [_fetch({"ref": "x"}, 4, "d"), _fetch({"ref": "y"}, 5, "d")]
    assert decide(contrary)[0] == {}


# ---- end to end: save, learn, apply --------------------------------------------------------------------


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql", "mariadb"], indirect=True)
def test_learned_parameters_are_dropped_from_links_and_fetches_and_the_image_is_reused(
    client: TestClient, ctx: AppContext, alice: Account, site: Site
) -> None:
    board = make_board(ctx, alice.user.id, "Stories")
    for story in ("a", "b", "c"):
        for ref in ("mail", "home"):
            _save(client, alice, site.url(f"/story/{story}?id=1&ref={ref}"), board)
        for lang in ("en", "fr"):  # same picture, other words: `lang` matters
            _save(client, alice, site.url(f"/story/{story}?id=1&lang={lang}"), board)
    _save(client, alice, site.url("/story/a?id=2&ref=mail"), board)  # `id` changes the page
    assert learn_drop_params(ctx) == {"127.0.0.1": {"ref"}}
    with session_scope(ctx.sessions) as db:
        assert dict(learned_rules(db)) == {"127.0.0.1": frozenset({"ref"})}

    site.hits.clear()
    first = _save(client, alice, site.url("/story/d?id=1&ref=ad"), board)
    assert first["link"] == site.url("/story/d?id=1")  # dropped from the pin's link ...
    assert "/story/d?id=1" in site.hits and not any("ref=" in h for h in site.hits)  # ... and the fetch
    site.hits.clear()
    again = _save(client, alice, site.url("/story/d?ref=other&id=1"), board)
    assert site.hits == []  # same link once normalised: the stored image is reused, nothing fetched
    assert again["link"] == first["link"] and again["title"] == first["title"]
    assert _image_of(ctx, again["id"]) == _image_of(ctx, first["id"])
    # a reused save observed nothing: learning does not count it
    with ctx.sessions() as db:
        row = db.scalars(select(LinkFetch).where(LinkFetch.pin_id == int(str(again["id"])))).one()
        assert row.fetched is False
    # the preview (the pin builder's first step) fetches the normalised link too
    site.hits.clear()
    preview = client.post(
        FROM_URL + "/preview", json={"url": site.url("/story/e?id=1&ref=x")}, headers=alice.headers
    )
    assert preview.status_code == 200 and site.hits == ["/story/e?id=1"]
    # the v5 API applies the learned rules to a typed link too
    created = client.post(
        "/v5/pins",
        json={
            "board_id": str(board),
            "link": site.url("/story/z?ref=tw&id=3"),
            "media_source": media_source(),
        },
        headers=alice.headers,
    )
    assert created.status_code == 201, created.text
    assert created.json()["link"] == site.url("/story/z?id=3")


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql", "mariadb"], indirect=True)
def test_a_secret_pins_fetch_is_never_reused_by_someone_who_cannot_see_it(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account, site: Site
) -> None:
    secret = make_board(ctx, bob.user.id, "Hidden", privacy="SECRET")
    _save(client, bob, site.url("/story/s?id=1"), secret)
    site.hits.clear()
    board = make_board(ctx, alice.user.id, "Mine")
    _save(client, alice, site.url("/story/s?id=1"), board)
    assert "/story/s?id=1" in site.hits  # fetched afresh: no sign that bob has this link
    site.hits.clear()
    _save(client, bob, site.url("/story/s?id=1"), secret)  # bob may reuse alice's public pin's fetch
    assert site.hits == []


def test_bad_links_answer_400_on_the_reuse_path(
    client: TestClient, ctx: AppContext, alice: Account, site: Site
) -> None:
    board = make_board(ctx, alice.user.id, "Bad")
    for url in ("", "   ", "ftp://example.com/a", "http://", "x" * 5000, "http://exa mple.com/\x00"):
        response = client.post(FROM_URL, json={"url": url, "board_id": str(board)}, headers=alice.headers)
        assert 400 <= response.status_code < 500, (url, response.text)
        assert response.json()["code"] and response.json()["message"]


# ---- the scheduled job and the cache -------------------------------------------------------------------


def test_learning_runs_as_a_job_that_schedules_its_next_run(ctx: AppContext) -> None:
    interval = ctx.settings.url_learning_interval_seconds
    with session_scope(ctx.sessions) as db:
        assert ensure_scheduled(db=db, interval_seconds=interval)
        assert not ensure_scheduled(db=db, interval_seconds=interval)  # one waiting job is enough
        assert not ensure_scheduled(db=db, interval_seconds=0)
    later = utcnow() + timedelta(minutes=10)
    assert run_one(ctx, kinds=[JOB_KIND], now=later)
    with ctx.sessions() as db:
        jobs = db.scalars(select(Job).where(Job.kind == JOB_KIND).order_by(Job.id)).all()
        assert [j.state for j in jobs] == ["done", "queued"]
        assert jobs[1].run_after >= utcnow() + timedelta(seconds=interval - 60)


def test_the_rules_are_cached_in_process(ctx: AppContext) -> None:
    forget_rules()
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    with session_scope(ctx.sessions) as db:
        learned_rules(db)
        event.listen(ctx.engine, "before_cursor_execute", count)
        try:
            for _ in range(50):
                learned_rules(db)
        finally:
            event.remove(ctx.engine, "before_cursor_execute", count)
    assert not [s for s in statements if "learned_url_params" in s]


def test_the_bookmarklet_popup_reuses_a_visible_fetch_of_the_same_picked_image(
    ann: WebClient, ctx: AppContext, site: Site
) -> None:
    ann.create_board("Clips")
    popup = ann.get("/ext/v1/save?url=" + quote(site.url("/story/p?id=1")))
    board = re.search(r'<option value="(\d+)"[^>]*>\s*Clips', popup.text)
    assert board is not None
    form = {
        "url": site.url("/story/p?id=1"),
        "image_url": site.url("/img/p-1.jpg"),
        "board_id": board.group(1),
    }
    assert ann.post("/ext/v1/save", form).status_code == 201
    site.hits.clear()
    assert ann.post("/ext/v1/save", form).status_code == 201
    assert site.hits == []  # same page, same picked image, a pin ann can see: nothing fetched again
    other = dict(form, image_url=site.url("/img/other.jpg"))
    assert ann.post("/ext/v1/save", other).status_code == 201
    assert "/img/other.jpg" in site.hits  # another picture was picked: that one is fetched


def test_every_pin_write_applies_the_rules_imports_included(ctx: AppContext, alice: Account) -> None:
    with session_scope(ctx.sessions) as db:
        db.add(LearnedUrlParams(domain="shop.example", params=["ref"], evidence=3))
    forget_rules()
    board = make_board(ctx, alice.user.id, "Imported")
    with session_scope(ctx.sessions) as db:
        image = media_service.ingest_bytes(
            db=db, store=media_service.media_store(ctx), settings=ctx.settings, data=image_bytes(seed=5)
        )
        fields = pins_service.PinFields(link="https://www.shop.example/item?ref=news&id=4")
        pin = pins_service.create(
            db=db, viewer=session_viewer(alice.user.id), board_id=board, image=image, fields=fields
        )
        assert pin.link == "https://www.shop.example/item?id=4"  # the rule covers subdomains too
    forget_rules()
