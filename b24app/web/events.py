"""The event handler URL: every event proves itself with the application_token stored for its member_id."""

from __future__ import annotations

import logging
import re

from flask import Blueprint, current_app, jsonify, request

from b24app.bitrix.installation import (
    InstallEvent,
    InstallRefused,
    accept_install_event,
    check_event_token,
    uninstall,
)
from b24app.sync.to_onec.events_map import PARTY_KINDS, entity_of, is_own_write_event, is_sync_event
from b24app.sync.to_onec.party_update import may_change_onec
from b24app.web.limits import ascii_id, for_log
from b24app.web.params import nested

log = logging.getLogger(__name__)
bp = Blueprint("events", __name__)

_EVENT_NAME = re.compile(r"[A-Z0-9_]{1,64}")
_MEMBER_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_TS = re.compile(r"[0-9]{1,20}")


def event_name() -> str:
    """The posted event's name, upper-cased; InstallRefused (400) when missing or not an event name."""
    event = (request.form.get("event") or "").strip().upper()
    if not event:
        raise InstallRefused("request carries no event name", status=400)
    if not _EVENT_NAME.fullmatch(event):
        raise InstallRefused(f"malformed event name {for_log(event)}", status=400, public="malformed event name")
    return event


def install_event() -> InstallEvent:
    """ONAPPINSTALL's fields from the posted form (api-reference/common/events/on-app-install.md)."""
    auth = {k: nested(request, "auth", k) for k in (
        "member_id", "domain", "client_endpoint", "server_endpoint", "application_token",
        "access_token", "refresh_token", "user_id")}
    missing = [k for k in ("member_id", "domain", "client_endpoint", "application_token") if not auth[k]]
    if missing:
        raise InstallRefused(f"ONAPPINSTALL lacks auth[{'], auth['.join(missing)}]", status=400)
    if not _MEMBER_ID.fullmatch(auth["member_id"]):
        raise InstallRefused(f"malformed member_id {for_log(auth['member_id'])}", status=400,
                             public="malformed member_id")
    return InstallEvent(
        member_id=auth["member_id"], domain=auth["domain"].lower(), client_endpoint=auth["client_endpoint"],
        server_endpoint=auth["server_endpoint"] or None, application_token=auth["application_token"],
        access_token=auth["access_token"] or None, refresh_token=auth["refresh_token"] or None,
        lang=nested(request, "data", "LANGUAGE_ID") or None, user_id=ascii_id(auth["user_id"]),
    )


def answer_refusal(event: str, exc: InstallRefused):  # noqa: ANN201 - a Flask answer
    log.warning("event %s from %s refused: %s", for_log(event or "?"), request.remote_addr, for_log(exc.reason, 300))
    return jsonify(ok=False, error=exc.public), exc.status


@bp.post("/events")
def receive_event():
    ctx = current_app.extensions["b24app"]
    event = ""
    try:
        event = event_name()
        if event == "ONAPPINSTALL":
            accept_install_event(ctx.installer, install_event())
        else:
            member_id = nested(request, "auth", "member_id")
            record = check_event_token(ctx.installer, member_id, nested(request, "auth", "application_token"), event)
            if event == "ONAPPUNINSTALL":
                uninstall(ctx.installer, record.member_id)
            elif is_sync_event(event):
                _accept_sync_event(ctx, record.member_id, event)
            else:
                # Events the manifest does not bind reach us only by mistake or forgery: refuse loudly.
                raise InstallRefused(f"{event} is not an event this app binds", status=422)
    except InstallRefused as exc:
        return answer_refusal(event, exc)
    return jsonify(ok=True)


def _accept_sync_event(ctx, member_id: str, event: str) -> None:  # noqa: ANN001 - Runtime
    """Write the event to the outbox (committed before we answer), then enqueue its job.

    The dedup key is what identifies one delivery of one change: the event, the entity and the event's `ts`
    (api-reference/events/event-bind.md, the handler's POST), so a redelivered event is stored once. Enqueueing
    may fail (Redis away): the row is safe and the sweeper enqueues it once its lease runs out.
    """
    from b24app.jobs.sync import enqueue_outbox_item

    entity_id = ascii_id(nested(request, "data[FIELDS]", "ID"))
    if not entity_id:
        raise InstallRefused(f"{event} carries no valid data[FIELDS][ID]", status=400)
    kind = entity_of(event, nested(request, "data[FIELDS]", "ENTITY_TYPE_ID"))
    if kind is None:
        return  # a smart process of another type: nothing for the exchange
    ts = (request.form.get("ts") or "").strip()
    if ts and not _TS.fullmatch(ts):
        raise InstallRefused(f"{event} carries a malformed ts", status=400)
    if is_own_write_event(event) and _own_write(ctx, member_id, kind, entity_id):
        log.debug("%s of %s %s (%s) is our own write-back: nothing to send", event, kind, entity_id, member_id)
        return
    if kind in PARTY_KINDS and not _parties_to_onec(ctx, member_id, kind):
        return  # under the counterparty settings this event cannot change 1C: nothing to keep
    accepted = ctx.outbox.accept(member_id, kind, entity_id, f"online:{event}:{entity_id}:{ts}",
                                     {"event": event, "source": "online", "ts": ts})
    if accepted.new:
        try:
            enqueue_outbox_item(ctx, accepted.id)
        except Exception:  # noqa: BLE001 - the outbox row is committed; the sweeper will enqueue it
            log.exception("event %s of %s stored as outbox %s but not enqueued", event, member_id, accepted.id)


def _own_write(ctx, member_id: str, kind: str, entity_id: str) -> bool:  # noqa: ANN001 - Runtime
    """Whether the event is the echo of our own write-back (store/own_writes.py). Redis away: treat it as a
    change, which costs a read and loses nothing."""
    try:
        return ctx.own_writes.consume(member_id, kind, entity_id)
    except Exception:  # noqa: BLE001 - a missed echo is only a read more
        log.warning("could not check own writes of %s %s", kind, entity_id, exc_info=True)
        return False


def _parties_to_onec(ctx, member_id: str, kind: str) -> bool:  # noqa: ANN001 - Runtime
    """Whether a company / contact / requisite event can change a 1C counterparty under the portal's counterparty
    settings (sync/to_onec/party_update.py `may_change_onec`: the switch, off by default, and a field of the kind
    the CRM wins). When not, the event is acknowledged and stored nothing, so a portal that keeps 1C the master
    pays no outbox row for every card edit, and the first load's requisite adds cost nothing. A settings read that
    fails stores the event (the job checks again)."""
    try:
        return may_change_onec(kind, ctx.portal_settings.get(member_id).counterparties)
    except Exception:  # noqa: BLE001 - storing one event too many loses nothing
        log.warning("could not read the counterparty settings of %s", member_id, exc_info=True)
        return True
