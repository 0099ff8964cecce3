"""Offline events: the backstop for events our handler never received (api-reference/events/offline-events.md).

The manifest binds each sync event twice, online (POSTed to /events) and offline (`event_type=offline`: the
portal keeps an entry per changed object until the app collects it). A scheduled job reads them with
`event.offline.get` (`clear=0`, so they are only hidden under a `process_id`), writes each into the outbox exactly
as the web handler would, and only then removes them with `event.offline.clear` by that `process_id`. A crash
between the two leaves the entries hidden, not lost: the portal hands hidden entries out again once their
process is gone stale (the page's "process_id" notes), and the outbox's dedup keys make the repeat harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from b24app.bitrix.client import BitrixClient
from b24app.store.outbox import Accepted, Outbox
from b24app.sync.to_onec.events_map import entity_of

log = logging.getLogger(__name__)

PAGE = 50  # event.offline.get hands out at most 50 entries per call (offline-events.md, `limit`)


@dataclass(frozen=True)
class Collected:
    read: int
    accepted: list[Accepted]


def collect(client: BitrixClient, outbox: Outbox, member_id: str, *, max_rounds: int = 20) -> Collected:
    """Move the portal's waiting offline events into the outbox; returns what was read and accepted."""
    read = 0
    accepted: list[Accepted] = []
    for _ in range(max_rounds):
        answer = client.call("event.offline.get", {"clear": 0, "limit": PAGE}).result or {}
        events = answer.get("events") or []
        process_id = answer.get("process_id")
        for ev in events:
            read += 1
            name = str(ev.get("EVENT_NAME") or "").upper()
            data = ev.get("EVENT_DATA") or {}
            entity_id = str(((data.get("FIELDS") or {}).get("ID")) or "")
            kind = entity_of(name, str((data.get("FIELDS") or {}).get("ENTITY_TYPE_ID") or ""))
            if kind is None or not entity_id:
                log.info("portal %s: offline event %s without a known entity, dropped", member_id, name)
                continue
            # The entry's MESSAGE_ID names the object; its timestamp the latest change it stands for.
            stamp = str(ev.get("TIMESTAMP_X") or ev.get("ID") or "")
            dedup = f"offline:{name}:{entity_id}:{stamp}"
            accepted.append(outbox.accept(member_id, kind, entity_id, dedup,
                                          {"event": name, "source": "offline", "ts": stamp}))
        if process_id:
            client.call("event.offline.clear", {"process_id": process_id})
        if len(events) < PAGE:
            break
    return Collected(read, accepted)
