"""What the dashboard reads from the journal: exchanges per hour (last 24 h) and per day (last 14 days) by stream
(kind) and base, the median and p95 transfer time over the same windows, and each stream's last successful run.

All of it is computed by the database over one portal's window, grouped, never walked row by row in Python —
with one exception the brief of the dashboard asked for: SQLite has no percentile aggregate, so there the
durations of the (bounded) window are read and the percentiles computed here, with exactly the definition of
PostgreSQL's `percentile_cont` (linear interpolation between the two nearest ranks). `transfer_times` is the one
entry point for both; tests check the two give the same numbers on the same rows.

Exchanges are counted per whole hour (seconds since the epoch // 3600: a portable expression per dialect, so an
hour is the same on both databases), and the windows' buckets summed from the hours. Days are Moscow days:
Moscow keeps UTC+3 all year (no DST since 2014), so a day is always 24 whole hours. Hours that are over are
counted once and kept in Redis (`ClosedHours`); the percentiles are always computed over the window's rows.

Statuses (store/journal.py): `ok` is a success; `error` and `retry` (an attempt that failed and will be tried
again) are failures; `skipped` is neither.
"""

from __future__ import annotations

import bisect
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from redis import Redis
from sqlalchemy import ARRAY, BigInteger, DateTime, Integer, String, and_, case, cast, func, literal, or_, select, text
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.orm import Session

from b24app.core.formatting import MOSCOW
from b24app.store.db import Database
from b24app.store.journal_query import KINDS_CTE, aware
from b24app.store.models import JournalRow

HOUR, DAY = 3600, 86400
HOURS, DAYS = 24, 14
OK = "ok"
FAILED = ("error", "retry")
QUANTILES = (0.5, 0.95)

log = logging.getLogger(__name__)

Key = tuple[str, int | None]  # (kind, base_id)
T = TypeVar("T")


@dataclass(frozen=True)
class Window:
    """`buckets` consecutive buckets of `width` seconds from `start` (aware UTC)."""

    start: datetime
    width: int
    buckets: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.width * self.buckets)

    def bucket_start(self, index: int) -> datetime:
        return self.start + timedelta(seconds=self.width * index)

    def index_of(self, moment: datetime) -> int | None:
        """The bucket a moment falls in, None outside the window (what the SQL computes, for tests and callers)."""
        offset = math.floor((aware(moment) - self.start).total_seconds())
        index = offset // self.width
        return index if 0 <= index < self.buckets else None


def hours_window(now: datetime) -> Window:
    """The last 24 hours: whole hours, the current one last."""
    now = aware(now)
    top = now.replace(minute=0, second=0, microsecond=0)
    return Window(top - timedelta(hours=HOURS - 1), HOUR, HOURS)


def days_window(now: datetime, tz: ZoneInfo = MOSCOW) -> Window:
    """The last 14 days as days of `tz` (Moscow: fixed UTC+3), today last."""
    local = aware(now).astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return Window((midnight - timedelta(days=DAYS - 1)).astimezone(UTC), DAY, DAYS)


@dataclass
class Counts:
    """Successes and failures per bucket of a window."""

    ok: list[int]
    failed: list[int]

    @classmethod
    def empty(cls, buckets: int) -> Counts:
        return cls([0] * buckets, [0] * buckets)

    @property
    def total_ok(self) -> int:
        return sum(self.ok)

    @property
    def total_failed(self) -> int:
        return sum(self.failed)


@dataclass(frozen=True)
class Percentiles:
    count: int
    median: float | None
    p95: float | None


def _epoch(session: Session):  # noqa: ANN202 - a SQL expression
    """Whole seconds since the epoch of `started_at`, in the dialect's words."""
    if session.get_bind().dialect.name == "postgresql":
        # date_part gives a double; extract() a numeric since PostgreSQL 14, measured 40 % slower over 150k rows.
        return cast(func.floor(func.date_part("epoch", JournalRow.started_at)), BigInteger)
    # SQLite stores UTC as text; strftime('%s') reads it as UTC.
    return cast(func.strftime("%s", JournalRow.started_at), BigInteger)


def _in_window(pid: int, since: datetime, until: datetime) -> list:
    return [JournalRow.portal_id == pid, JournalRow.started_at >= aware(since), JournalRow.started_at < aware(until)]


def hour_counts(db: Database, pid: int, since: datetime, until: datetime) -> dict[int, dict[Key, tuple[int, int]]]:
    """Successes and failures per whole hour in [since, until) (both on hour boundaries), by (kind, base_id): one
    grouped query. Keyed by the hour's start in epoch seconds; hours without exchanges are absent."""
    with db.transaction() as s:
        hour = (_epoch(s) // literal(HOUR)).label("hour")
        ok = func.sum(case((JournalRow.status == OK, 1), else_=0))
        failed = func.sum(case((JournalRow.status.in_(FAILED), 1), else_=0))
        rows = s.execute(select(hour, JournalRow.kind, JournalRow.base_id, ok, failed)
                         .where(*_in_window(pid, since, until))
                         .group_by(hour, JournalRow.kind, JournalRow.base_id)).all()
    out: dict[int, dict[Key, tuple[int, int]]] = {}
    for h, kind, base_id, n_ok, n_failed in rows:
        out.setdefault(int(h) * HOUR, {})[(kind, base_id)] = (int(n_ok or 0), int(n_failed or 0))
    return out


def moscow_days(redis: Redis, key: str) -> PeriodCache:
    """A PeriodCache of Moscow days (midnight is 21:00 UTC: Moscow keeps UTC+3 all year)."""
    origin = int(datetime(2020, 1, 1, tzinfo=MOSCOW).timestamp()) % DAY
    return PeriodCache(redis, key, width=DAY, origin=origin)


class PeriodCache:
    """Figures of whole periods (hours, days) of a portal's journal, kept in a Redis hash once the period is over
    (field: the period's start, epoch seconds).

    A journal row is written when its exchange ends, with the time it started: a period's figures keep changing
    for as long as an exchange that started in it can still be running. Once a period ended `grace` ago (two hours
    by default; every call to 1C and to the portal has a timeout far shorter) they no longer change, so they are
    computed once and read back afterwards; the periods after that are always computed afresh. Periods start at
    `origin` + k·`width` seconds since the epoch (days: Moscow midnights)."""

    def __init__(self, redis: Redis, key: str, *, width: int = HOUR, origin: int = 0,
                 grace: timedelta = timedelta(hours=2), keep: timedelta = timedelta(days=DAYS + 1)) -> None:
        self.redis, self.key, self.width, self.origin = redis, key, width, origin
        self.grace, self.keep = grace, keep

    def closed_until(self, now: datetime) -> int:
        """The end of the last period that is over for good (epoch seconds)."""
        moment = int((aware(now) - self.grace).timestamp())
        return moment - (moment - self.origin) % self.width

    def read(self, since: int, until: int, now: datetime, compute: Callable[[int, int], dict[int, T]],
             encode: Callable[[T], str], decode: Callable[[bytes], T], empty: T) -> tuple[dict[int, T], int]:
        """The cached periods in [since, min(until, closed_until)), computing (`compute(first, last)`, one call)
        and keeping the missing ones; returns them and where the closed part ends (the caller counts the rest)."""
        closed = max(since, min(until, self.closed_until(now)))
        periods = list(range(since, closed, self.width))
        out: dict[int, T] = {}
        missing: list[int] = []
        for period, raw in zip(periods, self.redis.hmget(self.key, periods) if periods else [], strict=True):
            if raw is None:
                missing.append(period)
            else:
                out[period] = decode(raw)
        if missing:
            computed = compute(missing[0], missing[-1] + self.width)
            fresh = {period: computed.get(period, empty) for period in missing}
            oldest = since - int(self.keep.total_seconds())
            stale = [f for f in self.redis.hkeys(self.key) if int(f) < oldest]
            pipe = self.redis.pipeline(transaction=False)
            if stale:
                pipe.hdel(self.key, *stale)
            pipe.hset(self.key, mapping={period: encode(value) for period, value in fresh.items()})
            pipe.expire(self.key, int(self.keep.total_seconds()))
            pipe.execute()
            out.update(fresh)
        return out, closed


def _at(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class ClosedHours:
    """Hour counts with the hours that are over cached (PeriodCache). On a million-row journal this turns the
    14-day window (150k rows, ~150 ms on PostgreSQL) into one read of a Redis hash plus a small query over the
    open hours (measured in bench/monitoring_pages.py)."""

    def __init__(self, redis: Redis, key: str, **kwargs) -> None:  # noqa: ANN003 - PeriodCache's
        self.cache = PeriodCache(redis, key, width=HOUR, **kwargs)
        self.key = key

    def counts(self, db: Database, pid: int, since: datetime, until: datetime,
               now: datetime) -> dict[int, dict[Key, tuple[int, int]]]:
        first, last = int(aware(since).timestamp()), int(aware(until).timestamp())
        out, closed = self.cache.read(first, last, now, lambda a, b: hour_counts(db, pid, _at(a), _at(b)),
                                      _encode, _decode, {})
        if closed < last:
            out.update(hour_counts(db, pid, _at(closed), _at(last)))
        return out


def _encode(value: dict[Key, tuple[int, int]]) -> str:
    return json.dumps([[kind, base_id, ok, failed] for (kind, base_id), (ok, failed) in value.items()])


def _decode(raw: bytes) -> dict[Key, tuple[int, int]]:
    return {(kind, base_id): (ok, failed) for kind, base_id, ok, failed in json.loads(raw)}


def bucket_counts(hours: dict[int, dict[Key, tuple[int, int]]], window: Window) -> dict[Key, Counts]:
    """The window's buckets (whole hours each: an hour, a Moscow day) summed from hour counts."""
    out: dict[Key, Counts] = {}
    start = int(window.start.timestamp())
    for hour, groups in hours.items():
        index = (hour - start) // window.width
        if not 0 <= index < window.buckets:
            continue
        for key, (ok, failed) in groups.items():
            counts = out.setdefault(key, Counts.empty(window.buckets))
            counts.ok[index] += ok
            counts.failed[index] += failed
    return out


def percentile_cont(values: Sequence[float], q: float) -> float | None:
    """PostgreSQL's percentile_cont(q) over `values`: the value at rank q·(n−1) of the sorted values, linearly
    interpolated between its neighbours; None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def transfer_times(db: Database, pid: int, since: datetime, until: datetime, *,
                   in_sql: bool | None = None) -> dict[Key, Percentiles]:
    """Median and p95 of `duration_ms` of the successful exchanges started in [since, until), by (kind, base_id).

    `in_sql` None: percentile_cont in SQL on PostgreSQL, in Python elsewhere; True/False forces one (PostgreSQL
    can do both, which is how the two are compared)."""
    where = [*_in_window(pid, since, until), JournalRow.status == OK, JournalRow.duration_ms.is_not(None)]
    with db.transaction() as s:
        sql = s.get_bind().dialect.name == "postgresql" if in_sql is None else in_sql
        if sql:
            # Both fractions from one sort (an array of fractions), kept in memory: the default 4 MB work_mem
            # spilled the 14-day window's sort to disk.
            s.execute(text("SET LOCAL work_mem = '32MB'"))
            both = func.percentile_cont(array(QUANTILES)).within_group(JournalRow.duration_ms)
            rows = s.execute(select(JournalRow.kind, JournalRow.base_id, func.count(), both)
                             .where(*where).group_by(JournalRow.kind, JournalRow.base_id)).all()
            return {(kind, base_id): Percentiles(int(n), _num(values[0]), _num(values[1]))
                    for kind, base_id, n, values in rows}
        durations: dict[Key, list[int]] = {}
        for kind, base_id, ms in s.execute(select(JournalRow.kind, JournalRow.base_id, JournalRow.duration_ms)
                                           .where(*where)):
            durations.setdefault((kind, base_id), []).append(ms)
    return {key: Percentiles(len(values), *(percentile_cont(values, q) for q in QUANTILES))
            for key, values in durations.items()}


def _num(value: object) -> float | None:
    return None if value is None else float(value)


# Duration histogram edges (ms): 0, 1, 2, … then steps of 7 % up to beyond an hour. Integers, so PostgreSQL's
# width_bucket and the ranges read back compare exactly; a bucket near the median of a busy stream holds a few
# hundred distinct millisecond values at most.
EDGES = tuple(sorted({0, *(int(1.07**i) for i in range(1, 226))}))
Histogram = dict[Key, dict[int, int]]  # (kind, base_id) -> {bucket: count}


def _bucket(ms: int) -> int:
    """PostgreSQL's width_bucket(ms, EDGES): how many edges are <= ms."""
    return bisect.bisect_right(EDGES, ms)


def _bucket_range(bucket: int):  # noqa: ANN202 - a SQL condition on duration_ms
    low = EDGES[bucket - 1] if bucket > 0 else None
    high = EDGES[bucket] if bucket < len(EDGES) else None
    return and_(*(c for c in (JournalRow.duration_ms >= low if low is not None else None,
                              JournalRow.duration_ms < high if high is not None else None) if c is not None))


def _base_is(base_id: int | None):  # noqa: ANN202 - a SQL condition
    return JournalRow.base_id.is_(None) if base_id is None else JournalRow.base_id == base_id


def _transfers(pid: int, since: datetime, until: datetime) -> list:
    return [*_in_window(pid, since, until), JournalRow.status == OK, JournalRow.duration_ms.is_not(None)]


def histograms(db: Database, pid: int, since: datetime, until: datetime, *,
               day_origin: int | None = None) -> dict[int, Histogram]:
    """Counts of successful exchanges' durations per EDGES bucket and (kind, base_id), in [since, until) — per day
    (days starting at `day_origin` + k·86400 s) or, without `day_origin`, all under key 0. PostgreSQL only."""
    with db.transaction() as s:
        bucket = func.width_bucket(JournalRow.duration_ms, literal(list(EDGES), ARRAY(Integer))).label("bucket")
        day = (((_epoch(s) - literal(day_origin)) // literal(DAY)) * literal(DAY) + literal(day_origin)
               if day_origin is not None else literal(0)).label("day")
        rows = s.execute(select(day, JournalRow.kind, JournalRow.base_id, bucket, func.count())
                         .where(*_transfers(pid, since, until))
                         .group_by(day, JournalRow.kind, JournalRow.base_id, bucket)).all()
    out: dict[int, Histogram] = {}
    for d, kind, base_id, b, n in rows:
        out.setdefault(int(d), {}).setdefault((kind, base_id), {})[int(b)] = int(n)
    return out


def _encode_histogram(value: Histogram) -> str:
    return json.dumps([[kind, base_id, list(buckets.items())] for (kind, base_id), buckets in value.items()])


def _decode_histogram(raw: bytes) -> Histogram:
    return {(kind, base_id): dict(pairs) for kind, base_id, pairs in json.loads(raw)}


def _ranks(n: int, q: float) -> tuple[int, int, float]:
    """percentile_cont's two ranks (0-based) and the weight of the upper one."""
    rank = q * (n - 1)
    low = math.floor(rank)
    return low, min(low + 1, n - 1), rank - low


def _locate(buckets: dict[int, int], rank: int) -> tuple[int, int]:
    """(the bucket holding the value of `rank`, how many values lie in the buckets below it)."""
    below = 0
    for bucket in sorted(buckets):
        if rank < below + buckets[bucket]:
            return bucket, below
        below += buckets[bucket]
    raise ValueError(f"rank {rank} beyond {below} values")


def window_transfer_times(db: Database, pid: int, window: Window, now: datetime,
                          days: PeriodCache | None) -> dict[Key, Percentiles]:
    """`transfer_times` over a long window (the 14 days), exactly percentile_cont's numbers, cheaper on
    PostgreSQL: sorting the window's 150k durations took ~110 ms of a 200 ms budget at 1M rows.

    Two steps, both exact: (1) a histogram of the durations per EDGES bucket — the days that are over read from
    `days` (a PeriodCache of Moscow days), the rest counted; it gives each (kind, base) its count and the buckets
    that hold the values at percentile_cont's ranks; (2) one index-only pass over the window returning only the
    durations inside those buckets, with their counts, from which the values at the ranks are read off. Elsewhere
    (SQLite), or without the cache, it is `transfer_times`."""
    with db.transaction() as s:
        postgres = s.get_bind().dialect.name == "postgresql"
    if not postgres or days is None:
        return transfer_times(db, pid, window.start, window.end)
    start, end = int(window.start.timestamp()), int(window.end.timestamp())
    cached, closed = days.read(start, end, now,
                               lambda a, b: histograms(db, pid, _at(a), _at(b), day_origin=days.origin),
                               _encode_histogram, _decode_histogram, {})
    parts = list(cached.values())
    if closed < end:
        parts.extend(histograms(db, pid, _at(closed), _at(end)).values())
    merged: Histogram = {}
    for part in parts:
        for key, buckets in part.items():
            into = merged.setdefault(key, {})
            for bucket, n in buckets.items():
                into[bucket] = into.get(bucket, 0) + n
    wanted: dict[Key, set[int]] = {}
    plan: dict[Key, list[tuple[int, int, int, int, float]]] = {}
    for key, buckets in merged.items():
        n = sum(buckets.values())
        for q in QUANTILES:
            low, high, weight = _ranks(n, q)
            (b_low, below_low), (b_high, below_high) = _locate(buckets, low), _locate(buckets, high)
            wanted.setdefault(key, set()).update((b_low, b_high))
            plan.setdefault(key, []).append((low - below_low, b_low, high - below_high, b_high, weight))
    values: dict[tuple[Key, int], list[tuple[int, int]]] = {}
    if wanted:
        condition = or_(*(and_(JournalRow.kind == kind, _base_is(base_id), or_(*(_bucket_range(b) for b in bs)))
                          for (kind, base_id), bs in wanted.items()))
        with db.transaction() as s:
            rows = s.execute(select(JournalRow.kind, JournalRow.base_id, JournalRow.duration_ms, func.count())
                             .where(*_transfers(pid, window.start, window.end), condition)
                             .group_by(JournalRow.kind, JournalRow.base_id, JournalRow.duration_ms)).all()
        for kind, base_id, ms, n in rows:
            values.setdefault(((kind, base_id), _bucket(ms)), []).append((int(ms), int(n)))
    out: dict[Key, Percentiles] = {}
    try:
        for key, steps in plan.items():
            found = []
            for offset_low, b_low, offset_high, b_high, weight in steps:
                low = _value_at(values.get((key, b_low), []), offset_low)
                high = _value_at(values.get((key, b_high), []), offset_high)
                found.append(low + (high - low) * weight)
            out[key] = Percentiles(sum(merged[key].values()), float(found[0]), float(found[1]))
    except ValueError as exc:
        # A day that was over changed after all (rows removed with their portal's base, say): count it afresh.
        log.warning("journal duration histograms of portal %s out of date (%s); recounting", pid, exc)
        days.redis.delete(days.key)
        return transfer_times(db, pid, window.start, window.end)
    return out


def _value_at(pairs: list[tuple[int, int]], offset: int) -> int:
    """The value at 0-based `offset` of a bucket's (value, count) pairs."""
    seen = 0
    for value, n in sorted(pairs):
        seen += n
        if offset < seen:
            return value
    raise ValueError(f"offset {offset} beyond the bucket's {seen} values (the cached days changed)")


def last_success(db: Database, pid: int) -> dict[str, datetime]:
    """Each stream's last successful exchange (any base). One index probe per stream: the streams by a skip scan
    of the (portal_id, kind, started_at, id) index, then for each the newest `ok` row walking that index back
    (failures are few, so the walk is short) — never a MAX over every success of the journal."""
    query = text(
        KINDS_CTE + " SELECT k.kind AS kind, (SELECT j.started_at FROM exchange_journal j WHERE j.portal_id = :pid"
        " AND j.kind = k.kind AND j.status = :ok ORDER BY j.started_at DESC, j.id DESC LIMIT 1) AS last"
        " FROM k WHERE k.kind IS NOT NULL"
    ).columns(kind=String(), last=DateTime(timezone=True))
    with db.transaction() as s:
        rows = s.execute(query, {"pid": pid, "ok": OK}).all()
    return {kind: aware(last) for kind, last in rows if last is not None}


@dataclass(frozen=True)
class BucketFill:
    """How full the portal's request bucket is now (bitrix/ratelimit.py keeps it in Redis)."""

    level: float
    capacity: int

    @property
    def share(self) -> float:
        return min(1.0, self.level / self.capacity) if self.capacity else 0.0


def bucket_fill(redis: Redis, key: str, rate: float, capacity: int) -> BucketFill:
    """The leaky bucket's level drained to the Redis server's now, as the limiter's script would see it."""
    pipe = redis.pipeline(transaction=False)
    pipe.hmget(key, "level", "ts")
    pipe.time()
    (level, ts), (seconds, micros) = pipe.execute()
    if level is None or ts is None:
        return BucketFill(0.0, capacity)
    now = seconds + micros / 1_000_000
    return BucketFill(max(0.0, float(level) - max(0.0, now - float(ts)) * rate), capacity)


@dataclass
class StreamFigures:
    """One (kind, base) row of the dashboard."""

    kind: str
    base_id: int | None
    hours: Counts
    days: Counts
    day_times: Percentiles = field(default_factory=lambda: Percentiles(0, None, None))
    hour_times: Percentiles = field(default_factory=lambda: Percentiles(0, None, None))


@dataclass(frozen=True)
class JournalFigures:
    hours: Window
    days: Window
    streams: list[StreamFigures]
    last_success: dict[str, datetime]


def journal_figures(db: Database, pid: int, now: datetime, hours_cache: ClosedHours,
                    days_cache: PeriodCache | None = None) -> JournalFigures:
    """Everything the dashboard shows from the journal, for one portal as of `now`."""
    hours, days = hours_window(now), days_window(now)
    counted = hours_cache.counts(db, pid, min(hours.start, days.start), max(hours.end, days.end), now)
    by_hour, by_day = bucket_counts(counted, hours), bucket_counts(counted, days)
    hour_times = transfer_times(db, pid, hours.start, hours.end)
    day_times = window_transfer_times(db, pid, days, now, days_cache)
    keys = sorted(set(by_hour) | set(by_day) | set(day_times),
                  key=lambda k: (k[0], -1 if k[1] is None else k[1]))
    streams = [StreamFigures(kind, base_id, by_hour.get((kind, base_id)) or Counts.empty(hours.buckets),
                             by_day.get((kind, base_id)) or Counts.empty(days.buckets),
                             day_times.get((kind, base_id)) or Percentiles(0, None, None),
                             hour_times.get((kind, base_id)) or Percentiles(0, None, None))
               for kind, base_id in keys]
    return JournalFigures(hours, days, streams, last_success(db, pid))


@dataclass(frozen=True)
class CircuitState:
    """A 1C base's circuit breaker while it is open (jobs/circuit.py keeps it in Redis): until when the exchange
    leaves the base alone, and why."""

    until: datetime
    why: str


def circuit_state(redis: Redis, key: str, now: datetime) -> CircuitState | None:
    """The open circuit of a base, None when it is closed (no record, or its time is over)."""
    state = redis.hgetall(key)
    until = state.get(b"until") if state else None
    if until is None:
        return None
    moment = datetime.fromtimestamp(float(until), UTC)
    if moment <= aware(now):
        return None
    return CircuitState(moment, (state.get(b"why") or b"").decode(errors="replace"))
