"""Token lifecycle: proactive refresh by the scheduled job on a real RQ worker, on-demand refresh when the portal
says expired_token, the 8-process race (one refresh token spent once), and a refresh that fails for good."""

from __future__ import annotations

import multiprocessing
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta

import pytest
import requests
from rq.cron import CronScheduler

from b24app.bitrix.tokens import TokenUnavailable
from b24app.config import Settings
from b24app.jobs.queues import queue_name
from b24app.jobs.schedule import SCHEDULE
from b24app.jobs.tokens import refresh_expiring_tokens, refresh_portal_token
from b24app.runtime import Runtime
from b24app.store.models import PortalStatus
from b24app.store.portals import TokenGrant
from tests.support.processes import get_json, post_json
from tests.support.sync_data import QuietWorker

pytestmark = pytest.mark.db


def _refreshes(sandbox_url: str) -> dict:
    return get_json(sandbox_url + "/_sandbox/state")["refreshes"]


def _member(sandbox_url: str) -> str:
    return get_json(sandbox_url + "/_sandbox/state")["member_id"]


def _set_expiry(ctx: Runtime, member_id: str, when: datetime) -> None:
    record = ctx.portals.require(member_id)
    ctx.portals.save_tokens(member_id, TokenGrant(record.access_token, record.refresh_token, when))


def test_on_demand_refresh_when_portal_says_expired(ctx, installed, sandbox_url):
    member_id = _member(sandbox_url)
    before = _refreshes(sandbox_url)["ok"]
    old = ctx.portals.require(member_id).access_token
    post_json(sandbox_url + "/_sandbox/tokens/expire")
    answer = ctx.bitrix(member_id).call("user.current").result
    assert answer["ID"]
    assert _refreshes(sandbox_url)["ok"] == before + 1
    assert ctx.portals.require(member_id).access_token != old


def test_proactive_refresh_job_on_a_real_worker(ctx, installed, sandbox_url, settings_env, redis_client):
    member_id = _member(sandbox_url)
    _set_expiry(ctx, member_id, datetime.now(UTC) + timedelta(seconds=120))
    before = _refreshes(sandbox_url)["ok"]
    ctx.queue("tokens").enqueue(refresh_expiring_tokens)
    # A forking rq Worker as in production, without the command channel whose thread can stall teardown for 60 s.
    QuietWorker(ctx.queues(), connection=redis_client).work(burst=True)
    assert _refreshes(sandbox_url)["ok"] == before + 1
    assert ctx.portals.require(member_id).seconds_left() > 3000
    # Nothing is due any more: a second tick refreshes nothing.
    ctx.queue("tokens").enqueue(refresh_expiring_tokens)
    QuietWorker(ctx.queues(), connection=redis_client).work(burst=True)
    assert _refreshes(sandbox_url)["ok"] == before + 1


def test_scheduler_table_registers_with_stable_names(redis_client, queue_prefix):
    scheduler = CronScheduler(connection=redis_client)
    for job in SCHEDULE:
        scheduler.register(job.func, queue_name(queue_prefix, job.queue), interval=job.interval,
                           job_timeout=job.timeout, name=job.name)
    assert [j.name for j in SCHEDULE] == [j.name for j in SCHEDULE]  # a hash of the definition, not random
    enqueued = scheduler.enqueue_jobs()
    assert {j.func_name for j in enqueued} == {f"{j.func.__module__}.{j.func.__name__}" for j in SCHEDULE}
    from rq import Queue

    assert Queue(queue_name(queue_prefix, "tokens"), connection=redis_client).count == 1


def _race_worker(settings: dict, member_id: str, barrier, results) -> None:
    ctx = Runtime(Settings(**settings))
    try:
        client = ctx.bitrix(member_id)
        barrier.wait(30)
        results.put(("ok", client.call("user.current").result["ID"]))
    except Exception as exc:  # noqa: BLE001 - reported to the parent as a failure
        results.put(("error", f"{type(exc).__name__}: {exc}"))


@pytest.mark.slow
@pytest.mark.parametrize("how", ["rejected by the portal", "expired in the store"])
def test_eight_processes_spend_the_refresh_token_once(ctx, installed, sandbox_url, settings, how):
    member_id = _member(sandbox_url)
    if how == "rejected by the portal":
        post_json(sandbox_url + "/_sandbox/tokens/expire")
    else:
        _set_expiry(ctx, member_id, datetime.now(UTC) - timedelta(seconds=5))
    before = _refreshes(sandbox_url)
    # Eight fresh processes forked from a server that imported the app once (not eight interpreters importing it
    # each: seconds on two cores); each builds its own runtime after the fork: they share only Redis, the database
    # and the portal, as eight workers do.
    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload(["b24app.runtime", __name__])
    barrier, results = mp.Barrier(8), mp.Queue()
    procs = [mp.Process(target=_race_worker, args=(asdict(replace(settings)), member_id, barrier, results))
             for _ in range(8)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=90) for _ in procs]
    for p in procs:
        p.join(30)
    failures = [o for o in outcomes if o[0] != "ok"]
    assert failures == []
    after = _refreshes(sandbox_url)
    assert after["ok"] - before["ok"] == 1
    assert after["invalid_grant"] == before["invalid_grant"]


def test_refresh_refused_for_good_marks_needs_reauth_and_stops(ctx, installed, sandbox_url, settings_env):
    member_id = _member(sandbox_url)
    record = ctx.portals.require(member_id)
    # Someone else spends our refresh token (e.g. a copy of the database): ours is now invalid_grant.
    spent = requests.post(sandbox_url + "/oauth/token/", data={
        "grant_type": "refresh_token", "client_id": ctx.settings.client_id,
        "client_secret": ctx.settings.client_secret, "refresh_token": record.refresh_token}, timeout=10)
    assert spent.status_code == 200
    with pytest.raises(TokenUnavailable) as info:
        ctx.tokens(member_id).refresh_now()
    assert info.value.permanent
    after = ctx.portals.require(member_id)
    assert after.status is PortalStatus.NEEDS_REAUTH and "invalid_grant" in after.status_reason
    # The job gives up instead of retrying forever, and the scheduler no longer picks the portal.
    assert refresh_portal_token(member_id) == "needs_reauth"
    assert member_id not in refresh_expiring_tokens()
