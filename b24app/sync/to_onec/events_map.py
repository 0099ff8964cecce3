"""Which Bitrix24 events the exchange acts on, and which entity each one is about.

Deal events: api-reference/crm/deals/events/on-crm-deal-add.md, on-crm-deal-update.md (data[FIELDS][ID] only).
Smart invoices raise the smart-process events with data[FIELDS][ENTITY_TYPE_ID] = 31
(api-reference/crm/universal/events/on-crm-dynamic-item-update.md, "When new invoices are modified").
Counterparties (issue 14, CRM → 1C): companies, contacts and their requisites, each event carrying only the ID
(crm/companies/events/on-crm-company-update.md, crm/contacts/events/on-crm-contact-update.md,
crm/requisites/events/on-crm-requisite-add.md / -update.md). A requisite event names the requisite, not its card:
the job reads the requisite's ENTITY_TYPE_ID / ENTITY_ID (crm-requisite-get.md) to find the company or contact.
"""

from __future__ import annotations

INVOICE_TYPE = "31"
DEAL_EVENTS = frozenset({"ONCRMDEALADD", "ONCRMDEALUPDATE"})
ITEM_EVENTS = frozenset({"ONCRMDYNAMICITEMADD", "ONCRMDYNAMICITEMUPDATE"})
# A company's or contact's own fields (title, phones, e-mails) change with an update of the card. A requisite is
# its own entity: adding one to a linked company is how a manager gives it an INN, so ADD matters as much as UPDATE.
PARTY_EVENTS: dict[str, str] = {
    "ONCRMCOMPANYUPDATE": "company",
    "ONCRMCONTACTUPDATE": "contact",
    "ONCRMREQUISITEADD": "requisite",
    "ONCRMREQUISITEUPDATE": "requisite",
}
PARTY_KINDS = frozenset(PARTY_EVENTS.values())
# Update events our own REST writes raise and count beforehand (store/own_writes.py): the handler consumes one count
# per such event and stores nothing. An ADD is not counted: the writer cannot know the new ID before it exists.
OWN_WRITE_EVENTS = frozenset({"ONCRMDEALUPDATE", "ONCRMCOMPANYUPDATE", "ONCRMCONTACTUPDATE", "ONCRMREQUISITEUPDATE"})


def entity_of(event: str, entity_type_id: str | None = None) -> str | None:
    """The outbox kind ("deal", "invoice", "company", "contact", "requisite") an event is about, or None for one
    the exchange does not act on."""
    name = event.upper()
    if name in DEAL_EVENTS:
        return "deal"
    if name in ITEM_EVENTS and str(entity_type_id or "") == INVOICE_TYPE:
        return "invoice"
    return PARTY_EVENTS.get(name)


def is_sync_event(event: str) -> bool:
    """Whether the handler should look at the event at all (an item event of another type is acknowledged and
    dropped: the portal sends every smart-process change to a handler bound to the event)."""
    return event.upper() in DEAL_EVENTS | ITEM_EVENTS | PARTY_EVENTS.keys()


def is_own_write_event(event: str) -> bool:
    """Whether an event of this name may be the echo of our own write (and is checked against OwnWrites)."""
    return event.upper() in OWN_WRITE_EVENTS
