"""Account erasure benchmark: how long the `accounts.erase` job takes for an account with many pins.

Builds an account with `--pins` pins on 10 boards showing `--images` distinct pictures
(each with its original and two variants in the media store), text-indexed; a second account saves `--saves`
of them (those pictures must survive) and follows the first. Then it requests the deletion (the request's
own transaction is timed: what the person waits for) and runs the erasure job in this process (timed).

  .venv/bin/python bench/erasure.py                       # SQLite in a temp dir, 10,000 pins
  .venv/bin/python bench/erasure.py --pins 2000 --images 200
  .venv/bin/python bench/erasure.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

from PIL import Image
from sqlalchemy import func, insert, select, update

from pinhaven.accounts import erasure, lifecycle
from pinhaven.accounts import service as accounts_service
from pinhaven.accounts.scopes import session_viewer
from pinhaven.boards import service as boards_service
from pinhaven.boards.models import Board
from pinhaven.config import load_settings
from pinhaven.context import build_context
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import new_id
from pinhaven.jobs import worker
from pinhaven.media import service as media_service
from pinhaven.pins import service as pins_service
from pinhaven.pins.models import Pin
from pinhaven.search.text.documents import reindex_all


def picture(n: int) -> bytes:
    image = Image.new("RGB", (96, 72), ((n * 37) % 256, (n * 91) % 256, (n * 53) % 256))
    image.putpixel((n % 96, (n // 96) % 72), (255 - (n % 256), n % 256, 7))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pins", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--saves", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pinhaven-erasure-"))
    settings = load_settings(
        env={},
        data_dir=tmp / "data",
        database_url=args.database_url or f"sqlite:///{tmp / 'pinhaven.db'}",
        password_hash_fast=True,
        worker_threads=0,
        semantic_search=False,
        secret_key="bench-secret",
    )
    ctx = build_context(settings)
    store = media_service.media_store(ctx)
    t0 = time.perf_counter()
    with session_scope(ctx.sessions) as db:
        alice = accounts_service.create(
            db=db, username="alice", email="a@example.test", password="pw-bench-1"
        )
        bob = accounts_service.create(db=db, username="bob", email="b@example.test", password="pw-bench-1")
        alice_id, bob_id = alice.id, bob.id
        boards = [boards_service.create(db=db, owner_id=alice_id, name=f"Board {i}").id for i in range(10)]
        bobs_board = boards_service.create(db=db, owner_id=bob_id, name="Saved").id
        image_ids = []
        for n in range(args.images):
            image = media_service.ingest_bytes(db=db, store=store, settings=settings, data=picture(n))
            image_ids.append(image.id)
    # The pins are inserted in bulk (rows as `pins.service.create` writes them; the text index is built in
    # bulk below): creating 10,000 one by one through the service takes minutes on a busy 2-core box.
    pin_ids: list[int] = []
    for start in range(0, args.pins, 1000):
        rows = []
        for n in range(start, min(args.pins, start + 1000)):
            pin_id = new_id()
            pin_ids.append(pin_id)
            rows.append(
                {
                    "id": pin_id,
                    "board_id": boards[n % 10],
                    "creator_id": alice_id,
                    "image_id": image_ids[n % len(image_ids)],
                    "title": f"Garden idea {n}",
                    "description": "zinnia and fern",
                    "creative_type": "REGULAR",
                    "is_standard": True,
                    "save_count": 0,
                    "created_at": utcnow(),
                }
            )
        with session_scope(ctx.sessions) as db:
            db.execute(insert(Pin), rows)
    with session_scope(ctx.sessions) as db:
        for board_id in boards:
            count = db.scalar(select(func.count()).select_from(Pin).where(Pin.board_id == board_id))
            db.execute(update(Board).where(Board.id == board_id).values(pin_count=count))
    with session_scope(ctx.sessions) as db:
        bob_viewer = session_viewer(bob_id)
        for pin_id in pin_ids[: args.saves]:
            pins_service.save(db=db, viewer=bob_viewer, pin_id=pin_id, board_id=bobs_board, section_id=None)
    ran = worker.drain(ctx, kinds=["media.process", "visual.embed_image"])  # variants, visual index
    with session_scope(ctx.sessions) as db:
        indexed = reindex_all(db=db)  # the text index in bulk (the queued per-pin jobs stay queued)
    files_before = sum(1 for _ in store.iter_objects())
    build = time.perf_counter() - t0

    with session_scope(ctx.sessions) as db:
        user = accounts_service.get_or_raise(db=db, user_id=alice_id)
        t1 = time.perf_counter()
        deletion = lifecycle.request_deletion(
            db=db, user=user, password="pw-bench-1", secret_key="bench-secret"
        )
        deletion_id = deletion.id
    request_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    counts = erasure.erase(ctx, deletion_id)
    erase_s = time.perf_counter() - t2
    with session_scope(ctx.read_sessions) as db:
        left = db.scalar(select(func.count()).select_from(Pin).where(Pin.creator_id == alice_id))
        bob_pins = db.scalar(select(func.count()).select_from(Pin).where(Pin.creator_id == bob_id))
    files_after = sum(1 for _ in store.iter_objects())
    load = os.getloadavg()
    print(f"database: {ctx.engine.dialect.name}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"built {args.pins} pins / {args.images} pictures / {args.saves} saves in {build:.1f} s "
        f"({ran} image jobs, {indexed} documents indexed)"
    )
    print(f"deletion request (hide + revoke + queue): {request_s * 1000:.0f} ms")
    print(f"erasure job: {erase_s:.2f} s  ({args.pins / erase_s:.0f} pins/s)")
    print(f"counts: {counts}")
    print(f"media files {files_before} -> {files_after}; pins left by alice {left}; bob's pins {bob_pins}")


if __name__ == "__main__":
    main()
