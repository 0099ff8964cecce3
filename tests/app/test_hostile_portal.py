"""The hostile-portal suite: every attack of the security review (issue 10), tried as an attacker would on loopback.

Set-up: our app installed on sandbox portal A by its admin; portal B (another sandbox, its own OAuth server) with
our app installed by its admin; a second app on portal A; a non-admin manager (user 2) and a second manager
(user 3) on A; an "internal" listener (a loopback-only service with a secret) and an "attacker" listener (records
what reaches it); the sandbox 1C. The deployment allows exactly the sandbox 1C's and the attacker's ports as 1C
addresses, so the internal listener stands for the server's private network.

Each test asserts the refusal AND that nothing stored changed (portal row, bases, settings, bindings). The suite
prints "attacks tried / refused" when it ends.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import secrets
import uuid

import pytest
import requests

from b24app.store.models import PortalStatus
from tests.support.listeners import Listener
from tests.support.processes import get_json, post_json, start_server
from tests.support.settings_data import app_frame, base_form, frame_token, open_settings, post_form
from tests.support.tally import tally_of

pytestmark = pytest.mark.db

SECRET = "INTERNAL-SECRET-" + secrets.token_hex(6)


@pytest.fixture
def tally(request):
    return tally_of(request.config)


@pytest.fixture(scope="module")
def internal():
    listener = Listener(answer=(200, {"Content-Type": "text/plain"}, SECRET.encode())).start()
    yield listener
    listener.stop()


@pytest.fixture(scope="module")
def attacker():
    listener = Listener().start()
    yield listener
    listener.stop()


@pytest.fixture(scope="module")
def portal_b():
    server = start_server(["b24sandbox.portal", "--port", "0", "--deals", "10", "--seed", "2"], "SANDBOX_PORTAL_URL")
    yield server
    server.stop()


@pytest.fixture
def settings(settings, onec_sandbox, attacker):
    """The deployment allows the sandbox 1C and the attacker's listener as 1C addresses — nothing else on loopback."""
    onec_port = onec_sandbox.url.rsplit(":", 1)[1].strip("/")
    return dataclasses.replace(settings, onec_allowed_networks=(f"127.0.0.1/32:{onec_port}",
                                                                f"127.0.0.1/32:{attacker.port}"))


@pytest.fixture
def portal(ctx, installed, sandbox_url) -> dict:
    state = get_json(sandbox_url + "/_sandbox/state")
    _wait_application_token(ctx, state["member_id"])
    return state


@pytest.fixture
def other_app(sandbox_url) -> dict:
    """A second app on portal A, with an admin's tokens of its own."""
    client_id = f"local.other{uuid.uuid4().hex[:8]}"
    post_json(sandbox_url + "/_sandbox/apps", {"client_id": client_id, "client_secret": secrets.token_urlsafe(16),
                                               "install_url": "http://127.0.0.1:9/install",
                                               "handler_url": "http://127.0.0.1:9/", "scopes": ["crm", "user"],
                                               "title": "other"})
    return post_json(f"{sandbox_url}/_sandbox/apps/{client_id}/tokens", {"user_id": 1})


def _wait_application_token(ctx, member_id: str) -> None:
    from tests.support.processes import wait_until

    wait_until(lambda: (ctx.portals.get(member_id) or None) is not None
               and ctx.portals.get(member_id).application_token, timeout=10)


def _tokens(sandbox_url: str, client_id: str, user_id: int) -> dict:
    """A token pair our app holds for `user_id` — what any card tab of that user hands the app."""
    return post_json(f"{sandbox_url}/_sandbox/apps/{client_id}/tokens", {"user_id": user_id})


def _stored(ctx, member_id: str) -> dict:
    record = ctx.portals.get(member_id)
    portal = None if record is None else {
        "status": record.status, "domain": record.domain, "client_endpoint": record.client_endpoint,
        "access": record.access_token, "refresh": record.refresh_token, "app_token": record.application_token}
    bases = [(b.url, b.login, b.profile, b.enabled) for b in ctx.bases.list(member_id)] if record else []
    passwords = [ctx.bases.connection(member_id, b.id).password for b in ctx.bases.list(member_id)] if record else []
    return {"portal": portal, "bases": bases, "passwords": passwords,
            "settings": ctx.portal_settings.load(member_id)[0].to_json() if record else None}


def _bindings(sandbox_url: str, client_id: str) -> list:
    state = get_json(sandbox_url + "/_sandbox/state")
    return sorted(json.dumps(p, sort_keys=True) for p in state["placements"] if p.get("client_id") == client_id)


def _onappinstall(portal: dict, *, access: str | None, refresh: str | None, app_token: str) -> dict:
    auth = {"member_id": portal["member_id"], "domain": portal["domain"], "status": "L",
            "client_endpoint": f"http://{portal['domain']}/rest/", "application_token": app_token}
    if access is not None:
        auth["access_token"] = access
    if refresh is not None:
        auth["refresh_token"] = refresh
    return {"event": "ONAPPINSTALL", "data[LANGUAGE_ID]": "ru", **{f"auth[{k}]": v for k, v in auth.items()}}


def _install_post(portal: dict, access: str, refresh: str, **extra) -> dict:
    return {"AUTH_ID": access, "REFRESH_ID": refresh, "AUTH_EXPIRES": "3600", "member_id": portal["member_id"],
            "DOMAIN": portal["domain"], "PROTOCOL": "0", "LANG": "ru", **extra}


def _genuine_event_accepted(ctx, app_url: str, member_id: str) -> bool:
    """An event carrying the portal's real application_token still gets through (it was not replaced)."""
    real = ctx.portals.get(member_id).application_token
    r = requests.post(app_url + "/events", data={"event": "ONCRMDEALUPDATE", "data[FIELDS][ID]": "1",
                                                 "ts": "1", "auth[member_id]": member_id,
                                                 "auth[application_token]": real}, timeout=10)
    return r.status_code == 200


# -- 1. event-channel takeover ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["manager_token_made_up_refresh", "manager_pair", "other_app_pair"])
def test_forged_onappinstall_changes_nothing(kind, tally, ctx, running_app, portal, sandbox_url, settings,
                                             other_app):
    before, bound = _stored(ctx, portal["member_id"]), _bindings(sandbox_url, settings.client_id)
    manager = _tokens(sandbox_url, settings.client_id, 2)
    access, refresh = {
        "manager_token_made_up_refresh": (manager["access_token"], "made-up-refresh"),
        "manager_pair": (manager["access_token"], manager["refresh_token"]),
        "other_app_pair": (other_app["access_token"], other_app["refresh_token"]),
    }[kind]
    forged = _onappinstall(portal, access=access, refresh=refresh, app_token="attacker-app-token")
    for path in ("/events", "/install"):
        r = requests.post(running_app.url + path, data=forged, timeout=10)
        assert tally.record(f"onappinstall {kind} at {path}", r.status_code == 403), (path, r.status_code, r.text)
    assert _stored(ctx, portal["member_id"]) == before
    assert _bindings(sandbox_url, settings.client_id) == bound
    # With the real application_token kept, a forged ONAPPUNINSTALL carrying the attacker's token is refused too.
    uninstall = {"event": "ONAPPUNINSTALL", "auth[member_id]": portal["member_id"],
                 "auth[application_token]": "attacker-app-token"}
    r = requests.post(running_app.url + "/events", data=uninstall, timeout=10)
    assert tally.record(f"onappuninstall after {kind}", r.status_code == 403)
    assert ctx.portals.get(portal["member_id"]).status is PortalStatus.ACTIVE
    assert _genuine_event_accepted(ctx, running_app.url, portal["member_id"])


# -- 2. token replacement through the install POST --------------------------------------------------------------

@pytest.mark.parametrize("kind", ["manager_token_made_up_refresh", "manager_pair", "other_app_pair",
                                  "portal_b_admin_pair"])
def test_forged_install_post_changes_nothing(kind, tally, ctx, running_app, portal, sandbox_url, settings,
                                             other_app, portal_b):
    before, bound = _stored(ctx, portal["member_id"]), _bindings(sandbox_url, settings.client_id)
    manager = _tokens(sandbox_url, settings.client_id, 2)
    if kind == "portal_b_admin_pair":
        post_json(portal_b.url + "/_sandbox/apps", {"client_id": settings.client_id,
                                                    "client_secret": settings.client_secret,
                                                    "install_url": settings.public_url + "/install",
                                                    "handler_url": settings.public_url + "/settings",
                                                    "scopes": ["crm"], "title": "b24-1c"})
        b_pair = _tokens(portal_b.url, settings.client_id, 1)
    access, refresh = {
        "manager_token_made_up_refresh": lambda: (manager["access_token"], "made-up-refresh"),
        "manager_pair": lambda: (manager["access_token"], manager["refresh_token"]),
        "other_app_pair": lambda: (other_app["access_token"], other_app["refresh_token"]),
        "portal_b_admin_pair": lambda: (b_pair["access_token"], b_pair["refresh_token"]),
    }[kind]()
    r = requests.post(running_app.url + "/install", data=_install_post(portal, access, refresh), timeout=10)
    assert tally.record(f"install post {kind}", r.status_code in (401, 403)), (r.status_code, r.text[:300])
    assert "BX24.installFinish" not in r.text
    assert _stored(ctx, portal["member_id"]) == before
    assert _bindings(sandbox_url, settings.client_id) == bound
    # The manager's own card tab and the portal's events keep working.
    own = requests.post(f"http://{portal['domain']}/rest/crm.deal.list.json",
                        json={"auth": manager["access_token"], "select": ["ID"]}, timeout=10).json()["result"]
    tab = requests.post(running_app.url + "/tabs/deal", data={
        "member_id": portal["member_id"], "DOMAIN": portal["domain"], "PLACEMENT": "CRM_DEAL_DETAIL_TAB",
        "PLACEMENT_OPTIONS": json.dumps({"ID": own[0]["ID"]}), "LANG": "ru", "AUTH_ID": manager["access_token"],
        "PROTOCOL": "0"}, timeout=10)
    assert tab.status_code == 200


def test_huge_auth_expires_is_no_500(tally, ctx, running_app, portal, sandbox_url, settings):
    manager = _tokens(sandbox_url, settings.client_id, 2)
    data = _install_post(portal, manager["access_token"], manager["refresh_token"], AUTH_EXPIRES="9" * 400)
    r = requests.post(running_app.url + "/install", data=data, timeout=10)
    assert tally.record("install post with a huge AUTH_EXPIRES", r.status_code in (400, 403)), r.status_code


# -- 3. the unauthenticated window between the install POST and ONAPPINSTALL ------------------------------------

def test_tokenless_onappinstall_during_a_reinstall_is_refused(tally, ctx, running_app, portal, sandbox_url,
                                                             settings):
    member_id = portal["member_id"]
    old_token = ctx.portals.get(member_id).application_token
    # The admin reinstalls: the install POST is done, installFinish (and so ONAPPINSTALL) not yet.
    started = post_json(f"{sandbox_url}/_sandbox/apps/{settings.client_id}/install", {"finish": False})
    assert started["status"] == 200
    forged = _onappinstall(portal, access=None, refresh=None, app_token="attacker-app-token")
    r = requests.post(running_app.url + "/events", data=forged, timeout=10)
    assert tally.record("tokenless onappinstall in the reinstall window", r.status_code == 403)
    assert ctx.portals.get(member_id).application_token == old_token, "the old token serves until a proven one"
    # The genuine finish then proves itself and replaces the token.
    post_json(f"{sandbox_url}/_sandbox/apps/{settings.client_id}/install-finished")
    _wait_application_token(ctx, member_id)
    assert ctx.portals.get(member_id).application_token == started["application_token"]


def test_tokenless_onappinstall_after_the_first_install_post_is_refused(tally, ctx, running_app, sandbox_url,
                                                                       settings):
    """The first installation: the install POST stored the portal, ONAPPINSTALL has not come yet, so no
    application_token is stored — the window in which a tokenless ONAPPINSTALL used to set one."""
    started = post_json(f"{sandbox_url}/_sandbox/apps/{settings.client_id}/install", {"finish": False})
    assert started["status"] == 200
    state = get_json(sandbox_url + "/_sandbox/state")
    assert ctx.portals.get(state["member_id"]).application_token is None
    forged = _onappinstall(state, access=None, refresh=None, app_token="attacker-app-token")
    for path in ("/events", "/install"):
        r = requests.post(running_app.url + path, data=forged, timeout=10)
        assert tally.record(f"tokenless onappinstall after the first install post at {path}", r.status_code == 403)
    assert ctx.portals.get(state["member_id"]).application_token is None
    post_json(f"{sandbox_url}/_sandbox/apps/{settings.client_id}/install-finished")
    _wait_application_token(ctx, state["member_id"])
    assert ctx.portals.get(state["member_id"]).application_token == started["application_token"]


# -- 4. SSRF through the 1C base address ------------------------------------------------------------------------

@pytest.fixture
def admin(running_app, portal, sandbox_url, settings) -> str:
    page = open_settings(running_app.url, app_frame(sandbox_url, settings.client_id))
    assert page.status_code == 200, page.text[:300]
    return frame_token(page.text)


def _ssrf_urls(internal: Listener) -> dict[str, str]:
    port = internal.port
    return {
        "loopback": f"http://127.0.0.1:{port}/ut/",
        "hex": f"http://0x7f000001:{port}/ut/",
        "decimal": f"http://2130706433:{port}/ut/",
        "octal": f"http://0177.0.0.1:{port}/ut/",
        "short": f"http://127.1:{port}/ut/",
        "localhost": f"http://localhost:{port}/ut/",
        "ipv6_loopback": f"http://[::1]:{port}/ut/",
        "mapped": f"http://[::ffff:127.0.0.1]:{port}/ut/",
        "metadata": "http://169.254.169.254/latest/meta-data/",
        "private": "http://10.0.0.1/ut/",
        "fragment": f"http://127.0.0.1:{port}/#",
        "userinfo": f"http://user@127.0.0.1:{port}/ut/",
        "file": "file:///etc/passwd",
    }


@pytest.mark.parametrize("action", ["test", "save"])
def test_base_address_cannot_reach_the_internal_network(action, tally, ctx, running_app, portal, admin, internal,
                                                        onec_url):
    before = _stored(ctx, portal["member_id"])
    for name, url in _ssrf_urls(internal).items():
        r = post_form(running_app.url, "/settings/base", admin, base_form(onec_url, url=url, action=action))
        refused = r.status_code == 422 and SECRET not in r.text
        assert tally.record(f"base url {name} ({action})", refused), (name, r.status_code)
    assert internal.seen == [], "the internal service was reached"
    assert _stored(ctx, portal["member_id"]) == before


def test_redirects_are_not_followed_and_error_bodies_not_echoed(tally, ctx, running_app, portal, admin, internal,
                                                                attacker, onec_url):
    attacker.answer = (302, {"Location": f"{internal.url}/ut/odata/standard.odata/$metadata"}, b"")
    r = post_form(running_app.url, "/settings/base", admin, base_form(onec_url, url=attacker.url + "/ut/",
                                                                      action="test"))
    assert tally.record("redirect to the internal service", internal.seen == [] and SECRET not in r.text)
    attacker.answer = (500, {"Content-Type": "text/html"}, f"<html>{SECRET}</html>".encode())
    r = post_form(running_app.url, "/settings/base", admin, base_form(onec_url, url=attacker.url + "/ut/",
                                                                      action="test"))
    assert tally.record("error body echoed on the page", r.status_code == 200 and SECRET not in r.text)
    attacker.answer = (404, {"Content-Type": "application/json"}, json.dumps({"secret": SECRET}).encode())
    r = post_form(running_app.url, "/settings/base", admin, base_form(onec_url, url=attacker.url + "/ut/",
                                                                      action="test"))
    assert tally.record("foreign JSON error echoed", SECRET not in r.text)


def test_import_runs_the_form_checks_all_or_nothing(tally, ctx, running_app, portal, admin, internal, onec_url):
    before = _stored(ctx, portal["member_id"])
    good = {"name": "УТ", "url": f"{onec_url}/ut/", "login": "u", "profile": "ut11", "legal_entity": None,
            "legal_entity_inn": None, "enabled": True}
    cases = {
        "internal url": [good, {**good, "name": "internal", "url": f"http://127.0.0.1:{internal.port}/ut/"}],
        "profile as a path": [{**good, "profile": "/etc/passwd"}],
        "enabled as text": [{**good, "enabled": "false"}],
    }
    for name, bases in cases.items():
        doc = {"format": "b24-1c-settings", "format_version": 1, "bases": bases, "settings": {}}
        r = post_form(running_app.url, "/settings/import", admin, {"config": json.dumps(doc)})
        assert tally.record(f"import with {name}", r.status_code == 422), (name, r.status_code)
        r = post_form(running_app.url, "/settings/import/confirm", admin,
                      {"config": json.dumps(doc), "password__0": "p", "password__1": "p", "version": "0"})
        assert tally.record(f"import confirm with {name}", r.status_code == 422), (name, r.status_code)
    for name, settings_doc in {"timeout as text": {"tab_timeout_seconds": "abc"},
                               "schedule as text": {"schedules": {"payments_seconds": "x"}},
                               "flag as text": {"schedules": {"pull_from_1c": "false"}},
                               "a field the portal lacks": {"deal_fields": {"paid_sum": "UF_CRM_NOT_THERE"}},
                               "a stage the portal lacks": {"stages": {"0": {"paid": "NO_SUCH_STAGE"}}}}.items():
        doc = {"format": "b24-1c-settings", "format_version": 1, "bases": [], "settings": settings_doc}
        r = post_form(running_app.url, "/settings/import/confirm", admin, {"config": json.dumps(doc), "version": "0"})
        assert tally.record(f"import with {name}", r.status_code == 422), (name, r.status_code)
    head = '{"format": "b24-1c-settings", "format_version": 1, "bases": [], "settings": '
    deep = head + "[" * 5000 + "]" * 5000 + "}"
    r = post_form(running_app.url, "/settings/import", admin, {"config": deep})
    assert tally.record("deeply nested import", r.status_code in (400, 422)), r.status_code
    assert internal.seen == []
    assert _stored(ctx, portal["member_id"]) == before
    # The settings page still opens afterwards.
    assert post_form(running_app.url, "/settings", admin).status_code == 200


def test_a_base_stored_before_the_policy_is_not_called_by_the_tab(tally, ctx, running_app, portal, internal,
                                                                  sandbox_url, settings):
    """A base saved with an internal address before the policy existed (or written around the form): the card tab
    does not call it and says why instead of "1C is down"."""
    ctx.bases.save(portal["member_id"], name="old", url=f"http://127.0.0.1:{internal.port}/ut/", login="u",
                   password="p", profile="ut11", legal_entity=None, legal_entity_inn=None, enabled=True)
    admin_pair = _tokens(sandbox_url, settings.client_id, 1)
    r = requests.post(running_app.url + "/tabs/company", data={
        "member_id": portal["member_id"], "DOMAIN": portal["domain"], "PLACEMENT": "CRM_COMPANY_DETAIL_TAB",
        "PLACEMENT_OPTIONS": '{"ID":"1"}', "LANG": "ru", "AUTH_ID": admin_pair["access_token"], "PROTOCOL": "0"},
        timeout=30)
    refused = internal.seen == [] and SECRET not in r.text
    assert tally.record("card tab calling a stored internal address", refused), r.status_code
    assert r.status_code == 200 and "tab-address" in r.text, r.text[-1500:]


# -- 5. a stored password never goes to another host ------------------------------------------------------------

def test_stored_password_is_not_sent_to_a_new_host(tally, ctx, running_app, portal, admin, attacker, onec_url,
                                                   configured_base):
    attacker.seen.clear()
    before = _stored(ctx, portal["member_id"])
    form = base_form(onec_url, url=attacker.url + "/ut/", password="", base_id=str(configured_base.id))
    for action in ("test", "save"):
        r = post_form(running_app.url, "/settings/base", admin, {**form, "action": action})
        refused = r.status_code == 422 and not any("Authorization" in s.headers for s in attacker.seen)
        assert tally.record(f"stored password to a new host ({action})", refused), r.status_code
    assert attacker.seen == []
    assert _stored(ctx, portal["member_id"]) == before


# -- 6. request limits ------------------------------------------------------------------------------------------

def _post_announcing(url: str, path: str, size: int, sent: int) -> int:
    """POST announcing a `size`-byte form body but sending only `sent` bytes of it; the answer's status. The
    server must answer from the announced length alone, before reading (let alone parsing) the body."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.putrequest("POST", path)
    conn.putheader("Content-Type", "application/x-www-form-urlencoded")
    conn.putheader("Content-Length", str(size))
    conn.endheaders()
    try:
        conn.send(b"a" * sent)
    except OSError:
        pass  # the server may close as soon as it has answered
    try:
        return conn.getresponse().status
    finally:
        conn.close()


def test_oversized_bodies_are_refused_before_parsing(tally, ctx, running_app, portal, admin):
    status = _post_announcing(running_app.url, "/events", 100 * 1024 * 1024, 1024 * 1024)
    assert tally.record("100 MB event", status == 413), status
    upload = {"file": ("big.json", b"{" + b" " * (10 * 1024 * 1024) + b"}", "application/json")}
    r = requests.post(running_app.url + "/settings/import", data={"frame": admin}, files=upload, timeout=30)
    assert tally.record("10 MB settings upload", r.status_code == 413), r.status_code


def test_nested_input_gets_a_4xx_not_a_500(tally, ctx, running_app, portal, sandbox_url, settings):
    deep = "[" * 100_000 + "]" * 100_000
    r = requests.post(running_app.url + "/tabs/deal", data={
        "member_id": portal["member_id"], "DOMAIN": portal["domain"], "PLACEMENT": "CRM_DEAL_DETAIL_TAB",
        "PLACEMENT_OPTIONS": deep, "AUTH_ID": "x", "PROTOCOL": "0"}, timeout=30)
    assert tally.record("deep PLACEMENT_OPTIONS", 400 <= r.status_code < 500), r.status_code
    r = requests.post(running_app.url + "/events", data={"event": "ONCRMDEALUPDATE", "a" + "[b]" * 50: "1"},
                      timeout=10)
    assert tally.record("deep form key", r.status_code == 400), r.status_code


# -- 7. card tabs respect the user's CRM rights -----------------------------------------------------------------

def test_a_manager_cannot_read_another_managers_deal_through_the_tab(tally, ctx, running_app, portal, sandbox_url,
                                                                     settings):
    manager = _tokens(sandbox_url, settings.client_id, 2)
    other = _tokens(sandbox_url, settings.client_id, 3)
    rest = f"http://{portal['domain']}/rest/crm.deal.list.json"
    theirs = requests.post(rest, json={"auth": other["access_token"], "select": ["ID"]}, timeout=10).json()["result"]
    mine = {d["ID"] for d in requests.post(rest, json={"auth": manager["access_token"], "select": ["ID"]},
                                           timeout=10).json()["result"]}
    foreign = next(d["ID"] for d in theirs if d["ID"] not in mine)
    frame = {"member_id": portal["member_id"], "DOMAIN": portal["domain"], "PLACEMENT": "CRM_DEAL_DETAIL_TAB",
             "LANG": "ru", "AUTH_ID": manager["access_token"], "PROTOCOL": "0"}
    r = requests.post(running_app.url + "/tabs/deal", data={**frame, "PLACEMENT_OPTIONS": json.dumps({"ID": foreign})},
                      timeout=10)
    assert tally.record("manager reads another manager's deal tab", r.status_code == 403 and 'name="frame"' not in
                        r.text), r.status_code
    r = requests.post(running_app.url + "/tabs/deal",
                      data={**frame, "PLACEMENT_OPTIONS": json.dumps({"ID": sorted(mine)[0]})}, timeout=10)
    assert r.status_code == 200


# -- 8. the low ones --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("raw_id", ["１", "١٢", "²", "1e3", "-1", "0x1", " 1"])
def test_ids_must_be_ascii_digits(raw_id, tally, ctx, running_app, portal, sandbox_url, settings):
    admin_pair = _tokens(sandbox_url, settings.client_id, 1)
    r = requests.post(running_app.url + "/tabs/deal", data={
        "member_id": portal["member_id"], "DOMAIN": portal["domain"], "PLACEMENT": "CRM_DEAL_DETAIL_TAB",
        "PLACEMENT_OPTIONS": json.dumps({"ID": raw_id}), "AUTH_ID": admin_pair["access_token"], "PROTOCOL": "0"},
        timeout=10)
    assert tally.record(f"deal id {raw_id!r}", r.status_code == 400), r.status_code


def test_tabs_and_install_refuse_get(tally, running_app, portal):
    for path in ("/tabs/deal", "/tabs/company"):
        r = requests.get(running_app.url + path, params={"AUTH_ID": "token-in-the-access-log"}, timeout=10)
        assert tally.record(f"GET {path}", r.status_code == 405), r.status_code
    r = requests.get(running_app.url + "/install", params={"AUTH_ID": "x", "REFRESH_ID": "y"}, timeout=10)
    assert tally.record("GET /install", r.status_code >= 400 and "installFinish" not in r.text)


def test_event_answers_do_not_tell_installed_portals_apart(tally, running_app, portal):
    wrong = {"event": "ONCRMDEALUPDATE", "data[FIELDS][ID]": "1", "auth[application_token]": "guess",
             "auth[member_id]": portal["member_id"]}
    known = requests.post(running_app.url + "/events", data=wrong, timeout=10)
    unknown = requests.post(running_app.url + "/events", data={**wrong, "auth[member_id]": "f" * 32}, timeout=10)
    same = (known.status_code, known.json()) == (unknown.status_code, unknown.json())
    assert tally.record("member_id oracle on /events", same)


def test_log_injection_through_the_event_name(tally, running_app, portal, caplog):
    caplog.set_level(logging.WARNING)
    r = requests.post(running_app.url + "/events", data={
        "event": "ONCRMDEALUPDATE\nINFO forged log line", "auth[member_id]": portal["member_id"]}, timeout=10)
    clean = all("\n" not in record.getMessage() for record in caplog.records)
    assert tally.record("newline in the event name", r.status_code == 400 and clean), r.status_code


def test_pages_carry_framing_and_sniffing_headers(tally, running_app, portal, sandbox_url, settings):
    admin_pair = _tokens(sandbox_url, settings.client_id, 1)
    r = requests.post(running_app.url + "/tabs/deal", data={
        "member_id": portal["member_id"], "DOMAIN": portal["domain"], "PLACEMENT": "CRM_DEAL_DETAIL_TAB",
        "PLACEMENT_OPTIONS": '{"ID":"1"}', "AUTH_ID": admin_pair["access_token"], "PROTOCOL": "0"}, timeout=10)
    ok = (r.headers.get("X-Content-Type-Options") == "nosniff"
          and r.headers.get("Content-Security-Policy") == f"frame-ancestors http://{portal['domain']}")
    assert tally.record("tab framed by any site", ok), dict(r.headers)
    refused = requests.post(running_app.url + "/tabs/deal", data={"member_id": "x"}, timeout=10)
    assert refused.headers.get("Content-Security-Policy") == "frame-ancestors 'none'"


def test_settings_page_of_a_portal_needing_reauth_is_no_500(tally, ctx, running_app, portal, sandbox_url, settings):
    from datetime import UTC, datetime, timedelta

    from b24app.store.portals import TokenGrant

    # The admin has had the page open (the app's identity on the portal is cached); then the app's refresh token
    # is revoked (the OAuth server refuses it) and its access token runs out: the next page that needs the app's
    # own token finds the portal needs re-authorisation.
    assert open_settings(running_app.url, app_frame(sandbox_url, settings.client_id)).status_code == 200
    stored = ctx.portals.get(portal["member_id"])
    ctx.portals.save_tokens(portal["member_id"], TokenGrant("dead-access", "revoked-refresh",
                                                            datetime.now(UTC) - timedelta(minutes=5),
                                                            client_endpoint=stored.client_endpoint))
    from b24app.web.settings_portal import forget_schema

    forget_schema(ctx, portal["member_id"])  # as a minute later: the page must read the portal's fields afresh
    for attempt in ("first", "again"):
        r = open_settings(running_app.url, app_frame(sandbox_url, settings.client_id))
        assert tally.record(f"settings while the portal needs re-auth ({attempt})",
                            r.status_code in (200, 401, 403, 503) and "Traceback" not in r.text), r.status_code


def test_wrong_secret_key_is_a_clear_503_not_a_500(tally, ctx, running_app, portal, sandbox_url, settings, app_server):
    from b24app.runtime import Runtime
    from b24app.web import create_app

    wrong = Runtime(dataclasses.replace(settings, secret_key=secrets.token_urlsafe(32)))
    app_server.replace(create_app(context=wrong))
    try:
        r = open_settings(app_server.url, app_frame(sandbox_url, settings.client_id))
        health = requests.get(app_server.url + "/healthz", timeout=10)
    finally:
        wrong.db.dispose()
    assert tally.record("pages with a wrong secret key", r.status_code == 503 and "B24APP_SECRET_KEY" in r.text)
    assert tally.record("healthz with a wrong secret key", health.status_code == 503)
