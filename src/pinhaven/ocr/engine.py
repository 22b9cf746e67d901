"""The OCR engine: RapidOCR (PaddleOCR's PP-OCRv4 detection and recognition models as ONNX, shipped inside
the `rapidocr-onnxruntime` 1.4 wheel, so nothing is downloaded at run time), loaded once per process, lazily.

Skipping pictures without text, cheapest first: `text_likelihood` looks at a 256 px greyscale copy (text is
many short, sharp, high-contrast strokes; a picture with almost no strong horizontal gradient — a sky, a
soft photograph, a flat colour — is skipped in about a millisecond); then the text detector's network runs
on a 320 px copy (a quarter of the pixels of a full pass) and too few pixels of its probability map look like
text: no text. Only pictures that pass both get the full detection (at `det_side`, default 480 px) and the
recognition of each line.

RapidOCR 1.4.4 ignores `det_limit_side_len` below 960 px with `limit_type: max` (it raises the limit to
960); `_use_det_side` sets the detector's pre-processing directly so the size asked for is the size used.

Languages: the shipped recognition model reads Chinese and Latin script (English and most Western European
words). Other scripts need another PaddleOCR recognition model and its character list
(`PINHAVEN_OCR_REC_MODEL`, `PINHAVEN_OCR_REC_KEYS`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

__all__ = [
    "ENGINE_ID",
    "OcrEngine",
    "OcrLine",
    "OcrResult",
    "is_installed",
    "text_likelihood",
]

log = logging.getLogger("pinhaven.ocr")

ENGINE_ID = "rapidocr-ppocrv4"
LIKELIHOOD_SIDE = 256  # px: the check's greyscale copy
STRONG_GRADIENT = 48  # grey levels between neighbours: a stroke's edge, not shading
# Share of strong-gradient pixels below which a picture is taken to hold no text: only near-blank pictures
# (one short line of 22 px text on a 736 px pin already scores ≈ 0.0013; bench/ocr.py). The detector gate
# below does the real sorting.
MIN_LIKELIHOOD = 0.0005
GATE_SIDE = 320  # px: the detector's quick look
GATE_THRESHOLD = 0.3  # text probability of a pixel in the detector's map (its own binarisation threshold)
# Pixels of the 320 px map above the threshold for a picture to go on: 22 px text on a 736 px pin lights
# ≥ 90, pictures without text mostly 0 (bench/ocr.py).
GATE_MIN_PIXELS = 24
READ_SIDE = 1280  # px: longest side handed to the models (crops for recognition come from this size)


@dataclass(frozen=True)
class OcrLine:
    text: str
    score: float
    box: list[list[int]]  # four corners in the read image's pixels, clockwise from top-left


@dataclass
class OcrResult:
    status: str  # text | none | skipped
    lines: list[OcrLine] = field(default_factory=list)
    likelihood: float = 0.0
    elapsed_ms: float = 0.0
    scale: float = 1.0  # read-image pixels per original pixel

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def is_installed() -> bool:
    try:
        import rapidocr_onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def text_likelihood(image: Image.Image) -> float:
    """Share of pixels of a small greyscale copy with a strong horizontal gradient (0..1)."""
    grey = image.convert("L")
    grey.thumbnail((LIKELIHOOD_SIDE, LIKELIHOOD_SIDE), Image.Resampling.BILINEAR)
    pixels = np.asarray(grey, dtype=np.int16)
    if pixels.shape[0] < 2 or pixels.shape[1] < 2:
        return 0.0
    strong = np.abs(np.diff(pixels, axis=1)) >= STRONG_GRADIENT
    return float(strong.mean())


class OcrEngine:
    """One RapidOCR instance per process (thread-safe: calls are serialised; the models use one thread)."""

    def __init__(
        self,
        *,
        det_side: int = 480,
        min_score: float = 0.5,
        threads: int = 1,
        rec_model: str = "",
        rec_keys: str = "",
        min_likelihood: float = MIN_LIKELIHOOD,
    ) -> None:
        self.det_side = det_side
        self.min_score = min_score
        self.threads = threads
        self.rec_model = rec_model
        self.rec_keys = rec_keys
        self.min_likelihood = min_likelihood
        self._ocr: Any = None
        self._lock = threading.Lock()

    def load(self) -> OcrEngine:
        """Load the models now (≈ 0.5 s); later calls return at once."""
        with self._lock:
            if self._ocr is None:
                os.environ.setdefault("OMP_NUM_THREADS", str(self.threads))
                from rapidocr_onnxruntime import RapidOCR

                options: dict[str, Any] = {
                    "intra_op_num_threads": self.threads,
                    "inter_op_num_threads": 1,
                    "det_limit_side_len": self.det_side,
                    "det_limit_type": "max",
                    "use_cls": False,  # upright text only: the angle classifier costs ~10 ms a line
                    "text_score": self.min_score,
                }
                if self.rec_model:
                    options["rec_model_path"] = self.rec_model
                if self.rec_keys:
                    options["rec_keys_path"] = self.rec_keys
                started = time.perf_counter()
                self._ocr = RapidOCR(**options)
                log.info("OCR models loaded in %.2f s", time.perf_counter() - started)
        return self

    def read(self, image: Image.Image, *, check: bool = True) -> OcrResult:
        """The lines of text in `image`, top to bottom; `check=False` runs the models even on pictures the
        likelihood check would skip."""
        started = time.perf_counter()
        likelihood = text_likelihood(image)
        if check and likelihood < self.min_likelihood:
            return OcrResult("skipped", likelihood=likelihood, elapsed_ms=_ms(started))
        rgb = image.convert("RGB")
        scale = 1.0
        if max(rgb.size) > READ_SIDE:
            scale = READ_SIDE / max(rgb.size)
            rgb = rgb.resize(
                (max(1, round(rgb.width * scale)), max(1, round(rgb.height * scale))),
                Image.Resampling.LANCZOS,
            )
        pixels = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])  # RapidOCR works in BGR, like OpenCV
        engine = self.load()._ocr
        with self._lock:
            if check and _text_pixels(engine, pixels) < GATE_MIN_PIXELS:
                return OcrResult("skipped", likelihood=likelihood, elapsed_ms=_ms(started), scale=scale)
            _use_det_side(engine, self.det_side)
            found, _ = engine(pixels, use_cls=False)
        lines = [
            OcrLine(text=str(text).strip(), score=float(score), box=[[int(x), int(y)] for x, y in box])
            for box, text, score in (found or [])
            if str(text).strip() and float(score) >= self.min_score
        ]
        status = "text" if lines else "none"
        return OcrResult(status, lines, likelihood=likelihood, elapsed_ms=_ms(started), scale=scale)


def _text_pixels(engine: Any, pixels: np.ndarray) -> int:
    """Pixels of the detector's probability map, on a GATE_SIDE copy, that look like text."""
    from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

    det = engine.text_det
    prepared = DetPreProcess(GATE_SIDE, "max", det.mean, det.std)(pixels)
    if prepared is None:
        return 0
    probabilities = det.infer(prepared)[0]
    return int((probabilities > GATE_THRESHOLD).sum())


def _use_det_side(engine: Any, side: int) -> None:
    """Make RapidOCR's detector scale the longest side to `side` px (see the module docstring)."""
    from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

    det = engine.text_det
    preprocess = DetPreProcess(side, "max", det.mean, det.std)
    det.get_preprocess = lambda _longest: preprocess


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
