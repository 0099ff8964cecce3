"""A web that comes back asks at once for the events the portal kept while it was down: the missed change reaches
1C within one worker pass, not at the next scheduled collection."""

from __future__ import annotations

import subprocess
import sys

import pytest
from rq import Queue

from b24app.jobs.queues import queue_name
from b24app.jobs.startup import on_web_start
from b24app.sync.to_onec.orders import order_key
from tests.support import sync_data as sd
from tests.support.processes import post_json

pytestmark = pytest.mark.db


def test_missed_event_reaches_1c_as_soon_as_the_web_starts(ctx, configured_base, sandbox_url, onec_url,
                                                          settings_env, running_app):
    member = sd.member_id(sandbox_url)
    client = sd.manager(sandbox_url)
    items = sd.catalog_items(client, sd.onec(onec_url), 1)
    deal, _, _ = sd.deal_with_company(client)
    sd.order_on_stage(ctx, member)
    sd.set_rows(client, deal, items, [1])
    sd.settle(ctx, sandbox_url)
    running_app.stop()  # our web is down: the online delivery of the next change fails
    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    post_json(sandbox_url + "/_sandbox/events/wait")
    sd.run_burst(ctx)
    assert sd.orders_with_key(sd.onec(onec_url), order_key(member, deal)) == []

    assert on_web_start(ctx)  # what a starting web process does (b24app/web/wsgi.py)
    assert not on_web_start(ctx)  # its sibling workers starting with it ask no second time
    sd.run_burst(ctx)  # one pass: the collection, then the deal's job
    sd.run_burst(ctx)
    assert len(sd.orders_with_key(sd.onec(onec_url), order_key(member, deal))) == 1


def test_the_gunicorn_entry_point_asks_for_the_collection(settings, settings_env, redis_client):
    done = subprocess.run([sys.executable, "-c", "import b24app.web.wsgi"], env={**settings_env, "PATH": ""},
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    jobs = Queue(queue_name(settings.queue_prefix, "default"), connection=redis_client).jobs
    assert [j.func_name for j in jobs] == ["b24app.jobs.sync.collect_offline_events"]
