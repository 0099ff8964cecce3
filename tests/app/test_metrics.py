"""`/metrics` over HTTP: the figures Prometheus scrapes match what was seeded through the real journal and outbox
stores, the Redis counters match what the sandbox portal saw (token refreshes) and what the limiter made wait,
the workers and the scheduler tick come from RQ's registry and our tick key, and nobody without the deployment's
token gets anything. The answer is parsed strictly as the text exposition format 0.0.4."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import pytest
import requests
from rq import Worker

from b24app.bitrix.ratelimit import RateLimiter
from b24app.config import Settings
from b24app.jobs.tokens import refresh_portal_token
from b24app.ops import logcontext
from b24app.ops.ticks import TickingCronScheduler, redis_now
from b24app.runtime import Runtime
from b24app.store.journal import JournalEntry
from b24app.store.portals import TokenGrant
from b24app.web import create_app
from tests.app.conftest import REDIS_URL
from tests.support.processes import get_json
from tests.support.sync_data import run_burst

pytestmark = pytest.mark.db

TOKEN = "metrics-" + uuid.uuid4().hex


# --- a strict reader of the text exposition format (version 0.0.4) -------------------------------------------

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_SAMPLE = re.compile(rf"^({_NAME})(?:\{{(.*)\}})? (\S+)$")
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\\\|\\"|\\n)*)"(,|$)')
_SUFFIXES = {"counter": ("",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}


@dataclass
class Parsed:
    types: dict[str, str] = field(default_factory=dict)
    helps: dict[str, str] = field(default_factory=dict)
    samples: list[tuple[str, dict[str, str], float]] = field(default_factory=list)

    def value(self, name: str, **labels: str) -> float:
        found = [v for n, lab, v in self.samples if n == name and lab == labels]
        assert len(found) == 1, f"{name}{labels}: {len(found)} samples"
        return found[0]

    def series(self, name: str) -> list[dict[str, str]]:
        return [lab for n, lab, _ in self.samples if n == name]


def _labels(text: str) -> dict[str, str]:
    out, pos = {}, 0
    while pos < len(text):
        m = _LABEL.match(text, pos)
        assert m, f"bad label set at {text[pos:]!r}"
        assert m.group(1) not in out, f"label {m.group(1)} twice"
        out[m.group(1)] = m.group(2).replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
        pos = m.end()
    return out


def parse(text: str) -> Parsed:
    assert text.endswith("\n")
    parsed, family = Parsed(), None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_text = line[7:].partition(" ")
            assert name not in parsed.helps, f"HELP of {name} twice"
            parsed.helps[name], family = help_text, name
        elif line.startswith("# TYPE "):
            name, _, kind = line[7:].partition(" ")
            assert name == family and kind in _SUFFIXES and name not in parsed.types, line
            parsed.types[name] = kind
        else:
            m = _SAMPLE.match(line)
            assert m, f"not a sample line: {line!r}"
            name, labels, value = m.group(1), _labels(m.group(2) or ""), float(m.group(3))
            kind = parsed.types[family]
            assert name in {family + s for s in _SUFFIXES[kind]}, f"{name} outside its family {family}"
            parsed.samples.append((name, labels, value))
    for name, kind in parsed.types.items():
        if kind == "histogram":
            _check_histogram(parsed, name)
    return parsed


def _check_histogram(parsed: Parsed, name: str) -> None:
    for labels in parsed.series(name + "_count"):
        buckets = sorted(((float(lab["le"]), v) for n, lab, v in parsed.samples if n == name + "_bucket"
                          and {k: x for k, x in lab.items() if k != "le"} == labels))
        counts = [v for _, v in buckets]
        assert counts == sorted(counts), f"{name}{labels}: buckets not cumulative"
        assert buckets[-1][0] == float("inf") and buckets[-1][1] == parsed.value(name + "_count", **labels)


# --- fixtures --------------------------------------------------------------------------------------------------

@pytest.fixture
def plain_ctx(database_url, queue_prefix):
    """A runtime on the test database and Redis with the metrics token configured (no portal sandbox needed)."""
    ctx = Runtime(Settings(database_url=database_url, redis_url=REDIS_URL, secret_key=uuid.uuid4().hex,
                           queue_prefix=queue_prefix, metrics_token=TOKEN, journal_days=30))
    yield ctx
    ctx.close()


def _serve(app_server, ctx: Runtime) -> str:
    app_server.serve(create_app(context=ctx))
    return app_server.url


def _scrape(url: str, token: str = TOKEN) -> Parsed:
    answer = requests.get(url + "/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return parse(answer.text)


SECRET = "tok-" + uuid.uuid4().hex


def _portal(ctx: Runtime, member_id: str, domain: str) -> str:
    grant = TokenGrant(SECRET + "a", SECRET + "r", datetime.now(UTC) + timedelta(hours=1))
    ctx.portals.save_install(member_id, domain, f"https://{domain}/rest/", grant)
    return member_id


def _journal(ctx: Runtime, member_id: str, kind: str, direction: str, status: str, durations: list[int]) -> None:
    for ms in durations:
        ctx.journal.record(member_id, JournalEntry(kind=kind, direction=direction, status=status, duration_ms=ms,
                                                   entity=f"{kind}:{ms}"))


# --- tests -----------------------------------------------------------------------------------------------------

def test_figures_match_the_seeded_journal_and_outbox(plain_ctx, app_server):
    ctx = plain_ctx
    a = _portal(ctx, "a" * 32, "alpha.bitrix24.ru")
    b = _portal(ctx, "b" * 32, "beta.bitrix24.ru")
    _journal(ctx, a, "payments", "1c_to_b24", "ok", [400, 900, 1500])
    _journal(ctx, a, "payments", "1c_to_b24", "error", [30000])
    # Transfers to 1C: 0.05 s, 0.3 s, 1.2 s, 70 s (beyond the last bucket: only +Inf counts it), two failures.
    _journal(ctx, a, "deal_order", "b24_to_1c", "ok", [50, 300, 1200, 70000])
    _journal(ctx, a, "deal_order", "b24_to_1c", "error", [200, 200])
    _journal(ctx, b, "deal_order", "b24_to_1c", "ok", [100])  # exactly on a bound: `le` includes it
    _journal(ctx, b, "debt", "1c_to_b24", "skipped", [5])

    # Outbox of portal a: two waiting, one retrying, one dead, one discarded, one done; portal b: one dead.
    ids = [ctx.outbox.accept(a, "deal", str(n), f"d{n}", {}).id for n in range(1, 7)]
    retrying = ctx.outbox.claim(ids[2], swept=True)
    assert ctx.outbox.settle(retrying, "timeout", retry_in=60) == "pending"
    for item_id in ids[3:5]:
        assert ctx.outbox.settle(ctx.outbox.claim(item_id, swept=True), "refused", retry_in=None) == "dead"
    assert ctx.outbox.discard(a, ids[4])
    done = ctx.outbox.claim(ids[5], swept=True)
    assert ctx.outbox.complete(done, datetime.now(UTC)) == 1
    b_dead = ctx.outbox.accept(b, "invoice", "9", "i9", {}).id
    ctx.outbox.settle(ctx.outbox.claim(b_dead, swept=True), "refused", retry_in=None)

    m = _scrape(_serve(app_server, ctx))

    total = "b24app_exchanges_total"
    assert m.types[total] == "counter" and "30 days" in m.helps[total] and "B24APP_JOURNAL_DAYS" in m.helps[total]
    expected = {("alpha.bitrix24.ru", "payments", "1c_to_b24", "ok"): 3,
                ("alpha.bitrix24.ru", "payments", "1c_to_b24", "error"): 1,
                ("alpha.bitrix24.ru", "deal_order", "b24_to_1c", "ok"): 4,
                ("alpha.bitrix24.ru", "deal_order", "b24_to_1c", "error"): 2,
                ("beta.bitrix24.ru", "deal_order", "b24_to_1c", "ok"): 1,
                ("beta.bitrix24.ru", "debt", "1c_to_b24", "skipped"): 1}
    got = {(lab["portal"], lab["kind"], lab["direction"], lab["status"]): m.value(total, **lab)
           for lab in m.series(total)}
    assert got == expected

    hist = "b24app_transfer_seconds"
    assert m.types[hist] == "histogram"
    # Only Bitrix24 -> 1C transfers that went through; never the 1C -> Bitrix24 kinds.
    assert {(lab["portal"], lab["kind"]) for lab in m.series(hist + "_count")} == {
        ("alpha.bitrix24.ru", "deal_order"), ("beta.bitrix24.ru", "deal_order")}
    alpha = {"portal": "alpha.bitrix24.ru", "kind": "deal_order"}
    assert m.value(hist + "_count", **alpha) == 4
    assert m.value(hist + "_sum", **alpha) == pytest.approx(71.55)
    cumulative = {"0.1": 1, "0.25": 1, "0.5": 2, "1": 2, "2.5": 3, "5": 3, "10": 3, "30": 3, "60": 3, "+Inf": 4}
    assert {le: m.value(hist + "_bucket", **alpha, le=le) for le in cumulative} == cumulative
    assert m.value(hist + "_bucket", portal="beta.bitrix24.ru", kind="deal_order", le="0.1") == 1

    items = "b24app_outbox_items"
    assert m.types[items] == "gauge"
    assert {(lab["portal"], lab["status"]): m.value(items, **lab) for lab in m.series(items)} == {
        ("alpha.bitrix24.ru", "pending"): 3, ("alpha.bitrix24.ru", "dead"): 1,
        ("alpha.bitrix24.ru", "discarded"): 1, ("beta.bitrix24.ru", "pending"): 0,
        ("beta.bitrix24.ru", "dead"): 1, ("beta.bitrix24.ru", "discarded"): 0}
    assert m.value("b24app_outbox_retrying", portal="alpha.bitrix24.ru") == 1
    assert m.value("b24app_outbox_retrying", portal="beta.bitrix24.ru") == 0
    # No worker and no scheduler ever ran on this prefix.
    assert m.value("b24app_workers", queue="default") == 0 and m.value("b24app_workers", queue="tokens") == 0
    assert m.series("b24app_scheduler_last_tick_age_seconds") == []
    # Labels name portals by domain only: no member_id, no token anywhere in the answer.
    text = requests.get(app_server.url + "/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10).text
    assert a not in text and b not in text and SECRET not in text


def test_metrics_refuse_anyone_without_the_deployments_token(plain_ctx, app_server, database_url):
    url = _serve(app_server, plain_ctx)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"Bearer {TOKEN}x"}, {"Authorization": "Bearer"}):
        answer = requests.get(url + "/metrics", headers=headers, timeout=10)
        assert answer.status_code == 401, headers
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
        assert "b24app_" not in answer.text
    assert requests.get(url + "/metrics", headers={"Authorization": f"bearer {TOKEN}"}, timeout=10).status_code == 200
    # Without a token configured the endpoint does not exist, whatever the request sends.
    unset = Runtime(replace(plain_ctx.settings, metrics_token=""))
    app_server.replace(create_app(context=unset))
    for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}, {"Authorization": "Bearer "}):
        assert requests.get(url + "/metrics", headers=headers, timeout=10).status_code == 404
    unset.close()


def test_workers_and_scheduler_tick_come_from_redis(plain_ctx, app_server, redis_client, queue_prefix):
    ctx = plain_ctx
    url = _serve(app_server, ctx)
    worker = Worker(ctx.queues(), connection=redis_client, name=f"{queue_prefix}-w1")
    worker.register_birth()
    scheduler = TickingCronScheduler(connection=redis_client, name=f"{queue_prefix}-cron",
                                     tick_key=ctx.keys.scheduler_tick())
    try:
        scheduler.heartbeat()
        m = _scrape(url)
        assert m.value("b24app_workers", queue="default") == 1 and m.value("b24app_workers", queue="tokens") == 1
        assert 0 <= m.value("b24app_scheduler_last_tick_age_seconds") < 5
        # A scheduler that stopped five minutes ago: its age keeps growing (RQ's own registry forgets it).
        redis_client.set(ctx.keys.scheduler_tick(), f"{redis_now(redis_client) - 300:.6f}")
        assert 300 <= _scrape(url).value("b24app_scheduler_last_tick_age_seconds") < 310
        worker.register_death()
        redis_client.delete(worker.key)
        assert _scrape(url).value("b24app_workers", queue="default") == 0
    finally:
        redis_client.zrem("rq:cron_schedulers", scheduler.name)
        redis_client.delete(scheduler.key)


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def metrics_ctx(settings):
    """A runtime on the sandbox portal's settings with the metrics token configured."""
    ctx = Runtime(replace(settings, metrics_token=TOKEN))
    yield ctx
    ctx.close()


def test_rate_limit_waits_and_token_refreshes_are_counted(metrics_ctx, installed, app_server, sandbox_url,
                                                         settings_env, redis_client):
    ctx = metrics_ctx
    member = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    domain = ctx.portals.require(member).domain
    app_server.replace(create_app(context=ctx))
    before = _scrape(app_server.url)
    sandbox_before = get_json(sandbox_url + "/_sandbox/state")["refreshes"]

    # Rate limit: a full bucket (as after the portal's QUERY_LIMIT_EXCEEDED) makes each of the next calls wait.
    ctx.portals.set_rate_limit(member, 20.0, 10)
    RateLimiter(redis_client, ctx.keys.rate_limit(member), rate=20.0, burst=10).saturate()
    client = ctx.bitrix(member)
    for _ in range(4):
        client.call("user.current")

    # Token refreshes: two through the scheduled job's entry point run by a real worker, one refused.
    lines = _Lines()
    logcontext.install([lines])
    logging.getLogger().addHandler(lines)
    try:
        jobs = [ctx.queue("tokens").enqueue(refresh_portal_token, member) for _ in range(2)]
        run_burst(ctx)
        logging.getLogger("b24app.test").info("outside any job")
    finally:
        logging.getLogger().removeHandler(lines)
    assert all(job.get_status() == "finished" for job in jobs)
    ctx.portals.save_tokens(member, TokenGrant("stale", "not-a-refresh-token", datetime.now(UTC)))
    assert _run_refresh(ctx, member) == "needs_reauth"

    after = _scrape(app_server.url)
    sandbox_after = get_json(sandbox_url + "/_sandbox/state")["refreshes"]
    waits = after.value("b24app_ratelimit_waits_total", portal=domain) - before.value(
        "b24app_ratelimit_waits_total", portal=domain)
    waited = after.value("b24app_ratelimit_wait_seconds_total", portal=domain) - before.value(
        "b24app_ratelimit_wait_seconds_total", portal=domain)
    assert waits == 4
    assert 0 < waited <= 4 / 20.0 + 0.05
    for outcome, sandbox_key in (("ok", "ok"), ("refused", "invalid_grant")):
        ours = after.value("b24app_token_refreshes_total", portal=domain, outcome=outcome) - before.value(
            "b24app_token_refreshes_total", portal=domain, outcome=outcome)
        assert ours == sandbox_after[sandbox_key] - sandbox_before[sandbox_key]
    assert after.value("b24app_token_refreshes_total", portal=domain, outcome="ok") - before.value(
        "b24app_token_refreshes_total", portal=domain, outcome="ok") == 2
    assert after.value("b24app_token_refreshes_total", portal=domain, outcome="refused") - before.value(
        "b24app_token_refreshes_total", portal=domain, outcome="refused") == 1

    # The job's log lines name the portal and the job; a line outside a job says so.
    for job in jobs:
        assert any(f"portal={member} job={job.id}:" in line and "access token refreshed" in line
                   for line in lines.lines), lines.lines
    assert any("portal=- job=-: outside any job" in line for line in lines.lines)


def _run_refresh(ctx: Runtime, member: str) -> str:
    job = ctx.queue("tokens").enqueue(refresh_portal_token, member)
    run_burst(ctx)
    return job.latest_result().return_value


def job_learning_its_portal(item_id: int, member_id_of_row: str) -> None:
    """A job whose arguments do not name the portal (like an outbox item's): it says so once it knows."""
    log = logging.getLogger("b24app.test")
    log.info("before item %s is read", item_id)
    logcontext.bind_portal(member_id_of_row)
    log.info("item %s read", item_id)


def test_a_job_that_learns_its_portal_names_it_from_then_on(plain_ctx):
    lines = _Lines()
    logcontext.install([lines])
    logging.getLogger().addHandler(lines)
    logging.getLogger("b24app.test").setLevel(logging.INFO)
    try:
        job = plain_ctx.queue("default").enqueue(job_learning_its_portal, 7, "m" * 32)
        run_burst(plain_ctx)
    finally:
        logging.getLogger().removeHandler(lines)
    assert f"portal=- job={job.id}: before item 7 is read" in "\n".join(lines.lines)
    assert f"portal={'m' * 32} job={job.id}: item 7 read" in "\n".join(lines.lines)
