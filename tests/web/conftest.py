"""Fixtures for page tests: visitors with their own cookie jars."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from tests.web.helpers import WebClient


@pytest.fixture
def visitor(app: FastAPI) -> WebClient:
    return WebClient(app)


@pytest.fixture
def new_visitor(app: FastAPI) -> Callable[[], WebClient]:
    return lambda: WebClient(app)


@pytest.fixture
def ann(new_visitor: Callable[[], WebClient]) -> WebClient:
    client = new_visitor()
    client.signup("ann")
    return client


@pytest.fixture
def ben(new_visitor: Callable[[], WebClient]) -> WebClient:
    client = new_visitor()
    client.signup("ben")
    return client
