"""The objectives the ranker predicts and how they combine into one utility (`PINHAVEN_RANKING_WEIGHTS`).

Each objective is the probability that an impression of the pin is followed, within the labelling window,
by that action. A page is ranked by  utility = Σ weight[objective] · P(objective)  (hides weigh negative).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["DEFAULT_WEIGHTS", "LABEL_BITS", "OBJECTIVES", "format_weights", "parse_weights"]

OBJECTIVES = ("save", "click", "closeup", "hide")
# Bits of the per-candidate label byte (ranking_feature_logs.labels).
LABEL_BITS = {"impression": 1, "closeup": 2, "click": 4, "save": 8, "hide": 16}
DEFAULT_WEIGHTS = "save=1,click=0.6,closeup=0.3,hide=-2"


def parse_weights(text: str) -> dict[str, float]:
    """`save=1,click=0.6,closeup=0.3,hide=-2` → weights; objectives left out weigh 0. ValueError names the
    bad part."""
    weights = dict.fromkeys(OBJECTIVES, 0.0)
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in OBJECTIVES:
            raise ValueError(f"{part!r}: expected objective=weight with objective in {', '.join(OBJECTIVES)}")
        try:
            weight = float(value)
        except ValueError:
            raise ValueError(f"{part!r}: {value.strip()!r} is not a number") from None
        if weight != weight or abs(weight) > 1e6:
            raise ValueError(f"{part!r}: weight out of range")
        weights[name] = weight
    if not any(weights[o] > 0 for o in OBJECTIVES):
        raise ValueError("at least one objective needs a positive weight")
    return weights


def format_weights(weights: Mapping[str, float]) -> str:
    return ",".join(f"{o}={weights.get(o, 0.0):g}" for o in OBJECTIVES)
