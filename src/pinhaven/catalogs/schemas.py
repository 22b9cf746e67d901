"""Request bodies of /v5/catalogs (Pinterest v5 shapes; unknown fields ignored, as v5 clients send extras).
Responses are plain dicts built in `present.py`."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pinhaven.text_rules import Line

ID = Annotated[str, Field(pattern=r"^\d{1,19}$")]
Format = Literal["CSV", "TSV", "XML"]
Availability = Literal["IN_STOCK", "OUT_OF_STOCK", "PREORDER"]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class CatalogCreate(_Body):
    name: Line = Field(min_length=1, max_length=200)
    catalog_type: Literal["RETAIL"] = "RETAIL"


class FeedCreate(_Body):
    name: Line = Field(min_length=1, max_length=200)
    format: Format
    location: str = Field(min_length=1, max_length=2048)
    catalog_type: Literal["RETAIL"] = "RETAIL"
    catalog_id: ID | None = None
    default_currency: Currency | None = None
    default_locale: Any = "en-US"
    default_country: str = Field(default="US", pattern=r"^[A-Z]{2}$")
    default_availability: Availability | None = None
    status: Literal["ACTIVE", "INACTIVE"] = "ACTIVE"


class FeedUpdate(_Body):
    name: Line | None = Field(default=None, min_length=1, max_length=200)
    format: Format | None = None
    location: str | None = Field(default=None, min_length=1, max_length=2048)
    catalog_type: Literal["RETAIL"] = "RETAIL"
    default_currency: Currency | None = None
    default_availability: Availability | None = None
    status: Literal["ACTIVE", "INACTIVE"] | None = None


class ProductGroupCreate(_Body):
    name: Line = Field(min_length=1, max_length=200)
    catalog_id: ID
    filters: dict[str, Any]
    description: str | None = Field(default=None, max_length=1000)
    catalog_type: Literal["RETAIL"] = "RETAIL"


class ProductGroupUpdate(_Body):
    name: Line | None = Field(default=None, min_length=1, max_length=200)
    filters: dict[str, Any] | None = None
    description: str | None = Field(default=None, max_length=1000)
