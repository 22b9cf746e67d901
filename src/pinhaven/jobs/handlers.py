"""Which function runs each job kind. Handlers live in their owning domain and are imported on first use.

A handler is `handler(ctx: AppContext, payload: dict) -> None`. It opens its own sessions, re-fetches what the
payload's ids name, and must be idempotent: a job whose worker died is run again (at-least-once delivery).
Raise `pinhaven.jobs.queue.PermanentFailure` when retrying cannot help (the job goes straight to `dead`).

Extra kinds (tests, plugins) come from `register(kind, handler)` or from the environment variable
`PINHAVEN_EXTRA_JOB_HANDLERS="kind=module:function,other.kind=module:function"`, which worker processes
started with `pinhaven worker` read too.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Callable
from typing import Any, cast

from pinhaven.context import AppContext

__all__ = [
    "EXTRA_HANDLERS_ENV",
    "Handler",
    "UnknownJobKind",
    "known_kinds",
    "register",
    "resolve",
    "unregister",
]

Handler = Callable[[AppContext, dict[str, Any]], None]

EXTRA_HANDLERS_ENV = "PINHAVEN_EXTRA_JOB_HANDLERS"

# kind → "module:function", imported lazily so a worker only loads the domains it runs.
BUILTIN: dict[str, str] = {
    "media.process": "pinhaven.media.handlers:process_image",
    "search.index_pin": "pinhaven.search.text.handlers:index_pin",
    "search.index_board": "pinhaven.search.text.handlers:index_board",
    "search.embed_pin": "pinhaven.search.text.handlers:embed_pin",
    "ingest.import": "pinhaven.ingest.runs:run_job",
    "ingest.export": "pinhaven.ingest.exports:run_export_job",
    "ingest.learn_url_rules": "pinhaven.ingest.url_learning:learn_job",
    "visual.embed_image": "pinhaven.search.visual.handlers:embed_image_job",
    "visual.refit": "pinhaven.search.visual.handlers:refit_job",
    "ranking.train": "pinhaven.ranking.jobs:train_job",
    "ocr.read_image": "pinhaven.ocr.handlers:read_image_job",
    "topics.assign_pin": "pinhaven.topics.handlers:assign_pin_job",
    "catalogs.sync_feed": "pinhaven.catalogs.jobs:sync_feed_job",
    "catalogs.sync_due": "pinhaven.catalogs.jobs:sync_due_job",
    "moderation.scan_pin": "pinhaven.moderation.jobs:scan_pin_job",
    "moderation.scan_image": "pinhaven.moderation.jobs:scan_image_job",
    "accounts.erase": "pinhaven.accounts.erasure:erase_job",
    "notifications.email_invite": "pinhaven.notifications.mail:email_invite_job",
    "notifications.digest": "pinhaven.notifications.mail:digest_job",
    "notifications.fanout_save": "pinhaven.notifications.hooks:fanout_save_job",
}

_registered: dict[str, Handler] = {}
_lock = threading.Lock()


class UnknownJobKind(LookupError):
    """No handler is registered for a job's kind (the job goes to `dead`: retrying cannot help)."""


def register(kind: str, handler: Handler) -> None:
    """Map `kind` to `handler` in this process (overrides built-in and environment entries)."""
    with _lock:
        _registered[kind] = handler


def unregister(kind: str) -> None:
    """Forget a handler added with `register` (tests)."""
    with _lock:
        _registered.pop(kind, None)


def known_kinds() -> list[str]:
    """Every kind this process can run."""
    return sorted({*BUILTIN, *_extra_specs(), *_registered})


def resolve(kind: str) -> Handler:
    """The handler for `kind`; UnknownJobKind when none is known, ImportError when its module is broken."""
    with _lock:
        handler = _registered.get(kind)
    if handler is not None:
        return handler
    spec = _registered_spec(kind)
    if spec is None:
        raise UnknownJobKind(
            f"no handler for job kind {kind!r} (known: {', '.join(known_kinds()) or 'none'})"
        )
    return _import(spec)


def _registered_spec(kind: str) -> str | None:
    return _extra_specs().get(kind) or BUILTIN.get(kind)


def _extra_specs() -> dict[str, str]:
    raw = os.environ.get(EXTRA_HANDLERS_ENV, "")
    specs: dict[str, str] = {}
    for entry in raw.split(","):
        if not entry.strip():
            continue
        kind, sep, target = entry.partition("=")
        if not sep or ":" not in target:
            raise ValueError(f"{EXTRA_HANDLERS_ENV}: {entry.strip()!r} is not 'kind=module:function'")
        specs[kind.strip()] = target.strip()
    return specs


def _import(spec: str) -> Handler:
    module_name, _, attribute = spec.partition(":")
    module = importlib.import_module(module_name)
    handler = getattr(module, attribute, None)
    if not callable(handler):
        raise ImportError(f"{spec} is not a callable job handler")
    return cast(Handler, handler)
