"""Small helpers the form handlers share: uploads, optional ids, checkboxes."""

from __future__ import annotations

from fastapi import UploadFile

from pinhaven.db.ids import parse_id
from pinhaven.errors import InvalidInput, InvalidUpload, PayloadTooLarge


def read_upload(upload: UploadFile, *, max_bytes: int) -> bytes:
    """The uploaded file's bytes; PayloadTooLarge past `max_bytes`, InvalidUpload when empty."""
    data = upload.file.read(max_bytes + 1)
    name = upload.filename or "The file"
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"{name} is larger than {max_bytes // (1024 * 1024)} MB.")
    if not data:
        raise InvalidUpload(f"{name} is empty.")
    return data


def has_file(upload: UploadFile | None) -> bool:
    """A file input the visitor actually filled (browsers send an empty part for an empty input)."""
    return upload is not None and bool(upload.filename)


def optional_id(value: str | None, *, field: str) -> int | None:
    """A numeric id from a form field; empty means none."""
    if value is None or value.strip() == "":
        return None
    parsed = parse_id(value.strip())
    if parsed is None:
        raise InvalidInput("must be a numeric id", field=field)
    return parsed


def checked(value: str | None) -> bool:
    return value not in (None, "", "0", "off", "false")
