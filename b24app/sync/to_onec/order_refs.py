"""References a 1C order needs besides the buyer: the seller organization, the currency, a warehouse, the 1C item
of every Bitrix24 product row, and the unit and VAT rate every row names.

The organization, the currency and the warehouse are the profile's `organization`, `currency` and `warehouse`
objects; every property name comes from there, so what a catalog lacks in one configuration is never asked for
(УТ 11's Склады have no Code, УНФ's СтруктурныеЕдиницы no IsFolder). A currency is found by its element code, the
numeric ОКВ code (ОК 014, the same numbers as ISO 4217: 643 rouble), which the deal's CURRENCY_ID (ISO 4217
letters, crm-deal-get.md) gives. The warehouse is the one the settings choose for the deal's pipeline or base
(`PortalSettings.warehouse_for`), else the first live one.

A Bitrix24 product names its 1C item by XML_ID ("external code",
dev.1c-bitrix.ru/rest_help/crm/products/crm_product_fields.php): 1C's own exchange writes the item's Ref_Key
there (`<guid>` or `<guid>#<characteristic guid>` for offers); anything else is read as the article (Артикул).
A row's unit is its MEASURE_CODE, the OKEI code (crm-deal-productrows-get.md), found among the profile's `unit`
elements by their code; its VAT rate (TAX_RATE) is a value of the enumeration СтавкиНДС, which the profile's
`vat_rate` object names per rate (`rate_kind_20` = "НДС20"): written as is where the goods line holds the
enumeration (УТ 11.4, БП 3.0), or as the element of the catalog СтавкиНДС carrying it (УТ 11.5).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from b24app.core.currencies import CURRENCY_NUMBERS
from b24app.core.errors import PermanentSyncError
from b24app.onec import query as q
from b24app.onec import standard as std
from b24app.onec.errors import OneCNotFound
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import ObjectSpec, Profile
from b24app.sync.to_onec.order_model import DealBundle
from b24app.sync.to_onec.row_amounts import number, vat_rate

RUBLE = "RUB"
NO_VAT = "none"  # the rate key of a row without VAT (TAX_RATE null)

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class SellerRefs:
    organization: str
    currency: str
    warehouse: str | None


@dataclass(frozen=True)
class ProductRef:
    ref_key: str
    unit: str | None
    vat_rate: str | None
    name: str
    characteristic: str | None = None  # an offer's "<item>#<characteristic>" XML_ID names both


@dataclass(frozen=True)
class LineRefs:
    """What the rows name besides items: 1C unit by OKEI code, 1C VAT value by rate key (`rate_key`)."""

    units: Mapping[str, str] = field(default_factory=dict)
    vat: Mapping[str, str] = field(default_factory=dict)


def currency_code(currency_id: object) -> str:
    """The numeric ОКВ code of a Bitrix24 currency (CURRENCY_ID, ISO 4217 letters; empty: the rouble)."""
    letters = str(currency_id or RUBLE).strip().upper()
    if letters.isdigit() and len(letters) == 3:
        return letters
    try:
        return CURRENCY_NUMBERS[letters]
    except KeyError:
        raise PermanentSyncError(f"currency {letters} of the deal has no known ОКВ code: 1C finds currencies "
                                 "by it; sell in another currency or ask for this one to be added") from None


def seller_refs(client: ODataClient, profile: Profile, legal_entity_inn: str | None,
                currency_code: str = "643", *, warehouse: bool = True, warehouse_key: str | None = None
                ) -> SellerRefs:
    """The organization (by the base's legal-entity INN, else the only one), the currency and — when asked and
    the profile maps one — the warehouse the settings chose (`warehouse_key`), else the first one (`pick_first`).
    PermanentSyncError names what the 1C administrator has to fix."""
    org = profile.object("organization")
    key_f, inn_f, deleted_f = org.field("key"), org.field("inn"), org.field("deleted")
    orgs = [r for r in client.query(org.entity_set, select=[key_f, inn_f, deleted_f, org.field("name")],
                                    top=50).rows if not r.get(deleted_f)]
    chosen = [r for r in orgs if legal_entity_inn and r.get(inn_f) == legal_entity_inn] or (
        orgs if len(orgs) == 1 else [])
    if not chosen:
        raise PermanentSyncError(
            f"1C base has {len(orgs)} organizations and none with INN {legal_entity_inn or '(not set)'}: "
            "set the legal entity's INN of this base in the app's settings")
    cur = profile.object("currency")
    currencies = client.query(cur.entity_set, filter=q.eq(cur.field("code"), currency_code),
                              select=[cur.field("key")], top=1).rows
    if not currencies:
        raise PermanentSyncError(f"1C base has no currency with code {currency_code} in {cur.entity_set}: add it "
                                 "from the currency classifier in 1C")
    store = None
    if warehouse and "warehouse" in profile.objects and profile.objects["warehouse"].enabled:
        spec = profile.object("warehouse")
        store = chosen_warehouse(client, spec, warehouse_key) if warehouse_key else pick_first(client, spec)
    return SellerRefs(chosen[0][key_f], currencies[0][cur.field("key")], store)


def chosen_warehouse(client: ODataClient, spec: ObjectSpec, key: str) -> str:
    """The warehouse the settings name, when 1C still has it live; PermanentSyncError says it is gone."""
    select = [spec.field("key")] + [spec.field(f) for f in ("deleted", "is_folder", "name") if spec.has(f)]
    try:
        row = client.get(spec.entity_set, key, select=select)
    except OneCNotFound:
        raise PermanentSyncError(f"the warehouse chosen in the settings ({key}) no longer exists in 1C: "
                                 "choose another one in the app's settings") from None
    name = str(row.get(spec.field("name")) or key) if spec.has("name") else key
    if spec.has("deleted") and row.get(spec.field("deleted")):
        raise PermanentSyncError(f"the warehouse chosen in the settings «{name}» is marked for deletion in 1C: "
                                 "choose another one in the app's settings")
    if spec.has("is_folder") and row.get(spec.field("is_folder")):
        raise PermanentSyncError(f"the warehouse chosen in the settings «{name}» is a group of warehouses in 1C, "
                                 "which an order cannot name: choose a warehouse in the app's settings")
    return row[spec.field("key")]


def pick_first(client: ODataClient, spec: ObjectSpec) -> str | None:
    """The first live element of a catalog the app takes one of: not marked for deletion, not a folder where the
    profile says the catalog has folders (`is_folder`), with the values `pick_where` names (a УНФ structural unit
    that is a warehouse), in the profile's `order_by` order."""
    key_f = spec.field("key")
    rows = client.query(spec.entity_set, filter=usable_filter(spec), select=[key_f], orderby=spec.orderby(),
                        top=1).rows
    return rows[0][key_f] if rows else None


def usable_filter(spec: ObjectSpec) -> str | None:
    """The OData filter of the elements an order may name (see `pick_first`); None: every element."""
    conditions = [q.eq(spec.field("deleted"), False) if spec.has("deleted") else None,
                  q.eq(spec.field("is_folder"), False) if spec.has("is_folder") else None]
    for key in spec.pick_where:
        field = spec.value_field(key)
        if field is not None:
            conditions.append(q.eq(field.name, spec.value(key)))
    return q.all_of(*conditions)


def resolve_product(client: ODataClient, profile: Profile, xml_id: str, label: str) -> ProductRef:
    """The 1C item for a Bitrix24 product's XML_ID; PermanentSyncError when none or several match."""
    spec = profile.object("product")
    key_f, deleted_f = spec.field("key"), spec.field("deleted")
    unit_f = spec.field("unit") if "unit" in spec.fields else None
    vat_f = spec.field("vat_rate") if "vat_rate" in spec.fields else None
    select = [key_f, deleted_f, spec.field("name")] + [f for f in (unit_f, vat_f) if f]
    code = (xml_id or "").split("#", 1)[0].strip()
    if not code:
        raise PermanentSyncError(f"product row «{label}» has no XML_ID: link the product to a 1C item first")
    if _GUID.match(code):
        try:
            rows = [client.get(spec.entity_set, code, select=select)]
        except OneCNotFound:
            rows = []
    else:
        rows = client.query(spec.entity_set, filter=q.eq(spec.field("article"), code), select=select, top=5).rows
    live = [r for r in rows if not r.get(deleted_f)]
    if len(live) != 1:
        found = "no item" if not live else f"{len(live)} items"
        raise PermanentSyncError(f"product row «{label}»: 1C has {found} for XML_ID/article {code!r}")
    row = live[0]
    tail = (xml_id or "").split("#", 1)[1].strip() if "#" in (xml_id or "") else ""
    return ProductRef(row[key_f], row.get(unit_f) if unit_f else None, row.get(vat_f) if vat_f else None,
                      str(row.get(spec.field("name")) or label), tail if _GUID.match(tail) else None)


def product_refs(client: ODataClient, profile: Profile, bundle: DealBundle) -> dict[str, ProductRef]:
    """The 1C item of every product row (by PRODUCT_ID); PermanentSyncError names a row 1C cannot place."""
    refs: dict[str, ProductRef] = {}
    for row in bundle.rows:
        pid = str(row.get("PRODUCT_ID") or "0")
        label = str(row.get("PRODUCT_NAME") or pid)
        if pid == "0" or pid not in bundle.products:
            raise PermanentSyncError(f"product row «{label}» is not a catalog product: 1C needs a product "
                                     "with an XML_ID (1C reference or article)")
        if pid not in refs:
            refs[pid] = resolve_product(client, profile, str(bundle.products[pid].get("XML_ID") or ""), label)
    return refs


def rate_key(rate: Decimal | None) -> str:
    """"20" for 20 %, "none" for a row without VAT: the tail of the profile's `rate_kind_<key>` values."""
    if rate is None:
        return NO_VAT
    return format(rate.normalize(), "f")


def okei_code(row: Mapping) -> str | None:
    """The row's OKEI code as 1C keeps it (three digits: 6 -> "006"); None when the row names no unit."""
    code = number(row.get("MEASURE_CODE"), None)
    if not code:
        return None
    return f"{int(code):03d}"


def unit_refs(client: ODataClient, profile: Profile, codes: Iterable[str]) -> dict[str, str]:
    """OKEI code -> the live unit element with that code; PermanentSyncError names a code 1C has no unit for."""
    spec = profile.object("unit")
    key_f, code_f = spec.field("key"), spec.field("okei_code")
    deleted_f = spec.field("deleted") if spec.has("deleted") else None
    found: dict[str, str] = {}
    for code in sorted(set(codes)):
        rows = client.query(spec.entity_set, filter=q.eq(code_f, code),
                            select=[key_f, code_f] + ([deleted_f] if deleted_f else []), top=5).rows
        live = [r for r in rows if not (deleted_f and r.get(deleted_f))
                and str(r.get(code_f) or "").strip() == code]
        if not live:
            raise PermanentSyncError(f"1C has no unit with OKEI code {code} in {spec.entity_set}: add it from the "
                                     "classifier of units in 1C")
        found[code] = live[0][key_f]
    return found


def vat_values(client: ODataClient, profile: Profile, keys: Iterable[str], *, catalog: bool) -> dict[str, str]:
    """Rate key -> what the goods line's VAT field holds: the enumeration value the profile names, or (`catalog`)
    the live element of the VAT catalog carrying it. PermanentSyncError names a rate the profile or 1C lacks."""
    spec = profile.objects["vat_rate"]  # disabled where there is no catalog: its values name the enumeration
    wanted = {}
    for key in sorted(set(keys)):
        label = "no VAT" if key == NO_VAT else f"VAT {key}%"
        if f"rate_kind_{key}" not in spec.values:
            raise PermanentSyncError(f"{label} of a product row has no 1C value in profile {profile.name} "
                                     f"([objects.vat_rate.values] rate_kind_{key})")
        wanted[key] = spec.value(f"rate_kind_{key}")
    if not catalog:
        return wanted
    key_f, kind_f = spec.field("key"), spec.field("rate_kind")
    deleted_f = spec.field("deleted") if spec.has("deleted") else None
    found: dict[str, str] = {}
    for key, value in wanted.items():
        rows = client.query(spec.entity_set, filter=q.eq(kind_f, value),
                            select=[key_f] + ([deleted_f] if deleted_f else []), top=5).rows
        live = [r for r in rows if not (deleted_f and r.get(deleted_f))]
        if not live:
            raise PermanentSyncError(f"1C has no VAT rate {value} in {spec.entity_set} for a product row's "
                                     f"{'missing VAT' if key == NO_VAT else f'VAT {key}%'}")
        found[key] = live[0][key_f]
    return found


def line_refs(client: ODataClient, profile: Profile, rows: list[dict], logical: str = "customer_order") -> LineRefs:
    """The units and VAT values the deal's rows name, for the goods lines of the profile's document `logical`
    (nothing is read for a field the document lacks)."""
    goods = profile.object(logical).table("goods").fields
    units: dict[str, str] = {}
    if "package" in goods and "unit" in profile.objects:
        units = unit_refs(client, profile, [c for c in (okei_code(r) for r in rows) if c])
    vat: dict[str, str] = {}
    if "vat_rate" in goods and "vat_rate" in profile.objects:
        catalog = goods["vat_rate"].name.endswith(std.KEY_SUFFIX)
        if not catalog or profile.objects["vat_rate"].enabled:
            vat = vat_values(client, profile, [rate_key(vat_rate(r)) for r in rows], catalog=catalog)
    return LineRefs(units, vat)
