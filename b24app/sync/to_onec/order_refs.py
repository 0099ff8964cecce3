"""References a 1C order needs besides the buyer: the seller organization, the currency, a warehouse, and
the 1C item of every Bitrix24 product row.

The organization, the currency and the warehouse are the profile's `organization`, `currency` and `warehouse`
objects; every property name comes from there, so what a catalog lacks in one configuration is never asked for
(УТ 11's Склады have no Code, УНФ's СтруктурныеЕдиницы no IsFolder). Rouble is currency code 643 (ОКВ).

A Bitrix24 product names its 1C item by XML_ID ("external code",
dev.1c-bitrix.ru/rest_help/crm/products/crm_product_fields.php): 1C's own exchange writes the item's Ref_Key
there (`<guid>` or `<guid>#<characteristic guid>` for offers); anything else is read as the article (Артикул).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from b24app.core.errors import PermanentSyncError
from b24app.onec import query as q
from b24app.onec.errors import OneCNotFound
from b24app.onec.odata import ODataClient
from b24app.onec.profiles import ObjectSpec, Profile
from b24app.sync.to_onec.order_model import DealBundle

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


def seller_refs(client: ODataClient, profile: Profile, legal_entity_inn: str | None,
                currency_code: str = "643", *, warehouse: bool = True) -> SellerRefs:
    """The organization (by the base's legal-entity INN, else the only one), the currency and — when asked and
    the profile maps one — the first warehouse (`pick_first`). PermanentSyncError names what the 1C administrator
    has to fix."""
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
        raise PermanentSyncError(f"1C base has no currency with code {currency_code} in {cur.entity_set}")
    store = None
    if warehouse and "warehouse" in profile.objects and profile.objects["warehouse"].enabled:
        store = pick_first(client, profile.object("warehouse"))
    return SellerRefs(chosen[0][key_f], currencies[0][cur.field("key")], store)


def pick_first(client: ODataClient, spec: ObjectSpec) -> str | None:
    """The first live element of a catalog the app takes one of: not marked for deletion, not a folder where the
    profile says the catalog has folders (`is_folder`), with the values `pick_where` names (a УНФ structural unit
    that is a warehouse), in the profile's `order_by` order."""
    conditions = [q.eq(spec.field("deleted"), False) if spec.has("deleted") else None,
                  q.eq(spec.field("is_folder"), False) if spec.has("is_folder") else None]
    for key in spec.pick_where:
        field = spec.value_field(key)
        if field is not None:
            conditions.append(q.eq(field.name, spec.value(key)))
    key_f = spec.field("key")
    rows = client.query(spec.entity_set, filter=q.all_of(*conditions), select=[key_f], orderby=spec.orderby(),
                        top=1).rows
    return rows[0][key_f] if rows else None


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
    return ProductRef(row[key_f], row.get(unit_f) if unit_f else None, row.get(vat_f) if vat_f else None,
                      str(row.get(spec.field("name")) or label))


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
