"""The portal's clock and the ``time`` block of every REST answer (doc: limits.md, "Resource Consumption")."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Any

# Dates in answers carry the portal's offset; the sandbox portal lives in Moscow time.
PORTAL_TZ = timezone(timedelta(hours=3))


def now() -> float:
    return time.time()


def iso(ts: float) -> str:
    """ISO 8601 with offset, seconds precision, as in ``date_start`` and CRM datetime fields."""
    return datetime.fromtimestamp(ts, PORTAL_TZ).isoformat(timespec="seconds")


def time_block(
    start: float, finish: float, processing: float, operating: float, reset_at: int | None
) -> dict[str, Any]:
    """The ``time`` object: start, finish, duration, processing, dates, operating and operating_reset_at."""
    block: dict[str, Any] = {
        "start": start,
        "finish": finish,
        "duration": finish - start,
        "processing": processing,
        "date_start": iso(start),
        "date_finish": iso(finish),
        "operating": operating,
    }
    if reset_at is not None:
        block["operating_reset_at"] = reset_at
    return block
