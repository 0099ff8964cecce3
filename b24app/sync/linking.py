"""Which 1C objects a Bitrix24 deal or company stands for, per configured 1C base.

A deal is linked, in this order of trust (issue 4, "Linking a deal to 1C"):
  1. by the link the app stored when it created the 1C order itself (LinkStore, b24_type "deal");
  2. by the deal field the administrator mapped to the 1C order/invoice number
     (`PortalSettings.deal_fields["order_number"]`, a UF_CRM_ field);
  3. by ORIGIN_ID, which integrations that import deals from 1C fill with the 1C object's key or number
     (api-reference/crm/deals/crm-deal-add.md: ORIGINATOR_ID / ORIGIN_ID identify the external source's item).
A company is linked by a stored link (b24_type "company") or by the ИНН/КПП of its requisites
(crm.requisite.list with ENTITY_TYPE_ID 4 = company: api-reference/crm/requisites/universal/crm-requisite-list.md).

This module reads Bitrix24 only; looking the targets up in 1C is `cards.py`'s job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from b24app.bitrix.client import BitrixClient
from b24app.bitrix.errors import AccessDenied, NotFound
from b24app.core.portal_settings import PortalSettings
from b24app.store.bases import BaseRecord
from b24app.store.links import Link

_GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
REQUISITE_COMPANY = 4  # ENTITY_TYPE_ID of a company (crm-requisite-add.md)


class EntityNotFound(LookupError):
    """The deal or company does not exist on this portal (or the app may not read it)."""


@dataclass(frozen=True)
class DealTarget:
    """What to look for in one base: a stored reference (`ref` in `entity_set`) or a 1C number."""

    base_id: int
    via: str  # "stored" | "field" | "origin"
    ref: str | None = None
    entity_set: str | None = None
    number: str | None = None


@dataclass(frozen=True)
class CompanyTarget:
    base_id: int
    via: str  # "stored" | "inn"
    refs: tuple[str, ...] = ()
    inn: str = ""
    kpp: str = ""


@dataclass(frozen=True)
class DealFacts:
    """The parts of a deal that link it to 1C, read once and cached with the tab."""

    deal_id: str
    title: str
    number: str
    origin_id: str
    legal_entity: str | None
    company_id: str | None
    number_field: str
    # The deal's catalog product rows as (product id, name): the tab shows their stock (catalog issue).
    products: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class CompanyFacts:
    company_id: str
    title: str
    requisites: list[tuple[str, str]] = field(default_factory=list)  # (ИНН, КПП)


def read_deal(client: BitrixClient, deal_id: str, settings: PortalSettings) -> DealFacts:
    """crm.deal.get and crm.deal.productrows.get in one batch request (api-reference/crm/deals/); EntityNotFound
    when the portal has no such deal."""
    outcome = client.batch({"deal": ("crm.deal.get", {"id": deal_id}),
                            "rows": ("crm.deal.productrows.get", {"id": deal_id})})
    error = outcome.errors.get("deal")
    if isinstance(error, (NotFound, AccessDenied)):
        raise EntityNotFound(f"deal {deal_id}: {error}") from None
    if error is not None:
        raise error
    deal = outcome.results.get("deal") or {}
    rows = outcome.results.get("rows") if isinstance(outcome.results.get("rows"), list) else []
    if not deal.get("ID"):
        raise EntityNotFound(f"deal {deal_id} not found")
    number_field = settings.deal_fields.get("order_number", "")
    legal = deal.get(settings.legal_entity_field) if settings.legal_entity_field else None
    return DealFacts(
        deal_id=str(deal["ID"]), title=str(deal.get("TITLE") or ""),
        number=_text(deal.get(number_field)) if number_field else "",
        origin_id=_text(deal.get("ORIGIN_ID")), legal_entity=_text(legal) or None,
        company_id=_text(deal.get("COMPANY_ID")) or None, number_field=number_field,
        products=tuple((str(r["PRODUCT_ID"]), _text(r.get("PRODUCT_NAME"))) for r in rows
                       if str(r.get("PRODUCT_ID") or "0") not in ("", "0")))


def read_company(client: BitrixClient, company_id: str) -> CompanyFacts:
    """crm.company.get and the company's requisites (ИНН/КПП)."""
    try:
        company = client.call("crm.company.get", {"id": company_id}).result or {}
    except (NotFound, AccessDenied) as exc:
        raise EntityNotFound(f"company {company_id}: {exc}") from None
    if not company.get("ID"):
        raise EntityNotFound(f"company {company_id} not found")
    rows = client.call("crm.requisite.list", {
        "filter": {"ENTITY_TYPE_ID": REQUISITE_COMPANY, "ENTITY_ID": company_id},
        "select": ["ID", "RQ_INN", "RQ_KPP"],
    }).result or []
    requisites = [(_text(r.get("RQ_INN")), _text(r.get("RQ_KPP"))) for r in rows if _text(r.get("RQ_INN"))]
    return CompanyFacts(company_id=str(company["ID"]), title=str(company.get("TITLE") or ""), requisites=requisites)


def _text(value: object) -> str:
    if value is None or value is False:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()


def deal_bases(bases: list[BaseRecord], settings: PortalSettings, facts: DealFacts) -> list[BaseRecord]:
    """The bases a deal may live in: the one its legal-entity field names, else every enabled base."""
    enabled = [b for b in bases if b.enabled and b.is_odata]
    if facts.legal_entity and settings.legal_entity_bases:
        base_id = settings.legal_entity_bases.get(facts.legal_entity)
        chosen = [b for b in enabled if b.id == base_id]
        if chosen:
            return chosen
    return enabled


def deal_targets(bases: list[BaseRecord], settings: PortalSettings, facts: DealFacts,
                 stored: list[Link], order_sets: dict[int, set[str]]) -> list[DealTarget]:
    """Per base, what identifies the deal's 1C order: a stored link first, then the number field, then ORIGIN_ID.

    `order_sets` gives, per base id, the entity sets that hold orders/invoices in its profile, so a stored
    link to another kind of object (a receipt the sync recorded) is not taken for the order.
    """
    targets = []
    for base in deal_bases(bases, settings, facts):
        link = next((x for x in stored if x.base_id == base.id and x.onec_set in order_sets.get(base.id, set())),
                    None)
        if link is not None:
            targets.append(DealTarget(base.id, "stored", ref=link.onec_ref, entity_set=link.onec_set,
                                      number=link.onec_number))
        elif facts.number:
            targets.append(DealTarget(base.id, "field", number=facts.number))
        elif facts.origin_id:
            if _GUID_RE.match(facts.origin_id):
                targets.append(DealTarget(base.id, "origin", ref=facts.origin_id.lower()))
            else:
                targets.append(DealTarget(base.id, "origin", number=facts.origin_id))
    return targets


def company_targets(bases: list[BaseRecord], facts: CompanyFacts, stored: list[Link],
                    counterparty_sets: dict[int, set[str]]) -> list[CompanyTarget]:
    """Per enabled base: the stored counterparty links, else the company's first requisite's ИНН/КПП."""
    targets = []
    for base in (b for b in bases if b.enabled and b.is_odata):
        refs = tuple(x.onec_ref for x in stored
                     if x.base_id == base.id and x.onec_set in counterparty_sets.get(base.id, set()))
        if refs:
            targets.append(CompanyTarget(base.id, "stored", refs=refs))
        elif facts.requisites:
            inn, kpp = facts.requisites[0]
            targets.append(CompanyTarget(base.id, "inn", inn=inn, kpp=kpp))
    return targets
