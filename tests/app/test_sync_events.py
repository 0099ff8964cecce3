"""The event handler for deal events: the application_token is checked, the event is in the outbox before the
answer, and a job is enqueued; a lost queue is not a lost event."""

from __future__ import annotations

import pytest
import requests
from rq import Queue

from b24app.jobs.queues import queue_name
from b24app.store.models import OutboxRow
from tests.support import sync_data as sd

pytestmark = pytest.mark.db


def _post(url: str, member: str, token: str, **extra) -> requests.Response:
    data = {"event": "ONCRMDEALUPDATE", "data[FIELDS][ID]": "42", "ts": "1764000000", "auth[member_id]": member,
            "auth[application_token]": token, "auth[domain]": "x", **extra}
    return requests.post(url + "/events", data=data, timeout=10)


def _rows(ctx) -> list[OutboxRow]:
    with ctx.db.transaction() as s:
        return list(s.query(OutboxRow).order_by(OutboxRow.id))


def test_deal_event_is_stored_then_enqueued_and_forgeries_are_refused(ctx, installed, running_app, sandbox_url,
                                                                       redis_client):
    member = sd.member_id(sandbox_url)
    token = ctx.portals.get(member).application_token
    known = len(_rows(ctx))
    assert _post(running_app.url, member, "forged").status_code == 403
    assert _post(running_app.url, "0" * 32, token).status_code == 403  # same answer as a wrong token
    assert _post(running_app.url, member, token, **{"data[FIELDS][ID]": ""}).status_code == 400
    assert len(_rows(ctx)) == known

    answer = _post(running_app.url, member, token)
    assert answer.status_code == 200 and answer.json() == {"ok": True}
    assert _post(running_app.url, member, token).status_code == 200  # redelivered: acknowledged, stored once
    rows = _rows(ctx)[known:]
    assert [(r.kind, r.entity_id, r.status, r.payload["event"]) for r in rows] == [
        ("deal", "42", "pending", "ONCRMDEALUPDATE")]
    jobs = Queue(queue_name(ctx.settings.queue_prefix, "default"), connection=redis_client).jobs
    assert [j.args for j in jobs if j.func_name.endswith("process_outbox_item")][-1] == (rows[0].id,)


def test_unbound_events_are_still_refused(ctx, installed, running_app, sandbox_url):
    member = sd.member_id(sandbox_url)
    token = ctx.portals.get(member).application_token
    assert _post(running_app.url, member, token, event="ONCRMLEADUPDATE").status_code == 422
