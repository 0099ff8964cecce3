"""im.notify.system.add in the sandbox portal, over real HTTP, against its documentation
(api-reference/chats/notifications/im-notify-system-add.md): scope `im`, application context only, USER_ID and
MESSAGE required, TAG replacing the app's earlier notification with the same tag, the result an id (false when
nothing was created), and the control API listing what arrived."""

from __future__ import annotations

import requests

from tests.sandbox_portal.conftest import InstalledApp, Portal, Receiver, install_page_html

IM_APP = "local.im.app"


def _call(portal: Portal, token: str, params: dict) -> requests.Response:
    return requests.post(f"{portal.url}/rest/im.notify.system.add", json={**params, "auth": token}, timeout=30)


def _received(portal: Portal, user_id: int | None = None) -> list[dict]:
    query = f"?user_id={user_id}" if user_id is not None else ""
    answer = requests.get(f"{portal.url}/_sandbox/notifications{query}", timeout=10)
    assert answer.status_code == 200
    return answer.json()["notifications"]


def _im_app_token(portal: Portal, receiver: Receiver) -> str:
    """An app registered with the `im` scope and installed; its administrator's access token."""
    receiver.install_html = install_page_html(portal.url, finish=True)
    portal.control("apps", {"client_id": IM_APP, "client_secret": "s3cr3t-im", "install_url": f"{receiver.url}/install",
                            "handler_url": f"{receiver.url}/handler", "scopes": ["crm", "user", "im"],
                            "title": "alerts"})
    assert portal.control(f"apps/{IM_APP}/install", {"finish": True, "lang": "ru"})["installed"] is True
    return portal.control(f"apps/{IM_APP}/tokens", {"user_id": 1})["access_token"]


def test_a_notification_is_delivered_and_a_tag_replaces_the_earlier_one(portal: Portal, receiver: Receiver):
    token = _im_app_token(portal, receiver)
    first = _call(portal, token, {"USER_ID": 3, "MESSAGE": "  Обмен остановлен  ", "MESSAGE_OUT": "для почты",
                                  "TAG": "ALERT_1", "SUB_TAG": "ALERT|1"})
    assert first.status_code == 200, first.text
    first_id = first.json()["result"]
    assert isinstance(first_id, int) and first_id > 0 and "time" in first.json()
    [got] = _received(portal, 3)
    assert (got["message"], got["message_out"], got["tag"], got["sub_tag"], got["client_id"], got["removed"]) == \
        ("Обмен остановлен", "для почты", "ALERT_1", "ALERT|1", IM_APP, False)

    second = _call(portal, token, {"USER_ID": "3", "MESSAGE": "Обмен возобновлён", "TAG": "ALERT_1"})
    assert second.json()["result"] == first_id + 1
    listed = _received(portal, 3)
    assert [(n["message"], n["removed"]) for n in listed] == [("Обмен остановлен", True), ("Обмен возобновлён", False)]
    assert _received(portal, 2) == []
    # A user the portal does not have: nothing is created and the result is false.
    assert _call(portal, token, {"USER_ID": 999, "MESSAGE": "x"}).json()["result"] is False


def test_documented_errors(portal: Portal, receiver: Receiver, installed_app: InstalledApp):
    token = _im_app_token(portal, receiver)
    for params, code in (({"MESSAGE": "x"}, "USER_ID_EMPTY"), ({"USER_ID": 0, "MESSAGE": "x"}, "USER_ID_EMPTY"),
                         ({"USER_ID": 1, "MESSAGE": "   "}, "MESSAGE_EMPTY"),
                         ({"USER_ID": 1, "MESSAGE": "x", "ATTACH": "{not json"}, "ATTACH_ERROR"),
                         ({"USER_ID": 1, "MESSAGE": "x", "ATTACH": "[" + "1," * 20_000 + "1]"}, "ATTACH_OVERSIZE")):
        answer = _call(portal, token, params)
        assert (answer.status_code, answer.json()["error"]) == (400, code), params
    # An app installed without the `im` scope is refused.
    refused = _call(portal, installed_app.access_token, {"USER_ID": 1, "MESSAGE": "x"})
    assert (refused.status_code, refused.json()["error"]) == (401, "insufficient_scope")
    # Only in the application's context: a user's webhook is refused.
    hook = requests.post(portal.webhook(1) + "im.notify.system.add", json={"USER_ID": 1, "MESSAGE": "x"}, timeout=30)
    assert (hook.status_code, hook.json()["error"]) == (403, "WRONG_AUTH_TYPE")
    assert _received(portal) == []
