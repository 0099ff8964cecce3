"""Redis killed (SIGKILL, no save) while the app's real worker process is sending deals to 1C, then started again
empty on the same port: the worker process stays up and goes on by itself, the outbox sweeper re-enqueues what
Redis forgot, and every deal ends with exactly one 1C order.

The test has a Redis of its own (tests/support/faults.PrivateRedis), so killing it touches no other test run; the
app served on loopback, the worker process, the RQ jobs and the sweeper all use it through the settings below."""

from __future__ import annotations

import dataclasses

import pytest
from redis import Redis
from rq import Worker

from b24app.jobs.sync import sweep_outbox
from b24app.sync.to_onec.orders import order_key
from tests.support import faults as f
from tests.support import sync_data as sd
from tests.support.processes import get_json, post_json, wait_until

pytestmark = [pytest.mark.faults, pytest.mark.db]

DEALS = 12


@pytest.fixture
def private_redis(tmp_path):
    server = f.PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings, private_redis):  # noqa: F811 - the shared settings, on this test's own Redis
    return dataclasses.replace(settings, redis_url=private_redis.url)


def _worker_registered(redis_url: str) -> bool:
    """The worker process has registered itself in this Redis (after a restart: in the new, empty one)."""
    client = Redis.from_url(redis_url, socket_connect_timeout=1)
    try:
        return bool(Worker.all(connection=client))
    except Exception:  # noqa: BLE001 - Redis not answering yet
        return False
    finally:
        client.close()


JOB_ENDED = ("exception raised while executing", "Job OK", "set aside", "next try in")


def _outage_met(log, seen: int) -> bool:
    """The worker's log, after offset `seen`, shows the job that was running when Redis died has ended, and Redis
    refusing the worker twice after that (its reconnect wait is 2 s): the worker's own loop, not only the job,
    has met Redis gone."""
    new = f.log_tail(log, 10**9)[seen:]
    ended = max(new.rfind(marker) for marker in JOB_ENDED)
    return ended >= 0 and new[ended:].count("could not connect to Redis") >= 2


def _orders_made(onec_url: str) -> int:
    return int(get_json(f"{onec_url}/_sandbox/state")["ut"]["documents_created"])


def test_redis_killed_and_restarted_empty_mid_run_loses_and_doubles_nothing(
        ctx, shop, sandbox_url, onec_url, settings_env, private_redis, tmp_path):
    member, client = shop["member"], shop["client"]
    log = tmp_path / "worker.log"
    worker = f.worker_process(settings_env, log)
    try:
        wait_until(lambda: worker.poll() is None and _worker_registered(private_redis.url), timeout=30,
                   what="the worker process listening on the private Redis")
        made_before = _orders_made(onec_url)
        # 1C a little slow, so the worker is still busy with the deals when Redis dies.
        post_json(f"{onec_url}/_sandbox/ut/fault", {"slow_ms": 30})
        deals = sd.bulk_deals(client, shop["company"]["ID"], shop["items"], DEALS)
        wait_until(lambda: _orders_made(onec_url) >= made_before + 3, timeout=60,
                   what="the worker writing the first orders")

        seen = len(f.log_tail(log, 10**9))
        private_redis.kill()
        in_flight = f.outbox_rows(ctx, deals)
        assert any(r["status"] == "pending" for r in in_flight), "all deals were done before Redis died"
        wait_until(lambda: worker.poll() is not None or _outage_met(log, seen), timeout=60,
                   what=f"the worker meeting Redis gone for a while:\n{f.log_tail(log)}")
        assert worker.poll() is None, f"the worker process exited ({worker.returncode}):\n{f.log_tail(log)}"
        private_redis.start()  # empty: no queues, no scheduled jobs, no locks, no circuit state
        post_json(f"{onec_url}/_sandbox/ut/fault", {"slow_ms": 0})

        # The scheduler's sweeper (run here) re-enqueues every row whose lease ran out; the worker process, which
        # never stopped, does the work. Rows of the deals' own write-back events settle without touching 1C.
        def settled() -> bool:
            assert worker.poll() is None, f"the worker process exited ({worker.returncode}):\n{f.log_tail(log)}"
            sweep_outbox()
            return f.settled(ctx)

        wait_until(settled, timeout=120, interval=0.5,
                   what=f"every outbox row done or dead after Redis came back:\n{f.log_tail(log)}")
        assert worker.poll() is None, f"the worker process exited ({worker.returncode}):\n{f.log_tail(log)}"
        assert set(f.statuses(ctx)) == {"done"}, f.outbox_rows(ctx, deals)
        assert f.orders_of(shop["odata"], member) == {order_key(member, d): 1 for d in deals}
    finally:
        sd.kill(worker)
