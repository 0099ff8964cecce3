"""The exchange dashboard over a seeded journal: successes and failures per hour and day, median and p95 transfer
time and each stream's last success, checked against the journal's rows computed here independently (and on
PostgreSQL the SQL percentiles against the Python ones); backlog, workers, scheduler and 1C reachability as the
page shows them; well-formed SVG charts that escape what they draw."""

from __future__ import annotations

import re
import statistics
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from rq import Worker
from sqlalchemy import insert, select

from b24app.core.errors import BaseUnavailable
from b24app.jobs.sync_now import save_check_result
from b24app.onec.errors import OneCUnavailable
from b24app.ops import dashboard_figures as dfig
from b24app.ops.ticks import record_tick
from b24app.store.models import JournalRow, OutboxRow
from b24app.store.tenancy import portal_id
from b24app.web.frame import FrameUser, sign_frame
from b24app.web.svg_charts import Series, stacked_bars
from tests.support.journal_data import FixedNow, Seed, insert_journal, moment, seeded_journal, two_bases
from tests.support.processes import get_json
from tests.support.settings_data import post_form

pytestmark = pytest.mark.db

PAGE = "/settings/dashboard"
MOSCOW = ZoneInfo("Europe/Moscow")
ODD_KIND = 'x<y&"z>'  # a stream name that must stay text in tables and charts


@pytest.fixture
def seeded(ctx, installed, sandbox_url):
    member = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    now = datetime.now(UTC).replace(microsecond=0)
    ctx.clock = FixedNow(now)
    bases = two_bases(ctx, member)
    insert_journal(ctx, member, seeded_journal(now, bases) + [
        Seed(ODD_KIND, "internal", "ok", None, None, now - timedelta(minutes=3), 50, 1, None)])
    with ctx.db.transaction() as s:
        pid = portal_id(s, member)
        outbox = [("pending", 0), ("pending", 0), ("pending", 2), ("dead", 6), ("done", 1), ("discarded", 3)]
        s.execute(insert(OutboxRow), [
            {"portal_id": pid, "kind": "deal", "entity_id": str(n), "dedup_key": f"k{n}", "payload": {},
             "status": status, "attempts": attempts} for n, (status, attempts) in enumerate(outbox)])
    return member, pid, bases, now


def _journal(ctx, pid: int) -> list[JournalRow]:
    with ctx.db.transaction() as s:
        return list(s.scalars(select(JournalRow).where(JournalRow.portal_id == pid)).all())


def _expected(rows: list[JournalRow], now: datetime) -> dict:
    """Every figure, from the rows alone: windows from the calendar, percentiles from `statistics`."""
    hour_start = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=23)
    day_start = (now.astimezone(MOSCOW).replace(hour=0, minute=0, second=0, microsecond=0)
                 - timedelta(days=13)).astimezone(UTC)
    out: dict = {"hours": {}, "days": {}, "t24": {}, "t14": {}, "last": {}}
    for r in rows:
        at = moment(r.started_at)
        key = (r.kind, r.base_id)
        if r.status == "ok" and (r.kind not in out["last"] or at > out["last"][r.kind]):
            out["last"][r.kind] = at
        for name, start, width, n, times in (("hours", hour_start, 3600, 24, "t24"),
                                             ("days", day_start, 86400, 14, "t14")):
            offset = (at - start).total_seconds()
            if not 0 <= offset < width * n:
                continue
            ok, failed = out[name].setdefault(key, ([0] * n, [0] * n))
            if r.status == "ok":
                ok[int(offset // width)] += 1
            elif r.status in ("error", "retry"):
                failed[int(offset // width)] += 1
            if r.status == "ok" and r.duration_ms is not None:
                out[times].setdefault(key, []).append(r.duration_ms)
    return out


def _median_p95(values: list[int]) -> tuple[float, float]:
    if len(values) == 1:
        return float(values[0]), float(values[0])
    return statistics.median(values), statistics.quantiles(values, n=20, method="inclusive")[18]


def _check(figures: dfig.JournalFigures, expected: dict) -> None:
    got_hours = {(s.kind, s.base_id): (s.hours.ok, s.hours.failed) for s in figures.streams if
                 s.hours.total_ok or s.hours.total_failed}
    got_days = {(s.kind, s.base_id): (s.days.ok, s.days.failed) for s in figures.streams if
                s.days.total_ok or s.days.total_failed}
    assert got_hours == {k: v for k, v in expected["hours"].items() if sum(v[0]) + sum(v[1])}
    assert got_days == {k: v for k, v in expected["days"].items() if sum(v[0]) + sum(v[1])}
    assert len(got_days) >= 8 and sum(sum(f) for _, f in got_days.values()) > 20
    for attr, name in (("hour_times", "t24"), ("day_times", "t14")):
        got = {(s.kind, s.base_id): getattr(s, attr) for s in figures.streams if getattr(s, attr).count}
        assert set(got) == set(expected[name])
        for key, values in expected[name].items():
            median, p95 = _median_p95(values)
            assert got[key].count == len(values)
            assert got[key].median == pytest.approx(median) and got[key].p95 == pytest.approx(p95), key
    assert figures.last_success == expected["last"]


def test_figures_match_the_journal_cold_warm_and_after_new_rows(ctx, seeded, redis_client):
    member, pid, bases, now = seeded
    cache = dfig.ClosedHours(redis_client, f"{ctx.settings.queue_prefix}:journal-hours:{member}")
    days = dfig.moscow_days(redis_client, f"{ctx.settings.queue_prefix}:journal-durations:{member}")
    cold = dfig.journal_figures(ctx.db, pid, now, cache, days)
    _check(cold, _expected(_journal(ctx, pid), now))
    day_start = (now.astimezone(MOSCOW).replace(hour=0, minute=0, second=0) - timedelta(days=13)).astimezone(UTC)
    closed = (now - timedelta(hours=2)).replace(minute=0, second=0)
    assert redis_client.hlen(cache.key) == (closed - day_start) // timedelta(hours=1)  # every hour that is over
    assert dfig.journal_figures(ctx.db, pid, now, cache, days) == cold  # read back from the closed periods
    # Exchanges of the open hours are counted afresh on every read.
    insert_journal(ctx, member, [Seed("debt", "1c_to_b24", status, bases[1], None, now - timedelta(minutes=m), 10,
                                      1, None) for m, status in ((1, "ok"), (20, "error"), (61, "retry"))])
    _check(dfig.journal_figures(ctx.db, pid, now, cache, days), _expected(_journal(ctx, pid), now))



def test_percentiles_the_same_by_sql_python_and_cached_histograms(ctx, seeded, redis_client):
    """The one function, both ways — SQL percentile_cont where the database has it, Python over the window — and
    on PostgreSQL the 14-day window's two-step reading through cached day histograms, cold and warm."""
    member, pid, bases, now = seeded
    window = dfig.days_window(now)
    in_python = dfig.transfer_times(ctx.db, pid, window.start, window.end, in_sql=False)
    assert len(in_python) >= 8
    answers = [in_python]
    if ctx.db.engine.dialect.name == "postgresql":
        answers.append(dfig.transfer_times(ctx.db, pid, window.start, window.end, in_sql=True))
        days = dfig.moscow_days(redis_client, f"{ctx.settings.queue_prefix}:journal-durations:{member}")
        answers.append(dfig.window_transfer_times(ctx.db, pid, window, now, days))
        over = (days.closed_until(now) - int(window.start.timestamp())) // 86400
        assert redis_client.hlen(days.key) == over >= 12  # the days that are over (before today, or yesterday)
        answers.append(dfig.window_transfer_times(ctx.db, pid, window, now, days))
    for other in answers[1:]:
        assert set(other) == set(in_python)
        for key, value in other.items():
            assert value.count == in_python[key].count
            assert value.median == pytest.approx(in_python[key].median, abs=1e-9), key
            assert value.p95 == pytest.approx(in_python[key].p95, abs=1e-9), key
    assert dfig.percentile_cont([1, 2, 3, 4], 0.95) == pytest.approx(3.85)  # PostgreSQL answers 3.85 too


def _cell(html: str, kind: str, base: int | str, cls: str) -> str:
    row = re.search(rf'<tr data-kind="{re.escape(kind)}" data-base="{base}">(.*?)</tr>', html, flags=re.S)
    assert row, (kind, base)
    found = re.search(rf'class="num {cls}[^"]*"(?: data-ms="([^"]*)")?>([^<]*)<', row.group(1))
    return found.group(1) if found.group(1) is not None else found.group(2)


def test_the_page_shows_figures_health_and_charts(ctx, seeded, running_app, redis_client):
    member, pid, bases, now = seeded
    circuit = ctx.circuit(member, bases[1])
    with pytest.raises(BaseUnavailable), circuit.watch():
        raise OneCUnavailable("timeout", "1C base bp did not answer in 30 s", None, "bp")
    save_check_result(ctx, member, bases[0], {"ok": True})
    save_check_result(ctx, member, bases[1], {"ok": False, "error": "1C refused the password (HTTP 401)"})
    token = sign_frame(ctx, FrameUser(member, "1", True, "ru", "DEFAULT", {}))

    html = post_form(running_app.url, PAGE, token).text
    assert "Сводка обмена" in html and "Traceback" not in html
    assert "ни один не работает" in html and "ни разу не запускался" in html
    expected = _expected(_journal(ctx, pid), now)
    for (kind, base), (ok, failed) in expected["days"].items():
        if not kind.isidentifier():
            continue
        assert _cell(html, kind, base if base is not None else "", "d-ok-14d") == str(sum(ok))
        assert _cell(html, kind, base if base is not None else "", "d-failed-14d").strip() == str(sum(failed))
    median, p95 = _median_p95(expected["t14"][("deal_order", bases[0])])
    assert float(_cell(html, "deal_order", bases[0], "d-median-14d")) == pytest.approx(median)
    assert float(_cell(html, "deal_order", bases[0], "d-p95-14d")) == pytest.approx(p95)
    backlog = {name: int(v) for name, v in re.findall(r'id="backlog-(\w+)">(\d+)<', html)}
    assert backlog == {"waiting": 3, "retrying": 1, "dead": 1}
    reach = {b: unescape(re.sub(r"<[^>]+>", " ", m)) for b, m in
             re.findall(r'<tr data-base="(\d+)">(.*?)</tr>', html, flags=re.S)}
    assert "не отвечает" in reach[str(bases[1])] and "did not answer" in reach[str(bases[1])]
    assert "1C refused the password" in reach[str(bases[1])]
    assert "отвечает" in reach[str(bases[0])] and "успешно" in reach[str(bases[0])]
    assert "УТ &lt;Москва&gt;" in html and "БП &amp; Север" in html

    svgs = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    charts = [ET.fromstring(svg) for svg in svgs if 'class="chart"' in svg]
    ns = "{http://www.w3.org/2000/svg}"
    titles = [c.find(f"{ns}title").text for c in charts]
    assert f"{ODD_KIND}: по часам, 24 ч" in titles  # the raw name came back out of the escaped SVG
    days_ok = {}
    for chart in charts:
        title = chart.find(f"{ns}title").text
        if "по дням" in title:
            days_ok[title.split(":")[0]] = sum(int(r.get("data-value")) for r in chart.iter(f"{ns}rect")
                                               if r.get("data-series") == "успешно")
    assert days_ok["Заказы по сделкам"] == sum(sum(v[0]) for k, v in expected["days"].items() if k[0] == "deal_order")
    assert not any("<script" in svg or "href" in svg for svg in svgs)  # nothing runs, nothing is loaded

    # A worker registered with RQ and a scheduler tick: both alive.
    worker = Worker([ctx.queue("default")], connection=redis_client, name=f"{ctx.settings.queue_prefix}-w1")
    worker.register_birth()
    try:
        record_tick(redis_client, ctx.keys.scheduler_tick())
        html = post_form(running_app.url, PAGE, token).text
        assert "работают: 1" in html and "работает (отметка" in html
    finally:
        worker.register_death()
    english = post_form(running_app.url, PAGE, sign_frame(ctx, FrameUser(member, "1", True, "en", "DEFAULT", {})))
    assert "Exchange dashboard" in english.text and "Сводка обмена" not in english.text


def test_svg_is_well_formed_and_escapes_names():
    svg = stacked_bars('<b>"A&B"</b>', ["<1>", "2&"], [Series("ok&<", "#9dcf00", [3, 0]),
                                                      Series('"bad"', "#ff5752\"/><script>", [1, 4])])
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == '<b>"A&B"</b>'
    assert "<script>" not in svg and "<b>" not in svg
    rects = list(root.iter(f"{ns}rect"))
    assert [(r.get("data-series"), r.get("data-value")) for r in rects] == [("ok&<", "3"), ('"bad"', "1"),
                                                                            ('"bad"', "4")]
    assert root.find(f"{ns}text").text == "5"  # the axis top: the tallest stack (4) rounded up to 5
    with pytest.raises(ValueError):
        stacked_bars("x", ["a"], [Series("s", "#000", [1, 2])])
