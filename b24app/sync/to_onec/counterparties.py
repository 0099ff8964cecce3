"""The 1C counterparty of a Bitrix24 company: found by INN (+KPP), created when 1C has none.

Bitrix24 keeps INN/KPP in the company's requisites (api-reference/crm/requisites/universal/crm-requisite-add.md,
RQ_INN / RQ_KPP). In 1C a branch shares the head office's INN and differs by KPP, so with a KPP we look for the
exact pair first and fall back to the INN alone (a base that never filled KPP). In УТ 11 a counterparty belongs to
a partner (Catalog_Партнеры, profile `partner`), which the order also names; a new counterparty gets a new partner.
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum.ru import inn as inn_check

from b24app.core.errors import PermanentSyncError
from b24app.onec import query as q
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import Profile
from b24app.sync.to_onec.deps import OrderLocks


@dataclass(frozen=True)
class CompanyIdentity:
    """Who the deal's buyer is, as Bitrix24 knows it."""

    company_id: str
    title: str
    full_name: str
    inn: str
    kpp: str


@dataclass(frozen=True)
class CounterpartyRef:
    ref_key: str
    partner_key: str | None
    created: bool


def identity_from(company: dict | None, requisites: list[dict]) -> CompanyIdentity:
    """The buyer's identity from the company and its requisites; PermanentSyncError when 1C could not be told
    who it is (no company, no INN, or an INN whose check digits are wrong)."""
    if not company:
        raise PermanentSyncError("the deal has no company: 1C needs a counterparty with an INN for the order")
    title = str(company.get("TITLE") or "").strip()
    with_inn = [r for r in requisites if str(r.get("RQ_INN") or "").strip()]
    if not with_inn:
        raise PermanentSyncError(f"company {company.get('ID')} «{title}» has no INN in its requisites (RQ_INN)")
    req = with_inn[0]
    inn = str(req["RQ_INN"]).strip()
    if not inn_check.is_valid(inn):
        raise PermanentSyncError(f"company {company.get('ID')} «{title}»: INN {inn} is not valid (check digits)")
    full = str(req.get("RQ_COMPANY_FULL_NAME") or req.get("RQ_COMPANY_NAME") or title).strip()
    return CompanyIdentity(company_id=str(company.get("ID")), title=title or full, full_name=full or title,
                           inn=inn, kpp=str(req.get("RQ_KPP") or "").strip())


def find_counterparty(client: ODataClient, profile: Profile, who: CompanyIdentity) -> CounterpartyRef | None:
    spec = profile.object("counterparty")
    key_f, deleted_f, inn_f, kpp_f = spec.field("key"), spec.field("deleted"), spec.field("inn"), spec.field("kpp")
    partner_f = spec.field("partner") if "partner" in spec.fields else None
    select = [key_f, deleted_f, inn_f, kpp_f] + ([partner_f] if partner_f else [])
    rows = client.query(spec.entity_set, filter=q.eq(inn_f, who.inn), select=select, top=20).rows
    live = [r for r in rows if not r.get(deleted_f)]
    exact = [r for r in live if who.kpp and r.get(kpp_f) == who.kpp]
    chosen = (exact or live or [None])[0]
    if chosen is None:
        return None
    return CounterpartyRef(chosen[key_f], chosen.get(partner_f) if partner_f else None, False)


def create_counterparty(client: ODataClient, profile: Profile, who: CompanyIdentity) -> CounterpartyRef:
    """Create the counterparty (and in УТ 11 its partner). The caller holds the per-INN lock and looked first."""
    spec = profile.object("counterparty")
    partner_key = None
    body: dict = {
        spec.field("name"): who.title[:100],
        spec.field("full_name"): who.full_name,
        spec.field("inn"): who.inn,
        spec.field("kpp"): who.kpp,
    }
    if "legal_form" in spec.fields:
        # 10 digits: an organisation; 12 digits: an individual entrepreneur (tax code, art. 84).
        body[spec.field("legal_form")] = spec.value(
            "legal_form_company" if len(who.inn) == 10 else "legal_form_entrepreneur")
    if "partner" in spec.fields and "partner" in profile.objects:
        partner = profile.object("partner")
        partner_body = {partner.field("name"): who.title[:100], partner.field("full_name"): who.full_name}
        if "is_customer" in partner.fields:
            partner_body[partner.field("is_customer")] = True
        partner_key = client.create(partner.entity_set, partner_body)[partner.field("key")]
        body[spec.field("partner")] = partner_key
    created = client.create(spec.entity_set, body)
    return CounterpartyRef(created[spec.field("key")], partner_key, True)


def counterparty_for(client: ODataClient, profile: Profile, who: CompanyIdentity, locks: OrderLocks) -> CounterpartyRef:
    """The buyer's counterparty, created once even when several jobs meet a new company together."""
    found = find_counterparty(client, profile, who)
    if found is not None:
        return found
    # Two deals of one new company must not create two counterparties: look again under a per-INN lock.
    with locks.counterparty_lock(who.inn, who.kpp):
        found = find_counterparty(client, profile, who)
        if found is not None:
            return found
        return create_counterparty(client, profile, who)
