"""The portal's browser pages: install wizard, CRM cards with app tabs, and the BX24 stand-in script."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
import requests

from tests.sandbox_portal.conftest import InstalledApp, Portal, Receiver, install_page_html, register_app
from tests.support.browser import chromium


def _bind_tab(portal: Portal, app: InstalledApp, placement: str, handler: str, title: str) -> None:
    answer = requests.post(
        f"{portal.url}/rest/placement.bind",
        json={
            "auth": app.access_token,
            "PLACEMENT": placement,
            "HANDLER": handler,
            "TITLE": title,
            "LANG_ALL": {"ru": {"TITLE": title + " (ru)"}},
        },
        timeout=10,
    )
    assert answer.json()["result"] is True, answer.text


def _hidden_inputs(form_html: str) -> dict[str, str]:
    return {m[0]: unescape(m[1]) for m in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form_html)}


def test_deal_card_has_one_frame_per_bound_tab(portal: Portal, receiver: Receiver, installed_app: InstalledApp) -> None:
    _bind_tab(portal, installed_app, "CRM_DEAL_DETAIL_TAB", f"{receiver.url}/tab/deal", "1С")
    _bind_tab(portal, installed_app, "CRM_COMPANY_DETAIL_TAB", f"{receiver.url}/tab/company", "1С")
    placements = requests.get(
        f"{portal.url}/rest/placement.get", params={"auth": installed_app.access_token}, timeout=10
    ).json()["result"]
    assert {p["placement"] for p in placements} == {"CRM_DEAL_DETAIL_TAB", "CRM_COMPANY_DETAIL_TAB"}

    page = requests.get(f"{portal.url}/crm/deal/details/5/", params={"user": 2}, timeout=10)
    assert page.status_code == 200
    html = page.text
    assert 'id="b24-tab-CRM_DEAL_DETAIL_TAB-1"' in html and "1С (ru)" in html
    assert 'name="b24-frame-1"' in html and "b24-frame-2" not in html
    form = re.search(r'<form id="b24-form-1"[^>]*action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    assert form is not None
    action = unescape(form.group(1))
    assert action.startswith(f"{receiver.url}/tab/deal?") and "DOMAIN=127.0.0.1%3A" in action and "APP_SID=" in action
    fields = _hidden_inputs(form.group(2))
    assert fields["PLACEMENT"] == "CRM_DEAL_DETAIL_TAB" and json.loads(fields["PLACEMENT_OPTIONS"]) == {"ID": "5"}
    assert fields["member_id"] == portal.state()["member_id"] and fields["AUTH_EXPIRES"] == "3600"
    who = requests.get(f"{portal.url}/rest/user.current", params={"auth": fields["AUTH_ID"]}, timeout=10).json()
    assert who["result"]["ID"] == "2"

    company = requests.get(f"{portal.url}/crm/company/details/3/", timeout=10).text
    assert 'id="b24-tab-CRM_COMPANY_DETAIL_TAB-1"' in company and "CRM_DEAL_DETAIL_TAB" not in company
    assert requests.get(f"{portal.url}/crm/deal/details/99999999/", timeout=10).status_code == 404


def test_tabs_of_an_unfinished_install_do_not_show(portal: Portal, receiver: Receiver) -> None:
    receiver.install_html = install_page_html(portal.url, finish=False)
    client_id, _ = register_app(portal, receiver)
    portal.control(f"apps/{client_id}/install", {"finish": True})
    token = [r for r in receiver.requests if r.path == "/install"][0].form["AUTH_ID"]
    requests.post(
        f"{portal.url}/rest/placement.bind",
        timeout=10,
        data={"auth": token, "PLACEMENT": "CRM_DEAL_DETAIL_TAB", "HANDLER": f"{receiver.url}/tab"},
    )
    assert "b24-frame-1" not in requests.get(f"{portal.url}/crm/deal/details/5/", timeout=10).text


def test_install_page_posts_the_wizard_into_a_frame(portal: Portal, receiver: Receiver) -> None:
    receiver.install_html = install_page_html(portal.url)
    client_id, _ = register_app(portal, receiver)
    html = requests.get(f"{portal.url}/marketplace/app/{client_id}/install", timeout=10).text
    assert not receiver.events("ONAPPINSTALL"), "ONAPPINSTALL waits for BX24.installFinish (on-app-install.md)"
    form = re.search(r'<form id="b24-form-install"[^>]*action="([^"]+)"[^>]*>(.*?)</form>', html, re.S)
    assert form is not None and unescape(form.group(1)).startswith(f"{receiver.url}/install?DOMAIN=")
    fields = _hidden_inputs(form.group(2))
    assert fields["PLACEMENT"] == "DEFAULT" and fields["PLACEMENT_OPTIONS"] == "{}"
    info = requests.get(f"{portal.url}/rest/app.info", params={"auth": fields["AUTH_ID"]}, timeout=10).json()
    assert info["result"]["INSTALLED"] is False
    assert 'name="b24-frame-install"' in html


def test_bx24_script_is_served_cross_origin(portal: Portal) -> None:
    script = requests.get(f"{portal.url}/bx24.js", timeout=10)
    assert script.status_code == 200 and "javascript" in script.headers["Content-Type"]
    assert script.headers["Access-Control-Allow-Origin"] == "*"
    for name in ("installFinish", "fitWindow", "resizeWindow", "getAuth", "getLang", "placement", "init"):
        assert name in script.text
    preflight = requests.options(f"{portal.url}/rest/app.info", timeout=10)
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"


TAB_HTML = """<!doctype html><html><head><script src="{portal}/bx24.js"></script></head><body>
<div id="info">waiting</div>
<script>
BX24.init(function () {{
  document.getElementById("info").textContent = JSON.stringify(
    {{placement: BX24.placement.info(), lang: BX24.getLang(), auth: !!BX24.getAuth().access_token}});
  BX24.resizeWindow(640, 777);
}});
</script></body></html>"""


@pytest.mark.browser
def test_browser_install_and_tab(portal: Portal, receiver: Receiver) -> None:
    receiver.install_html = install_page_html(portal.url, finish=True)
    receiver.pages["/tab"] = TAB_HTML.format(portal=portal.url)
    client_id, _ = register_app(portal, receiver)
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{portal.url}/marketplace/app/{client_id}/install")
        page.wait_for_selector("body[data-install-finished='1']", timeout=10_000)
        assert portal.state()["apps"][client_id]["installed"] is True

        token = receiver.events("ONAPPINSTALL")[-1].form["auth[access_token]"]
        requests.post(
            f"{portal.url}/rest/placement.bind",
            timeout=10,
            data={
                "auth": token,
                "PLACEMENT": "CRM_DEAL_DETAIL_TAB",
                "HANDLER": f"{receiver.url}/tab",
                "TITLE": "1С",
            },
        )
        page.goto(f"{portal.url}/crm/deal/details/8/")
        page.click("#b24-tab-CRM_DEAL_DETAIL_TAB-1")
        frame = page.frame(name="b24-frame-1")
        assert frame is not None
        # The frame may still hold its first blank document when the wait starts (a loaded machine): wait for ours.
        frame.wait_for_function("document.getElementById('info') !== null && "
                                "document.getElementById('info').textContent !== 'waiting'", timeout=10_000)
        info = json.loads(frame.inner_text("#info"))
        assert info == {
            "placement": {"placement": "CRM_DEAL_DETAIL_TAB", "options": {"ID": "8"}},
            "lang": "ru",
            "auth": True,
        }
        page.wait_for_selector("iframe[name='b24-frame-1'][data-resized='1']", timeout=10_000)
        assert page.eval_on_selector("iframe[name='b24-frame-1']", "f => f.style.height") == "777px"
