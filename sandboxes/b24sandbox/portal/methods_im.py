"""im.notify.system.add: a system notification from the app to a portal user
(api-reference/chats/notifications/im-notify-system-add.md).

From the page: scope `im`; only in the application's context; USER_ID (required, > 0, else USER_ID_EMPTY),
MESSAGE (required, trimmed, else MESSAGE_EMPTY), MESSAGE_OUT (the text for external channels such as e-mail),
TAG (unique within the application: adding a notification with a tag already used removes the others with it),
SUB_TAG (no uniqueness), ATTACH (object or JSON string, at most 30 KB, else ATTACH_OVERSIZE; malformed
ATTACH_ERROR). The result is the new notification's id, or false when it was not created (here: no such user).
Errors answer with HTTP 400. What was received is kept for the control API (`GET /_sandbox/notifications`).
"""

from __future__ import annotations

import json
from typing import Any

from b24sandbox.portal.clock import iso, now
from b24sandbox.portal.errors import RestError
from b24sandbox.portal.params import get_ci
from b24sandbox.portal.registry import Call, Outcome, method
from b24sandbox.portal.state import USERS

ATTACH_LIMIT = 30 * 1024


def _attach(value: Any) -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        if len(value.encode()) > ATTACH_LIMIT:
            raise RestError("ATTACH_OVERSIZE", "You have exceeded the maximum allowable size of attach", 400)
        try:
            value = json.loads(value)
        except ValueError:
            raise RestError("ATTACH_ERROR", "Incorrect attach params", 400) from None
    if not isinstance(value, dict | list):
        raise RestError("ATTACH_ERROR", "Incorrect attach params", 400)
    if len(json.dumps(value, ensure_ascii=False).encode()) > ATTACH_LIMIT:
        raise RestError("ATTACH_OVERSIZE", "You have exceeded the maximum allowable size of attach", 400)
    return value


@method("im.notify.system.add", scope="im", app_only=True)
def _notify_system_add(call: Call) -> Outcome:
    raw_user = get_ci(call.params, "USER_ID")
    try:
        user_id = int(str(raw_user or "0").strip())
    except ValueError:
        user_id = 0
    if user_id <= 0:
        raise RestError("USER_ID_EMPTY", "User ID can't be empty", 400)
    message = str(get_ci(call.params, "MESSAGE") or "").strip()
    if not message:
        raise RestError("MESSAGE_EMPTY", "Message can't be empty", 400)
    attach = _attach(get_ci(call.params, "ATTACH"))
    if user_id not in USERS:
        return Outcome(False)
    app = call.caller.app
    client_id = app.client_id if app else ""
    tag = str(get_ci(call.params, "TAG") or "")
    state = call.state
    with state.lock:
        received: list[dict[str, Any]] = state.notifications
        if tag:
            for earlier in received:
                if earlier["client_id"] == client_id and earlier["tag"] == tag:
                    earlier["removed"] = True
        notification_id = len(received) + 1
        received.append({
            "id": notification_id, "client_id": client_id, "user_id": user_id, "message": message,
            "message_out": str(get_ci(call.params, "MESSAGE_OUT") or ""), "tag": tag,
            "sub_tag": str(get_ci(call.params, "SUB_TAG") or ""), "attach": attach, "date": iso(now()),
            "removed": False,
        })
    return Outcome(notification_id)
