"""Names on the bus: one JetStream stream per instance, one subject per event type.

    stream   PINHAVEN_<INSTANCE>          subjects pinhaven.<instance>.<type>   e.g. pinhaven.main.pin.created
    stream   PINHAVEN_<INSTANCE>_DLQ      subjects pinhaven-dlq.<instance>.<consumer>   (dead letters)

Several Pinhaven instances can share one NATS server by using different instance names.
"""

from __future__ import annotations

import re

__all__ = ["dlq_stream", "dlq_subject", "event_subject", "instance_name", "stream_name", "stream_subjects"]

_INSTANCE_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")


def instance_name(value: str) -> str:
    """A valid instance name (subject token), or ValueError."""
    value = value.strip().lower()
    if not _INSTANCE_RE.match(value):
        raise ValueError("expected 1-48 characters of a-z, 0-9, _ and -")
    return value


def stream_name(instance: str) -> str:
    return "PINHAVEN_" + instance.upper().replace("-", "_")


def dlq_stream(instance: str) -> str:
    return stream_name(instance) + "_DLQ"


def stream_subjects(instance: str) -> str:
    return f"pinhaven.{instance}.>"


def event_subject(instance: str, event_type: str) -> str:
    return f"pinhaven.{instance}.{event_type}"


def dlq_subject(instance: str, consumer: str) -> str:
    return f"pinhaven-dlq.{instance}.{consumer}"
