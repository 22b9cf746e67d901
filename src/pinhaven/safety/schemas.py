"""Response shapes of the safety domain."""

from __future__ import annotations

from pydantic import BaseModel


class UsageRead(BaseModel):
    """Your uploads today and the storage your pictures take, with this instance's limits (0: no limit)."""

    day: str
    uploads_today: int
    upload_limit: int
    bytes_today: int
    bytes_limit: int
    storage_bytes: int
    storage_limit: int
    api_rate_per_minute: int
