"""A portal's settings: which Bitrix24 fields and stages the exchange reads and writes, how often it runs.

Stored as one JSON document per portal (`store/portal_settings.py`, with a version for optimistic concurrency);
this module is its schema. The settings page edits it; the card tabs and the sync jobs read it. Defaults describe a
portal the app has just been installed on: the app's own user fields, no stage moves until an administrator
maps stages, the pull intervals of the sync issue (payments 5 min, debt and shipments 15 min).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from b24app.core.alert_settings import AlertSettings, check_alerts
from b24app.core.catalog_settings import CatalogSettings, check_catalog
from b24app.core.party_settings import PartySettings, check_parties

# User fields the app creates when the mapping does not point at existing ones (crm.deal.userfield.add adds the
# UF_CRM_ prefix: api-reference/crm/deals/user-defined-fields/crm-deal-userfield-add.md).
DEFAULT_DEAL_FIELDS: dict[str, str] = {
    "paid_status": "UF_CRM_B24_1C_PAID",            # no / partly / fully
    "paid_sum": "UF_CRM_B24_1C_PAID_SUM",
    "payment_date": "UF_CRM_B24_1C_PAID_DATE",
    "remaining": "UF_CRM_B24_1C_REMAINING",
    "shipment_status": "UF_CRM_B24_1C_SHIPPED",
    "returned_sum": "UF_CRM_B24_1C_RETURNED",      # what the customer gave back (returns posted in 1C)
    "order_number": "UF_CRM_B24_1C_ORDER",          # also read to link a deal to an existing 1C order
    "order_link": "UF_CRM_B24_1C_ORDER_URL",
}
DEFAULT_COMPANY_FIELDS: dict[str, str] = {
    "debt": "UF_CRM_B24_1C_DEBT",
    "overdue": "UF_CRM_B24_1C_OVERDUE",
    # The debt per 1C base and organization as one line of text ("УТ (ООО «Ромашка»): 26 366,51 ₽; …"), next to
    # the total in `debt`: several bases (or several organizations of one base) each report their own part.
    "debt_by_base": "UF_CRM_B24_1C_DEBT_BASES",
}


@dataclass(frozen=True)
class StageMap:
    """Stages of one pipeline (deal category) that mean something to the exchange; None = do not move."""

    make_order: str | None = None
    partly_paid: str | None = None
    paid: str | None = None
    shipped: str | None = None
    returned: str | None = None         # everything shipped came back (returns from the customer)
    cancelled_in_1c: str | None = None  # the order was closed in 1C before it was fully shipped, or cancelled


@dataclass(frozen=True)
class Schedules:
    payments_seconds: int = 300
    debt_seconds: int = 900
    shipments_seconds: int = 900
    catalog_seconds: int = 900  # products, prices and stock from 1C (the catalog issue: every 15 minutes)
    counterparties_seconds: int = 900  # counterparties kept in step with 1C (issue 14), once the first load ran
    pull_from_1c: bool = True   # 1C -> Bitrix24 on/off
    push_to_1c: bool = True     # Bitrix24 -> 1C on/off


@dataclass(frozen=True)
class PortalSettings:
    deal_fields: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_DEAL_FIELDS))
    company_fields: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_COMPANY_FIELDS))
    # The deal field (a list) that names the seller legal entity and so the 1C base; None: the only/first base.
    legal_entity_field: str | None = None
    # Which list value of that field means which base: {"<enum id>": <base id>}.
    legal_entity_bases: dict[str, int] = field(default_factory=dict)
    # Which organization of that base sells under the value: {"<enum id>": "<organization INN>"}. A base may keep
    # the books of several legal entities; a value without an INN here sells under the base's own legal entity.
    legal_entity_orgs: dict[str, str] = field(default_factory=dict)
    # The 1C warehouse an order ships from: {"<base id>": "<Ref_Key>"} for a base, {"<base id>:<category id>":
    # "<Ref_Key>"} for one pipeline of it (wins). None mapped: the base's first warehouse.
    warehouses: dict[str, str] = field(default_factory=dict)
    # Which pipeline (deal category) sells through which base: {"<category id>": <base id>} ("0" = default).
    # A mapped legal-entity value wins over it; a pipeline without a base leaves the choice to the only/first base.
    category_bases: dict[str, int] = field(default_factory=dict)
    stages: dict[str, StageMap] = field(default_factory=dict)  # key: category id as a string ("0" = default)
    schedules: Schedules = field(default_factory=Schedules)
    tab_timeout_seconds: float = 3.0
    # Who is told about incidents and how (core/alert_settings.py; the alerts page edits it).
    alerts: AlertSettings = field(default_factory=AlertSettings)
    # Catalog and stock from 1C (core/catalog_settings.py; the catalog page edits it).
    catalog: CatalogSettings = field(default_factory=CatalogSettings)
    # Counterparties and contacts from 1C (core/party_settings.py; the counterparties page edits it).
    counterparties: PartySettings = field(default_factory=PartySettings)

    def stage_map(self, category_id: str | int | None) -> StageMap:
        return self.stages.get(str(category_id or 0), StageMap())

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> PortalSettings:
        """Tolerant of documents written by older versions: unknown keys are dropped, missing ones defaulted."""
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        base = cls()
        if "deal_fields" in data:
            data["deal_fields"] = {**DEFAULT_DEAL_FIELDS, **{k: v for k, v in data["deal_fields"].items() if v}}
        if "company_fields" in data:
            data["company_fields"] = {**DEFAULT_COMPANY_FIELDS,
                                      **{k: v for k, v in data["company_fields"].items() if v}}
        if "stages" in data:
            stage_keys = {f.name for f in fields(StageMap)}
            data["stages"] = {str(category): StageMap(**{k: v for k, v in (stages or {}).items() if k in stage_keys})
                              for category, stages in data["stages"].items()}
        if "schedules" in data:
            sched_keys = {f.name for f in fields(Schedules)}
            data["schedules"] = Schedules(**{k: v for k, v in (data["schedules"] or {}).items() if k in sched_keys})
        if "alerts" in data:
            data["alerts"] = AlertSettings.from_json(data["alerts"])
        if "catalog" in data:
            data["catalog"] = CatalogSettings.from_json(data["catalog"])
        if "counterparties" in data:
            data["counterparties"] = PartySettings.from_json(data["counterparties"])
        for name in ("legal_entity_bases", "category_bases"):
            if name in data:
                data[name] = {str(k): int(v) for k, v in (data[name] or {}).items()}
        for name in ("legal_entity_orgs", "warehouses"):
            if name in data:
                data[name] = {str(k): str(v) for k, v in (data[name] or {}).items() if v}
        return replace(base, **data)

    def warehouse_for(self, base_id: int, category_id: str | int | None) -> str | None:
        """The warehouse Ref_Key set for the deal's pipeline in this base, else for the base; None: not set."""
        return (self.warehouses.get(f"{base_id}:{category_id or 0}") or self.warehouses.get(str(base_id))) or None

    def seller_inn_for(self, deal: dict) -> str | None:
        """The organization INN the deal's legal-entity value names inside its base; None: the base's own."""
        if not self.legal_entity_field:
            return None
        return self.legal_entity_orgs.get(str(deal.get(self.legal_entity_field) or "")) or None


# -- checking a document that did not come from our own form (a settings file being imported) ------------------

MIN_SCHEDULE_SECONDS, MAX_SCHEDULE_SECONDS = 60, 7 * 24 * 3600
MIN_TAB_TIMEOUT, MAX_TAB_TIMEOUT = 0.5, 30.0
# CRM field and status names: UF_CRM_…, ORIGIN_ID, C1:WON, … — letters, digits, "_" and ":" only.
_NAME = re.compile(r"[A-Za-z0-9_:]{1,64}")
_CATEGORY = re.compile(r"[0-9]{1,10}")
_INN = re.compile(r"[0-9]{10}|[0-9]{12}")
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_WAREHOUSE_KEY = re.compile(r"[0-9]{1,10}(:[0-9]{1,10})?")


def check_document(data: Any) -> None:
    """Raise ValueError naming the first key whose value has the wrong type or range.

    `from_json` is tolerant by design (our own stored documents from older versions); a file from outside must
    instead match the schema exactly — `"enabled": "false"` or `"tab_timeout_seconds": "abc"` would otherwise be
    stored and break every page that reads the settings."""
    if not isinstance(data, dict):
        raise ValueError("settings: not an object")
    for name in ("deal_fields", "company_fields"):
        _check_map(data, name, key=_NAME, value=lambda v: isinstance(v, str) and (v == "" or _NAME.fullmatch(v)))
    legal = data.get("legal_entity_field")
    if legal is not None and not (isinstance(legal, str) and (legal == "" or _NAME.fullmatch(legal))):
        raise ValueError("legal_entity_field: not a field name")
    for name in ("legal_entity_bases", "category_bases"):
        _check_map(data, name, key=_NAME, value=lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0)
    _check_map(data, "legal_entity_orgs", key=_NAME, value=lambda v: isinstance(v, str) and bool(_INN.fullmatch(v)))
    _check_map(data, "warehouses", key=_WAREHOUSE_KEY,
               value=lambda v: isinstance(v, str) and bool(_GUID.fullmatch(v)))
    _check_map(data, "stages", key=_CATEGORY, value=lambda v: isinstance(v, dict))
    for category, stages in (data.get("stages") or {}).items():
        for role, status in stages.items():
            if role not in {f.name for f in fields(StageMap)}:
                raise ValueError(f"stages.{category}: unknown role {role!r}")
            if status is not None and not (isinstance(status, str) and _NAME.fullmatch(status)):
                raise ValueError(f"stages.{category}.{role}: not a stage id")
    _check_schedules(data.get("schedules"))
    check_alerts(data.get("alerts"))
    check_catalog(data.get("catalog"))
    check_parties(data.get("counterparties"))
    timeout = data.get("tab_timeout_seconds", 3.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or \
            not MIN_TAB_TIMEOUT <= timeout <= MAX_TAB_TIMEOUT:
        raise ValueError(f"tab_timeout_seconds: a number of seconds from {MIN_TAB_TIMEOUT} to {MAX_TAB_TIMEOUT}")


def _check_map(data: dict, name: str, *, key: re.Pattern, value: Any) -> None:
    mapping = data.get(name)
    if mapping is None:
        return
    if not isinstance(mapping, dict):
        raise ValueError(f"{name}: not an object")
    for k, v in mapping.items():
        if not key.fullmatch(str(k)) or not value(v):
            raise ValueError(f"{name}: bad entry {str(k)[:40]!r}")


def _check_schedules(schedules: Any) -> None:
    if schedules is None:
        return
    if not isinstance(schedules, dict):
        raise ValueError("schedules: not an object")
    for f in fields(Schedules):
        if f.name not in schedules:
            continue
        v = schedules[f.name]
        if f.type in ("bool", bool):
            if not isinstance(v, bool):
                raise ValueError(f"schedules.{f.name}: true or false")
        elif isinstance(v, bool) or not isinstance(v, int) or not MIN_SCHEDULE_SECONDS <= v <= MAX_SCHEDULE_SECONDS:
            raise ValueError(f"schedules.{f.name}: whole seconds from {MIN_SCHEDULE_SECONDS} to "
                             f"{MAX_SCHEDULE_SECONDS}")
