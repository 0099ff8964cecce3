"""Which Bitrix24 events the exchange acts on, and which entity each one is about.

Deal events: api-reference/crm/deals/events/on-crm-deal-add.md, on-crm-deal-update.md (data[FIELDS][ID] only).
Smart invoices raise the smart-process events with data[FIELDS][ENTITY_TYPE_ID] = 31
(api-reference/crm/universal/events/on-crm-dynamic-item-update.md, "When new invoices are modified").
"""

from __future__ import annotations

INVOICE_TYPE = "31"
DEAL_EVENTS = frozenset({"ONCRMDEALADD", "ONCRMDEALUPDATE"})
ITEM_EVENTS = frozenset({"ONCRMDYNAMICITEMADD", "ONCRMDYNAMICITEMUPDATE"})


def entity_of(event: str, entity_type_id: str | None = None) -> str | None:
    """The outbox kind ("deal", "invoice") an event is about, or None for one the exchange does not act on."""
    name = event.upper()
    if name in DEAL_EVENTS:
        return "deal"
    if name in ITEM_EVENTS and str(entity_type_id or "") == INVOICE_TYPE:
        return "invoice"
    return None


def is_sync_event(event: str) -> bool:
    """Whether the handler should look at the event at all (an item event of another type is acknowledged and
    dropped: the portal sends every smart-process change to a handler bound to the event)."""
    return event.upper() in DEAL_EVENTS | ITEM_EVENTS
