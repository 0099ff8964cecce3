"""The journal page and the dashboard over a million journal rows on PostgreSQL.

    python bench/monitoring_pages.py [--rows 1000000] [--requests 40] [--database URL] [--fast] [--keep]

A portal's journal of `--rows` exchanges spread over 90 days (the default retention, B24APP_JOURNAL_DAYS: a busy
portal's million rows) is loaded with COPY into a freshly migrated database — the indexes of
0006_journal_indexes in place, as in production — then VACUUM ANALYZE (what autovacuum does to a table that
grew). The streams are those the app writes (deal orders, invoices, payments, shipments and debt per base, base
checks), about 6 % failed or retried, durations from tens of milliseconds to tens of seconds.

Then each page is requested `--requests` times through the Flask test client (the whole request: the frame
token checked, the queries, the template) with an administrator's signed frame token, after two warm-ups:

* journal, first page — the newest 50 rows;
* journal, filtered — one stream's failures (`kind=deal_order&status=error`);
* journal, deep — the page after the row half-way down the journal (the "older" link's cursor at row 500,000);
* journal, entity — one deal's exchanges (`entity=deal:…`);
* dashboard — per stream and base: 24 hourly and 14 daily buckets of successes and failures, median and p95
  over both windows, last success per stream, backlog, workers, scheduler, bases. Its first request counts the
  14 days' hours and duration histograms that are over and keeps them in Redis (ops/dashboard_figures.py); that
  cold request is printed apart (`dashboard_cold_ms`), the p95 is of the requests after it. Before measuring, the
  14-day percentiles read through those histograms are checked against percentile_cont over the same rows
  (`percentiles_exact=1`).

Printed: median and p95 per page; the last line holds the figures as key=value, `ratio` = the worst p95 over the
target (200 ms): below 1 meets it. `--fast`: 50,000 rows and 20 requests each.

The database named by `--database` (default: B24APP_BENCH_DATABASE, else the test PostgreSQL) has its public
schema DROPPED and recreated: point it at a database of its own. Redis: B24APP_BENCH_REDIS (default
redis://127.0.0.1:6379/1); the bench uses a fresh key prefix and deletes its keys afterwards.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import secrets
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg  # noqa: E402
from redis import Redis  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from b24app.config import Settings  # noqa: E402
from b24app.ops import dashboard_figures as dfig  # noqa: E402
from b24app.runtime import Runtime  # noqa: E402
from b24app.store.journal_query import Cursor  # noqa: E402
from b24app.store.migrate import upgrade  # noqa: E402
from b24app.store.models import JournalRow, OneCBaseRow, OutboxRow, Portal, PortalStatus  # noqa: E402
from b24app.web import create_app  # noqa: E402
from b24app.web.frame import FrameUser, sign_frame  # noqa: E402

DEFAULT_DATABASE = os.environ.get("B24APP_BENCH_DATABASE", "postgresql://postgres:postgres@127.0.0.1:5432/test")
TARGET_MS = 200.0
DAYS = 90
MEMBER = "bench-member-0001"
# kind, direction, share of the journal, entity prefix, median duration ms, failure share
STREAMS = (
    ("deal_order", "b24_to_1c", 0.40, "deal", 1800, 0.07),
    ("invoice", "b24_to_1c", 0.10, "invoice", 1500, 0.05),
    ("payments", "1c_to_b24", 0.20, None, 900, 0.04),
    ("shipments", "1c_to_b24", 0.15, None, 1100, 0.05),
    ("debt", "1c_to_b24", 0.12, None, 600, 0.02),
    ("schema_check", "internal", 0.03, None, 300, 0.10),
)
ERRORS = ("OneCUnavailable: 1C base ut did not answer in 30 s",
          "PermanentError: the company's INN 7707083894 is not valid (check digits)",
          "BitrixError: QUERY_LIMIT_EXCEEDED")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--requests", type=int, default=40, help="requests per page measured")
    p.add_argument("--database", default=DEFAULT_DATABASE, help="PostgreSQL URL (its public schema is dropped)")
    p.add_argument("--fast", action="store_true", help="50,000 rows, 20 requests per page")
    p.add_argument("--keep", action="store_true", help="reuse the rows already loaded when their count matches")
    options = p.parse_args(argv)
    if options.fast:
        options.rows, options.requests = min(options.rows, 50_000), min(options.requests, 20)
    if not options.database.startswith("postgresql"):
        p.error("--database must be a PostgreSQL URL")
    return options


def fresh_schema(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    upgrade(url)


def _copy_lines(pid: int, bases: tuple[int, int], rows: int, now: datetime, seed: int = 15):
    """The journal as COPY text lines, oldest first (ids grow with time, as they do when the app writes)."""
    rnd = random.Random(seed)
    span = DAYS * 86400
    weights = [s[2] for s in STREAMS]
    step = span / rows
    start = now - timedelta(seconds=span)
    for n in range(rows):
        kind, direction, _, prefix, median, fail = rnd.choices(STREAMS, weights)[0]
        at = start + timedelta(seconds=n * step + rnd.random() * step)
        roll = rnd.random()
        status = "error" if roll < fail * 0.7 else "retry" if roll < fail else "skipped" if roll > 0.99 else "ok"
        base = bases[0] if prefix or rnd.random() < 0.6 else bases[1]
        entity = f"{prefix}:{rnd.randint(1, 200_000)}" if prefix else "\\N"
        duration = "\\N" if status == "skipped" else str(int(median * rnd.lognormvariate(0, 0.6)))
        items = str(rnd.randint(1, 50)) if status == "ok" else "\\N"
        error = ERRORS[n % len(ERRORS)] if status in ("error", "retry") else "\\N"
        yield (f"{pid}\t{base}\t{kind}\t{direction}\t{entity}\t{status}\t{at.isoformat()}\t{duration}\t{items}"
               f"\t{error}\n")


def load(ctx: Runtime, url: str, rows: int, now: datetime) -> tuple[int, float]:
    """The portal, two bases, a small outbox and `rows` journal rows; (portal id, seconds the load took)."""
    with ctx.db.transaction() as s:
        portal = Portal(member_id=MEMBER, domain="bench.bitrix24.ru", client_endpoint="https://bench.bitrix24.ru/rest/",
                        status=PortalStatus.ACTIVE, lang="ru")
        s.add(portal)
        s.flush()
        bases = []
        for name in ("УТ Москва", "БП Север"):
            base = OneCBaseRow(portal_id=portal.id, name=name, url=f"https://1c.example.ru/{name[:2]}/",
                               login="Администратор", profile="ut11")
            s.add(base)
            s.flush()
            bases.append(base.id)
        s.execute(insert(OutboxRow), [{"portal_id": portal.id, "kind": "deal", "entity_id": str(n),
                                       "dedup_key": f"b{n}", "payload": {},
                                       "status": ("pending", "dead", "done")[n % 3], "attempts": n % 4}
                                      for n in range(300)])
        pid = portal.id
    started = time.monotonic()
    columns = "portal_id, base_id, kind, direction, entity, status, started_at, duration_ms, items, error"
    with psycopg.connect(url) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY exchange_journal ({columns}) FROM STDIN") as copy:
            buffer = io.StringIO()
            for n, line in enumerate(_copy_lines(pid, (bases[0], bases[1]), rows, now), start=1):
                buffer.write(line)
                if n % 50_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
            copy.write(buffer.getvalue())
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE exchange_journal")
        conn.execute("ANALYZE outbox")
    return pid, time.monotonic() - started


def timed(client, path: str, data: dict) -> float:  # noqa: ANN001 - Flask's test client
    started = time.perf_counter()
    answer = client.post(path, data=data)
    elapsed = (time.perf_counter() - started) * 1000
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return elapsed


def measure(client, path: str, data: dict, n: int) -> tuple[float, list[float]]:  # noqa: ANN001
    """(the first request's time, the times of `n` requests after it and one more warm-up)."""
    first = timed(client, path, data)
    timed(client, path, data)
    return first, [timed(client, path, data) for _ in range(n)]


def percentiles_agree(ctx: Runtime, pid: int, now: datetime) -> bool:
    """The dashboard's two-step 14-day percentiles against PostgreSQL's percentile_cont over the same rows."""
    window = dfig.days_window(now)
    days = dfig.moscow_days(ctx.redis, f"{ctx.keys.prefix}:bench-durations")
    exact = dfig.transfer_times(ctx.db, pid, window.start, window.end, in_sql=True)
    read = dfig.window_transfer_times(ctx.db, pid, window, now, days)
    ctx.redis.delete(days.key)
    return set(exact) == set(read) and all(
        exact[k].count == read[k].count and abs(exact[k].median - read[k].median) < 1e-9
        and abs(exact[k].p95 - read[k].p95) < 1e-9 for k in exact)


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    settings = Settings(database_url=options.database,
                        redis_url=os.environ.get("B24APP_BENCH_REDIS", "redis://127.0.0.1:6379/1"),
                        client_id="local.bench", client_secret=secrets.token_urlsafe(16),
                        secret_key=secrets.token_urlsafe(32), queue_prefix=prefix)
    now = datetime.now(UTC)
    ctx = None
    try:
        reuse = False
        if options.keep:
            try:
                probe = Runtime(settings)
                with probe.db.transaction() as s:
                    count = s.scalar(select(JournalRow.id).order_by(JournalRow.id.desc()).limit(1)) or 0
                    newest = s.scalar(select(JournalRow.started_at).order_by(JournalRow.started_at.desc()).limit(1))
                    pid = s.scalar(select(Portal.id).where(Portal.member_id == MEMBER))
                reuse = count == options.rows and pid is not None
                now = newest if reuse else now
                probe.db.dispose()
            except Exception:  # noqa: BLE001 - no schema yet: load afresh
                reuse = False
        if not reuse:
            print(f"loading {options.rows:,} journal rows over {DAYS} days into {options.database.rsplit('/', 1)[-1]}"
                  f" (schema dropped and migrated) …", flush=True)
            fresh_schema(options.database)
            ctx = Runtime(settings)
            pid, seconds = load(ctx, options.database, options.rows, now)
            print(f"  loaded in {seconds:.1f} s ({options.rows / seconds:,.0f} rows/s, COPY + VACUUM ANALYZE)")
        ctx = ctx or Runtime(settings)
        app = create_app(context=ctx)
        client = app.test_client()
        token = sign_frame(ctx, FrameUser(MEMBER, "1", True, "ru", "DEFAULT", {}))
        with ctx.db.transaction() as s:
            middle = s.execute(select(JournalRow.started_at, JournalRow.id).where(JournalRow.portal_id == pid)
                               .order_by(JournalRow.started_at.desc(), JournalRow.id.desc())
                               .offset(options.rows // 2).limit(1)).one()  # the setup's one OFFSET, not a page's
            entity = s.scalar(select(JournalRow.entity).where(JournalRow.portal_id == pid,
                                                              JournalRow.kind == "deal_order").limit(1))
        deep = Cursor(middle[0], middle[1]).encode()
        agree = percentiles_agree(ctx, pid, now)
        print(f"  14-day percentiles through cached day histograms equal percentile_cont's: {agree}")
        pages = {
            "journal_first": ("/settings/journal", {"frame": token}),
            "journal_filtered": ("/settings/journal", {"frame": token, "kind": "deal_order", "status": "error"}),
            "journal_deep": ("/settings/journal", {"frame": token, "after": deep}),
            "journal_entity": ("/settings/journal", {"frame": token, "entity": entity}),
            "dashboard": ("/settings/dashboard", {"frame": token}),
        }
        figures: dict[str, float] = {}
        print(f"{options.requests} requests per page through the Flask test client, {options.rows:,} rows:")
        for name, (path, data) in pages.items():
            first, times = measure(client, path, data, options.requests)
            figures[name] = p95(times)
            print(f"  {name:<17} median {statistics.median(times):7.1f} ms   p95 {figures[name]:7.1f} ms   "
                  f"first {first:7.1f} ms")
            if name == "dashboard":
                cold = first  # the closed hours of the 14 days counted and cached by this request
        journal = max(v for k, v in figures.items() if k.startswith("journal"))
        worst = max(figures.values())
        print(" ".join([f"journal_p95_ms={journal:.1f}", f"dashboard_p95_ms={figures['dashboard']:.1f}",
                        f"dashboard_cold_ms={cold:.1f}",
                        *(f"{k}_p95_ms={v:.1f}" for k, v in figures.items() if k.startswith("journal_")),
                        f"rows={options.rows}", f"percentiles_exact={int(agree)}", f"target_ms={TARGET_MS:.0f}",
                        f"ratio={worst / TARGET_MS:.3f}"]))
        return 0
    finally:
        if ctx is not None:
            ctx.db.dispose()
        redis = Redis.from_url(settings.redis_url)
        for pattern in (f"{prefix}*", f"rq:*{prefix}*"):
            for key in redis.scan_iter(pattern, count=10_000):
                redis.delete(key)


if __name__ == "__main__":
    sys.exit(main())
