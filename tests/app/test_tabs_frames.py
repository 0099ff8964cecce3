"""Card tabs served to the sandbox portal's frames: figures from the sandbox 1C, stale data when 1C is down,
and the request checks (member_id, DOMAIN, AUTH_ID, placement, entity of the portal)."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests

from b24app.onec.readers import OneCDocuments
from b24app.web.formatting import format_money
from tests.support.processes import get_json, post_json
from tests.support.tabs_data import frame_params, link_deal_by_number, open_tab

pytestmark = pytest.mark.db


def _member(sandbox_url: str) -> str:
    return get_json(sandbox_url + "/_sandbox/state")["member_id"]


def test_deal_tab_shows_the_linked_order_and_survives_1c_down(ctx, configured_base, running_app, settings,
                                                               sandbox_url, onec_url):
    member_id = _member(sandbox_url)
    params = frame_params(sandbox_url, settings.client_id, "CRM_DEAL_DETAIL_TAB", 3)
    unlinked = open_tab(running_app.url, "deal", params)
    assert unlinked.status_code == 200 and 'id="tab-no-link"' in unlinked.text
    assert "UF_CRM_B24_1C_ORDER" in unlinked.text

    reader = OneCDocuments.for_base(ctx.bases.connection(member_id, configured_base.id), egress=ctx.egress)
    docs = reader.order_documents(reader.order_by_number("ТД00-000003"))
    link_deal_by_number(ctx, member_id, 3, "ТД00-000003")
    ctx.redis.delete(f"{settings.queue_prefix}:tab-entity:{member_id}:deal:3")
    page = open_tab(running_app.url, "deal", params)
    assert page.status_code == 200
    assert format_money(docs.order.amount, "ru") in page.text
    assert f'data-status="{docs.status.value}"' in page.text
    assert re.search(r'id="paid-sum">' + re.escape(format_money(docs.paid, "ru")), page.text)
    assert page.text.count('class="shipment"') == len(docs.shipments)
    assert "e1cib/data/" in page.text

    # 1C goes down and the entry gets old: the tab shows the last known data with its time, in time.
    post_json(f"{onec_url}/_sandbox/ut/fault", {"down": True})
    for key in ctx.redis.scan_iter(f"{settings.queue_prefix}:tab:{member_id}:deal:3:*"):
        doc = json.loads(ctx.redis.get(key))
        doc["as_of"] = time.time() - 3600
        ctx.redis.set(key, json.dumps(doc))
    started = time.monotonic()
    stale = open_tab(running_app.url, "deal", params)
    elapsed = time.monotonic() - started
    assert stale.status_code == 200 and "tab-stale" in stale.text
    assert format_money(docs.order.amount, "ru") in stale.text
    assert elapsed < ctx.portal_settings.get(member_id).tab_timeout_seconds + 1.0


def test_company_tab_without_requisites_or_base(ctx, installed, running_app, settings, sandbox_url):
    params = frame_params(sandbox_url, settings.client_id, "CRM_COMPANY_DETAIL_TAB", 1, lang="en")
    page = open_tab(running_app.url, "company", params)
    assert page.status_code == 200 and 'id="tab-no-base"' in page.text and "No 1C base" in page.text


def test_tab_refuses_mismatched_requests(ctx, configured_base, running_app, settings, sandbox_url):
    params = frame_params(sandbox_url, settings.client_id, "CRM_DEAL_DETAIL_TAB", 1)
    assert open_tab(running_app.url, "deal", params).status_code == 200
    assert open_tab(running_app.url, "deal", {**params, "DOMAIN": "evil.example"}).status_code == 403
    assert open_tab(running_app.url, "deal", {**params, "member_id": "b" * 32}).status_code == 403
    assert open_tab(running_app.url, "deal", {**params, "AUTH_ID": "made-up"}).status_code == 401
    wrong = open_tab(running_app.url, "deal", {**params, "PLACEMENT": "CRM_COMPANY_DETAIL_TAB"})
    assert wrong.status_code == 403
    # A deal ID this portal does not have (another portal's deal) is refused, not rendered.
    other = open_tab(running_app.url, "deal", {**params, "PLACEMENT_OPTIONS": '{"ID":"987654"}'})
    assert other.status_code == 403 and "Доступ запрещён" in other.text
    # An expired AUTH_ID is refused once the portal says so.
    unseen = post_json(f"{sandbox_url}/_sandbox/apps/{settings.client_id}/tokens", {"user_id": 2})
    post_json(sandbox_url + "/_sandbox/tokens/expire")
    assert open_tab(running_app.url, "deal", {**params, "AUTH_ID": unseen["access_token"]}).status_code == 401


def test_wrong_application_portal_is_refused(ctx, configured_base, running_app, settings, sandbox_url):
    """A frame for the same portal but signed by another application's token does not verify here."""
    params = frame_params(sandbox_url, settings.client_id, "CRM_DEAL_DETAIL_TAB", 1)
    other_app = post_json(sandbox_url + "/_sandbox/apps", {
        "client_id": "local.otherapp.123", "client_secret": "x" * 24, "install_url": "http://127.0.0.1:9/install",
        "handler_url": "http://127.0.0.1:9/app", "scopes": ["crm"], "title": "other"})
    assert other_app
    post_json(f"{sandbox_url}/_sandbox/apps/local.otherapp.123/install", {"finish": False})
    token = post_json(f"{sandbox_url}/_sandbox/apps/local.otherapp.123/tokens", {"user_id": 1})
    refused = open_tab(running_app.url, "deal", {**params, "AUTH_ID": token["access_token"]})
    # The portal refuses user.current for a token of an app without the user scope; verify_frame answers 503
    # ("cannot verify") rather than 401 - a refusal either way, and no 1C data leaks.
    assert refused.status_code in (401, 403, 503)
    assert "tab-base" not in refused.text and "tab-no-link" not in refused.text


def test_warm_tab_is_refused_the_moment_the_portal_stops_being_active(ctx, configured_base, running_app, settings,
                                                                      sandbox_url):
    """The warm path reads settings, bases, links, the deal and the verified AUTH_ID from short Redis copies,
    but the portal's own row from the database each time: needs-reauth and uninstall take effect at once."""
    member_id = _member(sandbox_url)
    params = frame_params(sandbox_url, settings.client_id, "CRM_DEAL_DETAIL_TAB", 1)
    assert open_tab(running_app.url, "deal", params).status_code == 200
    assert ctx.redis.exists(f"{settings.queue_prefix}:tab-setup:{member_id}")
    assert ctx.redis.exists(f"{settings.queue_prefix}:tab-entity:{member_id}:deal:1")

    ctx.portals.mark_needs_reauth(member_id, "refresh token rejected")
    refused = open_tab(running_app.url, "deal", params)
    assert refused.status_code == 403 and "tab-base" not in refused.text and "tab-no-link" not in refused.text

    ctx.portals.mark_uninstalled(member_id)
    assert open_tab(running_app.url, "deal", params).status_code == 403


def test_deal_tab_buttons_send_to_1c_and_refresh(ctx, configured_base, running_app, settings, sandbox_url,
                                                 redis_client):
    from rq import Queue

    from b24app.jobs.queues import queue_name

    member_id = _member(sandbox_url)
    page = open_tab(running_app.url, "deal", frame_params(sandbox_url, settings.client_id, "CRM_DEAL_DETAIL_TAB", 7))
    token = re.search(r'name="frame" value="([^"]+)"', page.text).group(1)
    jobs = Queue(queue_name(settings.queue_prefix, "default"), connection=redis_client)

    sent = requests.post(running_app.url + "/tabs/deal/action", data={"frame": token, "action": "order"}, timeout=10)
    assert sent.status_code == 200 and 'id="tab-action-done"' in sent.text
    assert jobs.count == 1 and jobs.jobs[0].func_name == "b24app.jobs.sync.process_outbox_item"
    item = ctx.outbox.get(jobs.jobs[0].args[0])
    assert (item.member_id, item.kind, item.entity_id, item.status) == (member_id, "deal", "7", "pending")
    assert item.payload["force"] is True

    refresh = requests.post(running_app.url + "/tabs/deal/action", data={"frame": token, "action": "refresh"},
                            timeout=10)
    assert refresh.status_code == 200 and jobs.count == 2
    assert jobs.jobs[-1].func_name == "b24app.jobs.sync.refresh_deal" and jobs.jobs[-1].args == (member_id, "7")

    forged = requests.post(running_app.url + "/tabs/deal/action", data={"frame": token[:-2] + "xx",
                                                                         "action": "order"}, timeout=10)
    assert forged.status_code == 403 and jobs.count == 2


def test_a_stale_app_identity_from_before_a_reinstall_is_asked_again(ctx, configured_base, running_app, settings,
                                                                     sandbox_url):
    member_id = _member(sandbox_url)
    ctx.redis.set(f"{settings.queue_prefix}:app-identity:{member_id}", json.dumps({"ID": "999", "CODE": "old.app"}))
    page = open_tab(running_app.url, "deal", frame_params(sandbox_url, settings.client_id, "CRM_DEAL_DETAIL_TAB", 3))
    assert page.status_code == 200
    assert json.loads(ctx.redis.get(f"{settings.queue_prefix}:app-identity:{member_id}"))["CODE"] == settings.client_id
