"""What the deal-order, invoice and legal-entity code share: the Bitrix24 side of a deal, the outcome of a push,
the keys and marks that make a push happen once, and the link that opens a 1C document.

Nothing here talks to Bitrix24 or 1C, so every module of `to_onec` imports it and none imports another's
internals.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from b24app.onec import standard as std

CREATED, UPDATED, CANCELLED, UNCHANGED, SKIPPED = "created", "updated", "cancelled", "unchanged", "skipped"

# Durable marks (store/marks.py): what was last sent to 1C for an entity, and which order announcements the
# manager has had on the deal's timeline.
PUSHED, TOLD = "pushed", "order-told"
# The Bitrix24 side of what was last sent: a deal whose order-relevant data is as it was needs no 1C read at all.
PUSHED_INPUT = "pushed-input"
# Which organization the deal's order linked in a base was made under (the INN; "" = the base's own legal
# entity). A link is one order per deal and base (store/links.py), so the organization is kept beside it; a link
# without this mark is an order of the base's own legal entity, as every order was before bases served several.
ORDER_ORG = "order-org"

# Deal fields an order depends on (the rest — dates, our own 1C fields written back, responsible — change nothing
# in 1C; our write-back of the order number raises an event that must not cost a round of 1C reads).
# What a private buyer's counterparty is made from (counterparties.py): name, phones, e-mails.
CONTACT_FIELDS = ("NAME", "LAST_NAME", "SECOND_NAME", "PHONE", "EMAIL")
ORDER_DEAL_FIELDS = ("STAGE_ID", "STAGE_SEMANTIC_ID", "CATEGORY_ID", "COMPANY_ID", "CONTACT_ID", "TITLE",
                     "CURRENCY_ID")


@dataclass(frozen=True)
class DealBundle:
    """What Bitrix24 says about a deal: the deal, its product rows, company, requisites and row products."""

    deal: dict
    rows: list[dict]
    company: dict | None
    requisites: list[dict]
    products: dict[str, dict] = field(default_factory=dict)  # PRODUCT_ID -> crm.product.get answer
    # A private buyer: the deal's contact (crm.contact.get, PHONE / EMAIL multifields) and its requisites
    # (ENTITY_TYPE_ID 3), read when the deal has a contact; the buyer is the company when the deal has one.
    contact: dict | None = None
    contact_requisites: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class PushResult:
    outcome: str  # created / updated / cancelled / unchanged / skipped (and "switched": legal_entity.py)
    base_id: int | None = None
    ref_key: str | None = None
    number: str | None = None
    reason: str = ""


def pushed_key(member_id: str, kind: str, entity_id: str) -> str:
    """The key of the PUSHED mark of an entity ("deal", "invoice")."""
    return f"{member_id}:{kind}:{entity_id}"


@dataclass(frozen=True)
class Seller:
    """Who sells the deal: a 1C base and, when it is not the base's own legal entity, the INN of the organization
    of that base the deal's seller legal-entity value names (`PortalSettings.legal_entity_orgs`)."""

    base_id: int
    org_inn: str | None = None  # None: the base's own legal entity (`BaseRecord.legal_entity_inn`)

    def describe(self) -> str:
        """The side as the journal names it: `<base id>`, or `<base id>/<INN>` for another organization."""
        return f"{self.base_id}/{self.org_inn}" if self.org_inn else str(self.base_id)


def seller_of(deal_org_inn: str | None, base_id: int, own_inn: str | None) -> Seller:
    """The seller of a deal in `base_id`: the organization its legal-entity value names (`deal_org_inn`, from
    `PortalSettings.seller_inn_for`), else the base's own; an INN equal to the base's own is the base's own."""
    return Seller(base_id, deal_org_inn if deal_org_inn and deal_org_inn != own_inn else None)


def order_key(member_id: str, deal_id: str, org_inn: str | None = None) -> str:
    """The idempotency key of the deal's order (DocumentWriter): one order per deal, base and organization. The
    base's own legal entity (`org_inn` None) keeps the key orders had before a base served several organizations,
    so they stay found; another organization's order carries its INN, so switching back reopens that order."""
    key = f"b24:{member_id}:deal:{deal_id}"
    return f"{key}:org:{org_inn}" if org_inn else key


def order_org_key(member_id: str, deal_id: str, base_id: int) -> str:
    """The key of the ORDER_ORG mark of the deal's order link in a base."""
    return f"{member_id}:deal:{deal_id}:base:{base_id}"


def order_comment(deal_id: str, title: str | None) -> str:
    """The human text kept in the order's key field next to the key."""
    return f"Сделка Битрикс24 №{deal_id}: {title or ''}".strip()


def input_fingerprint(action: str, bundle: DealBundle, base_id: int, *, seller: object,
                      legal_entity_field: str | None) -> str:
    """What the order is made from on the Bitrix24 side and in the settings: the deal's order fields, its rows,
    the buyer's requisites (a private buyer's phones and e-mails too), the rows' product XML_IDs, the seller (with
    the warehouse the settings chose) and the base."""
    deal = {k: bundle.deal.get(k) for k in ORDER_DEAL_FIELDS}
    if legal_entity_field:
        deal[legal_entity_field] = bundle.deal.get(legal_entity_field)
    contact = {k: (bundle.contact or {}).get(k) for k in CONTACT_FIELDS} if bundle.contact else None
    raw = json.dumps({"a": action, "base": base_id, "seller": seller, "deal": deal, "rows": bundle.rows,
                      "requisites": bundle.requisites, "contact": contact,
                      "contact_requisites": bundle.contact_requisites,
                      "products": {pid: p.get("XML_ID") for pid, p in bundle.products.items()}},
                     sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def fingerprint(action: str, body: dict, base_id: int) -> str:
    """What was sent, so an event that changes nothing 1C holds is recognised and skipped."""
    raw = json.dumps({"a": action, "b": body, "base": base_id}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def navigation_link(base_url: str, entity_set: str, ref_key: str) -> str:
    """A link that opens the document in the 1C web client: `e1cib/data/<Документ.Имя>?ref=<hex>`, where the hex
    is the reference's 16 bytes in 1C's storage order (the GUID's last two groups first, then the 3rd, 2nd, 1st)."""
    a, b, c, d, e = ref_key.split("-")
    kind, _, name = entity_set.partition("_")
    prefix = std.NAVIGATION_CLASS.get(kind, kind)
    return f"{base_url.rstrip('/')}/#e1cib/data/{prefix}.{name}?ref={d}{e}{c}{b}{a}"
