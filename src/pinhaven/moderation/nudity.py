"""Nudity score of a picture from NudeNet's detector (the `safety` extra: `nudenet`, whose 12 MB ONNX model
ships inside the wheel and runs on onnxruntime; nothing is downloaded). Without the package, no score.

The score is the highest confidence among exposed-explicit classes; covered body parts, faces and feet
count for nothing. Loaded once per process, lazily (≈ 30 ms per 736 px image on one core).
"""

from __future__ import annotations

import threading
from typing import Any

EXPLICIT = frozenset(
    {
        "FEMALE_BREAST_EXPOSED",
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)

_lock = threading.Lock()
_detector: Any = None
_missing = False


def available() -> bool:
    return _load() is not None


def _load() -> Any:
    global _detector, _missing
    if _detector is not None or _missing:
        return _detector
    with _lock:
        if _detector is None and not _missing:
            try:
                from nudenet import NudeDetector
            except ImportError:
                _missing = True
                return None
            _detector = NudeDetector()
    return _detector


def score_image(data: bytes) -> float | None:
    """0..1 for encoded image bytes; None when NudeNet is not installed or the bytes do not decode."""
    detector = _load()
    if detector is None:
        return None
    import cv2
    import numpy as np

    matrix = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if matrix is None:
        return None
    with _lock:  # one inference at a time per process: the ONNX session is shared
        detections = detector.detect(matrix)
    return max((float(d["score"]) for d in detections if d.get("class") in EXPLICIT), default=0.0)
