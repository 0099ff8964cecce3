"""Links between a portal's deals/companies and 1C made the way people make them, for the demo and the tests.

A manager types the 1C order number into the deal field the app maps (`PortalSettings.deal_fields
["order_number"]`); an accountant keeps a client's ИНН right in every base; the company's requisites carry the
same ИНН/КПП. Nothing here is used by the app itself: it links through `b24app/sync/linking.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from b24app.bitrix.client import BitrixClient
from b24app.core.model import ZERO, DebtBalance, Order, OrderDocuments
from b24app.core.portal_settings import PortalSettings
from b24app.onec import query as q
from b24app.onec.readers import OneCDocuments
from b24app.sync.linking import REQUISITE_COMPANY
from b24app.sync.to_bitrix.deal_state import payment_fields, shipment_fields


@dataclass(frozen=True)
class SharedDebtor:
    """A client both bases know under one name and ИНН/КПП, with its debt in each."""

    inn: str
    kpp: str
    name: str
    debts: tuple[DebtBalance, DebtBalance]


def write_deal_field(client: BitrixClient, deal_id: int | str, field: str, value: str, label: str) -> None:
    """Put `value` into the deal's string user field `field`, creating the field first if the portal lacks it.

    crm.deal.userfield.add takes FIELD_NAME without the UF_CRM_ prefix the portal adds
    (api-reference/crm/deals/user-defined-fields/crm-deal-userfield-add.md).
    """
    existing = client.call("crm.deal.userfield.list", {"filter": {"FIELD_NAME": field}}).result or []
    if not existing:
        client.call("crm.deal.userfield.add", {"fields": {
            "FIELD_NAME": field.removeprefix("UF_CRM_"), "USER_TYPE_ID": "string",
            "EDIT_FORM_LABEL": label, "LIST_COLUMN_LABEL": label}})
    client.call("crm.deal.update", {"id": deal_id, "fields": {field: value}})


def write_deal_number(client: BitrixClient, deal_id: int | str, number: str, field: str) -> None:
    """The 1C order number typed into the deal field the app maps to it."""
    write_deal_field(client, deal_id, field, number, "Номер заказа 1С")


def write_company_inn(client: BitrixClient, company_id: int | str, inn: str, kpp: str) -> None:
    """Make the company's first requisite carry this ИНН/КПП (adding a requisite when it has none).

    crm.requisite.list / update / add with ENTITY_TYPE_ID 4 = company, PRESET_ID 1 = organisation
    (api-reference/crm/requisites/universal/crm-requisite-add.md).
    """
    rows = client.call("crm.requisite.list", {
        "filter": {"ENTITY_TYPE_ID": REQUISITE_COMPANY, "ENTITY_ID": company_id}, "select": ["ID"],
        "order": {"ID": "ASC"}}).result or []
    if rows:
        client.call("crm.requisite.update", {"id": rows[0]["ID"], "fields": {"RQ_INN": inn, "RQ_KPP": kpp}})
    else:
        client.call("crm.requisite.add", {"fields": {
            "ENTITY_TYPE_ID": REQUISITE_COMPANY, "ENTITY_ID": company_id, "PRESET_ID": 1, "NAME": "Организация",
            "RQ_INN": inn, "RQ_KPP": kpp}})


def client_order(reader: OneCDocuments, inn: str, kpp: str, moment: datetime) -> Order:
    """The client's order (a customer invoice in БП 3.0) dated `moment`, found the way a manager finds it in
    1C's list — by client and date — to type its number into the deal. Raises LookupError when there is none."""
    spec = reader.profile.object("customer_order")
    key_f = spec.field("key")
    for counterparty in reader.counterparties_by_inn(inn, kpp):
        rows = reader.client.query(spec.entity_set, filter=q.all_of(
            q.eq(spec.field("counterparty"), counterparty.key), q.eq(spec.field("date"), moment)),
            select=[key_f], top=2).rows
        if rows:
            order = reader.order_by_key(rows[0][key_f])
            if order is not None:
                return order
    raise LookupError(f"{reader.base.label}: no order of ИНН {inn} dated {moment:%d.%m.%Y %H:%M}")


def write_deal_state(client: BitrixClient, settings: PortalSettings, deal_id: int | str,
                     docs: OrderDocuments) -> None:
    """The deal's payment and shipment fields as the app's own sync computes them from the order's documents
    (`sync/to_bitrix/deal_state.py`); the fields must exist (`ensure_user_fields`)."""
    client.call("crm.deal.update", {"id": deal_id, "fields": {**payment_fields(settings, docs),
                                                             **shipment_fields(settings, docs)}})


def _debtors(reader: OneCDocuments, limit: int) -> list[tuple[dict, DebtBalance]]:
    """Legal entities (10-digit ИНН, unique in the base) owing money, in the order the profile gives the catalog
    (`order_by`: the code where the catalog has one, the name in УТ 11, whose Контрагенты have no code)."""
    spec = reader.profile.object("counterparty")
    inn_prop, kpp_prop, key_prop = spec.field("inn"), spec.field("kpp"), spec.field("key")
    found = []
    for row in reader.client.query(spec.entity_set, orderby=spec.orderby(), top=limit).rows:
        inn = str(row.get(inn_prop) or "")
        if len(inn) != 10 or row.get(spec.field("deleted")):
            continue
        same = reader.counterparties_by_inn(inn)
        if [c.key for c in same] != [row[key_prop]] or not row.get(kpp_prop):
            continue
        debt = reader.debt([row[key_prop]])
        if debt.receivable > ZERO:
            found.append((row, debt))
    return found


def make_shared_debtor(first: OneCDocuments, second: OneCDocuments, *, scan: int = 60) -> SharedDebtor:
    """Make a debtor of `second` the same client as a debtor of `first`: its name, ИНН and КПП.

    The sandbox bases are seeded independently, so no client is in both; real bases of two legal entities
    of one group usually share clients. The element is corrected with an OData PATCH, as an accountant
    fixing a card would (17.4.13.1.3); its debt in `second` stays what it was. Raises LookupError when
    either base has no suitable debtor among its first `scan`.
    """
    ours = _debtors(first, scan)
    theirs = _debtors(second, scan)
    if not ours or not theirs:
        raise LookupError("no counterparty with debt and a unique ИНН among the first "
                          f"{scan} of {first.base.label} / {second.base.label}")
    row, _ = ours[0]
    other, _ = theirs[0]
    spec_a, spec_b = first.profile.object("counterparty"), second.profile.object("counterparty")
    inn, kpp = str(row[spec_a.field("inn")]), str(row[spec_a.field("kpp")])
    name = str(row.get(spec_a.field("name")) or "")
    second.client.update(spec_b.entity_set, other[spec_b.field("key")],
                         {spec_b.field("inn"): inn, spec_b.field("kpp"): kpp, spec_b.field("name"): name})
    debts = (first.debt([c.key for c in first.counterparties_by_inn(inn, kpp)]),
             second.debt([c.key for c in second.counterparties_by_inn(inn, kpp)]))
    return SharedDebtor(inn, kpp, name, debts)
