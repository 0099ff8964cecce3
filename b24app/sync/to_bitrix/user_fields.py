"""The deal and company fields the exchange writes: created on install or first sync, unless the settings map
a logical field to a field the portal already has.

crm.deal.userfield.add / crm.company.userfield.add (api-reference/crm/deals/user-defined-fields/
crm-deal-userfield-add.md): FIELD_NAME is given without the UF_CRM_ prefix the portal adds; EDIT_FORM_LABEL and
LIST_COLUMN_LABEL take per-language texts; XML_ID lets us recognise our own fields later. Types: string, double,
date, url (the page's USER_TYPE_ID list).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

from b24app.bitrix.client import BitrixClient
from b24app.core.errors import PermanentSyncError
from b24app.core.portal_settings import DEFAULT_COMPANY_FIELDS, DEFAULT_DEAL_FIELDS, PortalSettings


@dataclass(frozen=True)
class FieldDef:
    logical: str
    user_type: str
    ru: str
    en: str


DEAL_FIELDS = (
    FieldDef("paid_status", "string", "Оплата по 1С (no / partly / fully)", "1C payment (no / partly / fully)"),
    FieldDef("paid_sum", "double", "Оплачено по 1С, сумма", "Paid in 1C, amount"),
    FieldDef("payment_date", "date", "Дата последней оплаты (1С)", "Last payment date (1C)"),
    FieldDef("remaining", "double", "Осталось оплатить (1С)", "Left to pay (1C)"),
    FieldDef("shipment_status", "string", "Отгрузка по 1С (no / partly / fully)", "1C shipment (no / partly / fully)"),
    FieldDef("returned_sum", "double", "Возвращено клиентом по 1С, сумма", "Returned by the customer in 1C, amount"),
    FieldDef("order_number", "string", "Номер заказа в 1С", "1C order number"),
    FieldDef("order_link", "url", "Заказ в 1С (ссылка)", "1C order (link)"),
)
COMPANY_FIELDS = (
    FieldDef("debt", "double", "Долг по 1С", "Debt in 1C"),
    FieldDef("overdue", "double", "Просроченный долг по 1С", "Overdue debt in 1C"),
    FieldDef("debt_by_base", "string", "Долг по 1С по базам и организациям", "Debt in 1C by base and organization"),
)


def _ensure(client: BitrixClient, entity: str, defs: tuple[FieldDef, ...], mapping: dict[str, str],
            defaults: dict[str, str]) -> list[str]:
    existing = {row["FIELD_NAME"] for row in (client.call(f"crm.{entity}.userfield.list", {}).result or [])}
    created, missing = [], []
    commands = {}
    for d in defs:
        name = mapping.get(d.logical) or defaults[d.logical]
        if name in existing:
            continue
        if name != defaults[d.logical]:
            # The administrator pointed this at a field of their own: we do not invent it.
            missing.append(f"{d.logical} → {name}")
            continue
        commands[name] = (f"crm.{entity}.userfield.add", {"fields": {
            "FIELD_NAME": name.removeprefix("UF_CRM_"), "USER_TYPE_ID": d.user_type, "XML_ID": f"b24_1c_{d.logical}",
            "EDIT_FORM_LABEL": {"ru": d.ru, "en": d.en}, "LIST_COLUMN_LABEL": {"ru": d.ru, "en": d.en},
            "SORT": 500}})
    if missing:
        raise PermanentSyncError(f"the settings map {entity} fields to fields the portal lacks: {', '.join(missing)}")
    if commands:
        result = client.batch(commands)
        if result.errors:
            detail = "; ".join(f"{k}: {e}" for k, e in result.errors.items())
            raise PermanentSyncError(f"creating {entity} fields failed: {detail}")
        created = list(commands)
    return created


def ensure_user_fields(client: BitrixClient, settings: PortalSettings) -> list[str]:
    """Create the app's deal and company fields that are missing; returns the names created."""
    return (_ensure(client, "deal", DEAL_FIELDS, settings.deal_fields, DEFAULT_DEAL_FIELDS)
            + _ensure(client, "company", COMPANY_FIELDS, settings.company_fields, DEFAULT_COMPANY_FIELDS))


class FieldsChecked(Protocol):
    """Remembers, for a while, that a portal's fields were checked under one mapping (the job layer keeps it in
    Redis for a day: `b24app.jobs.pull.FieldsCheckedToday`)."""

    def seen(self, member_id: str, mapping: str) -> bool: ...

    def remember(self, member_id: str, mapping: str) -> None: ...


def mapping_digest(settings: PortalSettings) -> str:
    """A short digest of the deal and company field mapping: a changed mapping is checked again at once."""
    return hashlib.sha1(repr((sorted(settings.deal_fields.items()), sorted(settings.company_fields.items())))
                        .encode()).hexdigest()[:12]


def ensure_fields_once(checked: FieldsChecked, member_id: str, client: BitrixClient,
                       settings: PortalSettings) -> None:
    """`ensure_user_fields` unless `checked` remembers this portal and mapping, so every sync may call it."""
    mapping = mapping_digest(settings)
    if checked.seen(member_id, mapping):
        return
    ensure_user_fields(client, settings)
    checked.remember(member_id, mapping)
