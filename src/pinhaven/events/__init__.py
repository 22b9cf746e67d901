"""Engagement events: the append-only log, per-pin counters, hides, and the /ext/v1/events API."""
