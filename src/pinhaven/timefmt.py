"""Timestamps on the wire: `YYYY-MM-DDTHH:MM:SS+00:00`, the form every v5 client parses."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()
