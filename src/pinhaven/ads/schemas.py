"""Request bodies of the ads API (Pinterest v5 shapes). Money is `StrictInt` micro-currency: `1.5` or "100"
is refused, never rounded. Responses are plain dicts built in `present.py` (v5 field names, numeric-string ids).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from pinhaven.text_rules import Line

ID = Annotated[str, Field(pattern=r"^\d{1,19}$")]
Micros = Annotated[StrictInt, Field(ge=0, le=10**15)]
UnixTime = Annotated[StrictInt, Field(ge=0, le=4102444800)]
Status = Literal["ACTIVE", "PAUSED", "ARCHIVED"]
Objective = Literal["AWARENESS", "CONSIDERATION", "WEB_CONVERSION"]
BillableEvent = Literal["CLICKTHROUGH", "IMPRESSION"]
MAX_BULK = 30


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class AdAccountCreate(_Body):
    name: Line = Field(min_length=1, max_length=255)
    country: str = Field(default="US", pattern=r"^[A-Z]{2}$")
    owner_user_id: ID | None = None
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")  # Pinhaven addition (v5 derives it)


class CampaignCreate(_Body):
    ad_account_id: ID | None = None
    name: Line = Field(min_length=1, max_length=255)
    objective_type: Objective
    status: Status = "ACTIVE"
    daily_spend_cap: Micros | None = None
    lifetime_spend_cap: Micros | None = None
    start_time: UnixTime | None = None
    end_time: UnixTime | None = None


class CampaignUpdate(_Body):
    id: ID
    ad_account_id: ID | None = None
    name: Line | None = Field(default=None, min_length=1, max_length=255)
    objective_type: Objective | None = None
    status: Status | None = None
    daily_spend_cap: Micros | None = None
    lifetime_spend_cap: Micros | None = None
    start_time: UnixTime | None = None
    end_time: UnixTime | None = None


TargetingSpec = dict[Annotated[str, Field(max_length=32)], Annotated[list[Line], Field(max_length=200)]]


class AdGroupCreate(_Body):
    campaign_id: ID
    name: Line = Field(min_length=1, max_length=255)
    status: Status = "ACTIVE"
    budget_in_micro_currency: Micros | None = None
    bid_in_micro_currency: Micros | None = None
    budget_type: Literal["DAILY", "LIFETIME"] = "DAILY"
    billable_event: BillableEvent = "CLICKTHROUGH"
    targeting_spec: TargetingSpec | None = None
    lifetime_frequency_cap: Annotated[StrictInt, Field(ge=0, le=1000)] = 0
    placement_group: Literal["ALL", "SEARCH", "BROWSE", "OTHER"] = "ALL"
    start_time: UnixTime | None = None
    end_time: UnixTime | None = None


class AdGroupUpdate(_Body):
    id: ID
    campaign_id: ID | None = None
    name: Line | None = Field(default=None, min_length=1, max_length=255)
    status: Status | None = None
    budget_in_micro_currency: Micros | None = None
    bid_in_micro_currency: Micros | None = None
    budget_type: Literal["DAILY", "LIFETIME"] | None = None
    billable_event: BillableEvent | None = None
    targeting_spec: TargetingSpec | None = None
    lifetime_frequency_cap: Annotated[StrictInt, Field(ge=0, le=1000)] | None = None
    placement_group: Literal["ALL", "SEARCH", "BROWSE", "OTHER"] | None = None
    start_time: UnixTime | None = None
    end_time: UnixTime | None = None


class AdCreate(_Body):
    ad_group_id: ID
    pin_id: ID
    creative_type: Literal["REGULAR"] = "REGULAR"
    destination_url: Line | None = Field(default=None, max_length=2048, pattern=r"^https?://")
    name: Line | None = Field(default=None, max_length=255)
    status: Status = "ACTIVE"


class AdUpdate(_Body):
    id: ID
    destination_url: Line | None = Field(default=None, max_length=2048, pattern=r"^https?://")
    name: Line | None = Field(default=None, max_length=255)
    status: Status | None = None


class ConversionUserData(_Body):
    em: list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = Field(default_factory=list, max_length=10)
    external_id: list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = Field(
        default_factory=list, max_length=10
    )
    hashed_maids: list[Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]] = Field(
        default_factory=list, max_length=10
    )
    click_id: str | None = Field(default=None, max_length=512)
    client_ip_address: str | None = Field(default=None, max_length=64)
    client_user_agent: str | None = Field(default=None, max_length=1024)


class ConversionCustomData(_Body):
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    value: str | None = Field(default=None, pattern=r"^\d{1,12}(\.\d{1,6})?$")
    order_id: str | None = Field(default=None, max_length=128)


class ConversionEvent(_Body):
    event_name: Literal[
        "checkout",
        "add_to_cart",
        "page_visit",
        "signup",
        "lead",
        "custom",
        "search",
        "view_category",
        "watch_video",
    ]
    action_source: Literal["app_android", "app_ios", "web", "offline"]
    event_time: Annotated[StrictInt, Field(ge=0, le=4102444800)]
    event_id: str = Field(min_length=1, max_length=128)
    user_data: ConversionUserData
    custom_data: ConversionCustomData | None = None
    event_source_url: str | None = Field(default=None, max_length=2048)
    opt_out: bool = False


class ConversionEvents(_Body):
    data: list[ConversionEvent] = Field(min_length=1, max_length=1000)
