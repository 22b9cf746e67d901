"""v5 response shapes of catalogs, feeds, processing results and items (checked by the generated client)."""

from __future__ import annotations

from typing import Any

from pinhaven.catalogs.models import Catalog, CatalogFeed, CatalogItem, CatalogProcessingResult
from pinhaven.timefmt import iso

# Keys of v5 `validation_details` (CatalogsFeedValidationErrors / ...Warnings) that feed checks produce.
V5_ERRORS = frozenset(
    {
        "fetch_error", "malformed_xml", "itemid_missing", "title_missing", "product_link_missing",
        "image_link_missing", "image_link_invalid", "link_format_invalid", "price_missing",
        "product_price_invalid", "availability_invalid", "duplicate_products",
    }
)  # fmt: skip
V5_WARNINGS = frozenset(
    {
        "title_length_too_long", "description_length_too_long", "product_type_length_too_long",
        "gtin_invalid", "mpn_invalid", "sales_price_invalid",
    }
)  # fmt: skip
V5_INGESTION_ERRORS = frozenset({"item_main_image_download_failure"})


def catalog(row: Catalog) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "name": row.name,
        "catalog_type": row.catalog_type,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "board_id": str(row.board_id) if row.board_id else None,  # Pinhaven: where its product pins live
    }


def feed(row: CatalogFeed) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "catalog_type": "RETAIL",
        "catalog_id": str(row.catalog_id),
        "name": row.name,
        "format": row.format,
        "location": row.location,
        "status": row.status,
        "default_currency": row.default_currency,
        "default_locale": row.default_locale,
        "default_country": row.default_country,
        "default_availability": row.default_availability,
        "credentials": None,
        "preferred_processing_schedule": None,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def processing_result(row: CatalogProcessingResult) -> dict[str, Any]:
    counts = row.counts or {}
    issues: dict[str, int] = counts.get("issues", {})
    errors: dict[str, int] = {}
    warnings: dict[str, int] = {}
    ingestion_errors: dict[str, int] = {}
    for key, n in issues.items():
        severity, _, code = key.partition(":")
        if code in V5_INGESTION_ERRORS:
            ingestion_errors[code] = ingestion_errors.get(code, 0) + n
        elif severity == "ERROR" and code in V5_ERRORS:
            errors[code] = n
        elif severity == "WARNING" and code in V5_WARNINGS:
            warnings[code] = n
    availability = counts.get("availability", {})
    return {
        "id": str(row.id),
        "status": row.status,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "product_counts": {"original": counts.get("original", 0), "ingested": counts.get("ingested", 0)},
        "ingestion_details": {
            "errors": ingestion_errors,
            "info": {
                "in_stock": availability.get("IN_STOCK", 0),
                "out_of_stock": availability.get("OUT_OF_STOCK", 0),
                "preorder": availability.get("PREORDER", 0),
            },
            "warnings": {},
        },
        "validation_details": {"errors": errors, "warnings": warnings},
    }


def item_attributes(row: CatalogItem) -> dict[str, Any]:
    gtin = int(row.gtin) if row.gtin and row.gtin.isdigit() else None
    return {
        "id": row.item_id,
        "title": row.title,
        "description": row.description or "",
        "link": row.link,
        "image_link": [row.image_link],
        "price": f"{row.price} {row.currency}",
        "sale_price": f"{row.sale_price} {row.currency}" if row.sale_price else None,
        "availability": row.availability.lower().replace("_", " "),
        "brand": row.brand,
        "gtin": gtin,
        "mpn": row.mpn,
        "product_type": row.product_type,
        "condition": row.condition,
    }


def product_metadata(row: CatalogItem) -> dict[str, Any]:
    """v5 CatalogsRetailProductMetadata."""
    return {
        "item_id": row.item_id,
        "item_group_id": None,
        "availability": row.availability,
        "price": float(row.price),
        "sale_price": float(row.sale_price) if row.sale_price else None,
        "currency": row.currency,
    }


def item(row: CatalogItem, pins: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {
        "catalog_type": "RETAIL",
        "item_id": row.item_id,
        "pins": pins,
        "attributes": item_attributes(row),
    }


def iso_now() -> str:
    from pinhaven.db.base import utcnow

    return iso(utcnow())


def product_group(row: Any) -> dict[str, Any]:
    """v5 CatalogsRetailProductGroup (timestamps are Unix seconds there)."""
    return {
        "catalog_type": "RETAIL",
        "id": str(row.id),
        "catalog_id": str(row.catalog_id),
        "feed_id": None,
        "name": row.name,
        "description": row.description,
        "filters": row.filters,
        "is_featured": False,
        "type": "MERCHANT_CREATED",
        "status": "ACTIVE",
        "created_at": int(row.created_at.timestamp()),
        "updated_at": int(row.updated_at.timestamp()),
        "country": None,
        "locale": None,
    }
