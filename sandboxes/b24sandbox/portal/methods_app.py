"""Methods about the app itself: app.info, user.*, placement.*, event.*, event.offline.*."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from b24sandbox.portal import errors
from b24sandbox.portal.clock import iso
from b24sandbox.portal.entities import PAGE_SIZE
from b24sandbox.portal.errors import RestError
from b24sandbox.portal.events import fields_of, is_known_event
from b24sandbox.portal.params import as_dict, as_list, get_ci
from b24sandbox.portal.registry import Call, Outcome, method
from b24sandbox.portal.seed import BASE_TIME
from b24sandbox.portal.state import USERS, EventBinding, OfflineEvent, PlacementBinding


def app_info(call: Call) -> dict[str, Any]:
    """The app.info result (api-reference/common/system/app-info.md)."""
    app = call.caller.app
    if app is None:
        raise errors.RestError("ACCESS_DENIED", "Access denied! Application context required", 400)
    return {
        "ID": app.app_id,
        "CODE": app.client_id,
        "VERSION": 1,
        "STATUS": "L",
        "INSTALLED": app.installed,
        "PAYMENT_EXPIRED": "N",
        "DAYS": None,
        "LANGUAGE_ID": app.lang,
        "LICENSE": "ru_std",
        "LICENSE_TYPE": "std",
        "LICENSE_FAMILY": "std",
    }


@method("app.info")
def _app_info(call: Call) -> Outcome:
    return Outcome(app_info(call))


@method("scope")
def _scope(call: Call) -> Outcome:
    app = call.caller.app
    return Outcome(app.scopes if app else ["crm", "placement", "user"])


def user_record(user_id: int) -> dict[str, Any]:
    user = USERS[user_id]
    stamp = iso(BASE_TIME.timestamp())
    return {
        "ID": str(user_id),
        "ACTIVE": True,
        "NAME": user["NAME"],
        "LAST_NAME": user["LAST_NAME"],
        "SECOND_NAME": "",
        "EMAIL": user["EMAIL"],
        "LAST_LOGIN": stamp,
        "DATE_REGISTER": stamp,
        "IS_ONLINE": "Y",
        "TIME_ZONE": "Europe/Moscow",
        "PERSONAL_GENDER": "",
        "PERSONAL_BIRTHDAY": "",
        "UF_DEPARTMENT": [user["DEPARTMENT"]],
        "USER_TYPE": "employee",
    }


@method("user.current", scope="user")
def _user_current(call: Call) -> Outcome:
    return Outcome(user_record(call.caller.user_id))


@method("user.admin")
def _user_admin(call: Call) -> Outcome:
    return Outcome(call.caller.is_admin)


@method("user.get", scope="user")
def _user_get(call: Call) -> Outcome:
    wanted = get_ci(call.params, "ID") or get_ci(as_dict(get_ci(call.params, "FILTER")), "ID")
    ids = sorted(USERS) if wanted in (None, "") else [int(v) for v in as_list(wanted) if str(v).isdigit()]
    users = [user_record(i) for i in ids if i in USERS]
    return Outcome(users, total=len(users))


# -- placements (api-reference/widgets/placement-bind.md, placement-get.md, placement-unbind.md) ---------


def _require_app(call: Call) -> None:
    if call.caller.app is None:
        raise errors.wrong_auth_type()


@method("placement.bind", scope="placement", app_only=True)
def _placement_bind(call: Call) -> Outcome:
    _require_app(call)
    if not call.caller.is_admin:
        # placement-bind.md: "Who can execute the method: administrator".
        raise errors.access_denied("Access denied! Administrator rights required")
    placement = str(get_ci(call.params, "PLACEMENT") or "").strip().upper()
    handler = str(get_ci(call.params, "HANDLER") or "").strip()
    if not placement:
        raise errors.argument_error("PLACEMENT")
    if not handler:
        raise errors.argument_error("HANDLER")
    lang_all = {
        str(lang): {k.upper(): str(v) for k, v in as_dict(values).items()}
        for lang, values in as_dict(get_ci(call.params, "LANG_ALL")).items()
    }
    state = call.state
    with state.lock:
        for existing in state.placements:
            if (existing.client_id, existing.placement, existing.handler) == (
                call.caller.client_id,
                placement,
                handler,
            ):
                raise RestError("ERROR_PLACEMENT_HANDLER_ALREADY_EXISTS", "Handler already binded", 400)
        state.placements.append(
            PlacementBinding(
                binding_id=state.next_id(),
                client_id=call.caller.client_id,
                placement=placement,
                handler=handler,
                title=str(get_ci(call.params, "TITLE") or ""),
                description=str(get_ci(call.params, "DESCRIPTION") or ""),
                group_name=str(get_ci(call.params, "GROUP_NAME") or ""),
                lang_all=lang_all,
                options=get_ci(call.params, "OPTIONS") or [],
            )
        )
    return Outcome(True)


@method("placement.unbind", scope="placement", app_only=True)
def _placement_unbind(call: Call) -> Outcome:
    _require_app(call)
    placement = str(get_ci(call.params, "PLACEMENT") or "").strip().upper()
    handler = str(get_ci(call.params, "HANDLER") or "").strip()
    if not placement:
        raise errors.argument_error("PLACEMENT")
    state = call.state
    with state.lock:
        keep = [
            p
            for p in state.placements
            if not (
                p.client_id == call.caller.client_id
                and p.placement == placement
                and (not handler or p.handler == handler)
            )
        ]
        removed = len(state.placements) - len(keep)
        state.placements = keep
    # placement-unbind.md: result {"count": <removed>}
    return Outcome({"count": removed})


@method("placement.get", scope="placement", app_only=True)
def _placement_get(call: Call) -> Outcome:
    _require_app(call)
    with call.state.lock:
        items = [
            {
                "placement": p.placement,
                "userId": 0,
                "handler": p.handler,
                "options": p.options,
                "title": p.title,
                "description": p.description,
                "langAll": {
                    lang: {
                        "TITLE": v.get("TITLE", ""),
                        "DESCRIPTION": v.get("DESCRIPTION", ""),
                        "GROUP_NAME": v.get("GROUP_NAME", ""),
                    }
                    for lang, v in p.lang_all.items()
                },
            }
            for p in call.state.placements
            if p.client_id == call.caller.client_id
        ]
    return Outcome(items)


# -- events (api-reference/events/event-bind.md, event-get.md, event-unbind.md) ----------------------------


@method("event.bind", app_only=True)
def _event_bind(call: Call) -> Outcome:
    _require_app(call)
    event = str(get_ci(call.params, "event") or "").strip().upper()
    event_type = str(get_ci(call.params, "event_type") or "online").lower()
    handler = str(get_ci(call.params, "handler") or "").strip()
    if not is_known_event(event):
        raise RestError("ERROR_EVENT_NOT_FOUND", "Event not found", 400)
    offline = event_type == "offline"
    if not offline and not handler:
        raise RestError("ERROR_ARGUMENT", "Argument 'handler' is null or empty", 400, argument="handler")
    auth_type_raw = get_ci(call.params, "auth_type")
    auth_type = int(auth_type_raw) if str(auth_type_raw or "").isdigit() else 0
    if not call.caller.is_admin:
        # event-bind.md: for a non-admin, offline events are unavailable and auth_type must be the user.
        if offline:
            raise errors.access_denied("Access denied! Offline events require administrator rights")
        if auth_type and auth_type != call.caller.user_id:
            raise errors.access_denied("Access denied! auth_type must be the current user")
        auth_type = call.caller.user_id
    connector = str(get_ci(call.params, "auth_connector") or "")
    state = call.state
    with state.lock:
        for b in state.event_bindings:
            if (b.client_id, b.event, b.handler, b.offline, b.auth_connector) == (
                call.caller.client_id,
                event,
                "" if offline else handler,
                offline,
                connector,
            ):
                # The error for a repeated bind is not documented on event-bind.md; ERROR_CORE is our choice.
                raise RestError("ERROR_CORE", "Handler already binded", 400)
        state.event_bindings.append(
            EventBinding(
                binding_id=state.next_id(),
                client_id=call.caller.client_id,
                event=event,
                handler="" if offline else handler,
                auth_type=auth_type,
                offline=offline,
                auth_connector=connector,
                options=get_ci(call.params, "options"),
            )
        )
    return Outcome(True)


@method("event.unbind", app_only=True)
def _event_unbind(call: Call) -> Outcome:
    _require_app(call)
    event = str(get_ci(call.params, "event") or "").strip().upper()
    handler = str(get_ci(call.params, "handler") or "").strip()
    offline = str(get_ci(call.params, "event_type") or "online").lower() == "offline"
    with call.state.lock:
        keep = [
            b
            for b in call.state.event_bindings
            if not (
                b.client_id == call.caller.client_id
                and b.event == event
                and b.offline == offline
                and (offline or not handler or b.handler == handler)
            )
        ]
        removed = len(call.state.event_bindings) - len(keep)
        call.state.event_bindings = keep
    # event-unbind.md: result {"count": <removed>}
    return Outcome({"count": removed})


@method("event.get", app_only=True)
def _event_get(call: Call) -> Outcome:
    _require_app(call)
    with call.state.lock:
        items = [
            {"event": b.event, "handler": b.handler, "auth_type": str(b.auth_type), "offline": int(b.offline)}
            | ({"connector_id": b.auth_connector} if b.offline else {})
            for b in call.state.event_bindings
            if b.client_id == call.caller.client_id
        ]
    return Outcome(items)


# -- offline events (api-reference/events/event-offline-get.md, event-offline-clear.md) ---------------------


def _offline_filter(call: Call) -> Callable[[OfflineEvent], bool]:
    raw = as_dict(get_ci(call.params, "filter"))

    def accept(entry: OfflineEvent) -> bool:
        for key, wanted in raw.items():
            op = "".join(ch for ch in key if ch in "=<>!")
            name = key[len(op) :].upper()
            actual: Any = {
                "ID": entry.event_id,
                "EVENT_NAME": entry.event_name,
                "MESSAGE_ID": entry.message_id,
                "TIMESTAMP_X": entry.timestamp,
            }.get(name)
            if name == "ID":
                wanted_v: Any = int(wanted)
            elif name == "EVENT_NAME":
                wanted_v = str(wanted).upper()
            else:
                wanted_v = str(wanted)
                actual = str(actual)
            ok = {
                "": actual == wanted_v,
                "=": actual == wanted_v,
                "!": actual != wanted_v,
                "!=": actual != wanted_v,
                ">": actual > wanted_v,
                "<": actual < wanted_v,
                ">=": actual >= wanted_v,
                "<=": actual <= wanted_v,
            }.get(op, False)
            if not ok:
                return False
        return True

    return accept


def _offline_row(entry: OfflineEvent) -> dict[str, Any]:
    return {
        "ID": str(entry.event_id),
        "TIMESTAMP_X": iso(entry.timestamp),
        "EVENT_NAME": entry.event_name,
        "EVENT_DATA": {"FIELDS": fields_of(entry.entity_id, entry.extra)},
        "EVENT_ADDITIONAL": {"user_id": str(entry.user_id)} if entry.user_id else [],
        "MESSAGE_ID": entry.message_id,
    }


def _require_admin_app(call: Call) -> None:
    _require_app(call)
    if not call.caller.is_admin:
        raise errors.access_denied("Access denied! Offline events require administrator rights")


@method("event.offline.get", app_only=True)
def _event_offline_get(call: Call) -> Outcome:
    """Hand out up to ``limit`` entries; ``clear=1`` deletes them, ``clear=0`` hides them under a process_id."""
    _require_admin_app(call)
    clear = str(get_ci(call.params, "clear", "1")) not in ("0", "false", "N")
    limit = int(get_ci(call.params, "limit") or PAGE_SIZE)
    process_id = str(get_ci(call.params, "process_id") or "") or None
    connector = call.caller.auth_connector
    accept = _offline_filter(call)
    order = as_dict(get_ci(call.params, "order")) or {"TIMESTAMP_X": "ASC"}
    order_field, direction = next(iter(order.items()))
    with call.state.lock:
        candidates = [
            e
            for e in call.state.offline_events
            if e.client_id == call.caller.client_id
            and e.process_id is None
            and accept(e)
            and (not connector or e.auth_connector == connector)
        ]
        key = {
            "ID": lambda e: e.event_id,
            "EVENT_NAME": lambda e: e.event_name,
            "MESSAGE_ID": lambda e: e.message_id,
        }.get(str(order_field).upper(), lambda e: (e.timestamp, e.event_id))
        candidates.sort(key=key, reverse=str(direction).upper() == "DESC")
        chosen = candidates[:limit]
        rows = [_offline_row(e) for e in chosen]
        if clear:
            gone = {id(e) for e in chosen}
            call.state.drop_offline(lambda e: id(e) in gone)
            answer_process = None
        else:
            answer_process = process_id or secrets.token_hex(16)
            call.state.hold_offline(chosen, answer_process)
    return Outcome({"process_id": answer_process, "events": rows})


@method("event.offline.clear", app_only=True)
def _event_offline_clear(call: Call) -> Outcome:
    _require_admin_app(call)
    process_id = str(get_ci(call.params, "process_id") or "")
    if not process_id:
        raise errors.argument_error("process_id")
    ids = {str(v) for v in as_list(get_ci(call.params, "id"))}
    message_ids = {str(v) for v in as_list(get_ci(call.params, "message_id"))}
    with call.state.lock:

        def doomed(e: OfflineEvent) -> bool:
            if e.client_id != call.caller.client_id or e.process_id != process_id:
                return False
            if ids:
                return str(e.event_id) in ids
            if message_ids:
                return e.message_id in message_ids
            return True

        call.state.drop_offline(doomed)
    return Outcome(True)


@method("event.offline.list", app_only=True)
def _event_offline_list(call: Call) -> Outcome:
    _require_admin_app(call)
    accept = _offline_filter(call)
    with call.state.lock:
        rows = [
            {**_offline_row(e), "PROCESS_ID": e.process_id or "", "ERROR": "0"}
            for e in call.state.offline_events
            if e.client_id == call.caller.client_id and accept(e)
        ]
    return Outcome(rows[:PAGE_SIZE], total=len(rows))
