"""Settings → Account: the export offer, deactivation (undone by logging in) and deletion with the password."""

from __future__ import annotations

from fastapi import FastAPI
from tests.web.helpers import PASSWORD, WebClient

from pinhaven.context import AppContext
from pinhaven.jobs.worker import drain


def test_account_page_offers_an_export_first(ann: WebClient) -> None:
    page = ann.get("/settings/account")
    assert page.status_code == 200
    assert 'href="/settings/export"' in page.text and "data-delete" in page.text
    assert page.text.index("Keep a copy") < page.text.index("Delete for good")


def test_deactivate_from_the_page_then_log_in_again(app: FastAPI, ann: WebClient, visitor: WebClient) -> None:
    board = ann.create_board("Ferns")
    ann.upload(board, seed=3, title="Fern")
    assert visitor.get("/u/ann").status_code == 200
    closed = ann.post("/settings/account/deactivate")
    assert closed.status_code == 200 and 'data-account-closed="deactivated"' in closed.text
    assert ann.get("/settings/account").status_code in (303, 401)  # logged out
    assert visitor.get("/u/ann").status_code == 404
    assert visitor.get(f"/board/{board}").status_code == 404
    ann.login("ann")
    assert visitor.get("/u/ann").status_code == 200


def test_delete_from_the_page_needs_password_and_confirmation(
    app: FastAPI, ctx: AppContext, ann: WebClient, visitor: WebClient
) -> None:
    ann.upload(ann.create_board("Ferns"), seed=4, title="Fern")
    unconfirmed = ann.post("/settings/account/delete", {"password": PASSWORD})
    assert unconfirmed.status_code == 400 and "tick the box" in unconfirmed.text
    wrong = ann.post("/settings/account/delete", {"password": "wrong password", "confirm": "yes"})
    assert wrong.status_code == 403 and "not correct" in wrong.text
    done = ann.post("/settings/account/delete", {"password": PASSWORD, "confirm": "yes"})
    assert done.status_code == 200 and 'data-account-closed="deleted"' in done.text
    assert visitor.get("/u/ann").status_code == 404
    again = WebClient(app)
    again.get("/login")
    assert again.post("/login", {"login": "ann", "password": PASSWORD}).status_code == 400
    drain(ctx)
    signup = WebClient(app)
    signup.signup("ann")  # the name is free once erased
