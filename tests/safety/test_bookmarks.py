"""Defect #16.2: bookmarks are signed for their list; anything else the server did not issue there is a 400."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from tests.factories import Account, make_account, media_source

from pinhaven.context import AppContext
from pinhaven.jobs.worker import drain
from pinhaven.pagination import bind_request, bookmark_key, encode_bookmark


@dataclass(frozen=True)
class ListEndpoint:
    path: str
    query: str  # without page_size and bookmark
    signed_in_only: bool  # /v5 takes bearer tokens only


def _unsigned(values: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).rstrip(b"=").decode()


def _world(ctx: AppContext, client: TestClient, alice: Account, bob: Account) -> list[ListEndpoint]:
    carol = make_account(ctx, "carol")
    h = alice.headers
    boards = []
    for name in ("Cats one", "Cats two", "Cats three"):
        board = client.post("/v5/boards", headers=h, json={"name": name, "description": "cat board"})
        assert board.status_code == 201, board.text
        boards.append(board.json()["id"])
    sections = []
    for name in ("Part a", "Part b"):
        section = client.post(f"/v5/boards/{boards[0]}/sections", headers=h, json={"name": name})
        sections.append(section.json()["id"])
    pins = []
    for i in range(3):
        for board_id, section_id in ((boards[0], None), (boards[0], sections[0])):
            body = {"board_id": board_id, "title": f"cat {i}", "media_source": media_source(seed=i * 7 + 1)}
            if section_id:
                body["board_section_id"] = section_id
            made = client.post("/v5/pins", headers=h, json=body)
            assert made.status_code == 201, made.text
            pins.append(made.json()["id"])
    for other in (bob, carol):
        other_board = client.post("/v5/boards", headers=other.headers, json={"name": "Other cats"}).json()[
            "id"
        ]
        client.post(f"/v5/pins/{pins[0]}/save", headers=other.headers, json={"board_id": other_board})
        assert client.post("/ext/v1/users/alice/follow", headers=other.headers).status_code == 200
        assert client.post(f"/ext/v1/users/{other.user.username}/follow", headers=h).status_code == 200
        assert client.post(f"/ext/v1/boards/{other_board}/follow", headers=h).status_code == 200
    drain(ctx)
    return [
        ListEndpoint(f"/v5/boards/{boards[0]}/pins", "", True),
        ListEndpoint(f"/v5/boards/{boards[0]}/sections/{sections[0]}/pins", "", True),
        ListEndpoint("/v5/pins", "", True),
        ListEndpoint("/v5/search/pins", "query=cat", True),
        ListEndpoint("/v5/boards", "privacy=ALL", True),
        ListEndpoint(f"/v5/boards/{boards[0]}/sections", "", True),
        ListEndpoint("/v5/search/boards", "query=cats", True),
        ListEndpoint(f"/ext/v1/boards/{boards[0]}/pins", "", False),
        ListEndpoint(f"/ext/v1/boards/{boards[0]}/pins", f"section_id={sections[0]}", False),
        ListEndpoint("/ext/v1/users/alice/boards", "", False),
        ListEndpoint("/ext/v1/users/alice/pins", "kind=all", False),
        ListEndpoint("/ext/v1/users/alice/followers", "", False),
        ListEndpoint("/ext/v1/users/alice/following", "", False),
        ListEndpoint("/ext/v1/users/alice/following/boards", "", False),
        ListEndpoint("/ext/v1/feed/home", "", False),
        ListEndpoint(f"/ext/v1/pins/{pins[0]}/related", "", False),
        ListEndpoint("/ext/v1/search/pins", "q=cat", False),
        ListEndpoint("/ext/v1/search/boards", "q=cats", False),
        ListEndpoint("/ext/v1/search/people", "q=a", False),
    ]


def _url(endpoint: ListEndpoint, bookmark: str | None = None, query: str | None = None) -> str:
    parts = [p for p in (query if query is not None else endpoint.query, "page_size=1") if p]
    if bookmark is not None:
        parts.append(f"bookmark={bookmark}")
    return f"{endpoint.path}?{'&'.join(parts)}"


def _is_400(client: TestClient, url: str, headers: dict[str, str]) -> bool:
    response = client.get(url, headers=headers)
    if response.status_code != 400:
        return False
    body = response.json()
    return set(body) == {"code", "message"} and "bookmark" in body["message"]


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_every_list_refuses_bookmarks_it_did_not_issue(
    ctx: AppContext, client: TestClient, alice: Account, bob: Account
) -> None:
    endpoints = _world(ctx, client, alice, bob)
    callers = {"signed in": alice.headers, "anonymous": {}}
    genuine: dict[tuple[str, str], str] = {}
    for endpoint in endpoints:
        for who, headers in callers.items():
            if who == "anonymous" and endpoint.signed_in_only:
                continue
            first = client.get(_url(endpoint), headers=headers)
            assert first.status_code == 200, (endpoint, who, first.text)
            bookmark = first.json().get("bookmark")
            if bookmark:
                genuine[(endpoint.path + "?" + endpoint.query, who)] = bookmark
                follow = client.get(_url(endpoint, bookmark), headers=headers)
                assert follow.status_code == 200, (endpoint, who, follow.text)
    # the walk is only worth something if most lists really paginate
    assert len(genuine) >= 20, sorted(genuine)

    key = bookmark_key(ctx.settings.secret_key)
    failures = []
    for endpoint in endpoints:
        # forged with the real secret and binding (as if the secret leaked): out-of-range values still 400
        query = "&".join(p for p in (endpoint.query, "page_size=1") if p).encode()
        bind_request(key, endpoint.path, query)
        signed_overflows = [encode_bookmark(v) for v in ([2**70], [-(2**70)], ["h", 2**70, 0], [2**64, "x"])]
        bind_request(b"", "", b"")  # (the test thread's own binding is irrelevant to the app)
        forged = [
            _unsigned([2**70]),  # the unsigned format of old: used to overflow on 17 lists
            _unsigned([1]),
            _unsigned([1]) + "." + _unsigned([1]),
            "not-a-bookmark",
            "....",
            "%00",
            *signed_overflows,
        ]
        for (other, _who), bookmark in genuine.items():
            if other != endpoint.path + "?" + endpoint.query:
                forged.append(bookmark)  # swapped in from another list
        own = [b for (where, _), b in genuine.items() if where == endpoint.path + "?" + endpoint.query]
        for bookmark in own:
            payload, _, tag = bookmark.partition(".")
            flipped = payload[:-1] + ("A" if payload[-1] != "A" else "B")
            forged += [f"{flipped}.{tag}", payload, f"{payload}.{tag[::-1]}"]
        for who, headers in callers.items():
            if who == "anonymous" and endpoint.signed_in_only:
                continue
            for bookmark in forged:
                if not _is_400(client, _url(endpoint, bookmark), headers):
                    failures.append((endpoint.path, endpoint.query, who, bookmark))
            for bookmark in own:  # the same list with another query is another list
                if endpoint.query and not _is_400(
                    client, _url(endpoint, bookmark, query="q=dog&query=dog"), headers
                ):
                    failures.append((endpoint.path, "other query", who, bookmark))
    assert not failures, failures[:10]
