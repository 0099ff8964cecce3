"""Event delivery: online handlers get a form POST from a background thread; offline events queue up.

Facts: api-reference/events/event-bind.md (binding, auth_type), api-reference/events/offline-events.md
(offline queue, one entry per changed object, auth_connector), _includes/auth-params-in-events.md and
api-reference/events/safe-event-handlers.md (the ``auth`` keys), installation-finish.md (no events before
BX24.installFinish).
"""

from __future__ import annotations

import hashlib
import logging
import queue
import re
import threading
from dataclasses import dataclass
from typing import Any

import requests

from b24sandbox.portal.clock import now
from b24sandbox.portal.state import App, Delivery, EventBinding, OfflineEvent, PortalState

log = logging.getLogger(__name__)

DELIVERY_TIMEOUT = 5.0

# Events event.bind accepts; others get ERROR_EVENT_NOT_FOUND (event-bind.md). The sandbox raises the CRM ones it
# serves (deal, company, contact, requisite, timeline comment) and accepts the rest of the common CRM and app
# events so an installer binding them does not fail here when it would not fail on a real portal.
_CRM_ENTITIES = ("LEAD", "DEAL", "COMPANY", "CONTACT", "QUOTE", "INVOICE", "REQUISITE", "PRODUCT", "ACTIVITY")
KNOWN_EVENTS = frozenset(
    {
        "ONAPPINSTALL",
        "ONAPPUNINSTALL",
        "ONAPPUPDATE",
        "ONAPPPAYMENT",
        "ONAPPMETHODCONFIRM",
        "ONAPPTEST",
        "ONOFFLINEEVENT",
        "ONUSERADD",
        *(f"ONCRM{entity}{action}" for entity in _CRM_ENTITIES for action in ("ADD", "UPDATE", "DELETE")),
        *(f"ONCRM{entity}USERFIELD{action}" for entity in _CRM_ENTITIES[:5] for action in ("ADD", "UPDATE", "DELETE")),
        "ONCRMDEALMOVETOCATEGORY",
        "ONCRMTIMELINECOMMENTADD",
        "ONCRMTIMELINECOMMENTUPDATE",
        "ONCRMTIMELINECOMMENTDELETE",
        # api-reference/crm/requisites/events/: bank details and addresses of requisites.
        "ONCRMBANKDETAILADD",
        "ONCRMBANKDETAILUPDATE",
        "ONCRMBANKDETAILDELETE",
        "ONCRMADDRESSREGISTER",
        "ONCRMADDRESSUNREGISTER",
    }
)
# Smart-process and smart-invoice items: ONCRMDYNAMICITEMADD_<entityTypeId> and the like.
_DYNAMIC_EVENT = re.compile(r"ONCRMDYNAMICITEM(ADD|UPDATE|DELETE)(_\d+)?")


def is_known_event(name: str) -> bool:
    """Whether event.bind accepts ``name`` (upper case)."""
    return name in KNOWN_EVENTS or bool(_DYNAMIC_EVENT.fullmatch(name))


def fields_of(entity_id: str, extra: dict[str, str]) -> dict[str, str]:
    """``data[FIELDS]`` of an entity event: the ID and what else the event names. An address has no ID of its own:
    onCrmAddressRegister carries TYPE_ID, ENTITY_TYPE_ID, ENTITY_ID, ANCHOR_ID, ANCHOR_TYPE_ID only
    (api-reference/crm/requisites/events/on-crm-address-register.md), so an empty ``entity_id`` is left out."""
    return {"ID": entity_id, **extra} if entity_id else dict(extra)


def flatten(prefix: str, value: Any) -> list[tuple[str, str]]:
    """Nested data as PHP-style form pairs (``data[FIELDS][ID]=5``), the encoding handlers receive."""
    if isinstance(value, dict):
        pairs: list[tuple[str, str]] = []
        for key, item in value.items():
            pairs.extend(flatten(f"{prefix}[{key}]" if prefix else str(key), item))
        return pairs
    if isinstance(value, list):
        pairs = []
        for index, item in enumerate(value):
            pairs.extend(flatten(f"{prefix}[{index}]", item))
        return pairs
    if value is None:
        return [(prefix, "")]
    if isinstance(value, bool):
        return [(prefix, "1" if value else "0")]
    return [(prefix, str(value))]


def auth_block(state: PortalState, app: App, user_id: int | None, with_tokens: bool) -> dict[str, Any]:
    """The ``auth`` object of an event (_includes/auth-params-in-events.md).

    Tokens are passed only when the event can be tied to a user; otherwise only the portal's identity and
    ``application_token`` come (the doc's alert under the auth table).
    """
    block: dict[str, Any] = {
        "domain": state.domain,
        "client_endpoint": state.client_endpoint,
        "server_endpoint": state.server_endpoint,
        "member_id": state.member_id,
        "status": "L",
        "application_token": app.application_token,
    }
    if with_tokens and user_id is not None:
        access, refresh = state.issue_tokens(app.client_id, user_id)
        block = {
            "access_token": access.value,
            "expires": int(access.expires_at),
            "expires_in": state.options.access_ttl,
            "scope": access.scope,
            **block,
            "user_id": user_id,
            "refresh_token": refresh.value,
        }
    return block


@dataclass
class _Job:
    url: str
    event: str
    handler_id: int | None
    pairs: list[tuple[str, str]]


class EventDispatcher:
    """Queues online deliveries and sends them one by one from a daemon thread."""

    def __init__(self, state: PortalState) -> None:
        self.state = state
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="sandbox-portal-events", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            self.send(job.url, job.event, job.handler_id, job.pairs)
            self._jobs.task_done()

    def stop(self) -> None:
        self._jobs.put(None)

    def send(self, url: str, event: str, handler_id: int | None, pairs: list[tuple[str, str]]) -> Delivery:
        """POST one event now and record the delivery (URL, event, HTTP status or error)."""
        status: int | None = None
        error: str | None = None
        try:
            response = requests.post(url, data=pairs, timeout=DELIVERY_TIMEOUT)
            status = response.status_code
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
        delivery = Delivery(url, event, status, error, now(), handler_id, dict(pairs))
        with self.state.lock:
            self.state.deliveries.append(delivery)
        return delivery

    def payload(
        self,
        app: App,
        event: str,
        data: dict[str, Any],
        handler_id: int | None,
        user_id: int | None,
        with_tokens: bool,
    ) -> list[tuple[str, str]]:
        """Form pairs of one event POST: event, event_handler_id, data[...], ts, auth[...]."""
        body: dict[str, Any] = {"event": event}
        if handler_id is not None:
            body["event_handler_id"] = handler_id
        body["data"] = data
        body["ts"] = int(now())
        body["auth"] = auth_block(self.state, app, user_id, with_tokens)
        return flatten("", body)

    def emit(
        self, event: str, entity_id: str, user_id: int | None, auth_connector: str = "", client_id: str = "",
        extra: dict[str, str] | None = None,
    ) -> int:
        """Raise ``event`` for an entity: queue online deliveries and offline entries; return how many.

        ``auth_connector``/``client_id`` name the caller whose change this is: an offline binding with the
        same connector of the same app does not get the entry (offline-events.md, "How to Avoid Cycles").
        """
        event = event.upper()
        queued = 0
        with self.state.lock:
            for binding in list(self.state.event_bindings):
                app = self.state.apps.get(binding.client_id)
                if app is None or not app.installed or binding.event != event:
                    continue
                if binding.offline:
                    if auth_connector and binding.auth_connector == auth_connector and client_id == app.client_id:
                        continue
                    self._enqueue_offline(binding, entity_id, user_id, extra or {})
                else:
                    self._jobs.put(self._job_for(app, binding, entity_id, user_id, extra or {}))
                queued += 1
        return queued

    def _job_for(
        self, app: App, binding: EventBinding, entity_id: str, user_id: int | None, extra: dict[str, str]
    ) -> _Job:
        acting_user = binding.auth_type or user_id
        pairs = self.payload(
            app,
            binding.event,
            # Smart-process and invoice events also name the type: data[FIELDS][ENTITY_TYPE_ID]
            # (api-reference/crm/universal/events/on-crm-dynamic-item-update.md).
            {"FIELDS": fields_of(entity_id, extra)},
            binding.binding_id,
            acting_user,
            with_tokens=acting_user is not None,
        )
        return _Job(binding.handler, binding.event, binding.binding_id, pairs)

    def _enqueue_offline(
        self, binding: EventBinding, entity_id: str, user_id: int | None, extra: dict[str, str]
    ) -> None:
        # offline-events.md: many changes of one object leave one entry, stamped with the latest change.
        named = ":".join(f"{k}={v}" for k, v in sorted(extra.items()))
        message_id = hashlib.md5(f"{binding.event}:{named}:{entity_id}".encode()).hexdigest()
        key = (binding.client_id, binding.auth_connector, message_id)
        entry = self.state.offline_open.get(key)
        if entry is not None:
            entry.timestamp = now()
            entry.user_id = user_id
            self._signal_offline(binding, "update", user_id)
            return
        entry = OfflineEvent(
            event_id=self.state.next_offline_id,
            client_id=binding.client_id,
            auth_connector=binding.auth_connector,
            event_name=binding.event,
            entity_id=entity_id,
            extra=dict(extra),
            message_id=message_id,
            timestamp=now(),
            user_id=user_id,
        )
        self.state.offline_events.append(entry)
        self.state.offline_open[key] = entry
        self.state.next_offline_id += 1
        self._signal_offline(binding, "add", user_id)

    def _signal_offline(self, offline: EventBinding, kind: str, user_id: int | None) -> None:
        """Send ONOFFLINEEVENT to the app's online handlers for it, at most once per ``minTimeout`` seconds.

        api-reference/events/on-offline-event.md: data carries type (add/update/remove), event, handler and
        minTimeout (default 1 s; 0 means one notice per hit, which the sandbox treats like 1 request).
        """
        app = self.state.apps[offline.client_id]
        for binding in self.state.event_bindings:
            if binding.client_id != offline.client_id or binding.offline or binding.event != "ONOFFLINEEVENT":
                continue
            options = binding.options if isinstance(binding.options, dict) else {}
            try:
                min_timeout = float(options.get("minTimeout", 1))
            except (TypeError, ValueError):
                min_timeout = 1.0
            last = self.state.offline_signals.get(binding.binding_id)
            if last is not None and now() - last < min_timeout:
                continue
            self.state.offline_signals[binding.binding_id] = now()
            data: dict[str, Any] = {"type": kind, "event": offline.event, "handler": binding.handler}
            if "minTimeout" in options:
                data["minTimeout"] = options["minTimeout"]
            acting_user = binding.auth_type or user_id
            pairs = self.payload(
                app, "ONOFFLINEEVENT", data, binding.binding_id, acting_user, with_tokens=acting_user is not None
            )
            self._jobs.put(_Job(binding.handler, "ONOFFLINEEVENT", binding.binding_id, pairs))

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until queued deliveries are sent (for the control API); False on timeout."""
        deadline = now() + timeout
        while self._jobs.unfinished_tasks and now() < deadline:
            threading.Event().wait(0.02)
        return not self._jobs.unfinished_tasks
