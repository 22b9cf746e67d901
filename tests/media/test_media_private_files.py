"""Run files in the media store (import uploads and reports, export zips under `private/`): `put_file` and
`get_file` stream whole files on the local store and on S3 (a real SeaweedFS), and the orphan sweep never
touches them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from tests.engines.seaweed import SeaweedServer, s3_settings, seaweed_s3  # noqa: F401

from pinhaven.config import load_settings
from pinhaven.context import AppContext
from pinhaven.media import service
from pinhaven.media.store import LocalMediaStore, MediaStore
from pinhaven.media.store_s3 import S3MediaStore

PRIVATE_KEY = "private/exports/42-" + "0123456789abcdef" * 2 + "/pinhaven-ann-20261207.zip"


@pytest.fixture(params=["local", "s3"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> MediaStore:
    if request.param == "local":
        return LocalMediaStore(tmp_path / "store")
    env = request.getfixturevalue("s3_settings")
    return S3MediaStore.from_settings(load_settings(env=env, data_dir=tmp_path / "data"))


def test_put_file_and_get_file_stream_whole_files(any_store: MediaStore, tmp_path: Path) -> None:
    big = tmp_path / "big.zip"
    big.write_bytes(os.urandom(9 * 1024 * 1024))  # past boto3's 8 MB multipart threshold on S3
    any_store.put_file(PRIVATE_KEY, big)
    copy = tmp_path / "copy.zip"
    assert any_store.get_file(PRIVATE_KEY, copy)
    assert copy.read_bytes() == big.read_bytes()
    stat = any_store.stat(PRIVATE_KEY)
    assert stat is not None and stat.size == big.stat().st_size

    small = tmp_path / "small.zip"
    small.write_bytes(b"replaced")
    any_store.put_file(PRIVATE_KEY, small)  # unlike `put`, a file replaces what was there
    assert any_store.get(PRIVATE_KEY) == b"replaced"
    assert [o.key for o in any_store.iter_objects("private/")] == [PRIVATE_KEY]  # no temporary leftovers

    missing = tmp_path / "missing.zip"
    assert not any_store.get_file("private/exports/1-nothing/x.zip", missing)
    assert not missing.exists()
    assert any_store.delete(PRIVATE_KEY) and any_store.get(PRIVATE_KEY) is None


def test_put_file_refuses_keys_outside_the_store(any_store: MediaStore, tmp_path: Path) -> None:
    source = tmp_path / "f.zip"
    source.write_bytes(b"x")
    with pytest.raises(ValueError):
        any_store.put_file("private/../../etc/passwd", source)


def test_the_orphan_sweep_never_touches_private_files(
    ctx: AppContext, any_store: MediaStore, tmp_path: Path
) -> None:
    source = tmp_path / "run.zip"
    source.write_bytes(b"an export")
    any_store.put_file(PRIVATE_KEY, source)
    orphan = "ee/" + "e" * 64 + "/236x.webp"  # a media key no row claims
    any_store.put(orphan, b"orphan")
    later = time.time() + 30 * 24 * 3600  # both are far past the grace period
    report = service.sweep_orphans(sessions=ctx.sessions, store=any_store, now=later)
    assert report.deleted == [orphan] and report.scanned == 1  # the private file is not even looked at
    assert any_store.get(PRIVATE_KEY) == b"an export"
    assert list(any_store.iter_objects(".trash/")) == []
