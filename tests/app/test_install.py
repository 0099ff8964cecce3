"""Install, reinstall, ONAPPINSTALL, uninstall and event authentication, through the sandbox portal's protocol."""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import select

from b24app.store.models import Portal, PortalStatus
from tests.support.processes import get_json, post_json, wait_until

pytestmark = pytest.mark.db


def _state(sandbox_url: str) -> dict:
    return get_json(sandbox_url + "/_sandbox/state")


def _ours(items: list[dict], client_id: str) -> list[dict]:
    return [i for i in items if i["client_id"] == client_id]


def _wait_application_token(ctx, member_id: str) -> str:
    return wait_until(lambda: (ctx.portals.get(member_id) or None) and ctx.portals.get(member_id).application_token,
                      what="ONAPPINSTALL to deliver the application_token")


def test_install_stores_portal_binds_manifest_and_finishes(ctx, installed, settings, sandbox_url):
    state = _state(sandbox_url)
    record = ctx.portals.get(state["member_id"])
    assert record is not None and record.status is PortalStatus.ACTIVE
    assert record.domain == state["domain"]
    assert record.client_endpoint == f"http://{state['domain']}/rest/"
    assert record.access_token and record.refresh_token and record.seconds_left() > 3000
    # The page answered to the portal finishes the installation (BX24.installFinish).
    assert state["apps"][settings.client_id]["installed"] is True
    placements = _ours(state["placements"], settings.client_id)
    assert sorted(p["placement"] for p in placements) == ["CRM_COMPANY_DETAIL_TAB", "CRM_DEAL_DETAIL_TAB"]
    assert {p["handler"] for p in placements} == {settings.public_url + "/tabs/deal",
                                                   settings.public_url + "/tabs/company"}
    events = {e["event"] for e in _ours(state["events"], settings.client_id)}
    assert {"ONAPPINSTALL", "ONAPPUNINSTALL"} <= events
    assert _wait_application_token(ctx, record.member_id)


def test_tokens_are_encrypted_at_rest(ctx, installed, sandbox_url):
    member_id = _state(sandbox_url)["member_id"]
    record = ctx.portals.get(member_id)
    _wait_application_token(ctx, member_id)
    with ctx.db.transaction() as s:
        row = s.scalar(select(Portal).where(Portal.member_id == member_id))
        stored = " ".join(str(v) for v in (row.access_token_enc, row.refresh_token_enc, row.application_token_enc))
    for secret in (record.access_token, record.refresh_token, ctx.portals.get(member_id).application_token):
        assert secret and secret not in stored


def test_reinstall_rebinds_without_duplicates(ctx, installed, settings, sandbox_url):
    member_id = _state(sandbox_url)["member_id"]
    first = ctx.portals.get(member_id)
    again = post_json(f"{sandbox_url}/_sandbox/apps/{settings.client_id}/install", {"finish": True})
    assert again
    state = _state(sandbox_url)
    assert len(_ours(state["placements"], settings.client_id)) == 2
    bound = [(e["event"], e["offline"]) for e in _ours(state["events"], settings.client_id)]
    assert len(bound) == len(set(bound)), f"duplicate event bindings: {bound}"
    second = ctx.portals.get(member_id)
    assert second.access_token != first.access_token
    assert second.installed_at >= first.installed_at


def test_install_post_with_forged_refresh_token_is_refused(ctx, running_app, sandbox_url, caplog):
    domain = _state(sandbox_url)["domain"]
    r = requests.post(running_app.url + "/install", data={
        "AUTH_ID": "forged", "AUTH_EXPIRES": "3600", "REFRESH_ID": "forged-refresh", "member_id": "f" * 32,
        "DOMAIN": domain, "PROTOCOL": "0", "LANG": "ru", "APP_SID": "x", "status": "L",
    }, timeout=10)
    assert r.status_code == 403
    assert "BX24.installFinish" not in r.text
    assert ctx.portals.get("f" * 32) is None
    assert any("install refused" in m for m in caplog.messages)


def test_install_post_claiming_a_known_member_from_elsewhere_is_refused(ctx, installed, running_app,
                                                                          sandbox_url):
    member_id = _state(sandbox_url)["member_id"]
    before = ctx.portals.get(member_id)
    r = requests.post(running_app.url + "/install", data={
        "AUTH_ID": "x", "AUTH_EXPIRES": "3600", "REFRESH_ID": "y", "member_id": member_id,
        "DOMAIN": "127.0.0.2:1", "PROTOCOL": "0",
    }, timeout=10)
    assert r.status_code == 403
    after = ctx.portals.get(member_id)
    assert (after.domain, after.access_token) == (before.domain, before.access_token)


def test_install_post_missing_fields_is_a_clear_400(running_app):
    r = requests.post(running_app.url + "/install", data={"DOMAIN": "x.bitrix24.ru"}, timeout=10)
    assert r.status_code == 400
    assert "member_id" in r.text and "REFRESH_ID" in r.text


def test_event_with_forged_application_token_is_refused(ctx, installed, running_app, sandbox_url, caplog):
    state = _state(sandbox_url)
    member_id = state["member_id"]
    _wait_application_token(ctx, member_id)
    forged = {"event": "ONAPPUNINSTALL", "data[CLEAN]": "0", "auth[member_id]": member_id,
              "auth[domain]": state["domain"], "auth[application_token]": "not-the-token"}
    r = requests.post(running_app.url + "/events", data=forged, timeout=10)
    assert r.status_code == 403
    assert ctx.portals.get(member_id).status is PortalStatus.ACTIVE
    assert any("application_token does not match" in m for m in caplog.messages)

    # An unknown member_id gets the very same answer: the handler does not tell which portals are installed.
    unknown = {**forged, "auth[member_id]": "0" * 32}
    answer = requests.post(running_app.url + "/events", data=unknown, timeout=10)
    assert (answer.status_code, answer.json()) == (r.status_code, r.json())
    assert requests.post(running_app.url + "/events", data={}, timeout=10).status_code == 400


def test_onappinstall_without_tokens_for_unverified_portal_is_refused(ctx, running_app):
    r = requests.post(running_app.url + "/events", data={
        "event": "ONAPPINSTALL", "auth[member_id]": "a" * 32, "auth[domain]": "127.0.0.1:9",
        "auth[client_endpoint]": "http://127.0.0.1:9/rest/", "auth[application_token]": "attacker",
    }, timeout=10)
    assert r.status_code == 403
    assert ctx.portals.get("a" * 32) is None


def test_uninstall_deletes_tokens_and_keeps_history(ctx, installed, settings, sandbox_url):
    member_id = _state(sandbox_url)["member_id"]
    _wait_application_token(ctx, member_id)
    post_json(f"{sandbox_url}/_sandbox/apps/{settings.client_id}/uninstall")
    record = wait_until(lambda: (r := ctx.portals.get(member_id)) and r.status is PortalStatus.UNINSTALLED and r,
                        what="ONAPPUNINSTALL")
    assert record.access_token is None and record.refresh_token is None and record.application_token is None
    assert record.uninstalled_at is not None and record.installed_at is not None

    # Reinstalling revives the same portal row.
    post_json(f"{sandbox_url}/_sandbox/apps/{settings.client_id}/install", {"finish": True})
    revived = wait_until(lambda: (r := ctx.portals.get(member_id)) and r.status is PortalStatus.ACTIVE and r,
                         what="reinstall")
    assert revived.access_token and revived.uninstalled_at is None


def test_card_tab_frame_checks_member_domain_and_auth(ctx, installed, running_app, settings, sandbox_url):
    state = _state(sandbox_url)
    user_token = post_json(f"{sandbox_url}/_sandbox/apps/{settings.client_id}/tokens", {"user_id": 2})
    # A manager opens a tab of a deal they may read (their own: the portal's role lets managers read own deals).
    own = requests.post(f"http://{state['domain']}/rest/crm.deal.list.json",
                        json={"auth": user_token["access_token"], "select": ["ID"]}, timeout=10).json()["result"]
    base = {"member_id": state["member_id"], "DOMAIN": state["domain"], "PLACEMENT": "CRM_DEAL_DETAIL_TAB",
            "PLACEMENT_OPTIONS": json.dumps({"ID": own[0]["ID"]}), "LANG": "ru",
            "AUTH_ID": user_token["access_token"], "PROTOCOL": "0"}
    ok = requests.post(running_app.url + "/tabs/deal", data=base, timeout=10)
    assert ok.status_code == 200 and 'id="tab-no-base"' in ok.text
    elsewhere = requests.post(running_app.url + "/tabs/deal", data={**base, "DOMAIN": "evil.example"}, timeout=10)
    assert elsewhere.status_code == 403
    forged = requests.post(running_app.url + "/tabs/deal", data={**base, "member_id": "b" * 32}, timeout=10)
    assert forged.status_code == 403
    made_up = requests.post(running_app.url + "/tabs/deal", data={**base, "AUTH_ID": "made-up"}, timeout=10)
    assert made_up.status_code == 401
    unseen = post_json(f"{sandbox_url}/_sandbox/apps/{settings.client_id}/tokens", {"user_id": 2})
    post_json(sandbox_url + "/_sandbox/tokens/expire")
    expired = requests.post(running_app.url + "/tabs/deal", data={**base, "AUTH_ID": unseen["access_token"]},
                            timeout=10)
    assert expired.status_code == 401
    wrong_tab = requests.post(running_app.url + "/tabs/deal", data={**base, "PLACEMENT": "CRM_COMPANY_DETAIL_TAB"},
                              timeout=10)
    assert wrong_tab.status_code == 403

    # A token the same portal issued to another application does not open our tab.
    post_json(sandbox_url + "/_sandbox/apps", {"client_id": "local.other.app", "client_secret": "x" * 16,
                                               "install_url": "http://127.0.0.1:9/", "handler_url": "http://127.0.0.1:9/",
                                               "scopes": ["crm", "user"], "title": "other"})
    other = post_json(f"{sandbox_url}/_sandbox/apps/local.other.app/tokens", {"user_id": 2})
    foreign = requests.post(running_app.url + "/tabs/deal", data={**base, "AUTH_ID": other["access_token"]},
                            timeout=10)
    assert foreign.status_code == 403


def test_onappinstall_first_then_install_post_with_the_same_pair(ctx, running_app, settings, sandbox_url):
    """An installation event handler URL (marketplace apps) may receive ONAPPINSTALL before any install POST, with
    the same token pair the install POST then repeats. The first verification spends the refresh token; the second
    must keep the newer pair, or the portal would be left with a dead refresh token."""
    state = _state(sandbox_url)
    pair = post_json(f"{sandbox_url}/_sandbox/apps/{settings.client_id}/tokens", {"user_id": 1})
    event = {
        "event": "ONAPPINSTALL", "data[LANGUAGE_ID]": "ru", "data[INSTALLED]": "Y",
        "auth[access_token]": pair["access_token"], "auth[refresh_token]": pair["refresh_token"],
        "auth[expires_in]": "3600", "auth[domain]": state["domain"], "auth[member_id]": state["member_id"],
        "auth[client_endpoint]": f"http://{state['domain']}/rest/", "auth[server_endpoint]": pair["server_endpoint"],
        "auth[application_token]": "app-token-1", "auth[status]": "L",
    }
    assert requests.post(running_app.url + "/events", data=event, timeout=10).status_code == 200
    first = ctx.portals.get(state["member_id"])
    assert first.application_token == "app-token-1" and first.refresh_token != pair["refresh_token"]
    assert len(_ours(_state(sandbox_url)["placements"], settings.client_id)) == 2

    r = requests.post(running_app.url + "/install", data={
        "AUTH_ID": pair["access_token"], "AUTH_EXPIRES": "3600", "REFRESH_ID": pair["refresh_token"],
        "member_id": state["member_id"], "DOMAIN": state["domain"], "PROTOCOL": "0", "LANG": "ru"}, timeout=10)
    assert r.status_code == 200 and "BX24.installFinish" in r.text
    second = ctx.portals.get(state["member_id"])
    assert second.refresh_token == first.refresh_token, "the spent refresh token must not replace the live one"
    # The kept pair really works: a refresh through it succeeds.
    ctx.tokens(state["member_id"]).refresh_now()
    assert get_json(sandbox_url + "/_sandbox/state")["refreshes"]["invalid_grant"] == 0
