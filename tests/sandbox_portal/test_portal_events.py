"""Install control, online and offline events, uninstall."""

from __future__ import annotations

import requests

from tests.sandbox_portal.conftest import InstalledApp, Portal, Receiver, install_page_html, register_app


def _bind(portal: Portal, app: InstalledApp, **params: str) -> requests.Response:
    return requests.post(f"{portal.url}/rest/event.bind", data={"auth": app.access_token, **params}, timeout=10)


def test_install_sends_onappinstall_and_posts_the_install_url(portal: Portal, receiver: Receiver) -> None:
    receiver.install_html = install_page_html(portal.url, finish=True)
    client_id, _ = register_app(portal, receiver)
    answer = portal.control(f"apps/{client_id}/install", {"finish": True, "lang": "ru"})
    assert answer["status"] == 200 and [d["status"] for d in answer["onappinstall"]] == [200]
    assert answer["install_finish_called"] is True and answer["installed"] is True

    event = receiver.events("ONAPPINSTALL")[0]
    assert event.path == "/handler"
    form = event.form
    assert form["auth[member_id]"] == portal.state()["member_id"]
    assert form["auth[client_endpoint]"] == f"{portal.url}/rest/"
    assert form["auth[server_endpoint]"] == f"{portal.url}/oauth/rest/"
    assert form["auth[application_token]"] and form["auth[access_token]"] and form["auth[refresh_token]"]
    assert form["data[LANGUAGE_ID]"] == "ru"

    install = [r for r in receiver.requests if r.path == "/install"][0]
    assert install.query["DOMAIN"] == portal.url.removeprefix("http://") and install.query["PROTOCOL"] == "0"
    assert install.query["LANG"] == "ru" and install.query["APP_SID"]
    assert install.form["AUTH_ID"] == form["auth[access_token]"]
    assert install.form["REFRESH_ID"] == form["auth[refresh_token]"]
    assert install.form["PLACEMENT"] == "DEFAULT" and install.form["PLACEMENT_OPTIONS"] == "{}"
    assert install.form["member_id"] == form["auth[member_id]"] and install.form["status"] == "L"
    assert portal.state()["apps"][client_id]["installed"] is True


def test_install_without_installfinish_is_not_finished(portal: Portal, receiver: Receiver) -> None:
    receiver.install_html = install_page_html(portal.url, finish=False)
    client_id, _ = register_app(portal, receiver)
    answer = portal.control(f"apps/{client_id}/install", {"finish": True})
    assert answer["install_finish_called"] is False and answer["installed"] is False
    # on-app-install.md: ONAPPINSTALL follows a finished installation only.
    assert receiver.events("ONAPPINSTALL") == [] and answer["onappinstall"] == []
    token = [r for r in receiver.requests if r.path == "/install"][0].form["AUTH_ID"]
    info = requests.get(f"{portal.url}/rest/app.info", params={"auth": token}, timeout=10).json()["result"]
    assert info["INSTALLED"] is False
    # installation-finish.md: no events for an app whose install is not finished.
    assert (
        requests.post(
            f"{portal.url}/rest/event.bind",
            timeout=10,
            data={"auth": token, "event": "ONCRMDEALUPDATE", "handler": f"{receiver.url}/events"},
        ).json()["result"]
        is True
    )
    requests.post(
        f"{portal.url}/rest/crm.deal.update", data={"auth": token, "id": 1, "fields[COMMENTS]": "x"}, timeout=10
    )
    portal.control("events/wait")
    assert not [d for d in portal.state()["deliveries"] if d["event"] == "ONCRMDEALUPDATE"]


def test_online_event_reaches_the_handler(portal: Portal, receiver: Receiver, installed_app: InstalledApp) -> None:
    assert _bind(portal, installed_app, event="ONCRMDEALUPDATE", handler=f"{receiver.url}/events").json()["result"]
    again = _bind(portal, installed_app, event="ONCRMDEALUPDATE", handler=f"{receiver.url}/events")
    assert again.status_code == 400
    unknown = _bind(portal, installed_app, event="ONNOTHING", handler=f"{receiver.url}/events")
    assert unknown.status_code == 400 and unknown.json()["error"] == "ERROR_EVENT_NOT_FOUND"
    bound = requests.get(
        f"{portal.url}/rest/event.get", params={"auth": installed_app.access_token}, timeout=10
    ).json()["result"]
    assert {"event": "ONCRMDEALUPDATE", "handler": f"{receiver.url}/events", "auth_type": "0", "offline": 0} in bound

    requests.post(
        f"{portal.url}/rest/crm.deal.update",
        data={"auth": installed_app.access_token, "id": 17, "fields[TITLE]": "Новое"},
        timeout=10,
    )
    got = receiver.wait_for(lambda r: r.form.get("event") == "ONCRMDEALUPDATE")
    assert got, receiver.requests
    form = got[0].form
    assert form["data[FIELDS][ID]"] == "17" and form["event_handler_id"] and form["ts"]
    assert form["auth[application_token]"] == installed_app.application_token
    assert form["auth[domain]"] == portal.url.removeprefix("http://")
    assert form["auth[access_token]"] and form["auth[member_id]"]
    portal.control("events/wait")
    delivery = [d for d in portal.state()["deliveries"] if d["event"] == "ONCRMDEALUPDATE"][0]
    assert delivery["status"] == 200 and delivery["url"] == f"{receiver.url}/events"


def test_fire_through_control_without_user_has_no_tokens(
    portal: Portal, receiver: Receiver, installed_app: InstalledApp
) -> None:
    _bind(portal, installed_app, event="ONCRMCOMPANYUPDATE", handler=f"{receiver.url}/events")
    assert portal.control("events/fire", {"event": "ONCRMCOMPANYUPDATE", "id": "4"})["queued"] == 1
    form = receiver.events("ONCRMCOMPANYUPDATE")[0].form
    assert form["data[FIELDS][ID]"] == "4" and "auth[access_token]" not in form
    assert form["auth[application_token]"] == installed_app.application_token


def test_offline_events_collapse_and_clear_by_process(portal: Portal, installed_app: InstalledApp) -> None:
    token = installed_app.access_token
    assert _bind(portal, installed_app, event="ONCRMDEALUPDATE", event_type="offline").json()["result"] is True
    for title in ("a", "b", "c"):
        requests.post(
            f"{portal.url}/rest/crm.deal.update", data={"auth": token, "id": 21, "fields[TITLE]": title}, timeout=10
        )
    requests.post(
        f"{portal.url}/rest/crm.deal.update", data={"auth": token, "id": 22, "fields[TITLE]": "d"}, timeout=10
    )
    held = requests.post(f"{portal.url}/rest/event.offline.get", data={"auth": token, "clear": 0}, timeout=10).json()[
        "result"
    ]
    assert held["process_id"]
    assert sorted(e["EVENT_DATA"]["FIELDS"]["ID"] for e in held["events"]) == ["21", "22"]
    hidden = requests.post(f"{portal.url}/rest/event.offline.get", data={"auth": token, "clear": 0}, timeout=10).json()[
        "result"
    ]
    assert hidden["events"] == []
    assert (
        requests.post(
            f"{portal.url}/rest/event.offline.clear", data={"auth": token, "process_id": held["process_id"]}, timeout=10
        ).json()["result"]
        is True
    )
    assert portal.state()["offline_queue"] == 0

    requests.post(
        f"{portal.url}/rest/crm.deal.update", data={"auth": token, "id": 23, "fields[TITLE]": "e"}, timeout=10
    )
    taken = requests.post(f"{portal.url}/rest/event.offline.get", data={"auth": token}, timeout=10).json()["result"]
    assert taken["process_id"] is None and [e["EVENT_NAME"] for e in taken["events"]] == ["ONCRMDEALUPDATE"]
    assert portal.state()["offline_queue"] == 0


def test_auth_connector_skips_own_changes(portal: Portal, installed_app: InstalledApp) -> None:
    token = installed_app.access_token
    _bind(portal, installed_app, event="ONCRMDEALUPDATE", event_type="offline", auth_connector="onec")
    requests.post(
        f"{portal.url}/rest/crm.deal.update",
        data={"auth": token, "id": 31, "fields[TITLE]": "from 1C", "auth_connector": "onec"},
        timeout=10,
    )
    assert portal.state()["offline_queue"] == 0
    requests.post(
        f"{portal.url}/rest/crm.deal.update", data={"auth": token, "id": 31, "fields[TITLE]": "by user"}, timeout=10
    )
    assert portal.state()["offline_queue"] == 1


def test_non_admin_cannot_bind_offline(portal: Portal, installed_app: InstalledApp) -> None:
    manager = portal.control(f"apps/{installed_app.client_id}/tokens", {"user_id": 2})["access_token"]
    refused = requests.post(
        f"{portal.url}/rest/event.bind",
        data={"auth": manager, "event": "ONCRMDEALADD", "event_type": "offline"},
        timeout=10,
    )
    assert refused.status_code == 403


def test_uninstall_sends_token_free_event_and_revokes(
    portal: Portal, receiver: Receiver, installed_app: InstalledApp
) -> None:
    _bind(portal, installed_app, event="ONAPPUNINSTALL", handler=f"{receiver.url}/events")
    answer = portal.control(f"apps/{installed_app.client_id}/uninstall")
    assert answer["deliveries"][0]["status"] == 200
    form = receiver.events("ONAPPUNINSTALL")[0].form
    assert form["auth[application_token]"] == installed_app.application_token
    assert not any(key.startswith(("auth[access_token]", "auth[refresh_token]")) for key in form)
    assert form["data[CLEAN]"] in ("0", "1")
    gone = requests.get(f"{portal.url}/rest/app.info", params={"auth": installed_app.access_token}, timeout=10)
    assert gone.status_code == 401
    state = portal.state()
    assert not [e for e in state["events"] if e["client_id"] == installed_app.client_id]
    assert state["apps"][installed_app.client_id]["installed"] is False


def test_onofflineevent_signals_new_entries_once_per_timeout(
    portal: Portal, receiver: Receiver, installed_app: InstalledApp
) -> None:
    token = installed_app.access_token
    _bind(portal, installed_app, event="ONCRMDEALUPDATE", event_type="offline")
    _bind(
        portal, installed_app, event="ONOFFLINEEVENT", handler=f"{receiver.url}/signal", **{"options[minTimeout]": "60"}
    )
    for deal_id in (41, 42, 41):
        requests.post(
            f"{portal.url}/rest/crm.deal.update", data={"auth": token, "id": deal_id, "fields[TITLE]": "x"}, timeout=10
        )
    portal.control("events/wait")
    signals = receiver.events("ONOFFLINEEVENT")
    assert len(signals) == 1
    assert signals[0].form["data[type]"] == "add" and signals[0].form["data[event]"] == "ONCRMDEALUPDATE"
    assert signals[0].form["auth[application_token]"] == installed_app.application_token
    assert portal.state()["offline_queue"] == 2
