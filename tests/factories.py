"""Factories for test data: accounts with tokens, boards, pins with generated images."""

from __future__ import annotations

import base64
import io
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw

from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.models import User
from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope


@dataclass
class Account:
    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_account(ctx: AppContext, username: str, *, scopes: str | None = None) -> Account:
    from pinhaven.accounts.scopes import ALL_SCOPES

    with session_scope(ctx.sessions) as db:
        user = accounts_service.create(
            db=db, username=username, email=f"{username}@example.test", password="correct horse battery"
        )
        _, token = accounts_service.create_token(db=db, user=user, name="test", scopes=scopes or ALL_SCOPES)
    return Account(user=user, token=token)


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (640, 480), seed: int = 0) -> bytes:
    """A small, distinct generated image (a gradient with shapes), encoded as `fmt`."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x0, y0 = rng.randrange(size[0]), rng.randrange(size[1])
        x1, y1 = x0 + rng.randrange(20, size[0] // 2 + 21), y0 + rng.randrange(20, size[1] // 2 + 21)
        draw.ellipse((x0, y0, x1, y1), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def image_b64(fmt: str = "JPEG", size: tuple[int, int] = (640, 480), seed: int = 0) -> str:
    return base64.b64encode(image_bytes(fmt, size, seed)).decode()


def media_source(fmt: str = "JPEG", seed: int = 0, size: tuple[int, int] = (640, 480)) -> dict[str, str]:
    content_type = "image/png" if fmt == "PNG" else "image/jpeg"
    return {"source_type": "image_base64", "content_type": content_type, "data": image_b64(fmt, size, seed)}
