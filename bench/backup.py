"""Backup and restore benchmark: `pinhaven backup` of a SQLite instance, a resumed (incremental) run, restore.

Builds an instance with `--pictures` distinct 800×600 pictures (their originals in the local media store;
variants not rendered) and `--pins` pins (inserted in bulk), then times: a full backup, a second run on the
same folder (everything already copied: the snapshot and the listing only), and a restore into a new folder
(checksums verified).

  .venv/bin/python bench/backup.py                        # 300 pictures, 10,000 pins
  .venv/bin/python bench/backup.py --pictures 1000
"""

from __future__ import annotations

import argparse
import io
import os
import random
import tempfile
import time
from pathlib import Path

from PIL import Image
from sqlalchemy import insert

from pinhaven.accounts import service as accounts_service
from pinhaven.backup.service import create_backup, restore_backup
from pinhaven.boards import service as boards_service
from pinhaven.config import load_settings
from pinhaven.context import build_context
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.db.ids import new_id
from pinhaven.media import service as media_service
from pinhaven.pins.models import Pin


def picture(n: int) -> bytes:
    rng = random.Random(n)
    image = Image.effect_noise((800, 600), 40 + n % 20).convert("RGB")
    image.putpixel((n % 800, 3), (rng.randrange(256), 0, 0))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pictures", type=int, default=300)
    parser.add_argument("--pins", type=int, default=10_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pinhaven-backup-bench-"))
    settings = load_settings(env={}, data_dir=tmp / "data", password_hash_fast=True, worker_threads=0)
    ctx = build_context(settings)
    store = media_service.media_store(ctx)
    with session_scope(ctx.sessions) as db:
        user = accounts_service.create(db=db, username="alice", email="a@example.test", password="pw-bench-1")
        board = boards_service.create(db=db, owner_id=user.id, name="Everything").id
        images = [
            media_service.ingest_bytes(db=db, store=store, settings=settings, data=picture(n)).id
            for n in range(args.pictures)
        ]
        user_id = user.id
    for start in range(0, args.pins, 1000):
        rows = [
            {
                "id": new_id(),
                "board_id": board,
                "creator_id": user_id,
                "image_id": images[n % len(images)],
                "title": f"Pin {n}",
                "creative_type": "REGULAR",
                "is_standard": True,
                "save_count": 0,
                "created_at": utcnow(),
            }
            for n in range(start, min(args.pins, start + 1000))
        ]
        with session_scope(ctx.sessions) as db:
            db.execute(insert(Pin), rows)
    ctx.engine.dispose()

    t0 = time.perf_counter()
    full = create_backup(settings, tmp / "backup")
    t1 = time.perf_counter()
    again = create_backup(settings, tmp / "backup")
    t2 = time.perf_counter()
    target = load_settings(env={}, data_dir=tmp / "restored", password_hash_fast=True)
    restored = restore_backup(tmp / "backup", target)
    t3 = time.perf_counter()
    total_mb = (full.media_bytes + full.database_bytes) / 1e6
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"instance: {args.pins} pins, {args.pictures} pictures, {full.media_copied} media files, "
        f"database {full.database_bytes / 1e6:.1f} MB, media {full.media_bytes / 1e6:.1f} MB"
    )
    print(f"full backup:      {t1 - t0:6.2f} s  ({total_mb / (t1 - t0):.0f} MB/s)")
    print(f"re-run (resume):  {t2 - t1:6.2f} s  ({again.media_copied} copied, {again.media_skipped} skipped)")
    print(f"restore (verify + copy): {t3 - t2:6.2f} s  ({restored.media} media files)")


if __name__ == "__main__":
    main()
