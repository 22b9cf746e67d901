"""Responses of /ext/v1/search: v5 objects in `{items, bookmark}` pages."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from pinhaven.pins.schemas import PinRead


class PinSearchPage(BaseModel):
    items: list[PinRead]
    bookmark: str | None
    total_estimate: int = Field(
        description="Matches the caller may see; counted up to a cap, so large totals are lower bounds."
    )
    corrected_query: str | None = Field(
        default=None,
        description="The spell-corrected query the results are for, when the original found nothing.",
    )
    mode: Literal["keyword", "hybrid"] = Field(
        description="hybrid: keyword and semantic (MiniLM) results fused by reciprocal rank."
    )
