"""Catalogs: merchants' product feeds (CSV/TSV, Google Merchant RSS/XML) ingested into product pins (issue 17)."""
