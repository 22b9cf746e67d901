"""Replaying a durable consumer: repair (re-deliver, skip what was applied) or rebuild from nothing.

`replay(..., from_start=True)` forgets the consumer's derived state and its `stream_applied` rows in one
transaction, deletes its durable and consumes again from the stream's first sequence, so the state is
rebuilt from the events alone. For consumers whose state spans all time (counters, indexer, archive) that
is only lossless while the stream still holds every event ever published (its first sequence is 1) and
nothing the state covers predates the stream (no engagement event, resp. pin, older than its first event,
as when the bus was turned on later); otherwise it is refused unless `force` is given. Trending needs only
the last KEPT_HOURS.
Other processes running the same durable keep working: they resubscribe to the recreated durable and share
the re-delivered events (each is applied once, by `stream_applied`). The archive's files are deleted after
the reset commits; an archive consumer of another process writing in that instant loses its file, so stop
the workers' archive consumers (or accept that) when rebuilding the archive.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from nats.js.errors import NotFoundError
from sqlalchemy import delete, select

from pinhaven.context import AppContext
from pinhaven.db.engine import session_scope
from pinhaven.stream.bus import Bus
from pinhaven.stream.consumer import ConsumerRunner
from pinhaven.stream.consumers import RESET_NEEDS_FULL_RETENTION, DurableConsumer
from pinhaven.stream.models import StreamApplied

__all__ = ["ReplayRefused", "ReplayResult", "first_sequence", "older_history", "replay", "reset_state"]


class ReplayRefused(RuntimeError):
    """Rebuilding from nothing would lose state the stream no longer holds."""


@dataclass(frozen=True)
class ReplayResult:
    applied: int
    seconds: float
    first_sequence: int


def first_sequence(bus: Bus) -> int:
    """The stream's first retained sequence (1 while nothing has expired or been removed)."""

    async def info() -> int:
        return int((await bus.jetstream.stream_info(bus.stream)).state.first_seq or 1)

    return bus.call(info())


# A row's id is taken a little before its outbox row's (at insert vs at commit): rows up to this much older
# than the first retained event are taken to be in the stream. (A row written in the last seconds before the
# bus was turned on escapes the check: a restart takes longer than this.)
HISTORY_MARGIN = timedelta(seconds=5)


def older_history(ctx: AppContext, bus: Bus, consumer: DurableConsumer) -> str | None:
    """What the consumer's state holds that no retained event carries (written before the first retained
    event, e.g. before the bus was turned on, or imported with back-dated ids), or None."""
    from pinhaven.db.ids import id_time, new_id
    from pinhaven.events.models import EngagementEvent
    from pinhaven.pins.models import Pin
    from pinhaven.stream.consumer import decode

    source: Any = {"counters": EngagementEvent, "indexer": Pin}.get(consumer.name)
    if source is None:
        return None

    first = first_sequence(bus)  # (bus.call must not run inside a coroutine on the bus loop)

    async def first_message() -> bytes | None:
        try:
            return bytes((await bus.jetstream.get_msg(bus.stream, seq=first, next=True)).data or b"")
        except NotFoundError:
            return None

    data = bus.call(first_message())
    with ctx.read_sessions() as db:
        if data is None:  # an empty stream carries nothing
            older = db.scalar(select(source.id).limit(1))
        else:
            before = new_id(id_time(decode(data).id) - HISTORY_MARGIN)
            older = db.scalar(select(source.id).where(source.id < before).limit(1))
    if older is None:
        return None
    what = "engagement events" if source is EngagementEvent else "pins"
    return f"{what} older than the stream's first retained event exist (e.g. id {older})"


def reset_state(ctx: AppContext, consumer: DurableConsumer) -> None:
    """Forget the consumer's derived state and which events it applied, in one transaction."""
    after_commit: Callable[[], None] | None
    with session_scope(ctx.sessions) as db:
        after_commit = consumer.reset(ctx, db)
        db.execute(delete(StreamApplied).where(StreamApplied.consumer == consumer.name))
    if after_commit is not None:
        after_commit()


def replay(
    ctx: AppContext,
    bus: Bus,
    consumer: DurableConsumer,
    *,
    from_start: bool = False,
    force: bool = False,
    follow: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ReplayResult:
    """Re-deliver every retained event to `consumer` and apply it; returns once caught up (unless `follow`)."""
    from pinhaven.stream.service import consumer_lag

    first = first_sequence(bus)
    if from_start and RESET_NEEDS_FULL_RETENTION[consumer.name] and not force:
        if first > 1:
            raise ReplayRefused(
                f"the stream no longer holds its first events (first sequence {first}): rebuilding "
                f"{consumer.name} from nothing would lose what only they carried; use --force to do it anyway"
            )
        older = older_history(ctx, bus, consumer)
        if older is not None:
            raise ReplayRefused(
                f"{older}: rebuilding {consumer.name} from the stream alone would lose them; "
                "use --force to do it anyway"
            )
    if from_start:
        # State first, durable second: whatever another process applies in between is recorded in
        # stream_applied together with its effect, so the replay skips it and nothing counts twice.
        reset_state(ctx, consumer)
    runner = ConsumerRunner(ctx, bus, consumer, max_deliver=ctx.settings.event_consumer_max_deliver)
    runner.reset()
    started = time.monotonic()
    while True:
        applied = runner.run_once(timeout=2.0)
        lag = consumer_lag(bus, consumer.name) or {"pending": 0, "ack_pending": 0}
        if progress is not None:
            progress(runner.applied, lag["pending"])
        if not follow and applied == 0 and lag["pending"] == 0 and lag["ack_pending"] == 0:
            break
    return ReplayResult(applied=runner.applied, seconds=time.monotonic() - started, first_sequence=first)
