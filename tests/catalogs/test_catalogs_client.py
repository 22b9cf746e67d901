"""The unmodified `pinterest-generated-client` 0.1.12 drives /v5/catalogs over real HTTP; every response,
including list items the client leaves as plain dicts, goes through the client's strict model deserialiser.
The published catalogs module lacks two generated names; see client_shim.py."""

from __future__ import annotations

from typing import Any

import httpx
from openapi_generated.pinterest_client import ApiClient, Configuration
from openapi_generated.pinterest_client.exceptions import ForbiddenException, NotFoundException
from openapi_generated.pinterest_client.model.catalog import Catalog
from openapi_generated.pinterest_client.model.catalogs_feed import CatalogsFeed
from openapi_generated.pinterest_client.model.catalogs_feed_processing_result import (
    CatalogsFeedProcessingResult,
)
from openapi_generated.pinterest_client.model.catalogs_feeds_create_request import CatalogsFeedsCreateRequest
from openapi_generated.pinterest_client.model.catalogs_feeds_update_request import CatalogsFeedsUpdateRequest
from openapi_generated.pinterest_client.model.catalogs_format import CatalogsFormat
from openapi_generated.pinterest_client.model.catalogs_items import CatalogsItems
from openapi_generated.pinterest_client.model.catalogs_retail_feed import CatalogsRetailFeed
from openapi_generated.pinterest_client.model.catalogs_retail_product import CatalogsRetailProduct
from openapi_generated.pinterest_client.model.catalogs_retail_product_group import CatalogsRetailProductGroup
from openapi_generated.pinterest_client.model.catalogs_status import CatalogsStatus
from openapi_generated.pinterest_client.model.country import Country
from openapi_generated.pinterest_client.model.item_attributes import ItemAttributes
from openapi_generated.pinterest_client.model.nullable_currency import NullableCurrency
from openapi_generated.pinterest_client.model.pin import Pin
from openapi_generated.pinterest_client.model_utils import validate_and_convert_types
from tests.catalogs.client_shim import catalogs_api
from tests.catalogs.shop import Shop
from tests.factories import Account, make_account

from pinhaven.context import AppContext
from pinhaven.jobs.worker import drain


def _strict(item: dict[str, Any], model: type, cfg: Configuration) -> Any:
    return validate_and_convert_types(
        item, (model,), ["item"], spec_property_naming=True, _check_type=True, configuration=cfg
    )


FEED = (
    "id,title,link,image_link,price,availability,brand,mpn\n"
    "C1,Linen shirt,https://shop.test/c1,{base}/img/C1.jpg,39.00 USD,in stock,Loom,SH-1\n"
    "C2,Wool scarf,https://shop.test/c2,{base}/img/C2.jpg,25.00 USD,out of stock,Loom,SC-2\n"
    "C3,Broken,https://shop.test/c3,{base}/img/C3.jpg,,in stock,Loom,\n"
)


def test_catalogs_with_the_official_client(live: str, ctx: AppContext, shop: Shop, alice: Account) -> None:
    location = shop.put("/catalog.csv", FEED.replace("{base}", shop.base))
    cfg = Configuration(host=f"{live}/v5", access_token=alice.token)
    with ApiClient(cfg) as client:
        api = catalogs_api(client)
        feed = api.feeds_create(
            CatalogsFeedsCreateRequest(
                name="Loom feed",
                format=CatalogsFormat("CSV"),
                default_locale="en-US",
                location=location,
                default_country=Country("US"),
                default_currency=NullableCurrency("USD"),
            ),
        )
        # v5 creates a retail catalog with its first feed (its POST /catalogs takes HOTEL catalogs only).
        (catalog,) = [_strict(c, Catalog, cfg) for c in api.catalogs_list()["items"]]
        assert catalog.name == "Loom feed" and str(catalog.catalog_type) == "RETAIL"
        # The client resolves the CatalogsFeed oneOf by catalog_type.
        assert (
            isinstance(feed, CatalogsRetailFeed)
            and feed.catalog_id == catalog.id
            and feed.location == location
        )
        assert drain(ctx, kinds=["catalogs.sync_feed"]) == 1
        fetched = api.feeds_get(feed.id)
        assert fetched.name == "Loom feed" and str(fetched.status) == "ACTIVE"
        feeds = api.feeds_list()
        assert [_strict(f, CatalogsFeed, cfg).id for f in feeds["items"]] == [feed.id]

        results = api.feed_processing_results_list(feed.id)
        (result,) = [_strict(r, CatalogsFeedProcessingResult, cfg) for r in results["items"]]
        assert str(result.status) == "COMPLETED"
        assert (result.product_counts.original, result.product_counts.ingested) == (3, 2)
        assert result.validation_details.errors.price_missing == 1
        assert (result.ingestion_details.info.in_stock, result.ingestion_details.info.out_of_stock) == (1, 1)

        items = api.items_get("US", "EN", item_ids=["C1", "C2", "C3"])
        assert isinstance(items, CatalogsItems)
        by_id = {i.item_id: i for i in items["items"]}
        assert set(by_id) == {"C1", "C2"}
        # The package's ItemResponse discriminator maps RETAIL to its error-response class, which leaves
        # `attributes` and `pins` as extra properties: they go through the strict deserialiser here.
        attributes = _strict(by_id["C1"].attributes, ItemAttributes, cfg)
        assert (attributes.price, attributes.brand, attributes.availability) == (
            "39.00 USD",
            "Loom",
            "in stock",
        )
        (pin,) = [_strict(p, Pin, cfg) for p in by_id["C1"].pins]
        assert pin.title == "Linen shirt" and pin.link == "https://shop.test/c1"
        assert _strict(by_id["C2"].attributes, ItemAttributes, cfg).availability == "out of stock"

        # Product groups: created over plain HTTP (the package's create body is the UNKNOWN_BASE_TYPE placeholder),
        # then read with the client: typed get, strict list items, counts and products.
        filters = {
            "all_of": [{"BRAND": {"values": ["Loom"]}}, {"MAX_PRICE": {"values": 30.0, "inclusion": True}}]
        }
        made = httpx.post(
            f"{live}/v5/catalogs/product_groups",
            json={"name": "Cheap Loom", "catalog_id": catalog.id, "filters": filters},
            headers={"Authorization": f"Bearer {alice.token}"},
        )
        assert made.status_code == 201, made.text
        group = api.catalogs_product_groups_get(made.json()["id"])
        assert isinstance(group, CatalogsRetailProductGroup) and group.name == "Cheap Loom"
        listed_groups = api.catalogs_product_groups_list(catalog_id=catalog.id)
        assert [_strict(g, CatalogsRetailProductGroup, cfg).id for g in listed_groups["items"]] == [group.id]
        counts = api.catalogs_product_groups_product_counts_get(group.id)
        assert (counts.total, counts.out_of_stock) == (1, 1)
        (product,) = api.catalogs_product_group_pins_list(group.id)["items"]
        strict_product = _strict(product, CatalogsRetailProduct, cfg)
        assert strict_product.metadata.item_id == "C2" and strict_product.metadata.price == 25.0
        assert strict_product.pin.title == "Wool scarf"

        updated = api.feeds_update(
            feed.id,
            CatalogsFeedsUpdateRequest(name="Loom (main)", status=CatalogsStatus("INACTIVE")),
        )
        assert updated.name == "Loom (main)" and str(updated.status) == "INACTIVE"
        api.feeds_delete(feed.id)
        try:
            api.feeds_get(feed.id)
            raise AssertionError("a deleted feed was still found")
        except NotFoundException:
            pass


def test_catalog_scopes(live: str, ctx: AppContext) -> None:
    reader = make_account(ctx, "reader", scopes="pins:read,boards:read,user_accounts:read")
    cfg = Configuration(host=f"{live}/v5", access_token=reader.token)
    with ApiClient(cfg) as client:
        try:
            catalogs_api(client).catalogs_list()
            raise AssertionError("catalogs were listed without catalogs:read")
        except ForbiddenException:
            pass
