"""Handler lookup (registered, built-in, from the environment) and the retry schedule."""

from __future__ import annotations

import random

import pytest

from pinhaven.jobs import handlers, queue


def test_builtin_media_kind_resolves_to_the_media_domain_handler() -> None:
    from pinhaven.media.handlers import process_image

    assert handlers.resolve("media.process") is process_image
    assert "media.process" in handlers.known_kinds()


def test_registered_handler_wins_and_can_be_removed() -> None:
    def handler(ctx: object, payload: dict[str, object]) -> None:
        return None

    handlers.register("test.registered", handler)
    try:
        assert handlers.resolve("test.registered") is handler
    finally:
        handlers.unregister("test.registered")
    with pytest.raises(handlers.UnknownJobKind, match=r"test\.registered"):
        handlers.resolve("test.registered")


def test_extra_handlers_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.jobs.sample_handlers import block_once

    monkeypatch.setenv(handlers.EXTRA_HANDLERS_ENV, "test.block=tests.jobs.sample_handlers:block_once, ")
    assert handlers.resolve("test.block") is block_once
    assert "test.block" in handlers.known_kinds()


def test_malformed_extra_handlers_variable_names_the_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(handlers.EXTRA_HANDLERS_ENV, "justamodule")
    with pytest.raises(ValueError, match="'justamodule' is not 'kind=module:function'"):
        handlers.resolve("anything")


def test_missing_handler_function_is_an_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(handlers.EXTRA_HANDLERS_ENV, "test.x=tests.jobs.sample_handlers:nope")
    with pytest.raises(ImportError, match="not a callable"):
        handlers.resolve("test.x")


def test_retry_delay_grows_exponentially_with_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    for attempts in range(1, 20):
        step = min(queue.RETRY_MAX_SECONDS, queue.RETRY_BASE_SECONDS * 2 ** (attempts - 1))
        assert step / 2 <= queue.retry_delay(attempts, rng=rng) <= step
    samples = {round(queue.retry_delay(3, rng=rng), 6) for _ in range(20)}
    assert len(samples) > 10, "jitter spreads retries out"


def test_error_summary_leads_with_the_exception_and_keeps_inner_frames() -> None:
    def inner() -> None:
        raise ValueError("bad pixel")

    try:
        inner()
    except ValueError as exc:
        summary = queue.error_summary(exc)
    assert summary.splitlines()[0] == "ValueError: bad pixel"
    assert "in inner" in summary
    assert len(queue.error_summary(RuntimeError("x" * 10_000))) == queue.ERROR_MAX_CHARS


def test_every_builtin_kind_resolves_to_a_callable() -> None:
    for kind in handlers.BUILTIN:
        assert callable(handlers.resolve(kind)), kind
