"""A small form-filling client over TestClient: reads the CSRF token from each page like a browser."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.factories import image_bytes

Response = Any  # TestClient's response type (httpx or httpx2, depending on the Starlette version)

META_CSRF = re.compile(r'<meta name="csrf-token" content="([0-9a-f]+)">')
HTML = {"Accept": "text/html,application/xhtml+xml"}
PASSWORD = "correct horse battery"


class WebClient:
    """One visitor with their own cookie jar."""

    def __init__(self, app: FastAPI) -> None:
        self.http = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
        self.token = ""

    def get(self, path: str, **kwargs: Any) -> Response:
        response = self.http.get(path, headers={**HTML, **kwargs.pop("headers", {})}, **kwargs)
        found = META_CSRF.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    def csrf(self) -> str:
        if not self.token:
            self.get("/")
        return self.token

    def post(
        self, path: str, data: dict[str, Any] | None = None, *, csrf: bool = True, **kwargs: Any
    ) -> Response:
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.csrf()
        response = self.http.post(path, data=form, headers={**HTML, **kwargs.pop("headers", {})}, **kwargs)
        found = META_CSRF.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    def api(self, path: str, *, data: dict[str, Any] | None = None, files: Any = None) -> Response:
        """A fetch() from page JavaScript: CSRF header, JSON accepted."""
        headers = {"X-CSRF-Token": self.csrf(), "Accept": "application/json"}
        return self.http.post(path, data=data or {}, files=files, headers=headers)

    def signup(self, username: str, password: str = PASSWORD) -> Response:
        self.get("/signup")
        response = self.post(
            "/signup", {"username": username, "email": f"{username}@example.test", "password": password}
        )
        assert response.status_code == 303, response.text
        self.get("/")
        return response

    def login(self, username: str, password: str = PASSWORD) -> Response:
        self.get("/login")
        response = self.post("/login", {"login": username, "password": password})
        assert response.status_code == 303, response.text
        self.get("/")
        return response

    def create_board(self, name: str, *, secret: bool = False) -> str:
        data = {"name": name, **({"secret": "1"} if secret else {})}
        response = self.post("/boards", data)
        assert response.status_code == 303, response.text
        return response.headers["location"].rsplit("/", 1)[1]

    def upload(self, board_id: str, seed: int = 0, **fields: str) -> dict[str, Any]:
        files = {"file": (f"image{seed}.jpg", image_bytes(seed=seed), "image/jpeg")}
        response = self.api("/web/api/pins", data={"board_id": board_id, **fields}, files=files)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


def pin_ids(html: str) -> list[str]:
    """Pin ids of the cards on a page, in order."""
    return re.findall(r'<a class="pin-link" href="/pin/(\d+)"', html)
