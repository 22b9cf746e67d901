"""Account lifecycle: deactivation hides everything and is undone by logging in; deletion hides at once and
the erasure job leaves nothing of the person (rows, media files, index entries), on every database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from tests.conftest import ALL_BACKENDS
from tests.factories import Account, make_account, media_source
from tests.web.helpers import PASSWORD, WebClient

from pinhaven.accounts.lifecycle_models import AccountDeletion
from pinhaven.accounts.models import User
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.db.registry import all_metadata
from pinhaven.jobs.worker import drain
from pinhaven.media.models import MediaImage
from pinhaven.pins.models import Pin

pytestmark = pytest.mark.parametrize("database_url", ALL_BACKENDS, indirect=True)


def board(client: TestClient, account: Account, name: str, privacy: str = "PUBLIC") -> str:
    response = client.post("/v5/boards", json={"name": name, "privacy": privacy}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def pin(client: TestClient, account: Account, board_id: str, seed: int, title: str) -> str:
    body = {"board_id": board_id, "media_source": media_source(seed=seed), "title": title}
    response = client.post("/v5/pins", json=body, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def save(client: TestClient, account: Account, pin_id: str, board_id: str) -> str:
    response = client.post(f"/v5/pins/{pin_id}/save", json={"board_id": board_id}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def search(client: TestClient, account: Account, words: str) -> list[str]:
    response = client.get("/ext/v1/search/pins", params={"q": words}, headers=account.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def feed(client: TestClient, account: Account) -> list[str]:
    response = client.get("/ext/v1/feed/home", headers=account.headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_deactivation_hides_everything_until_the_person_logs_in_again(
    client: TestClient, app: FastAPI, ctx: AppContext, alice: Account, bob: Account
) -> None:
    public = board(client, alice, "Gardens")
    mine = pin(client, alice, public, 1, "Zinnia meadow")
    bobs = board(client, bob, "Shared")
    invited = client.post(
        f"/ext/v1/boards/{bobs}/collaborators", json={"username": "alice"}, headers=bob.headers
    )
    assert invited.status_code == 201
    accepted = client.post(f"/ext/v1/invitations/{invited.json()['id']}/accept", headers=alice.headers)
    assert accepted.status_code == 200
    bobs_pin = pin(client, bob, bobs, 2, "Quarry lake")
    save(client, alice, bobs_pin, public)  # alice's public save counts on bob's pin
    assert client.post("/ext/v1/users/alice/follow", headers=bob.headers).status_code == 200
    drain(ctx)
    assert client.get(f"/v5/pins/{bobs_pin}", headers=bob.headers).json()["save_count"] == 1
    assert search(client, bob, "zinnia") == [mine]
    assert mine in feed(client, bob)
    picture = client.get(f"/ext/v1/pins/{mine}").json()["media"]["images"]["originals"]["url"]
    picture = picture.split("testserver", 1)[-1]
    assert client.get(picture).status_code == 200

    assert client.post("/ext/v1/me/deactivate", headers=alice.headers).status_code == 200
    drain(ctx)
    assert client.get("/v5/user_account", headers=alice.headers).status_code == 401  # tokens sleep
    for headers in (bob.headers, {}):
        assert client.get(f"/ext/v1/pins/{mine}", headers=headers).status_code == 404
        assert client.get(f"/ext/v1/boards/{public}", headers=headers).status_code == 404
        assert client.get("/ext/v1/users/alice", headers=headers).status_code == 404
    assert search(client, bob, "zinnia") == []
    assert mine not in feed(client, bob)
    assert (
        client.get(picture).status_code == 404 and client.get(picture, headers=bob.headers).status_code == 404
    )
    people = client.get("/ext/v1/search/people", params={"q": "alice"}, headers=bob.headers)
    assert people.status_code == 200 and people.json()["items"] == []
    assert client.get("/ext/v1/users/bob/followers").json()["items"] == []
    assert client.get(f"/ext/v1/boards/{bobs}/collaborators", headers=bob.headers).json()["items"] == []
    assert client.get(f"/v5/pins/{bobs_pin}", headers=bob.headers).json()["save_count"] == 0

    web = WebClient(app)
    web.login("alice", PASSWORD)  # logging in reactivates
    drain(ctx)
    assert client.get("/v5/user_account", headers=alice.headers).status_code == 200
    assert client.get(f"/ext/v1/pins/{mine}").status_code == 200
    assert client.get("/ext/v1/users/alice").status_code == 200
    assert search(client, bob, "zinnia") == [mine]
    assert mine in feed(client, bob)
    people = client.get("/ext/v1/search/people", params={"q": "alice"}, headers=bob.headers).json()["items"]
    assert [p["username"] for p in people] == ["alice"]
    assert client.get(f"/v5/pins/{bobs_pin}", headers=bob.headers).json()["save_count"] == 1
    assert [u["username"] for u in client.get("/ext/v1/users/alice/followers").json()["items"]] == ["bob"]


def test_delete_needs_the_password(client: TestClient, alice: Account) -> None:
    assert client.request("DELETE", "/ext/v1/me", json={}, headers=alice.headers).status_code == 400
    wrong = client.request("DELETE", "/ext/v1/me", json={"password": "nope"}, headers=alice.headers)
    assert wrong.status_code == 403 and set(wrong.json()) >= {"code", "message"}
    assert client.request("DELETE", "/ext/v1/me", json={"password": PASSWORD}).status_code == 401
    assert client.get("/v5/user_account", headers=alice.headers).status_code == 200  # nothing happened


def _media_files(ctx: AppContext) -> set[str]:
    root = Path(ctx.settings.data_dir) / "media"
    return {
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and ".trash" not in p.parts
    }


def _sha_of(ctx: AppContext, pin_id: str) -> str:
    with session_scope(ctx.read_sessions) as db:
        image_id = db.scalar(select(Pin.image_id).where(Pin.id == int(pin_id)))
        sha = db.scalar(select(MediaImage.sha256).where(MediaImage.id == image_id))
    assert sha is not None
    return str(sha)


# Tables that may name erased ids after the erasure, by design (docs/OPERATIONS.md, accounts/erasure.py):
# queue rows, the event outbox and the graph's change log hold ids only, and are consumed and pruned.
ALLOWED = {"jobs", "outbox_events", "graph_changes"}


def _rows_naming(ctx: AppContext, ids: set[int]) -> list[str]:
    """Every (table.column) of every table in the metadata holding one of `ids`, as a number or in text."""
    found = []
    needles = {str(i) for i in ids}
    with ctx.engine.connect() as conn:
        for table in all_metadata().sorted_tables:
            if table.name in ALLOWED:
                continue
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    if value is None or isinstance(value, (bytes, bool, float)):
                        continue
                    if (isinstance(value, int) and value in ids) or any(n in str(value) for n in needles):
                        found.append(f"{table.name}.{column}")
    return sorted(set(found))


def test_deletion_erases_everything_of_the_person_and_keeps_others_saves(
    client: TestClient, ctx: AppContext, alice: Account, bob: Account
) -> None:
    carol = make_account(ctx, "carol")
    gardens = board(client, alice, "Gardens")
    diary = board(client, alice, "Diary", privacy="SECRET")
    kept = pin(client, alice, gardens, 11, "Zinnia meadow")  # bob saves it: the picture stays
    gone = pin(client, alice, gardens, 12, "Zinnia hedge")
    secret = pin(client, alice, diary, 13, "Zinnia secret")
    bobs = board(client, bob, "Bob's")
    bobs_pin = pin(client, bob, bobs, 14, "Quarry lake")
    shared = board(client, bob, "Together")
    invited = client.post(
        f"/ext/v1/boards/{shared}/collaborators", json={"username": "alice"}, headers=bob.headers
    )
    client.post(f"/ext/v1/invitations/{invited.json()['id']}/accept", headers=alice.headers)
    elsewhere = pin(client, alice, shared, 15, "Zinnia guest")  # alice's pin on bob's board
    bobs_save = save(client, bob, kept, bobs)
    save(client, alice, bobs_pin, gardens)
    for who in (bob, carol):
        assert client.post("/ext/v1/users/alice/follow", headers=who.headers).status_code == 200
    assert client.post("/ext/v1/users/bob/follow", headers=alice.headers).status_code == 200
    assert client.post(f"/ext/v1/boards/{bobs}/follow", headers=alice.headers).status_code == 200
    events = [{"type": "closeup", "pin_id": p, "surface": "pin"} for p in (kept, gone, bobs_pin)]
    assert client.post("/ext/v1/events", json={"events": events}, headers=alice.headers).status_code in (
        200,
        202,
    )
    client.post("/ext/v1/events", json={"events": events[:2]}, headers=bob.headers)
    # Rows other domains keep about a person: reports by and about them (moderation cases), feed sessions
    # (and what ranking logs with them), interests.
    for who, kind, target in (
        (bob, "pin", gone),
        (bob, "user", str(alice.user.id)),
        (alice, "pin", bobs_pin),
    ):
        body = {"object_type": kind, "object_id": target, "reason": "spam"}
        assert client.post("/ext/v1/reports", json=body, headers=who.headers).status_code == 201
    assert client.get("/ext/v1/feed/home", headers=alice.headers).status_code == 200
    assert client.put("/ext/v1/me/interests", json={"topics": []}, headers=alice.headers).status_code < 500
    assert client.get(f"/ext/v1/pins/{bobs_pin}/related", headers=alice.headers).status_code == 200
    drain(ctx)
    gone_shas = {_sha_of(ctx, p) for p in (gone, secret, elsewhere)}
    kept_sha = _sha_of(ctx, kept)
    assert all(any(sha in f for f in _media_files(ctx)) for sha in gone_shas | {kept_sha})
    assert search(client, bob, "zinnia")  # indexed
    assert client.get(f"/v5/pins/{bobs_pin}", headers=bob.headers).json()["save_count"] == 1
    alice_id = alice.user.id
    with session_scope(ctx.read_sessions) as db:
        alice_pins = {int(p) for p in db.scalars(select(Pin.id).where(Pin.creator_id == alice_id))}
    assert len(alice_pins) == 5

    response = client.request("DELETE", "/ext/v1/me", json={"password": PASSWORD}, headers=alice.headers)
    assert response.status_code == 202, response.text
    # At once, before the job: nothing is visible, credentials are dead.
    assert client.get("/v5/user_account", headers=alice.headers).status_code == 401
    for pin_id in (kept, gone, elsewhere):
        assert client.get(f"/v5/pins/{pin_id}", headers=bob.headers).status_code == 404
    assert client.get("/ext/v1/users/alice").status_code == 404
    assert (
        WebClient(client.app).http.post("/login", data={"login": "alice", "password": PASSWORD}).status_code
        != 303
    )

    drain(ctx)
    with session_scope(ctx.read_sessions) as db:
        assert db.get(User, alice_id) is None
        log = db.scalars(select(AccountDeletion)).one()
        assert log.status == "erased" and log.user_id is None and log.counts and log.counts["pins"] == 5
        assert log.subject_hash and str(alice_id) not in log.subject_hash
    assert _rows_naming(ctx, {alice_id}) == []
    assert _rows_naming(ctx, alice_pins) == []
    files = _media_files(ctx)
    assert not any(sha in f for sha in gone_shas for f in files)
    assert any(kept_sha in f for f in files)  # bob's save still shows it
    if ctx.engine.dialect.name == "sqlite":
        with ctx.engine.connect() as conn:
            rows = conn.execute(text("SELECT rowid FROM search_fts WHERE search_fts MATCH 'zinnia'")).all()
        assert {r[0] for r in rows} == {int(bobs_save)}
    assert search(client, bob, "zinnia") == [bobs_save]
    saved = client.get(f"/v5/pins/{bobs_save}", headers=bob.headers)
    assert saved.status_code == 200 and saved.json()["parent_pin_id"] in (None, "")
    image_url = saved.json()["media"]["images"]["originals"]["url"]
    assert client.get(image_url.split("testserver", 1)[-1], headers=bob.headers).status_code == 200
    assert client.get("/ext/v1/users/bob", headers=bob.headers).json()["follower_count"] == 0
    assert client.get("/ext/v1/users/bob", headers=bob.headers).json()["following_count"] == 0
    assert client.get("/ext/v1/users/carol", headers=carol.headers).json()["following_count"] == 0
    assert client.get(f"/ext/v1/boards/{bobs}", headers=bob.headers).json()["follower_count"] == 0
    assert client.get(f"/v5/pins/{bobs_pin}", headers=bob.headers).json()["save_count"] == 0
    # The username is free again.
    assert make_account(ctx, "alice").user.id != alice_id


def test_visual_index_forgets_erased_pictures(client: TestClient, ctx: AppContext, alice: Account) -> None:
    from pinhaven.search.visual.models import ImageEmbedding
    from pinhaven.search.visual.service import visual_service

    gardens = board(client, alice, "Gardens")
    pin(client, alice, gardens, 21, "Fern")
    drain(ctx)
    service = visual_service(ctx)
    service.refresh(force=True)
    with session_scope(ctx.read_sessions) as db:
        image_ids = [int(i) for i in db.scalars(select(ImageEmbedding.image_id))]
    assert image_ids and service.index.vectors(image_ids)
    client.request("DELETE", "/ext/v1/me", json={"password": PASSWORD}, headers=alice.headers)
    drain(ctx)
    assert service.index.vectors(image_ids) == {}
    with session_scope(ctx.read_sessions) as db:
        assert db.scalars(select(ImageEmbedding.image_id)).all() == []


def _cli(ctx: AppContext, *args: str) -> Any:
    from typer.testing import CliRunner

    from pinhaven.cli import app as cli_app

    return CliRunner().invoke(cli_app, [*args, "--data-dir", str(ctx.settings.data_dir)])


def test_cli_delete_and_erase(
    client: TestClient, ctx: AppContext, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINHAVEN_DATABASE_URL", str(ctx.settings.database_url))
    monkeypatch.setenv("PINHAVEN_SECRET_KEY", ctx.settings.secret_key)
    pin(client, alice, board(client, alice, "Gardens"), 31, "Tulip")
    refused = _cli(ctx, "users", "delete", "alice")
    assert refused.exit_code != 0 and "--yes" in refused.output
    assert _cli(ctx, "users", "delete", "nobody", "--yes").exit_code != 0
    done = _cli(ctx, "users", "delete", "alice", "--yes", "--now")
    assert done.exit_code == 0, done.output
    with session_scope(ctx.read_sessions) as db:
        assert db.get(User, alice.user.id) is None
        assert db.scalars(select(Pin.id)).all() == []


def test_cli_deactivate_and_reactivate(
    client: TestClient, ctx: AppContext, alice: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PINHAVEN_DATABASE_URL", str(ctx.settings.database_url))
    monkeypatch.setenv("PINHAVEN_SECRET_KEY", ctx.settings.secret_key)
    assert _cli(ctx, "users", "deactivate", "alice").exit_code == 0
    assert client.get("/ext/v1/users/alice").status_code == 404
    assert client.get("/v5/user_account", headers=alice.headers).status_code == 401
    done = _cli(ctx, "users", "reactivate", "alice")
    assert done.exit_code == 0, done.output
    assert client.get("/ext/v1/users/alice").status_code == 200
    assert client.get("/v5/user_account", headers=alice.headers).status_code == 200
    assert _cli(ctx, "users", "reactivate", "nobody").exit_code != 0
