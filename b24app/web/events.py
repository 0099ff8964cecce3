"""The event handler URL: every event proves itself with the application_token stored for its member_id."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request

from b24app.bitrix.installation import (
    InstallEvent,
    InstallRefused,
    accept_install_event,
    check_event_token,
    uninstall,
)
from b24app.sync.to_onec.events_map import entity_of, is_sync_event
from b24app.web.params import nested

log = logging.getLogger(__name__)
bp = Blueprint("events", __name__)


def _install_event() -> InstallEvent:
    auth = {k: nested(request, "auth", k) for k in (
        "member_id", "domain", "client_endpoint", "server_endpoint", "application_token",
        "access_token", "refresh_token", "expires_in", "user_id")}
    missing = [k for k in ("member_id", "domain", "client_endpoint", "application_token") if not auth[k]]
    if missing:
        raise InstallRefused(f"ONAPPINSTALL lacks auth[{'], auth['.join(missing)}]", status=400)
    try:
        expires_in = int(auth["expires_in"]) if auth["expires_in"] else None
    except ValueError:
        raise InstallRefused("auth[expires_in] is not a number", status=400) from None
    return InstallEvent(
        member_id=auth["member_id"], domain=auth["domain"].lower(), client_endpoint=auth["client_endpoint"],
        server_endpoint=auth["server_endpoint"] or None, application_token=auth["application_token"],
        access_token=auth["access_token"] or None, refresh_token=auth["refresh_token"] or None,
        expires_in=expires_in, lang=nested(request, "data", "LANGUAGE_ID") or None,
        user_id=auth["user_id"] or None,
    )


@bp.post("/events")
def receive_event():
    ctx = current_app.extensions["b24app"]
    event = (request.form.get("event") or "").strip().upper()
    member_id = nested(request, "auth", "member_id")
    try:
        if not event:
            raise InstallRefused("request carries no event name", status=400)
        if event == "ONAPPINSTALL":
            accept_install_event(ctx.installer, _install_event())
        else:
            record = check_event_token(ctx.installer, member_id, nested(request, "auth", "application_token"), event)
            if event == "ONAPPUNINSTALL":
                uninstall(ctx.installer, record.member_id)
            elif is_sync_event(event):
                _accept_sync_event(ctx, record.member_id, event)
            else:
                # Events the manifest does not bind reach us only by mistake or forgery: refuse loudly.
                raise InstallRefused(f"{event} is not an event this app binds", status=422)
    except InstallRefused as exc:
        log.warning("event %s from %s refused: %s", event or "?", request.remote_addr, exc.reason)
        return jsonify(ok=False, error=exc.reason), exc.status
    return jsonify(ok=True)


def _accept_sync_event(ctx, member_id: str, event: str) -> None:  # noqa: ANN001 - Runtime
    """Write the event to the outbox (committed before we answer), then enqueue its job.

    The dedup key is what identifies one delivery of one change: the event, the entity and the event's `ts`
    (api-reference/events/event-bind.md, the handler's POST), so a redelivered event is stored once. Enqueueing
    may fail (Redis away): the row is safe and the sweeper enqueues it once its lease runs out.
    """
    from b24app.jobs.sync import enqueue_outbox_item

    entity_id = nested(request, "data[FIELDS]", "ID")
    if not entity_id:
        raise InstallRefused(f"{event} carries no data[FIELDS][ID]", status=400)
    kind = entity_of(event, nested(request, "data[FIELDS]", "ENTITY_TYPE_ID"))
    if kind is None:
        return  # a smart process of another type: nothing for the exchange
    ts = (request.form.get("ts") or "").strip()
    accepted = ctx.outbox.accept(member_id, kind, entity_id, f"online:{event}:{entity_id}:{ts}",
                                     {"event": event, "source": "online", "ts": ts})
    if accepted.new:
        try:
            enqueue_outbox_item(ctx, accepted.id)
        except Exception:  # noqa: BLE001 - the outbox row is committed; the sweeper will enqueue it
            log.exception("event %s of %s stored as outbox %s but not enqueued", event, member_id, accepted.id)

