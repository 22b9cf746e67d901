"""Settings: embedded defaults, overridden by `PINHAVEN_*` environment variables.

Read once at start-up into a frozen `Settings`; tests build their own with `load_settings(env={...})`.
Every key has a cast and a default; a bad value raises `ConfigError` naming the key and the value.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

__all__ = ["ConfigError", "Settings", "load_settings", "missing_shared_secret", "shared_engines"]


class ConfigError(ValueError):
    """A `PINHAVEN_*` variable holds a value that cannot be used."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true/false")


def _networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    return tuple(ipaddress.ip_network(p, strict=False) for p in parts)


def _storage_uri(value: str) -> str:
    if value not in ("", "memory://") and not value.startswith(("redis://", "rediss://", "redis+unix://")):
        raise ValueError("expected memory:// or a redis:// URI")
    return value


def _media_store_uri(value: str) -> str:
    value = value.strip()
    if value in ("", "local"):
        return "local"
    bucket = value.removeprefix("s3://").split("/", 1)[0]
    if not value.startswith("s3://") or not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
        raise ValueError("expected local or s3://BUCKET[/prefix]")
    return value.rstrip("/")


def _vector_store(value: str) -> str:
    value = value.strip().lower()
    if value not in ("local", "database"):
        raise ValueError("expected local or database")
    return value


def _cache_uri(value: str) -> str:
    if value and not value.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError("expected empty (in-process) or a redis:// URI")
    return value


def _event_bus_uri(value: str) -> str:
    value = value.strip()
    if value and not all(p.strip().startswith(("nats://", "tls://")) for p in value.split(",")):
        raise ValueError("expected empty (no event stream) or nats://host:4222[,nats://...]")
    return value


def _stream_instance(value: str) -> str:
    from pinhaven.stream.subjects import instance_name

    return instance_name(value)


def _ranking_weights(value: str) -> str:
    from pinhaven.ranking.objectives import parse_weights

    parse_weights(value)
    return value.strip()


def _str_tuple(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(",") if p.strip())


_SECRETS = frozenset({"secret_key", "health_token", "smtp_url"})


@dataclass(frozen=True)
class Settings:
    """Every setting Pinhaven reads. Environment variable = `PINHAVEN_` + field name upper-cased."""

    data_dir: Path = Path("data")
    database_url: str = ""  # empty: sqlite file under data_dir
    base_url: str = ""  # empty: taken from each request (Host header)
    secret_key: str = field(default="", repr=False)  # empty: generated once, kept in data_dir/secret_key
    media_dir: Path | None = None  # empty: data_dir/media
    media_store: str = "local"  # local (media_dir) | s3://BUCKET[/prefix]
    s3_endpoint_url: str = ""  # empty: AWS; else e.g. http://seaweed:8333 (MinIO, SeaweedFS, R2, ...)
    s3_region: str = ""  # empty: boto3's default (AWS_REGION / AWS_DEFAULT_REGION)
    media_public_base_url: str = ""  # empty: every media URL goes through this app
    media_sweep_interval_seconds: float = 3600.0  # orphan sweep period (0: never swept automatically)
    max_upload_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_request_bytes: int = 32 * 1024 * 1024  # base64 of a max upload plus JSON around it
    decode_pixel_budget: int = 100_000_000  # pixels decoded at once in this process (media/decode_budget.py)
    fetch_allow_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    fetch_timeout_seconds: float = 10.0
    fetch_max_bytes: int = 20 * 1024 * 1024
    worker_threads: int = 2
    queue_backlog_warning: int = 1000
    health_token: str = field(default="", repr=False)  # operators' key to /ext/v1/health details
    job_max_attempts: int = 5
    job_lease_seconds: int = 60
    url_learning_interval_seconds: float = 3600.0  # learned link rules re-learned this often (0: never)
    password_hash_fast: bool = False  # cheaper argon2 parameters; tests only
    login_rate_per_minute: int = 10
    login_address_rate_per_minute: int = 30  # failed log-ins from one address, whatever the accounts
    upload_daily_count: int = 500  # pictures one user may upload per UTC day (0: no limit)
    upload_daily_bytes: int = 2 * 1024**3  # bytes one user may upload per UTC day (0: no limit)
    storage_quota_bytes: int = 20 * 1024**3  # stored size of one user's own pictures (0: no limit)
    api_rate_per_minute: int = 1000  # requests per bearer token in a moving minute (0: no limit)
    shard_id: int = -1  # snowflake worker/shard bits; -1 derives one from the process id
    require_services: bool = False
    log_level: str = "info"
    semantic_search: bool = True  # MiniLM vectors fused into text search (needs the `semantic` extra)
    model_process: bool = True  # `serve` runs the text model once per host, in a process of its own
    model_socket: str = ""  # where that process listens (set by `serve` for its server processes)
    rate_limit_storage: str = ""  # empty: cache_url when set, else memory://; or redis://host:6379/0
    cache_url: str = ""  # empty: in-process cache; redis://host:6379/N: one cache shared by every host
    cache_key_prefix: str = ""  # empty: derived from the database URL (hosts of one instance share it)
    visual_model: str = "builtin"  # builtin (weight-free) | clip (needs the `clip` extra and weights)
    clip_model: str = "ViT-B-32"  # open_clip architecture, when visual_model is clip
    clip_weights: str = "openai"  # a tag fetched into <data_dir>/models/clip, a weights file, or "random"
    visual_weight_similarity: float = 0.6
    visual_weight_engagement: float = 0.2
    visual_weight_quality: float = 0.2
    vector_store: str = (
        "local"  # local (FAISS files / in-memory matrices) | database (pgvector in PostgreSQL)
    )
    event_bus_url: str = ""  # empty: no event stream (today's in-database path); nats://host:4222
    event_stream_instance: str = (
        "main"  # subject token: stream PINHAVEN_<INSTANCE>, subjects pinhaven.<instance>.*
    )
    event_stream_max_age_hours: float = 168.0  # JetStream retention (replay reaches this far back)
    event_stream_max_bytes: int = -1  # JetStream size limit (-1: none)
    event_consumer_max_deliver: int = 5  # deliveries before a failing event goes to the dead-letter subject
    event_archive_dir: Path | None = None  # empty: Parquet archive in the media store under events/
    backpressure_queue_depth: int = 20_000  # queued jobs above which writes answer 503 (0: off)
    backpressure_outbox_backlog: int = 50_000  # unsent outbox rows above which writes answer 503 (0: off)
    backpressure_stream_lag: int = 200_000  # events a durable consumer has not acked yet (0: off)
    backpressure_retry_after_seconds: int = 5
    admission_read_limit: int = 16  # reads one process works on at once; above: 503 at once (0: no limit)
    admission_write_limit: int = 8  # writes one process works on at once (0: no limit)
    admission_queue_deadline_seconds: float = 2.0  # waited longer before the handler starts: 503 (0: never)
    admission_retry_after_seconds: int = 1
    db_pool_timeout_seconds: float = 2.0  # wait for a pooled connection; then 503 + Retry-After
    smtp_url: str = field(
        default="", repr=False
    )  # empty: no e-mail; smtp://user:pass@host:25, smtps://, smtp+starttls://
    mail_from: str = "Pinhaven <pinhaven@localhost>"
    notification_digest_interval_seconds: float = 86400.0  # daily e-mail digest (0: never)
    ranking_weights: str = "save=1,click=0.6,closeup=0.3,hide=-2"  # utility of the ranker's objectives
    ranking_train_interval_seconds: float = 21600.0  # scheduled label + train + promote-if-better (0: never)
    ranking_min_new_sessions: int = 500  # labelled feed sessions since the last model before retraining
    catalog_sync_interval_hours: float = 6.0  # catalog feeds re-fetched this often (0: only on request)
    ocr_enabled: bool = (
        True  # read text in new images (needs rapidocr-onnxruntime; off with a log line if absent)
    )
    ocr_det_side: int = 480  # px: longest side the text detector sees (smaller: faster, misses small text)
    ocr_rec_model: str = ""  # empty: the shipped Chinese+Latin model; else a PaddleOCR recognition .onnx
    ocr_rec_keys: str = ""  # that model's character list (one per line), for other languages
    topics_auto: bool = True  # classify every new or edited pin into up to 3 topics (topics.assign_pin job)
    ads_enabled: bool = True  # promoted pins in the home feed, search and related pins
    ads_every_organic: int = 9  # one ad slot after every N organic pins (never first, never two in a row)
    ads_signed_out: bool = True  # signed-out visitors see promoted pins too
    ads_reserve_cpm_micro: int = 500_000  # reserve price per thousand impressions, micro-currency
    ads_relevance_floor: float = 0.05  # an ad less relevant than this never shows, whatever its bid
    ads_frequency_cap_per_day: int = 3  # impressions of one ad per user per day (an ad group may set fewer)
    ads_click_window_days: int = 30  # conversions attributed to a click within this many days
    ads_view_window_days: int = 1  # ... else to an impression within this many days

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'pinhaven.db').resolve()}"

    @property
    def resolved_media_dir(self) -> Path:
        return self.media_dir if self.media_dir is not None else self.data_dir / "media"

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def __repr__(self) -> str:  # secrets stay out of logs (_SECRETS)
        shown = ", ".join(
            f"{f.name}={'***' if f.name in _SECRETS else getattr(self, f.name)!r}" for f in fields(self)
        )
        return f"Settings({shown})"


_CASTS: dict[str, Callable[[str], Any]] = {
    "data_dir": Path,
    "database_url": str,
    "base_url": lambda v: v.rstrip("/"),
    "secret_key": str,
    "media_dir": lambda v: Path(v) if v else None,
    "media_store": _media_store_uri,
    "s3_endpoint_url": lambda v: v.strip().rstrip("/"),
    "s3_region": str.strip,
    "media_public_base_url": lambda v: v.strip().rstrip("/"),
    "media_sweep_interval_seconds": float,
    "max_upload_bytes": int,
    "max_pixels": int,
    "max_request_bytes": int,
    "decode_pixel_budget": int,
    "fetch_allow_networks": _networks,
    "fetch_timeout_seconds": float,
    "fetch_max_bytes": int,
    "worker_threads": int,
    "queue_backlog_warning": int,
    "health_token": str,
    "job_max_attempts": int,
    "job_lease_seconds": int,
    "url_learning_interval_seconds": float,
    "password_hash_fast": _bool,
    "login_rate_per_minute": int,
    "login_address_rate_per_minute": int,
    "upload_daily_count": int,
    "upload_daily_bytes": int,
    "storage_quota_bytes": int,
    "api_rate_per_minute": int,
    "shard_id": int,
    "require_services": _bool,
    "log_level": str,
    "semantic_search": _bool,
    "model_process": _bool,
    "model_socket": str,
    "rate_limit_storage": _storage_uri,
    "cache_url": _cache_uri,
    "cache_key_prefix": str,
    "visual_model": str,
    "clip_model": str,
    "clip_weights": str,
    "visual_weight_similarity": float,
    "visual_weight_engagement": float,
    "visual_weight_quality": float,
    "vector_store": _vector_store,
    "event_bus_url": _event_bus_uri,
    "event_stream_instance": _stream_instance,
    "event_stream_max_age_hours": float,
    "event_stream_max_bytes": int,
    "event_consumer_max_deliver": int,
    "event_archive_dir": lambda v: Path(v) if v else None,
    "backpressure_queue_depth": int,
    "backpressure_outbox_backlog": int,
    "backpressure_stream_lag": int,
    "backpressure_retry_after_seconds": int,
    "admission_read_limit": int,
    "admission_write_limit": int,
    "admission_queue_deadline_seconds": float,
    "admission_retry_after_seconds": int,
    "db_pool_timeout_seconds": float,
    "smtp_url": str.strip,
    "mail_from": str.strip,
    "notification_digest_interval_seconds": float,
    "ranking_weights": _ranking_weights,
    "ranking_train_interval_seconds": float,
    "ranking_min_new_sessions": int,
    "catalog_sync_interval_hours": float,
    "ocr_enabled": _bool,
    "ocr_det_side": int,
    "ocr_rec_model": str.strip,
    "ocr_rec_keys": str.strip,
    "topics_auto": _bool,
    "ads_enabled": _bool,
    "ads_every_organic": int,
    "ads_signed_out": _bool,
    "ads_reserve_cpm_micro": int,
    "ads_relevance_floor": float,
    "ads_frequency_cap_per_day": int,
    "ads_click_window_days": int,
    "ads_view_window_days": int,
}


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from `env` (default: the process environment) and explicit overrides."""
    source = os.environ if env is None else env
    values: dict[str, Any] = {}
    for name, cast in _CASTS.items():
        key = f"PINHAVEN_{name.upper()}"
        if key in source:
            try:
                values[name] = cast(source[key])
            except ValueError as exc:
                raise ConfigError(f"{key}={source[key]!r} is not valid: {exc}") from exc
    values.update(overrides)
    settings = Settings(**values)
    if settings.vector_store == "database" and not settings.resolved_database_url.startswith("postgresql"):
        raise ConfigError(
            "PINHAVEN_VECTOR_STORE=database needs a PostgreSQL PINHAVEN_DATABASE_URL (postgresql+psycopg://...)"
        )
    if not settings.secret_key:
        settings = replace(settings, secret_key=_stored_secret_key(settings.data_dir))
    return settings


def shared_engines(settings: Settings) -> list[str]:
    """The shared engines this instance uses (several hosts may then serve it)."""
    used = []
    if settings.media_store != "local":
        used.append("PINHAVEN_MEDIA_STORE")
    if settings.cache_url:
        used.append("PINHAVEN_CACHE_URL")
    if settings.vector_store == "database":
        used.append("PINHAVEN_VECTOR_STORE")
    if settings.event_bus_url:
        used.append("PINHAVEN_EVENT_BUS_URL")
    return used


def missing_shared_secret(settings: Settings, env: Mapping[str, str] | None = None) -> str | None:
    """Why this host may not start: with shared engines every host must sign with one key, from the environment.

    A key generated into the data folder would differ per host (sessions and CSRF tokens signed on one host
    refused by the next) and would be lost with a disposable data folder.
    """
    source = os.environ if env is None else env
    engines = shared_engines(settings)
    if not engines or source.get("PINHAVEN_SECRET_KEY"):
        return None
    return (
        f"{', '.join(engines)} is set, so several hosts may serve this instance: set PINHAVEN_SECRET_KEY to the "
        "same long random value on every host (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
    )


def _stored_secret_key(data_dir: Path) -> str:
    """The instance's signing key: generated on first start, kept in the data dir so sessions survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path.read_text().strip()


SETTINGS_DOC: dict[str, str] = {
    "data_dir": "Folder for the SQLite database, media files, indexes and the secret key.",
    "database_url": "SQLAlchemy URL; empty means `sqlite:///<data_dir>/pinhaven.db`. "
    "PostgreSQL: `postgresql+psycopg://...`; MariaDB/MySQL/TiDB: `mysql+pymysql://...`.",
    "base_url": "Public URL of this instance (absolute media URLs); empty derives it from each request.",
    "secret_key": "Key that signs session cookies and CSRF tokens; empty generates one in the data dir.",
    "media_dir": "Folder for media files; empty means `<data_dir>/media`.",
    "media_store": "Where media files live: `local` (the media folder) or `s3://BUCKET[/prefix]` "
    "(S3-compatible object storage, needs the `s3` extra; credentials from the standard AWS_* variables).",
    "s3_endpoint_url": "S3 endpoint for non-AWS object stores (MinIO, SeaweedFS, R2, ...); empty means AWS.",
    "s3_region": "S3 region; empty leaves it to boto3 (AWS_REGION / AWS_DEFAULT_REGION).",
    "media_public_base_url": "Base URL (a CDN or public bucket) that public images' variant URLs point at; "
    "secret images are always served by the app. Empty: every media URL points at the app.",
    "media_sweep_interval_seconds": "How often one process of the instance deletes media files no image "
    "row claims (after a one-hour grace period); 0 disables the automatic sweep.",
    "max_upload_bytes": "Largest accepted image upload, in bytes (413 above it).",
    "max_pixels": "Largest accepted image, in pixels (width × height), checked before decoding.",
    "max_request_bytes": "Largest accepted request body, in bytes (413 above it).",
    "decode_pixel_budget": "Pixels this process decodes at once across concurrent uploads and renders (the rest "
    "wait their turn): bounds decode memory (~4–10 bytes a pixel at the peak). Default: two 50 MP images.",
    "fetch_allow_networks": "Comma-separated CIDRs the URL fetcher may reach although private/loopback.",
    "fetch_timeout_seconds": "Total time limit for one outbound fetch.",
    "fetch_max_bytes": "Largest body the URL fetcher reads.",
    "worker_threads": "Background worker threads inside `pinhaven serve` (0 disables them).",
    "queue_backlog_warning": "Queue depth above which /ext/v1/health reports a backlog.",
    "health_token": "Operator token: /ext/v1/health sent with `X-Health-Token: <token>` shows database, queue "
    "and stream details (so do loopback requests without proxy headers); everyone else sees only the status.",
    "job_max_attempts": "Attempts before a failing job is moved to the dead state.",
    "job_lease_seconds": "How long a worker holds a job before another may take it over.",
    "url_learning_interval_seconds": "How often a job re-learns which query parameters do not change a "
    "page (the link rules every saved link is normalised with); 0 disables the scheduled learning.",
    "password_hash_fast": "Use cheap argon2 parameters (tests only).",
    "login_rate_per_minute": "Failed logins allowed per minute per account, whether named by username or email "
    "(and refused sign-ups per address).",
    "login_address_rate_per_minute": "Failed logins allowed per minute from one client address, whatever the "
    "accounts tried (throttles spraying many usernames).",
    "upload_daily_count": "Pictures one user may upload per UTC day through the API, the pin builder or saving "
    "from a URL (429 over it; imports are not counted); 0 = no limit.",
    "upload_daily_bytes": "Bytes one user may upload per UTC day (429 over it); 0 = no limit.",
    "storage_quota_bytes": "Stored size of the pictures of the pins one user created (413 when an upload would "
    "go over it; imports are not refused but their pictures count); 0 = no limit.",
    "api_rate_per_minute": "Requests one API token may make in a moving minute (429 with Retry-After over it; "
    "X-RateLimit-Limit and X-RateLimit-Remaining on every answer; shared through Redis when the rate-limit "
    "storage is Redis); 0 = no limit.",
    "shard_id": "Snowflake shard bits (0–1023); -1 derives one from the process id.",
    "require_services": "Fail instead of skipping service-backed tests when a server is absent.",
    "log_level": "Log level for `serve` and `worker`.",
    "semantic_search": "Embed pins with MiniLM and fuse meaning-based results into text search "
    "(needs the `semantic` extra; off: keyword search only).",
    "model_process": "`serve` starts one model process per host that embeds texts for all its server processes "
    "(over `<data_dir>/run/models.sock`, batched) instead of each loading MiniLM; off: each process loads its own.",
    "model_socket": "Unix socket of a running model process to send texts to (`serve` sets it for its own "
    "processes; set it for `pinhaven worker` processes on the same host). Empty: embed in this process.",
    "cache_url": "Where caches live: empty = in this process (tokens, board pages, related pins, feed sessions, "
    "candidate sources); `redis://host:6379/N` = one cache shared by every process and host, invalidated across "
    "hosts on writes (needs the `redis` extra).",
    "cache_key_prefix": "Prefix of this instance's keys in the shared cache; empty derives one from the database "
    "URL (password left out). Set it when hosts spell the database URL differently.",
    "rate_limit_storage": "Where rate-limit counters live: empty = `cache_url` when that is set, else "
    "`memory://`; `memory://` (each process counts alone) or "
    "`redis://host:6379/0` (every process and host shares the allowance; needs the `redis` extra).",
    "visual_model": "Image embedder for visual search: `builtin` (weight-free, whitened by `pinhaven reindex`) "
    "or `clip` (needs the `clip` extra and fetched weights).",
    "clip_model": "CLIP architecture (open_clip name) used when `visual_model` is `clip`.",
    "clip_weights": "CLIP weights: a tag fetched once by `pinhaven models fetch clip` into `<data_dir>/models/clip`, "
    "or the path of a local weights file; `random` = random initialisation (tests and speed benchmarks only).",
    "visual_weight_similarity": "Weight of visual similarity when ranking visual search results.",
    "visual_weight_engagement": "Weight of engagement (saves, log-normalised) in visual search ranking.",
    "visual_weight_quality": "Weight of image quality (resolution) in visual search ranking.",
    "event_bus_url": "Event stream: empty = none (engagement counters, graph and indexing stay in the database "
    "as they are); `nats://host:4222` = every change is written to a transactional outbox and relayed to NATS "
    "JetStream, whose consumers keep counters, the graph, search, trending and the Parquet archive (needs the "
    "`stream` extra). See docs/OPERATIONS.md, Event stream.",
    "event_stream_instance": "Name of this instance on the bus: stream `PINHAVEN_<NAME>`, subjects "
    "`pinhaven.<name>.<type>` (instances sharing a NATS server need different names).",
    "event_stream_max_age_hours": "How long JetStream keeps events (and how far `pinhaven stream replay` reaches).",
    "event_stream_max_bytes": "Size limit of the stream in bytes (oldest events go first); -1 = none.",
    "event_consumer_max_deliver": "Deliveries of an event a consumer keeps failing on before it is moved to "
    "the dead-letter subject `pinhaven-dlq.<instance>.<consumer>`.",
    "event_archive_dir": "Folder for the Parquet engagement archive; empty = the media store under "
    "`events/date=YYYY-MM-DD/`.",
    "backpressure_queue_depth": "Queued jobs above which write requests answer 503 with Retry-After (0: never).",
    "backpressure_outbox_backlog": "Unsent outbox rows above which write requests answer 503 (0: never).",
    "backpressure_stream_lag": "Events a durable consumer has not acknowledged above which write requests "
    "answer 503 (0: never).",
    "backpressure_retry_after_seconds": "Retry-After sent with a backpressure 503.",
    "admission_read_limit": "Read requests (GET/HEAD) one server process works on at once; more are answered "
    "503 with Retry-After at once (0: no limit). With the write limit, keep it within the database pool "
    "(30 connections) and the thread pool (40).",
    "admission_write_limit": "Write requests one server process works on at once; more are answered 503 with "
    "Retry-After at once (0: no limit). Separate from reads, so shed writes never starve reads.",
    "admission_queue_deadline_seconds": "A request that waited longer than this before its handler starts is "
    "answered 503 without running (0: never); one whose client disconnected is dropped.",
    "admission_retry_after_seconds": "Retry-After sent with an admission or database-pool 503.",
    "db_pool_timeout_seconds": "How long a request waits for a pooled database connection (PostgreSQL, MySQL) "
    "before it is answered 503 with Retry-After.",
    "smtp_url": "Outgoing mail for notifications: empty = no e-mail; `smtp://user:password@host:25`, "
    "`smtp+starttls://...:587` or `smtps://...:465`. Invitations are mailed at once, the rest in a daily digest.",
    "mail_from": "From address of notification e-mails.",
    "notification_digest_interval_seconds": "How often the e-mail digest of unread notifications is sent "
    "(when `smtp_url` is set); 0 disables it.",
    "ranking_weights": "Utility of the learned ranker: `objective=weight` pairs over save, click, closeup and "
    "hide (hide negative), e.g. `save=1,click=0.6,closeup=0.3,hide=-2`. Experiment arms may override it.",
    "ranking_train_interval_seconds": "How often a job labels the served-features log and, when enough new "
    "examples exist, trains a ranking model and promotes it if it beats the current one (0: never).",
    "ranking_min_new_sessions": "Labelled feed sessions needed since the last trained model before the "
    "scheduled job trains again.",
    "catalog_sync_interval_hours": "How often each active catalog feed is fetched again (prices and availability "
    "of its product pins follow the feed); 0 re-fetches only on request (API ingest, `pinhaven catalogs sync`).",
    "ads_enabled": "Show promoted pins (docs/ADS.md) in the home feed, search results and related pins.",
    "ads_every_organic": "One ad slot after every N organic pins (never the first slot, never two in a row).",
    "ads_signed_out": "Show promoted pins to signed-out visitors too.",
    "ads_reserve_cpm_micro": "Reserve price of the ad auction, micro-currency per thousand impressions.",
    "ads_relevance_floor": "Least relevance (0-1) an ad needs to the context to enter the auction.",
    "ads_frequency_cap_per_day": "Impressions of one ad per user per day (an ad group's own cap may be lower).",
    "ads_click_window_days": "Conversion attribution window after a click, in days.",
    "ads_view_window_days": "Conversion attribution window after an impression (view), in days.",
    "vector_store": "Where visual and text vectors live: `local` (index files and in-memory matrices in each "
    "process) or `database` (pgvector HNSW indexes in the PostgreSQL database, shared by every host, privacy "
    "filtered inside the query; needs the `postgres` extra and the `vector` extension).",
    "ocr_enabled": "Read the text in each new image (the `ocr` extra: RapidOCR, models in the wheel) so pins are "
    "found by the words in their pictures; without the package OCR is off and the log says so once.",
    "ocr_det_side": "Longest side, in pixels, the OCR text detector sees (smaller: faster, misses small text).",
    "ocr_rec_model": "A PaddleOCR recognition model (.onnx) for other languages; empty: the shipped Chinese + "
    "Latin-script model.",
    "ocr_rec_keys": "The character list (one per line) of `ocr_rec_model`.",
    "topics_auto": "Give every new or edited pin up to three topics from its text (MiniLM with the `semantic` "
    "extra and semantic search on, else word overlap; plus CLIP zero-shot when CLIP is the visual model).",
}
