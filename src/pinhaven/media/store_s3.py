"""`S3MediaStore`: the `MediaStore` protocol on S3-compatible object storage (AWS S3, SeaweedFS, MinIO, R2).

Same semantics as `LocalMediaStore`, mapped onto S3 operations:

- keys are `[prefix/]<media key>` in one bucket; content-addressed, so a key's bytes never change;
- `put` on an existing key keeps the object and refreshes its timestamp by copying it onto itself with
  replaced metadata (one request, no re-upload); a missing key is written with one PUT, which S3 makes
  atomic (readers see the whole object or none);
- every object carries its logical modification time in the `mtime` user metadata: `move` is a copy that
  keeps the metadata plus a delete, so a parked file keeps its time as `os.replace` does locally. `stat`
  reads that time; listings report S3's `LastModified`, which is never earlier than it (a copy is newer than
  its source), so the orphan sweeper errs on the side of keeping a file;
- `iter_objects` pages through ListObjectsV2 (1,000 keys a request);
- S3 has no temporary files: `discard_stale_writes` aborts multipart uploads (only large files such as
  export zips use them) started before the cut-off.

What S3 cannot give: `move` is not atomic. An upload that refreshes a file in the milliseconds between the
sweeper's copy and delete of that same file loses its refresh; the sweeper's re-check of the database
catches it unless the upload's row commits after that re-check. It needs an orphan (no row, untouched for
the whole grace period) being uploaded again at that instant; see `media.service.sweep_orphans`.

Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profiles, instance
roles); the bucket must exist.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pinhaven.media.store import TRASH_PREFIX, StoredObject, _check_key

if TYPE_CHECKING:
    from pinhaven.config import Settings

__all__ = ["S3MediaStore", "parse_store_uri"]

_MTIME = "mtime"  # user metadata (x-amz-meta-mtime): seconds since the epoch of the last write or refresh
_CONTENT_TYPES = {
    "webp": "image/webp",
    "jpg": "image/jpeg",
    "png": "image/png",
    "zip": "application/zip",
    "csv": "text/csv",
    "jsonl": "application/x-ndjson",
    "ndjson": "application/x-ndjson",
}
_MISSING = {"404", "NoSuchKey", "NotFound"}


def parse_store_uri(uri: str) -> tuple[str, str]:
    """(bucket, key prefix with a trailing slash or empty) of `s3://BUCKET[/prefix]`."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// media store: {uri!r}")
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    prefix = prefix.strip("/")
    return bucket, (prefix + "/" if prefix else "")


def _content_type(key: str) -> str:
    return _CONTENT_TYPES.get(key.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def _is_missing(exc: Exception) -> bool:
    response: dict[str, Any] = getattr(exc, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    status = str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    return code in _MISSING or status == "404"


class S3MediaStore:
    """Objects in one bucket under an optional key prefix."""

    def __init__(self, bucket: str, *, prefix: str = "", client: Any) -> None:
        from botocore.exceptions import ClientError  # the `s3` extra; imported here, not at module load

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client = client
        self._client_error = ClientError

    @classmethod
    def from_settings(cls, settings: Settings) -> S3MediaStore:
        """The store `settings.media_store` (`s3://BUCKET[/prefix]`) names, with a fresh boto3 client."""
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError("media_store=s3://... needs the s3 extra: pip install 'pinhaven[s3]'") from exc
        bucket, prefix = parse_store_uri(settings.media_store)
        config = Config(
            retries={"max_attempts": 5, "mode": "standard"},
            max_pool_connections=32,  # request threads, worker threads and loader threads share one client
            # Path-style addressing works with every S3-compatible server; AWS picks its own style.
            s3={"addressing_style": "path"} if settings.s3_endpoint_url else {},
        )
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url or None,
            region_name=settings.s3_region or None,
            config=config,
        )
        return cls(bucket, prefix=prefix, client=client)

    def _name(self, key: str) -> str:
        return self.prefix + _check_key(key)

    def put(self, key: str, data: bytes, *, durable: bool = True) -> None:
        # S3 acknowledges a PUT only once it is stored durably: `durable` needs no extra step here.
        name = self._name(key)
        stamp = {_MTIME: f"{time.time():.6f}"}
        try:  # already stored (content-addressed): keep it, restart its grace period
            self.client.copy_object(
                Bucket=self.bucket,
                Key=name,
                CopySource={"Bucket": self.bucket, "Key": name},
                Metadata=stamp,
                MetadataDirective="REPLACE",
                ContentType=_content_type(key),
            )
            return
        except self._client_error as exc:
            if not _is_missing(exc):
                raise
        self.client.put_object(
            Bucket=self.bucket, Key=name, Body=data, Metadata=stamp, ContentType=_content_type(key)
        )

    def put_file(self, key: str, path: Path) -> None:
        """Store a large local file under `key` (multipart above 8 MB; visible only once complete)."""
        self.client.upload_file(
            str(path),
            self.bucket,
            self._name(key),
            ExtraArgs={"Metadata": {_MTIME: f"{time.time():.6f}"}, "ContentType": _content_type(key)},
        )

    def get_file(self, key: str, path: Path) -> bool:
        """Copy `key` into the local file `path` (streamed); False when the key is missing."""
        try:
            self.client.download_file(self.bucket, self._name(key), str(path))
        except self._client_error as exc:
            if _is_missing(exc):
                return False
            raise
        return True

    def get(self, key: str) -> bytes | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except self._client_error as exc:
            if _is_missing(exc):
                return None
            raise
        body = response["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()

    def stat(self, key: str) -> StoredObject | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except self._client_error as exc:
            if _is_missing(exc):
                return None
            raise
        stamp = head.get("Metadata", {}).get(_MTIME)
        try:
            modified = float(stamp) if stamp is not None else head["LastModified"].timestamp()
        except ValueError:
            modified = head["LastModified"].timestamp()
        return StoredObject(key=key, size=int(head["ContentLength"]), modified=modified)

    def delete(self, key: str) -> bool:
        # S3's DELETE answers 204 whether or not the key existed: ask first to keep the protocol's answer.
        if self.stat(key) is None:
            return False
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))
        return True

    def move(self, key: str, new_key: str) -> bool:
        source, target = self._name(key), self._name(new_key)
        try:  # COPY keeps the user metadata, hence the logical modification time
            self.client.copy_object(
                Bucket=self.bucket,
                Key=target,
                CopySource={"Bucket": self.bucket, "Key": source},
                MetadataDirective="COPY",
            )
        except self._client_error as exc:
            if _is_missing(exc):
                return False
            raise
        self.client.delete_object(Bucket=self.bucket, Key=source)
        return True

    def iter_objects(self, prefix: str = "") -> Iterator[StoredObject]:
        skip_trash = not prefix.startswith(TRASH_PREFIX)
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for item in page.get("Contents", []):
                key = str(item["Key"])[len(self.prefix) :]
                if skip_trash and key.startswith(TRASH_PREFIX):
                    continue
                yield StoredObject(key=key, size=int(item["Size"]), modified=item["LastModified"].timestamp())

    def discard_stale_writes(self, older_than: float) -> int:
        removed = 0
        paginator = self.client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for upload in page.get("Uploads", []):
                if upload["Initiated"].timestamp() >= older_than:
                    continue
                try:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                except self._client_error as exc:
                    if not _is_missing(exc):  # finished or aborted meanwhile
                        raise
                    continue
                removed += 1
        return removed
