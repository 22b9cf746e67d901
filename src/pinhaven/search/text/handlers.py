"""Job handlers of text search (registered in `pinhaven/jobs/handlers.py`); each is idempotent.

search.index_pin    payload {pin_id}    write or remove the pin's search document;
                                        queue search.embed_pin when its embedded text changed
search.index_board  payload {board_id}  re-index every pin of a renamed board or one whose privacy changed
search.embed_pin    payload {pin_id}    store the pin's MiniLM vector (needs the `semantic` extra)
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from pinhaven.context import AppContext
from pinhaven.db.base import utcnow
from pinhaven.db.engine import session_scope
from pinhaven.jobs.queue import PermanentFailure
from pinhaven.jobs.service import enqueue
from pinhaven.search.text import documents, semantic, vectors
from pinhaven.search.text.models import PinTextVector, SearchDocument
from pinhaven.search.vectorstore import text_vector_store

log = logging.getLogger("pinhaven.search")

BOARD_BATCH = 200


def _id(payload: dict[str, Any], key: str) -> int:
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).isdigit():
        raise PermanentFailure(f"payload needs a numeric {key!r}, got {value!r}")
    return int(value)


def semantic_enabled(ctx: AppContext) -> bool:
    """Pins get vectors when the settings allow it and the `semantic` extra is installed."""
    return bool(getattr(ctx.settings, "semantic_search", True)) and semantic.is_installed()


def _embedded_text(document: SearchDocument) -> str:
    return documents.semantic_text(
        title=document.title, description=document.description, alt_text=document.alt_text
    )


def _needs_embedding(db: Session, document: SearchDocument) -> bool:
    text = _embedded_text(document)
    stored = db.scalar(
        select(PinTextVector.text_hash).where(
            PinTextVector.pin_id == document.pin_id, PinTextVector.model_id == semantic.MODEL_ID
        )
    )
    return stored != (documents.text_hash(text) if text else None)


def index_pin(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Bring one pin's search document up to date."""
    pin_id = _id(payload, "pin_id")
    with session_scope(ctx.sessions) as db:
        document = documents.index_pin(db=db, pin_id=pin_id)
        if document is not None and semantic_enabled(ctx) and _needs_embedding(db, document):
            enqueue(db=db, kind="search.embed_pin", payload={"pin_id": pin_id})


def index_board(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Re-index every pin of a board (its name or privacy changed), a batch per transaction."""
    board_id = _id(payload, "board_id")
    with session_scope(ctx.sessions) as db:
        pin_ids = documents.pin_ids_on_board(db=db, board_id=board_id)
    for start in range(0, len(pin_ids), BOARD_BATCH):
        with session_scope(ctx.sessions) as db:
            for pin_id in pin_ids[start : start + BOARD_BATCH]:
                documents.index_pin(db=db, pin_id=pin_id)


def embed_pin(ctx: AppContext, payload: dict[str, Any]) -> None:
    """Embed the pin's text unless its stored vector already matches it; drop the vector when text is gone."""
    pin_id = _id(payload, "pin_id")
    if not semantic_enabled(ctx):
        return
    with session_scope(ctx.sessions) as db:
        document = db.get(SearchDocument, pin_id)
        text = _embedded_text(document) if document is not None else ""
        if not text:
            db.execute(delete(PinTextVector).where(PinTextVector.pin_id == pin_id))
            _forget_locally(ctx, [pin_id])
            return
        if not _needs_embedding(db, document):  # type: ignore[arg-type]
            return
        board_id, creator_id = document.board_id, document.creator_id  # type: ignore[union-attr]
        secret = document.facets.endswith(" sec")  # type: ignore[union-attr]
    # Encoding takes tens of milliseconds (seconds on the first call): no transaction is held meanwhile.
    vector = semantic.encoder().encode([text])[0]
    with session_scope(ctx.sessions) as db:
        row = db.get(PinTextVector, (pin_id, semantic.MODEL_ID))
        if row is None:
            if db.get(SearchDocument, pin_id) is None:
                return  # the pin was deleted while we encoded
            row = PinTextVector(pin_id=pin_id, model_id=semantic.MODEL_ID)
            db.add(row)
        row.vector = vectors.to_bytes(vector)
        row.text_hash = documents.text_hash(text)
        row.updated_at = utcnow()
        shared = text_vector_store(ctx.engine)
        if shared is not None:  # pgvector: written with its row, seen by every host at commit
            db.flush()
            shared.write(db, pin_id, vector)
    index = vectors.loaded_index(ctx.engine)
    if index is not None and index.loaded:  # this process's searches see the vector at once
        index.matrix.upsert([(pin_id, board_id, creator_id, secret, vector)])


def _forget_locally(ctx: AppContext, pin_ids: list[int]) -> None:
    index = vectors.loaded_index(ctx.engine)
    if index is not None:
        index.matrix.remove(pin_ids)


def embed_missing(ctx: AppContext, *, batch: int = 64, limit: int | None = None) -> int:
    """Backfill: embed, in batches, pins whose vector is missing (turning semantic search on, a restore).

    For a CLI command such as `pinhaven reindex --semantic`; returns how many pins were embedded.
    """
    if not semantic_enabled(ctx):
        return 0
    done, last = 0, -1
    while limit is None or done < limit:
        with session_scope(ctx.sessions) as db:
            missing = (
                db.execute(
                    select(SearchDocument)
                    .outerjoin(
                        PinTextVector,
                        (PinTextVector.pin_id == SearchDocument.pin_id)
                        & (PinTextVector.model_id == semantic.MODEL_ID),
                    )
                    .where(PinTextVector.pin_id.is_(None), SearchDocument.pin_id > last)
                    .order_by(SearchDocument.pin_id)
                    .limit(batch)
                )
                .scalars()
                .all()
            )
            work = [(doc.pin_id, _embedded_text(doc)) for doc in missing]
        if not work:
            return done
        last = work[-1][0]
        work = [(pin_id, text) for pin_id, text in work if text]
        if not work:
            continue
        encoded = semantic.encoder().encode([text for _, text in work])
        now = utcnow()
        shared = text_vector_store(ctx.engine)
        with session_scope(ctx.sessions) as db:
            for (pin_id, text), vector in zip(work, encoded, strict=True):
                if (
                    db.get(SearchDocument, pin_id) is not None
                    and db.get(PinTextVector, (pin_id, semantic.MODEL_ID)) is None
                ):
                    db.add(
                        PinTextVector(
                            pin_id=pin_id,
                            model_id=semantic.MODEL_ID,
                            vector=vectors.to_bytes(vector),
                            text_hash=documents.text_hash(text),
                            updated_at=now,
                        )
                    )
                    if shared is not None:
                        db.flush()
                        shared.write(db, pin_id, vector)
        done += len(work)
    return done


def warm_up(ctx: AppContext) -> None:
    """At `serve` start: load the vector matrix, and the model when vectors exist, in background threads."""
    if not semantic_enabled(ctx):
        return
    with session_scope(ctx.read_sessions) as db:
        has_vectors = db.scalar(select(PinTextVector.pin_id).limit(1)) is not None
    if has_vectors:
        if text_vector_store(ctx.engine) is None:  # pgvector needs nothing loaded into the process
            vectors.semantic_index(ctx.engine).refresh_nowait()
        semantic.encoder().start_loading()
