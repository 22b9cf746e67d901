"""Fixtures for OCR, topics and catalogs: the root settings with OCR on (its models load once per process)."""

from __future__ import annotations

import pytest

from pinhaven.config import Settings
from pinhaven.ocr.engine import is_installed


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(ocr_enabled=is_installed())
