"""The update events our own writes cause, so the event handler can recognise them without reading the entity.

Bitrix24 sends ONCRMDEALUPDATE for every change of a deal, the app's own REST writes included, and the event
carries only the ID (api-reference/events/event-bind.md; crm/deals/events/on-crm-deal-update.md). After each
write-back that changed a deal's fields (`crm.deal.update` confirmed) the writer counts one owed event; the
handler consumes one count per arriving event of that deal and stores nothing for it.

The count is taken before the write is sent, because the portal may deliver the event before its answer to the
write reaches us; a write the portal refused gives its count back (`forget`).

Why counting is safe: an event names no change, only the entity. If a manager edits the deal between our write and
its event, two events arrive and one is consumed — whichever it is, the other makes a job that reads the deal as it
is then, with the manager's change. A count lives `ttl` seconds only, so an event the portal never delivered (the
handler was down: offline events are collected and processed normally) cannot hide a later change for long.
"""

from __future__ import annotations

from redis import Redis

from b24app.store.keys import RedisKeys

# Take one owed event if there is one: atomic, so two handlers never both consume the same write.
_CONSUME = """
local owed = tonumber(redis.call('GET', KEYS[1]) or '0')
if owed > 0 then
  redis.call('DECR', KEYS[1])
  return 1
end
return 0
"""


class OwnWrites:
    def __init__(self, redis: Redis, keys: RedisKeys, ttl: float = 60.0) -> None:
        self._redis = redis
        self._keys = keys
        self._ttl = max(1, int(ttl))
        self._consume = redis.register_script(_CONSUME)

    def expect(self, member_id: str, kind: str, entity_ids: list[str]) -> None:
        """One owed update event for each entity written (an entity written twice owes two)."""
        if not entity_ids:
            return
        pipe = self._redis.pipeline(transaction=False)
        for entity_id in entity_ids:
            key = self._keys.own_write(member_id, kind, entity_id)
            pipe.incr(key)
            pipe.expire(key, self._ttl)
        pipe.execute()

    def forget(self, member_id: str, kind: str, entity_ids: list[str]) -> None:
        """Take back counts of writes the portal refused after all (no event will come for them)."""
        for entity_id in entity_ids:
            self._consume(keys=[self._keys.own_write(member_id, kind, entity_id)])

    def consume(self, member_id: str, kind: str, entity_id: str) -> bool:
        """True when this event is one our own write caused (and it is now accounted for)."""
        return bool(self._consume(keys=[self._keys.own_write(member_id, kind, entity_id)]))
