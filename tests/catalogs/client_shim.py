"""The generated client's CatalogsApi as published (pinterest-generated-client 0.1.12), made importable.

Its `api/catalogs_api.py` imports `model.unknownbasetype.UNKNOWNBASETYPE` (a module the generator never wrote)
and types several oneOf request bodies (feeds create/update, product groups) as `UNKNOWN_BASE_TYPE`, a name it
never defines, so the module cannot be imported nor `CatalogsApi` built. `catalogs_api(client)` supplies those
two names and, for the two feed endpoints these tests call, puts the body model the same package generated
(`CatalogsFeedsCreateRequest` / `CatalogsFeedsUpdateRequest`) where the generator left the placeholder.
Nothing else changes: request building, HTTP and the strict response deserialisers are the package's own.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from openapi_generated.pinterest_client.model.catalogs_feeds_create_request import CatalogsFeedsCreateRequest
from openapi_generated.pinterest_client.model.catalogs_feeds_update_request import CatalogsFeedsUpdateRequest

_MISSING = "openapi_generated.pinterest_client.model.unknownbasetype"
if _MISSING not in sys.modules:
    _placeholder = types.ModuleType(_MISSING)
    _placeholder.UNKNOWNBASETYPE = object  # type: ignore[attr-defined]
    sys.modules[_MISSING] = _placeholder

from openapi_generated.pinterest_client.api import catalogs_api as _module  # noqa: E402

if not hasattr(_module, "UNKNOWN_BASE_TYPE"):
    _module.UNKNOWN_BASE_TYPE = object  # type: ignore[attr-defined]

__all__ = ["catalogs_api"]


def catalogs_api(client: Any) -> Any:
    api = _module.CatalogsApi(client)
    api.feeds_create_endpoint.openapi_types["unknown_base_type"] = (CatalogsFeedsCreateRequest,)
    api.feeds_update_endpoint.openapi_types["unknown_base_type"] = (CatalogsFeedsUpdateRequest,)
    return api
