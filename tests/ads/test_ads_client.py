"""The unmodified `pinterest-generated-client` 0.1.12 drives the ads API over real HTTP (uvicorn in a thread).

Every response, including list items the client leaves as plain dicts, goes through the client's own strict
model deserialiser.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_generated.pinterest_client import ApiClient, Configuration
from openapi_generated.pinterest_client.api.ad_accounts_api import AdAccountsApi
from openapi_generated.pinterest_client.api.ad_groups_api import AdGroupsApi
from openapi_generated.pinterest_client.api.ads_api import AdsApi
from openapi_generated.pinterest_client.api.campaigns_api import CampaignsApi
from openapi_generated.pinterest_client.exceptions import ForbiddenException, NotFoundException
from openapi_generated.pinterest_client.model.action_type import ActionType
from openapi_generated.pinterest_client.model.ad_account import AdAccount
from openapi_generated.pinterest_client.model.ad_account_create_request import AdAccountCreateRequest
from openapi_generated.pinterest_client.model.ad_create_request import AdCreateRequest
from openapi_generated.pinterest_client.model.ad_group_create_request import AdGroupCreateRequest
from openapi_generated.pinterest_client.model.ad_group_response import AdGroupResponse
from openapi_generated.pinterest_client.model.ad_response import AdResponse
from openapi_generated.pinterest_client.model.ad_update_request import AdUpdateRequest
from openapi_generated.pinterest_client.model.campaign_create_request import CampaignCreateRequest
from openapi_generated.pinterest_client.model.campaign_response import CampaignResponse
from openapi_generated.pinterest_client.model.campaign_update_request import CampaignUpdateRequest
from openapi_generated.pinterest_client.model.country import Country
from openapi_generated.pinterest_client.model.creative_type import CreativeType
from openapi_generated.pinterest_client.model.entity_status import EntityStatus
from openapi_generated.pinterest_client.model.objective_type import ObjectiveType
from openapi_generated.pinterest_client.model.targeting_spec import TargetingSpec
from openapi_generated.pinterest_client.model_utils import validate_and_convert_types
from tests.ads.helpers import board, pin
from tests.factories import Account, make_account

from pinhaven.context import AppContext


def _strict(item: dict[str, Any], model: type, cfg: Configuration) -> Any:
    return validate_and_convert_types(
        item, (model,), ["item"], spec_property_naming=True, _check_type=True, configuration=cfg
    )


def _all_pages(call: Any, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    page = call(*args, **kwargs)
    items = list(page["items"])
    while page.get("bookmark"):
        page = call(*args, bookmark=page["bookmark"], **kwargs)
        items += page["items"]
    return items


def test_advertiser_objects_with_the_official_client(
    live: str, client: TestClient, alice: Account, ctx: AppContext
) -> None:
    shop = board(client, alice)
    pin_ids = [pin(client, alice, shop, f"Lamp {i}", seed=i) for i in range(3)]
    cfg = Configuration(host=f"{live}/v5", access_token=alice.token)
    with ApiClient(cfg) as api:
        accounts, campaigns, groups, ads = (
            AdAccountsApi(api),
            CampaignsApi(api),
            AdGroupsApi(api),
            AdsApi(api),
        )
        account = accounts.ad_accounts_create(AdAccountCreateRequest(name="Lamps Ltd", country=Country("GB")))
        assert isinstance(account, AdAccount) and account.owner.username == "alice"
        assert accounts.ad_accounts_get(account.id).name == "Lamps Ltd"
        for item in _all_pages(accounts.ad_accounts_list, page_size=1):
            _strict(item, AdAccount, cfg)

        made = campaigns.campaigns_create(
            account.id,
            [
                CampaignCreateRequest(
                    ad_account_id=account.id,
                    name=f"Campaign {i}",
                    objective_type=ObjectiveType("CONSIDERATION"),
                    daily_spend_cap=5_000_000,
                    lifetime_spend_cap=50_000_000,
                )
                for i in range(5)
            ],
        )
        campaign_ids = [item.data.id for item in made.items]
        assert len(campaign_ids) == 5 and made.items[0].data.daily_spend_cap == 5_000_000

        listed = _all_pages(campaigns.campaigns_list, account.id, page_size=2)
        assert [c["id"] for c in listed] == campaign_ids
        for item in listed:
            _strict(item, CampaignResponse, cfg)

        paused = campaigns.campaigns_update(
            account.id, [CampaignUpdateRequest(id=campaign_ids[0], ad_account_id=account.id, status="PAUSED")]
        )
        assert paused.items[0].data.status == "PAUSED"
        assert paused.items[0].data.summary_status.value == "PAUSED"
        only_paused = campaigns.campaigns_list(account.id, entity_statuses=["PAUSED"])
        assert [c["id"] for c in only_paused["items"]] == [campaign_ids[0]]

        group = (
            groups.ad_groups_create(
                account.id,
                [
                    AdGroupCreateRequest(
                        name="Readers",
                        campaign_id=campaign_ids[1],
                        bid_in_micro_currency=1_500_000,
                        budget_in_micro_currency=3_000_000,
                        billable_event=ActionType("CLICKTHROUGH"),
                        targeting_spec=TargetingSpec(interest=["home-decor"]),
                    )
                ],
            )
            .items[0]
            .data
        )
        assert isinstance(group, AdGroupResponse) and group.bid_in_micro_currency == 1_500_000
        for item in _all_pages(groups.ad_groups_list, account.id, page_size=1):
            _strict(item, AdGroupResponse, cfg)

        created = ads.ads_create(
            account.id,
            [
                AdCreateRequest(ad_group_id=group.id, creative_type=CreativeType("REGULAR"), pin_id=p)
                for p in pin_ids
            ],
        )
        ad_ids = [item.data.id for item in created.items]
        assert [item.data.pin_id for item in created.items] == pin_ids
        listed_ads = _all_pages(ads.ads_list, account.id, page_size=2)
        assert [a["id"] for a in listed_ads] == ad_ids
        for item in listed_ads:
            _strict(item, AdResponse, cfg)
        archived = ads.ads_update(
            account.id, [AdUpdateRequest(id=ad_ids[2], status=EntityStatus("ARCHIVED"))]
        )
        assert archived.items[0].data.status.value == "ARCHIVED"
        assert ads.ads_get(account.id, ad_ids[2]).status.value == "ARCHIVED"

    # Someone else's token: the account does not exist for them.
    bob = make_account(ctx, "bob")
    with (
        ApiClient(Configuration(host=f"{live}/v5", access_token=bob.token)) as api,
        pytest.raises(NotFoundException),
    ):
        AdAccountsApi(api).ad_accounts_get(account.id)
    # A token without the ads scopes: 403.
    reader = make_account(ctx, "carol", scopes="pins:read boards:read")
    with (
        ApiClient(Configuration(host=f"{live}/v5", access_token=reader.token)) as api,
        pytest.raises(ForbiddenException),
    ):
        AdAccountsApi(api).ad_accounts_list()
