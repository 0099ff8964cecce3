"""A seeded journal for the journal page and dashboard tests: a deterministic day (and a fortnight behind it) of
exchanges of several streams and two 1C bases, inserted directly through the store's table — the point of those
tests is reading the journal, not the flows that write it."""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from b24app.runtime import Runtime
from b24app.store.models import JournalRow
from b24app.store.tenancy import portal_id

# (kind, direction, entity prefix or None, share of failures, typical duration ms)
STREAMS = (
    ("payments", "1c_to_b24", None, 0.05, 900),
    ("deal_order", "b24_to_1c", "deal", 0.10, 2400),
    ("debt", "1c_to_b24", None, 0.0, 400),
    ("shipments", "1c_to_b24", None, 0.20, 1500),
)
ERRORS = (
    "b24app.onec.errors.OneCUnavailable: 1C base ut did not answer in 30 s",
    "1C refused the document:\nb24app.core.errors.PermanentError: the company's INN 7707083894 is not valid "
    "(check digits)",
)
# What the page shows of each: the last line, without the module path.
PLAIN_ERRORS = (
    "OneCUnavailable: 1C base ut did not answer in 30 s",
    "PermanentError: the company's INN 7707083894 is not valid (check digits)",
)


@dataclass(frozen=True)
class Seed:
    kind: str
    direction: str
    status: str
    base_id: int | None
    entity: str | None
    started_at: datetime  # aware UTC
    duration_ms: int | None
    items: int | None
    error: str | None


class FixedNow:
    """The system clock, except that `now()` stands still at the moment the journal was seeded around (so the
    dashboard's windows are the ones the test computes); waits and timeouts stay real."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def seeded_journal(now: datetime, base_ids: tuple[int, int], *, day_rows: int = 360, seed: int = 15) -> list[Seed]:
    """`day_rows` exchanges spread over the 24 hours before `now`, one a day for 16 days before that (so the
    14-day window has an inside and an outside), runs of rows sharing one timestamp (keyset paging across equal
    times), rows on hour boundaries, and a deal whose card the page links. Deterministic for a given `now`."""
    rnd = random.Random(seed)
    rows: list[Seed] = []

    def one(at: datetime, stream: tuple, base_id: int | None, n: int) -> Seed:
        kind, direction, prefix, fail_share, typical = stream
        failed = rnd.random() < fail_share
        status = "error" if failed else rnd.choice(("ok",) * 9 + ("skipped",))
        if failed and n % 3 == 0:
            status = "retry"
        return Seed(kind=kind, direction=direction, status=status, base_id=base_id,
                    entity=f"{prefix}:{100 + n % 40}" if prefix else None, started_at=at,
                    duration_ms=int(typical * (0.3 + rnd.random() * 1.7)) if status != "skipped" else None,
                    items=rnd.randint(0, 50) if status == "ok" else None,
                    error=ERRORS[n % len(ERRORS)] if status in ("error", "retry") else None)

    for n in range(day_rows):
        at = now - timedelta(seconds=rnd.randint(1, 24 * 3600 - 1))
        stream = STREAMS[n % len(STREAMS)]
        rows.append(one(at, stream, base_ids[n % 2] if stream[0] != "deal_order" else base_ids[0], n))
    top = now.replace(minute=0, second=0, microsecond=0)
    for h in range(0, 30, 5):  # exactly on hour boundaries, inside and outside the 24 hours
        rows.append(one(top - timedelta(hours=h), STREAMS[0], base_ids[0], 1000 + h))
    same = now - timedelta(minutes=37, seconds=12)
    for n in range(7):  # one moment, seven exchanges (a batch journaled at once)
        rows.append(one(same, STREAMS[1], base_ids[0], 2000 + n))
    for d in range(1, 17):
        rows.append(one(now - timedelta(days=d, hours=3), STREAMS[d % len(STREAMS)], base_ids[d % 2], 3000 + d))
    rows.append(Seed("schema_check", "internal", "ok", None, None, now - timedelta(hours=2), 120, 1, None))
    rows.append(Seed("payments", "1c_to_b24", "ok", base_ids[1], "company:7", now - timedelta(hours=5), 777, 3,
                     None))
    return rows


def insert_journal(ctx: Runtime, member_id: str, rows: list[Seed]) -> None:
    with ctx.db.transaction() as s:
        pid = portal_id(s, member_id)
        s.execute(insert(JournalRow), [{**asdict(r), "portal_id": pid} for r in rows])


def two_bases(ctx: Runtime, member_id: str) -> tuple[int, int]:
    """Two 1C bases of the portal (never called: the journal only names them)."""
    first = ctx.bases.save(member_id, name="УТ <Москва>", url="https://1c.example.ru/ut/", login="Администратор",
                           password="secret", profile="ut11")
    second = ctx.bases.save(member_id, name="БП & Север", url="https://1c.example.ru/bp/", login="Администратор",
                            password="secret", profile="bp30")
    return first.id, second.id


def moment(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
