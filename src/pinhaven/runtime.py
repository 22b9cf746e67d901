"""Background machinery a `serve` process runs beside the HTTP app (worker threads, index refreshers)."""

from __future__ import annotations

from pinhaven.context import AppContext

WORKER_POOL = "jobs.worker_pool"  # key in ctx.services
STOP_TIMEOUT_SECONDS = 30.0


def start_background(ctx: AppContext) -> None:
    """Start what `ctx.settings` asks for; each domain adds its starter here."""
    from pinhaven.media import sweeper as leftovers

    leftovers.clean_leftovers_in_background(ctx)  # temporary files a crash left behind
    from pinhaven import gcstats

    gcstats.install()  # times every collection (GET /ext/v1/health/process); loaders freeze what they load
    if ctx.settings.model_socket:
        use_model_process(ctx.settings.model_socket)
    if ctx.settings.worker_threads > 0 and WORKER_POOL not in ctx.services:
        from pinhaven.jobs.worker import WorkerPool

        pool = WorkerPool(ctx, ctx.settings.worker_threads)
        pool.start()
        ctx.services[WORKER_POOL] = pool
        from pinhaven.media import sweeper

        sweeper.start(ctx)  # one process of the instance sweeps orphaned media files each interval
    if ctx.settings.worker_threads > 0:  # a process that runs jobs keeps the periodic ones scheduled
        _schedule_url_learning(ctx)
        from pinhaven.notifications.mail import schedule_digest

        schedule_digest(ctx)  # the daily notification e-mail digest (when PINHAVEN_SMTP_URL is set)
        _schedule_ranking(ctx)
        _schedule_catalog_syncs(ctx)
    if (
        ctx.settings.event_bus_url
    ):  # relay and durable consumers where jobs run; every process follows the graph
        from pinhaven.stream import service as stream

        workers = ctx.settings.worker_threads > 0
        stream.start(ctx, relay=workers, consumers=workers, graph=True)
    from pinhaven.discovery import service as discovery
    from pinhaven.search.text.handlers import warm_up as warm_up_text_search

    discovery.start(ctx)  # builds the pin-board graph and warms the walk kernel in a background thread
    warm_up_text_search(
        ctx
    )  # loads stored vectors (and the MiniLM model when there are any) in the background


def use_model_process(path: str) -> None:
    """Texts are embedded by the host's model process (`pinhaven.modelserver`) instead of a model loaded
    here; this process keeps its query-vector cache (the encoder's)."""
    from pinhaven.modelserver import RemoteTextModel
    from pinhaven.search.text import semantic

    current = semantic.encoder()
    if getattr(current, "remote_path", None) == path:
        return
    encoder = semantic.Encoder(loader=lambda: RemoteTextModel(path))
    encoder.remote_path = path  # type: ignore[attr-defined]
    semantic.use_encoder(encoder)


def _schedule_url_learning(ctx: AppContext) -> None:
    """Queue the link-rule learning job once per instance (it re-queues itself after each run)."""
    from pinhaven.db.engine import session_scope
    from pinhaven.ingest.url_learning import ensure_scheduled

    with session_scope(ctx.sessions) as db:
        ensure_scheduled(db=db, interval_seconds=ctx.settings.url_learning_interval_seconds)


def _schedule_ranking(ctx: AppContext) -> None:
    """Queue the ranking job (label, train if enough new data, promote if better) once per instance."""
    from pinhaven.db.engine import session_scope
    from pinhaven.ranking.jobs import ensure_scheduled

    with session_scope(ctx.sessions) as db:
        ensure_scheduled(db=db, interval_seconds=ctx.settings.ranking_train_interval_seconds)


def _schedule_catalog_syncs(ctx: AppContext) -> None:
    """Queue the job that re-fetches due catalog feeds, once per instance (it re-queues itself)."""
    from pinhaven.catalogs.jobs import ensure_scheduled
    from pinhaven.db.engine import session_scope

    with session_scope(ctx.sessions) as db:
        ensure_scheduled(db=db, interval_hours=ctx.settings.catalog_sync_interval_hours)


def stop_background(ctx: AppContext) -> None:
    """Stop everything `start_background` started, waiting for in-flight work to finish."""
    from pinhaven.discovery import service as discovery
    from pinhaven.stream import service as stream

    stream.stop(ctx)
    discovery.stop(ctx)
    from pinhaven.media import sweeper

    sweeper.stop(ctx)
    pool = ctx.services.pop(WORKER_POOL, None)
    if pool is not None:
        # Each thread finishes its current job; one still busy at the timeout is rerun after its lease expires.
        pool.stop(timeout=STOP_TIMEOUT_SECONDS)
    from pinhaven.search.visual.service import SERVICE_KEY as VISUAL_SERVICE

    visual = ctx.services.get(VISUAL_SERVICE)
    if visual is not None and visual.has_unsaved:
        visual.save()  # the next start loads the file instead of rebuilding the index
