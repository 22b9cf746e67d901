"""The engagement archive: Parquet files partitioned by day, the training data for ranking work.

    <event_archive_dir or the media store>/events/date=YYYY-MM-DD/part-<first id>-<last id>.parquet

One file per consumer batch and day. A batch redelivered after its file was written but before the
consumer's commit writes the same rows again under a name of its own: readers de-duplicate by `id` (the
outbox id, unique per event).
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from pinhaven.context import AppContext
from pinhaven.stream.consumer import Event

__all__ = ["SCHEMA", "delete_archive", "read_archive", "write_events"]

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("event_id", pa.int64()),
        ("type", pa.string()),
        ("user_id", pa.int64()),
        ("pin_id", pa.int64()),
        ("surface", pa.string()),
        ("position", pa.int32()),
        ("request_id", pa.string()),
        ("at", pa.timestamp("ms", tz="UTC")),
        ("meta", pa.string()),
    ]
)


def _row(event: Event) -> dict[str, Any]:
    p = event.payload
    import json
    from datetime import datetime

    at = datetime.fromisoformat(p["at"]) if p.get("at") else event.at
    return {
        "id": event.id,
        "event_id": int(p["event_id"]) if p.get("event_id") else None,
        "type": event.type.removeprefix("engagement."),
        "user_id": int(p["user_id"]) if p.get("user_id") else None,
        "pin_id": int(p["pin_id"]),
        "surface": p.get("surface"),
        "position": int(p.get("position") or 0),
        "request_id": p.get("request_id"),
        "at": at,
        "meta": json.dumps(p["meta"]) if p.get("meta") else None,
    }


def write_events(ctx: AppContext, events: Sequence[Event]) -> list[str]:
    """Write the events as one Parquet file per day; the keys written."""
    by_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        row = _row(event)
        by_day[row["at"].date().isoformat()].append(row)
    keys = []
    for day, rows in sorted(by_day.items()):
        table = pa.Table.from_pylist(rows, schema=SCHEMA)
        key = f"events/date={day}/part-{rows[0]['id']}-{rows[-1]['id']}.parquet"
        _put(ctx, key, table)
        keys.append(key)
    return keys


def _put(ctx: AppContext, key: str, table: pa.Table) -> None:
    folder = ctx.settings.event_archive_dir
    if folder is not None:
        target = folder / key
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.tmp")
        pq.write_table(table, temp, compression="zstd")
        temp.replace(target)  # readers never see half a file
        return
    from pinhaven.media.service import media_store

    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "part.parquet"
        pq.write_table(table, path, compression="zstd")
        media_store(ctx).put_file(key, path)


def delete_archive(ctx: AppContext) -> int:
    """Delete every archived file (a replay from the start rewrites them); how many were deleted."""
    folder = ctx.settings.event_archive_dir
    if folder is not None:
        files = list(folder.glob("events/date=*/*.parquet"))
        for path in files:
            path.unlink(missing_ok=True)
        return len(files)
    from pinhaven.media.service import media_store

    store = media_store(ctx)
    keys = [obj.key for obj in store.iter_objects("events/")]
    return sum(store.delete(key) for key in keys)


def read_archive(folder: Path) -> pa.Table:
    """Every archived event under `folder` (tests, training jobs), duplicates removed by id."""
    files = sorted(folder.glob("events/date=*/part-*.parquet"))
    if not files:
        return SCHEMA.empty_table()
    table = pa.concat_tables([pq.read_table(f, schema=SCHEMA) for f in files])
    ids = table.column("id").to_pylist()
    keep, seen = [], set()
    for index, value in enumerate(ids):
        if value not in seen:
            seen.add(value)
            keep.append(index)
    return table.take(keep)
