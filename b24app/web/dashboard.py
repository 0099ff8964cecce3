"""The exchange dashboard («Сводка обмена»), inside the settings area: per stream and 1C base the successes and
failures per hour (24 h) and per day (14 days) as server-drawn SVG charts and numbers, the median and p95 transfer
time, each stream's last success; the backlog to 1C (waiting, retrying, dead); whether the workers and the
scheduler are alive, whether the portal and each 1C base answer, and how much of the portal's request limit is
in use.

Reads only what the app already keeps — the journal (ops/dashboard_figures.py), the outbox (ops/figures.py),
RQ's worker registry and the scheduler's tick (ops/live.py), the last base check (jobs/sync_now.py), the
circuit breakers and the rate-limit bucket in Redis — and calls neither 1C nor the portal, so it opens fast
whatever is down. Administrators only (web/admin_pages.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from flask import Blueprint, current_app, render_template, request
from markupsafe import Markup

from b24app.bitrix.ratelimit import DEFAULT_BURST, DEFAULT_RATE
from b24app.jobs.sync_now import latest_check
from b24app.ops import dashboard_figures as dfig
from b24app.ops import figures, live
from b24app.runtime import QUEUES, Runtime
from b24app.store.models import PortalStatus
from b24app.store.outbox import DEAD, PENDING
from b24app.store.tenancy import portal_id
from b24app.web.admin_pages import admin_user, answer_refusals
from b24app.web.dashboard_texts import age_text, dbt
from b24app.web.formatting import format_datetime
from b24app.web.frame import sign_frame
from b24app.web.journal_page import error_text_of
from b24app.web.journal_texts import duration_text, stream_name
from b24app.web.svg_charts import Series, meter, stacked_bars

bp = Blueprint("dashboard", __name__)
answer_refusals(bp, "dashboard_refused.html", "dashboard")

SCHEDULER_ALIVE_SECONDS = 180  # RQ's CronScheduler turns its loop (and we tick) at least once a minute
OK_COLOR, FAILED_COLOR = "#9dcf00", "#ff5752"


def _ctx() -> Runtime:
    return current_app.extensions["b24app"]


@bp.app_template_global("dbt")
def _dbt(key: str, lang: str, **params: object) -> str:
    """The page's texts for every template (the settings page links here with them)."""
    return dbt(key, lang, **params)


@dataclass(frozen=True)
class BaseHealth:
    id: int
    name: str
    enabled: bool
    check: str  # the last check in words
    check_ok: bool | None  # None: never checked
    circuit: dfig.CircuitState | None


@dataclass(frozen=True)
class Backlog:
    waiting: int
    retrying: int
    dead: int


def backlog_of(db, pid: int) -> Backlog:  # noqa: ANN001 - Database
    """The portal's outbox backlog, from the grouped query /metrics uses."""
    rows = [b for b in figures.backlog(db) if b.portal_id == pid]
    waiting = sum(b.count for b in rows if b.status == PENDING)
    retrying = sum(b.retrying for b in rows if b.status == PENDING)
    return Backlog(waiting, retrying, sum(b.count for b in rows if b.status == DEAD))


def _bases(ctx: Runtime, member_id: str, now: datetime, lang: str) -> list[BaseHealth]:
    out = []
    for base in ctx.bases.list(member_id):
        report = latest_check(ctx, member_id, base.id)
        if report is None:
            check, ok = dbt("check_none", lang), None
        else:
            at = format_datetime(datetime.fromtimestamp(float(report.get("checked_at") or 0), UTC), lang)
            ok = bool(report.get("ok"))
            error = report.get("error") or (report.get("instructions") or {}).get(lang) or ""
            check = dbt("check_ok", lang, at=at) if ok else dbt("check_failed", lang, at=at,
                                                                error=error_text_of(str(error)))
        circuit = dfig.circuit_state(ctx.redis, ctx.keys.base_circuit(member_id, base.id), now)
        out.append(BaseHealth(base.id, base.name, base.enabled, check, ok, circuit))
    return out


def _charts(journal: dfig.JournalFigures, lang: str) -> list[tuple[str, Markup, Markup]]:
    """Per stream (all bases summed): the hours chart and the days chart."""
    by_kind: dict[str, tuple[dfig.Counts, dfig.Counts]] = {}
    for row in journal.streams:
        hours, days = by_kind.setdefault(row.kind, (dfig.Counts.empty(journal.hours.buckets),
                                                    dfig.Counts.empty(journal.days.buckets)))
        for mine, theirs in ((hours, row.hours), (days, row.days)):
            mine.ok[:] = [a + b for a, b in zip(mine.ok, theirs.ok, strict=True)]
            mine.failed[:] = [a + b for a, b in zip(mine.failed, theirs.failed, strict=True)]
    hour_labels = [format_datetime(journal.hours.bucket_start(i), lang)[-5:-3] for i in range(journal.hours.buckets)]
    day_labels = [format_datetime(journal.days.bucket_start(i), lang)[:5] if lang == "ru"
                  else format_datetime(journal.days.bucket_start(i), lang).split(",")[0].rsplit(" ", 1)[0]
                  for i in range(journal.days.buckets)]
    ok_name, failed_name = dbt("series_ok", lang), dbt("series_failed", lang)
    charts = []
    for n, (kind, (hours, days)) in enumerate(sorted(by_kind.items())):
        name = stream_name(kind, lang)
        charts.append((kind, Markup(stacked_bars(
            dbt("chart_hours", lang, stream=name), hour_labels,
            [Series(ok_name, OK_COLOR, hours.ok), Series(failed_name, FAILED_COLOR, hours.failed)],
            label_every=3, element_id=f"chart-hours-{n}")), Markup(stacked_bars(
            dbt("chart_days", lang, stream=name), day_labels,
            [Series(ok_name, OK_COLOR, days.ok), Series(failed_name, FAILED_COLOR, days.failed)],
            label_every=2, element_id=f"chart-days-{n}"))))
    return charts


@bp.route("/settings/dashboard", methods=["GET", "POST"])
def page():
    ctx = _ctx()
    user = admin_user(ctx, request)
    lang = user.lang
    now = ctx.clock.now()
    record = ctx.portals.require(user.member_id)
    with ctx.db.transaction() as s:
        pid = portal_id(s, user.member_id)
    # The keys belong in store/keys.py (RedisKeys); built here until that module's owner adds them.
    hours_cache = dfig.ClosedHours(ctx.redis, f"{ctx.keys.prefix}:journal-hours:{user.member_id}")
    days_cache = dfig.moscow_days(ctx.redis, f"{ctx.keys.prefix}:journal-durations:{user.member_id}")
    journal = dfig.journal_figures(ctx.db, pid, now, hours_cache, days_cache)
    workers = live.workers_by_queue({name: ctx.queue(name) for name in QUEUES})
    tick_age = live.tick_age(ctx.redis, ctx.keys.scheduler_tick())
    counters = live.portal_counters(ctx.redis, ctx.keys, [user.member_id])[user.member_id]
    rate = record.rate_limit_per_second or DEFAULT_RATE
    fill = dfig.bucket_fill(ctx.redis, ctx.keys.rate_limit(user.member_id), rate,
                            record.rate_limit_burst or DEFAULT_BURST)
    bases = _bases(ctx, user.member_id, now, lang)
    base_names = {b.id: b.name for b in bases}
    return render_template(
        "dashboard.html", lang=lang, frame=sign_frame(ctx, user), now=now, journal=journal,
        charts=_charts(journal, lang), workers=workers, workers_alive=sum(workers.values()),
        tick_age=tick_age, scheduler_alive=tick_age is not None and tick_age < SCHEDULER_ALIVE_SECONDS,
        portal_status=record.status, active=PortalStatus.ACTIVE, counters=counters, fill=fill, rate=rate,
        fill_meter=Markup(meter(fill.share, label=f"{fill.share:.0%}")), backlog=backlog_of(ctx.db, pid),
        bases=bases, base_names=base_names, stream_name=stream_name, duration_text=_ms_text, age_text=age_text,
        bx24_js_url=ctx.settings.bx24_js_url_for(record.domain),
    ), 200


def _ms_text(value: float | None, lang: str) -> str:
    return duration_text(None if value is None else round(value), lang)

