"""API helpers and generated pictures for the understanding tests."""

from __future__ import annotations

import base64
import io
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image, ImageDraw, ImageFont
from tests.factories import Account

from pinhaven.ocr.synthetic import font_files


def text_picture(
    lines: list[str],
    *,
    size: tuple[int, int] = (736, 920),
    font_size: int = 44,
    ground: tuple[int, int, int] = (248, 244, 236),
) -> bytes:
    """A PNG of dark words on a light ground (DejaVu when present, else Pillow's own font)."""
    image = Image.new("RGB", size, ground)
    ImageDraw.Draw(image).rectangle((0, size[1] * 2 // 3, size[0], size[1]), fill=(ground[2], ground[0], 120))
    fonts = font_files()
    font = ImageFont.truetype(fonts[0], font_size) if fonts else ImageFont.load_default(size=font_size)
    pen = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        pen.text((40, 200 + row * font_size * 2), line, font=font, fill=(25, 25, 25))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def board(client: TestClient, account: Account, name: str, privacy: str = "PUBLIC") -> str:
    response = client.post("/v5/boards", json={"name": name, "privacy": privacy}, headers=account.headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def pin(client: TestClient, account: Account, board_id: str, png: bytes, **fields: object) -> dict[str, Any]:
    source = {
        "source_type": "image_base64",
        "content_type": "image/png",
        "data": base64.b64encode(png).decode(),
    }
    response = client.post(
        "/v5/pins", json={"board_id": board_id, "media_source": source, **fields}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def search(client: TestClient, account: Account | None, q: str, **params: str) -> list[str]:
    headers = account.headers if account is not None else {}
    response = client.get("/ext/v1/search/pins", params={"q": q, **params}, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]
