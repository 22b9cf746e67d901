"""Schemathesis over the app in process: demo-like data, every `/v5` and `/ext/v1` operation fuzzed in turn.

Each generated case is sent through the ASGI app (no network) with the owner's all-scope token (or none, one
case in five: the anonymous answers must conform too) and checked for: no 5xx, a status the OpenAPI document
lists for the operation, a documented content type, and a body matching the documented response schema.
Path parameters are swapped for ids that exist (boards, pins, sections, comments, ad objects, conversations,
users) in most cases, so handlers run past their 404s. Failures are collected, not raised, so one run reports
every operation's problems; the test asserts the list is empty.

Operations that would end the fuzzing account (delete or deactivate it, end its sessions) get a new throwaway
account per case; deletes run last so they do not empty the data the other operations work on.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from tests.ads.helpers import advertiser
from tests.factories import Account, make_account, media_source

from pinhaven.context import AppContext
from pinhaven.moderation.roles import set_role

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PREFIXES = re.compile(r"^/(v5|ext/v1)/")
# These end or change the caller's own account: a fresh account per case keeps the owner usable.
THROWAWAY = {
    ("DELETE", "/ext/v1/me"),
    ("POST", "/ext/v1/me/deactivate"),
    ("DELETE", "/ext/v1/me/sessions"),
    ("DELETE", "/ext/v1/me/sessions/{session_id}"),
}


@dataclass
class World:
    owner: Account
    other: Account
    known: dict[str, list[str]]


@dataclass
class Report:
    operations: int = 0
    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: dict[tuple[str, str], str] = field(default_factory=dict)  # (operation, first line) -> example

    def record(self, operation: str, error: BaseException, curl: str) -> None:
        lines = [line for line in str(error).splitlines() if line.strip()]
        titles = [str(getattr(e, "title", "")) for e in getattr(error, "exceptions", [error])]
        first = "; ".join(t for t in titles if t) or (lines[0][:160] if lines else type(error).__name__)
        key = (operation, first)
        self.failures.setdefault(key, "\n".join(lines[:12])[:1500] + f"\n  {curl[:600]}")

    def summary(self) -> str:
        out = [f"{self.operations} operations, {self.cases} cases, {len(self.failures)} distinct failures"]
        for (operation, first), example in sorted(self.failures.items()):
            out.append(f"- {operation}: {first}\n{example}")
        return "\n".join(out)


def _json_id(response: Any) -> str:
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


def seed(ctx: AppContext, client: TestClient) -> World:
    """Two people (the owner an admin), public and secret boards with sections and pins, a comment, a
    conversation, an ad account with a campaign, an ad group and an ad, a pending board invitation."""
    owner = make_account(ctx, "alice")
    other = make_account(ctx, "bob")
    from pinhaven.accounts import service as accounts_service
    from pinhaven.db.engine import session_scope

    with session_scope(ctx.sessions) as db:
        user = accounts_service.get_by_username_or_raise(db=db, username="alice")
        set_role(db=db, user=user, role="admin")
    h, hb = owner.headers, other.headers
    boards = [
        _json_id(client.post("/v5/boards", headers=h, json={"name": "Kitchens", "description": "Tiles"})),
        _json_id(client.post("/v5/boards", headers=h, json={"name": "Plans", "privacy": "SECRET"})),
        _json_id(client.post("/v5/boards", headers=hb, json={"name": "Gardens"})),
        _json_id(client.post("/v5/boards", headers=hb, json={"name": "Secret garden", "privacy": "SECRET"})),
    ]
    sections = [
        _json_id(client.post(f"/v5/boards/{boards[0]}/sections", headers=h, json={"name": "Islands"})),
        _json_id(client.post(f"/v5/boards/{boards[2]}/sections", headers=hb, json={"name": "Roses"})),
    ]
    pins = []
    for seed_, (account, board_id) in enumerate(
        [(owner, boards[0]), (owner, boards[0]), (owner, boards[1]), (other, boards[2]), (other, boards[3])]
    ):
        body = {
            "board_id": board_id,
            "title": f"Pin {seed_}",
            "description": "A kitchen with green tiles",
            "link": "https://shop.example/item",
            "media_source": media_source(seed=seed_, size=(64, 48)),
        }
        pins.append(_json_id(client.post("/v5/pins", headers=account.headers, json=body)))
    comments = [_json_id(client.post(f"/ext/v1/pins/{pins[0]}/comments", headers=hb, json={"text": "Nice"}))]
    for a, b in (("alice", hb), ("bob", h)):  # following each other lets them message
        assert client.post(f"/ext/v1/users/{a}/follow", headers=b).status_code < 300
    conversations = [
        _json_id(client.post("/ext/v1/conversations", headers=h, json={"usernames": ["bob"], "text": "Hi"}))
    ]
    ads = advertiser(client, owner, pin_id=pins[0])
    invited = client.post(f"/ext/v1/boards/{boards[0]}/collaborators", headers=h, json={"username": "bob"})
    assert invited.status_code < 300, invited.text
    invitations = [str(item["id"]) for item in client.get("/ext/v1/invitations", headers=hb).json()["items"]]
    slugs = ["home", "kitchens"]  # in the shipped taxonomy (topics/taxonomy.json)
    known = {
        "board_id": boards,
        "section_id": sections,
        "pin_id": pins,
        "other_id": pins,
        "comment_id": comments,
        "conversation_id": conversations,
        "ad_account_id": [ads.account_id],
        "campaign_id": [ads.campaign_id],
        "ad_group_id": [ads.ad_group_id],
        "ad_id": [ads.ad_id],
        "invitation_id": invitations,
        "username": ["alice", "bob"],
        "slug": slugs,
    }
    return World(owner=owner, other=other, known={k: v for k, v in known.items() if v})


def operations(app: FastAPI, only: Iterable[str] | None = None) -> list[Any]:
    """The `/v5` and `/ext/v1` operations of the app's OpenAPI document, deletes last (optionally only the
    labels in `only`, e.g. "GET /v5/pins/{pin_id}")."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    found = [result.ok() for result in schema.get_all_operations()]
    found = [op for op in found if PREFIXES.match(op.path)]
    if only is not None:
        wanted = set(only)
        found = [op for op in found if op.label in wanted]
        assert {op.label for op in found} == wanted, wanted - {op.label for op in found}
    return sorted(found, key=lambda op: (op.method.upper() == "DELETE", op.path, op.method))


def _strategy(operation: Any) -> Any:
    positive = operation.as_strategy(GenerationMode.POSITIVE)
    try:
        return st.one_of(positive, operation.as_strategy(GenerationMode.NEGATIVE))
    except Exception:  # an operation with nothing to negate
        return positive


def fuzz(
    ctx: AppContext, app: FastAPI, world: World, ops: list[Any], *, examples: int, report: Report
) -> Report:
    counter = itertools.count()
    for operation in ops:
        report.operations += 1
        label = operation.label
        throwaway = (operation.method.upper(), operation.path) in THROWAWAY
        known = dict(world.known)
        if label == "PUT /ext/v1/users/{username}/role":
            known["username"] = ["bob"]  # never demote the fuzzing admin

        def headers_for(anonymous: bool, throwaway: bool = throwaway) -> dict[str, str]:
            if anonymous:
                return {}
            if throwaway:
                return make_account(ctx, f"fz{next(counter)}").headers
            return world.owner.headers

        _run_operation(operation, label, _strategy(operation), known, headers_for, examples, report)
    return report


def _run_operation(
    operation: Any,
    label: str,
    strategy: Any,
    known: dict[str, list[str]],
    headers_for: Callable[[bool], dict[str, str]],
    examples: int,
    report: Report,
) -> None:
    @hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(case=strategy, data=st.data())
    def run(case: Any, data: Any) -> None:
        for name in list(case.path_parameters or {}):
            if name in known and data.draw(st.integers(0, 3), label=f"real {name}") > 0:
                case.path_parameters[name] = data.draw(st.sampled_from(known[name]))
        anonymous = data.draw(st.integers(0, 4), label="anonymous") == 0
        headers = headers_for(anonymous)
        report.cases += 1
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # the app raised through the transport: a server error
            report.record(label, exc, case.as_curl_command(headers=headers))
            return
        report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (Exception, BaseExceptionGroup) as exc:  # a failed check (Failure / FailureGroup)
            report.record(label, exc, case.as_curl_command(headers=headers))

    try:
        run()
    except hypothesis.errors.Unsatisfiable:
        pass  # no case could be built: counted by report.cases staying where it was
