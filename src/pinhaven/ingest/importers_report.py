"""Import reports: one line per row (and per board, section, follow, profile note) as JSONL or CSV."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

__all__ = ["Outcome", "ReportWriter"]


@dataclass(frozen=True)
class Outcome:
    row: int
    kind: str  # pin, board, section, follow, profile
    source_id: str
    label: str
    status: str  # created, skipped, failed
    reason: str | None = None
    pin_id: str | None = None


class ReportWriter:
    """Writes outcomes to `path` (CSV when it ends in .csv, else JSONL); no file when `path` is None."""

    COLUMNS = ("row", "kind", "source_id", "label", "status", "reason", "pin_id")

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._file: IO[str] | None = None
        self._csv: Any = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = path.open("w", encoding="utf-8", newline="")
            if path.suffix.lower() == ".csv":
                self._csv = csv.writer(self._file)
                self._csv.writerow(self.COLUMNS)

    def write(self, outcomes: list[Outcome]) -> None:
        if self._file is None:
            return
        for outcome in outcomes:
            if self._csv is not None:
                self._csv.writerow(
                    [getattr(outcome, c) if getattr(outcome, c) is not None else "" for c in self.COLUMNS]
                )
            else:
                self._file.write(json.dumps(asdict(outcome), ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
