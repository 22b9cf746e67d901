"""Job handlers for tests, importable by worker subprocesses via PINHAVEN_EXTRA_JOB_HANDLERS."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from pinhaven.context import AppContext


def block_once(ctx: AppContext, payload: dict[str, Any]) -> None:
    """First run: mark `started` and block (the test kills this worker). Any later run: mark `done`."""
    folder = Path(payload["dir"])
    started = folder / "started"
    if started.exists():
        (folder / "done").write_text("ok")
        return
    started.write_text("1")
    time.sleep(float(payload.get("block_seconds", 60)))
