"""The 1C counterparty of a deal's buyer: a company found by INN (+KPP), a private buyer by INN, phone or e-mail;
created when 1C has none.

Bitrix24 keeps INN/KPP in requisites (api-reference/crm/requisites/universal/crm-requisite-add.md, RQ_INN /
RQ_KPP / RQ_OGRNIP; ENTITY_TYPE_ID 4 = company, 3 = contact). In 1C a branch shares the head office's INN and
differs by KPP, so with a KPP we look for the exact pair first and fall back to the INN alone (a base that never
filled KPP). In УТ 11 a counterparty belongs to a partner (Catalog_Партнеры, profile `partner`), which the order
also names; a new counterparty gets a new partner.

Who the buyer is (tax code of Russia, art. 84; the checksums by python-stdnum's stdnum.ru.inn): a company whose
INN has 10 digits is an organisation, 12 digits a sole proprietor (ИП), as is a requisite with an OGRNIP (the ИП
preset's own field); a deal with a contact and no company is a private buyer (the profile's individual legal
form, УТ 11 ЮрФизЛицо = ФизЛицо), keyed by the contact requisite's INN when it has one, else by the first phone
(crm.contact.get PHONE multifield, normalised to E.164 by `phonenumbers`, region RU by default) or e-mail
(lower-cased). A private buyer without INN is found through the counterparties' contact information, which 1C
publishes as the tabular section's own entity set (docs 17.4.4; the profile's counterparty table `contacts`)
and which people type in any format: candidates share the number's last digits and are
compared after the same normalisation.
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from stdnum.ru import inn as inn_check

from b24app.core.counterparty_keys import normal_phone
from b24app.core.errors import PermanentSyncError
from b24app.onec import query as q
from b24app.onec import standard as std
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import Profile
from b24app.sync.to_onec.deps import OrderLocks

COMPANY, ENTREPRENEUR, INDIVIDUAL = "company", "entrepreneur", "individual"
# How many trailing digits a phone candidate must share: every way of writing a number keeps its last two digits
# together ("…-45-67", "…4567"), and they cut the candidates to about a hundredth.
PHONE_TAIL = 2


@dataclass(frozen=True)
class CompanyIdentity:
    """Who the deal's buyer is, as Bitrix24 knows it (a company, or a contact: `kind` says which kind of buyer)."""

    company_id: str
    title: str
    full_name: str
    inn: str
    kpp: str
    kind: str = COMPANY
    phone: str = ""  # E.164
    email: str = ""  # lower-cased

    @property
    def lock_key(self) -> str:
        """What two jobs creating the same buyer have in common (the per-identity lock)."""
        return self.inn or (f"tel:{self.phone}" if self.phone else f"mail:{self.email}")


@dataclass(frozen=True)
class CounterpartyRef:
    ref_key: str
    partner_key: str | None
    created: bool


def valid_inn(inn: str, whose: str) -> str:
    """The INN when its check digits hold; PermanentSyncError in plain words otherwise (never used as a key)."""
    if not inn_check.is_valid(inn):
        raise PermanentSyncError(f"{whose}: INN {inn} is not valid (check digits): correct it in the requisites")
    return inn


def _multifield(entity: dict, name: str) -> list[str]:
    """The values of a PHONE / EMAIL multifield (crm-contact-get.md: a list of {VALUE, VALUE_TYPE, …})."""
    return [str(v.get("VALUE") or "").strip() for v in entity.get(name) or [] if isinstance(v, dict)]


def _first_phone(contact: dict) -> str:
    return next((p for p in (normal_phone(v) for v in _multifield(contact, "PHONE") if v) if p), "")


def _first_email(contact: dict) -> str:
    return next((v.lower() for v in _multifield(contact, "EMAIL") if "@" in v), "")


def _person_name(contact: dict, requisite: dict | None) -> str:
    req = requisite or {}
    parts = [req.get("RQ_LAST_NAME") or contact.get("LAST_NAME"), req.get("RQ_FIRST_NAME") or contact.get("NAME"),
             req.get("RQ_SECOND_NAME") or contact.get("SECOND_NAME")]
    return " ".join(str(p).strip() for p in parts if p and str(p).strip())


def identity_from(company: dict | None, requisites: list[dict], contact: dict | None = None,
                  contact_requisites: list[dict] | tuple = ()) -> CompanyIdentity:
    """The buyer's identity: the company when the deal has one, else the contact; PermanentSyncError when 1C
    could not be told who it is (no buyer, a company without INN, an INN whose check digits are wrong, a contact
    with neither INN nor phone nor e-mail)."""
    if company:
        return _company_identity(company, requisites)
    if contact:
        return _contact_identity(contact, list(contact_requisites))
    raise PermanentSyncError("the deal has no company and no contact: 1C needs a buyer for the order")


def _company_identity(company: dict, requisites: list[dict]) -> CompanyIdentity:
    title = str(company.get("TITLE") or "").strip()
    with_inn = [r for r in requisites if str(r.get("RQ_INN") or "").strip()]
    if not with_inn:
        raise PermanentSyncError(f"company {company.get('ID')} «{title}» has no INN in its requisites (RQ_INN)")
    req = with_inn[0]
    inn = valid_inn(str(req["RQ_INN"]).strip(), f"company {company.get('ID')} «{title}»")
    entrepreneur = len(inn) == 12 or bool(str(req.get("RQ_OGRNIP") or "").strip())
    full = str(req.get("RQ_COMPANY_FULL_NAME") or req.get("RQ_COMPANY_NAME") or req.get("RQ_NAME") or title).strip()
    return CompanyIdentity(company_id=str(company.get("ID")), title=title or full, full_name=full or title,
                           inn=inn, kpp="" if entrepreneur else str(req.get("RQ_KPP") or "").strip(),
                           kind=ENTREPRENEUR if entrepreneur else COMPANY)


def _contact_identity(contact: dict, requisites: list[dict]) -> CompanyIdentity:
    req = next((r for r in requisites if str(r.get("RQ_INN") or "").strip()), None)
    name = _person_name(contact, req) or str(contact.get("ID"))
    whose = f"contact {contact.get('ID')} «{name}»"
    inn = valid_inn(str(req["RQ_INN"]).strip(), whose) if req else ""
    phone, email = _first_phone(contact), _first_email(contact)
    if not (inn or phone or email):
        raise PermanentSyncError(f"{whose} has no INN, phone or e-mail: 1C cannot tell this private buyer from "
                                 "others; add one of them to the contact")
    entrepreneur = bool(req and str(req.get("RQ_OGRNIP") or "").strip())
    return CompanyIdentity(company_id=str(contact.get("ID")), title=name, full_name=name, inn=inn, kpp="",
                           kind=ENTREPRENEUR if entrepreneur else INDIVIDUAL, phone=phone, email=email)


def _ref(profile: Profile, row: dict) -> CounterpartyRef:
    spec = profile.object("counterparty")
    partner_f = spec.field("partner") if "partner" in spec.fields else None
    return CounterpartyRef(row[spec.field("key")], row.get(partner_f) if partner_f else None, False)


def find_counterparty(client: ODataClient, profile: Profile, who: CompanyIdentity) -> CounterpartyRef | None:
    """The buyer's live counterparty: by INN (+KPP) when the buyer has one, else by phone, then e-mail."""
    if who.inn:
        return _find_by_inn(client, profile, who)
    if who.phone:
        found = _find_by_contact(client, profile, "phone", who.phone)
        if found is not None:
            return found
    if who.email:
        return _find_by_contact(client, profile, "email", who.email)
    return None


def _find_by_inn(client: ODataClient, profile: Profile, who: CompanyIdentity) -> CounterpartyRef | None:
    spec = profile.object("counterparty")
    key_f, deleted_f, inn_f, kpp_f = spec.field("key"), spec.field("deleted"), spec.field("inn"), spec.field("kpp")
    partner_f = spec.field("partner") if "partner" in spec.fields else None
    select = [key_f, deleted_f, inn_f, kpp_f] + ([partner_f] if partner_f else [])
    rows = client.query(spec.entity_set, filter=q.eq(inn_f, who.inn), select=select, top=20).rows
    live = [r for r in rows if not r.get(deleted_f)]
    exact = [r for r in live if who.kpp and r.get(kpp_f) == who.kpp]
    chosen = (exact or live or [None])[0]
    return None if chosen is None else _ref(profile, chosen)


def _find_by_contact(client: ODataClient, profile: Profile, what: str, value: str) -> CounterpartyRef | None:
    """A counterparty whose contact information holds this phone (E.164) or e-mail (lower-cased)."""
    spec = profile.object("counterparty")
    if "contacts" not in spec.tables:
        return None
    table = spec.table("contacts")
    # Docs 17.4.4: a tabular section is also an entity set of its own, `<Object>_<Section>`, whose rows carry the
    # owner's Ref_Key.
    rows_set, kind_f = f"{spec.entity_set}_{table.name}", table.fields["kind"].name
    fields = [table.fields[f].name for f in ("presentation", what) if f in table.fields]
    if what == "phone":
        tail = q.string(value[-PHONE_TAIL:])
        near = q.any_of(*(f"endswith({q.prop(f)}, {tail}) eq true" for f in fields))
    else:
        near = q.any_of(*(q.eq(f, value) for f in fields))
    rows = client.query(rows_set, filter=q.all_of(q.eq(kind_f, spec.value(f"contacts_kind_{what}")), near),
                        select=[std.REF_KEY, *fields], top=200).rows
    same = normal_phone if what == "phone" else (lambda v: v.strip().lower())
    owners = [r[std.REF_KEY] for r in rows if any(same(str(r.get(f) or "")) == value for f in fields)]
    partner_f = spec.field("partner") if "partner" in spec.fields else None
    select = [spec.field("key"), spec.field("deleted")] + ([partner_f] if partner_f else [])
    for owner in dict.fromkeys(owners):
        row = client.get(spec.entity_set, owner, select=select)
        if not row.get(spec.field("deleted")):
            return _ref(profile, row)
    return None


def _contact_lines(profile: Profile, who: CompanyIdentity) -> list[dict]:
    """The new counterparty's contact information: its phone and e-mail as the profile's table names them."""
    spec = profile.object("counterparty")
    if "contacts" not in spec.tables:
        return []
    table = spec.table("contacts").fields
    lines = []
    if who.phone:
        shown = phonenumbers.format_number(phonenumbers.parse(who.phone), phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        lines.append({"kind": spec.value("contacts_kind_phone"), "presentation": shown, "phone": who.phone})
    if who.email:
        lines.append({"kind": spec.value("contacts_kind_email"), "presentation": who.email, "email": who.email})
    return [{table[k].name: v for k, v in line.items() if k in table} for line in lines]


def create_counterparty(client: ODataClient, profile: Profile, who: CompanyIdentity) -> CounterpartyRef:
    """Create the counterparty (and in УТ 11 its partner). The caller holds the per-identity lock and looked
    first."""
    spec = profile.object("counterparty")
    partner_key = None
    body: dict = {
        spec.field("name"): who.title[:100],
        spec.field("full_name"): who.full_name,
        spec.field("inn"): who.inn,
        spec.field("kpp"): who.kpp,
    }
    if "legal_form" in spec.fields:
        # The enumeration's values differ between configurations (УТ ЮрФизЛицо, БП ЮридическоеФизическоеЛицо).
        body[spec.field("legal_form")] = spec.value(f"legal_form_{who.kind}")
    lines = _contact_lines(profile, who)
    if lines:
        body[spec.table("contacts").name] = lines
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
    """The buyer's counterparty, created once even when several jobs meet a new buyer together."""
    found = find_counterparty(client, profile, who)
    if found is not None:
        return found
    # Two deals of one new buyer must not create two counterparties: look again under a per-identity lock.
    with locks.counterparty_lock(who.lock_key, who.kpp):
        found = find_counterparty(client, profile, who)
        if found is not None:
            return found
        return create_counterparty(client, profile, who)
