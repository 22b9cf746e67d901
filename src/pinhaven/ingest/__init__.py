"""Bringing the web in safely: the SSRF-guarded fetcher, link hygiene and page scraping.

    fetch(url, settings=...)            → FetchResult     the only way Pinhaven reads a URL (fetch.py)
    check_url(url, settings=...)        → canonical URL   validate + resolve without fetching
    normalize_link(url, drop_params=…)  → str             one spelling per link, trackers removed (urls.py)
    source_domain(url)                  → str             host without "www."
    scrape_page(html, base_url=...)     → PageInfo        title, description, canonical, images, offer (scrape.py)
    looks_like_image(content_type, body) → bool           a direct image, by its magic bytes

Errors are `FetchError` / `BlockedAddress` (both `InvalidInput`, 400) and `InvalidInput(field="link")`.
"""

from pinhaven.ingest.fetch import BlockedAddress, FetchError, FetchResult, check_url, fetch
from pinhaven.ingest.jsonld import Offer
from pinhaven.ingest.scrape import ImageCandidate, PageInfo, looks_like_image, scrape_page, sniff_image_type
from pinhaven.ingest.urls import normalize_link, source_domain

__all__ = [
    "BlockedAddress",
    "FetchError",
    "FetchResult",
    "ImageCandidate",
    "Offer",
    "PageInfo",
    "check_url",
    "fetch",
    "looks_like_image",
    "normalize_link",
    "scrape_page",
    "sniff_image_type",
    "source_domain",
]
