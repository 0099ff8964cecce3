"""What every catalog.* method shares: the catalog's tables, camelCase records, errors and list parameters.

SOURCES (bitrix24/b24restdocs):
- api-reference/catalog/data-types.md: the objects and their field types (catalog_catalog, catalog_section,
  catalog_product, catalog_product_offer, catalog_measure, catalog_price_type, catalog_price, catalog_store,
  catalog_storeproduct, catalog_document, catalog_document_element, catalog_vat).
- api-reference/catalog/*/catalog-*-list.md: ``select`` / ``filter`` (prefixes ``>=``, ``>``, ``<=``, ``<``, ``@``,
  ``!@``, ``%``, ``=%``, ``=``, ``!=``, ``!``) / ``order`` / ``start``, pages of always 50, ``total`` beside
  ``result``; settings/performance/huge-data.md: ``start=-1`` pages without counting.
- Error pages of each method ("Possible Error Codes"): catalog errors answer HTTP 400 with a numeric ``error``
  (e.g. 200040300010) or 0; a missing parameter is code 100 "Could not find value for parameter {id}"
  (catalog/price/catalog-price-get.md); missing fields "Required fields: name"
  (catalog/price-type/catalog-price-type-update.md).
- api-reference/catalog/document/catalog-document-mode-status.md: inventory management is on ("Y") or off ("N").

Records live in ``EntityTable`` (entities.py) under the upper-cased camelCase name (``iblockSectionId`` ->
``IBLOCKSECTIONID``): its filter and order read names upper-cased, so camelCase filters work unchanged and ``>id``
paging over 10,000 products stays a bisect. The catalog state is built on first use (with the seeded CRM products)
and dropped by a portal reset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from b24sandbox.portal.clock import iso, now
from b24sandbox.portal.entities import EntityTable, FieldSpec
from b24sandbox.portal.errors import RestError
from b24sandbox.portal.params import as_dict, as_list, get_ci
from b24sandbox.portal.registry import Call
from b24sandbox.portal.state import PortalState

# The CRM product catalog and its variations catalog on a cloud portal (catalog/catalog-catalog-list.md example:
# the offers catalog 24 names productIblockId 23; catalog/product/catalog-product-add.md adds to iblockId 23).
PRODUCT_IBLOCK = 23
OFFER_IBLOCK = 24
SKU_PROPERTY = 97
SEED_AUTHOR = 1  # the seeded products' CREATED_BY: the portal's administrator (state.USERS)


class CatalogError(RestError):
    """A catalog.* error: HTTP 400 with the code as the pages print it (a number, or a word such as BASE).

    The code stays a number where the page prints one, so the answer and a batch's ``result_error`` both carry it
    as JSON prints an integer."""

    def __init__(self, code: int | str, description: str, status: int = 400) -> None:
        super().__init__(str(code), description, status)
        self.code = code  # type: ignore[assignment]


def missing_parameter(name: str) -> CatalogError:
    # catalog/price/catalog-price-get.md: 100 "Could not find value for parameter {id}".
    return CatalogError(100, f"Could not find value for parameter {{{name}}}")


def required_fields(names: Iterable[str]) -> CatalogError:
    # catalog/price-type/catalog-price-type-update.md, catalog/price/catalog-price-update.md: "Required fields: ...".
    return CatalogError(0, "Required fields: " + ", ".join(names))


@dataclass
class Schema:
    """The camelCase fields of one catalog object: name -> (type, read-only)."""

    fields: dict[str, tuple[str, bool]]

    def specs(self) -> dict[str, FieldSpec]:
        return {
            name.upper(): FieldSpec(name.upper(), kind, name, read_only=read_only)
            for name, (kind, read_only) in self.fields.items()
        }

    def writable(self) -> dict[str, str]:
        """camelCase (lower-cased) -> camelCase, for reading ``fields`` whatever their case."""
        return {name.lower(): name for name, (_, read_only) in self.fields.items() if not read_only}

    def describe(self) -> dict[str, Any]:
        """The ``*.getFields`` answer: type, isReadOnly, isRequired (rest_field_description, data-types.md)."""
        return {
            name: {"type": kind, "isReadOnly": read_only, "isRequired": False, "isImmutable": False}
            for name, (kind, read_only) in self.fields.items()
        }


def to_value(kind: str, value: Any) -> Any:
    """A written value in the field's type: integers and doubles as numbers, the rest as text; "" is null."""
    if value is None or value == "":
        return None
    if kind == "integer":
        try:
            return int(float(str(value)))
        except ValueError:
            raise CatalogError(0, f"Invalid value: {value}") from None
    if kind == "double":
        try:
            return float(str(value).replace(",", "."))
        except ValueError:
            raise CatalogError(0, f"Invalid value: {value}") from None
    return str(value)


def write(schema: Schema, record: dict[str, Any], fields: dict[str, Any], skip: Iterable[str] = ()) -> None:
    """Copy the writable ``fields`` into ``record``; unknown and read-only fields are ignored."""
    names = schema.writable()
    skipped = {s.lower() for s in skip}
    for raw, value in fields.items():
        name = names.get(str(raw).lower())
        if name is None or name.lower() in skipped:
            continue
        record[name.upper()] = to_value(schema.fields[name][0], value)


def out(schema: Schema, record: dict[str, Any], select: list[str] | None = None) -> dict[str, Any]:
    """The record as the API prints it: camelCase keys, ``id`` a number; only ``select`` when given."""
    names = list(schema.fields)
    if select:
        wanted = {s.lower() for s in select}
        names = [n for n in names if n.lower() in wanted]
    answer = {}
    for name in names:
        value = record.get(name.upper())
        if name == "id" and value is not None:
            value = int(value)
        answer[name] = value
    return answer


@dataclass
class CatalogState:
    """Every catalog table of one portal, and the inventory management switch."""

    catalogs: EntityTable
    sections: EntityTable
    elements: EntityTable  # products and variations share the information block elements' ID space
    measures: EntityTable
    price_types: EntityTable
    prices: EntityTable
    stores: EntityTable
    store_products: EntityTable
    documents: EntityTable
    document_elements: EntityTable
    vats: EntityTable
    properties: EntityTable  # catalog.productProperty.*; their values live on the elements (PROPERTY<id>)
    inventory_management: bool = False
    # (productId, catalogGroupId) -> price id; (productId, storeId) -> storeproduct id; code indexes: uniqueness
    # checks and lookups stay O(1) with 10,000 products.
    price_index: dict[tuple[int, int], int] = field(default_factory=dict)
    stock_index: dict[tuple[int, int], int] = field(default_factory=dict)
    element_codes: dict[tuple[int, str], int] = field(default_factory=dict)
    section_codes: dict[tuple[int, str], int] = field(default_factory=dict)
    measure_codes: dict[int, int] = field(default_factory=dict)
    offers_of: dict[int, set[int]] = field(default_factory=dict)  # product id -> its variations' ids
    next_doc_number: int = 1
    doc_rows: dict[int, set[int]] = field(default_factory=dict)  # document id -> its product rows' ids
    next_value_id: int = 9000  # ids of property values (an offer's parentId prints one)


def stamp() -> str:
    return iso(now())


def catalog(call: Call) -> CatalogState:
    """The portal's catalog, built on first use (call with the state's lock held)."""
    return catalog_of(call.state, call.caller.user_id)


def catalog_of(state: PortalState, user_id: int = 1) -> CatalogState:
    """The catalog kept on ``state`` (``PortalState.reset`` drops it), built on first use."""
    existing = getattr(state, "catalog", None)
    if isinstance(existing, CatalogState):
        return existing
    # Both import this module.
    from b24sandbox.portal.methods_catalog_crm import seed_crm_products
    from b24sandbox.portal.methods_catalog_tables import build_catalog

    built = build_catalog(user_id)
    # The seeded CRM products (seed.py) are the catalog's first elements, created by the portal's administrator.
    seed_crm_products(built, state.seed_products, SEED_AUTHOR)
    state.catalog = built
    return built


def positive_id(params: dict[str, Any], name: str = "id") -> int:
    raw = get_ci(params, name)
    if raw is None or raw == "":
        raise missing_parameter(name)
    try:
        value = int(float(str(raw)))
    except ValueError:
        raise missing_parameter(name) from None
    if value <= 0:
        raise missing_parameter(name)
    return value


def fields_param(params: dict[str, Any]) -> dict[str, Any]:
    fields = get_ci(params, "fields")
    if not isinstance(fields, dict) or not fields:
        raise missing_parameter("fields")
    return fields


@dataclass
class ListQuery:
    """A list call's ``select`` / ``filter`` / ``order`` / ``start`` (catalog/*/catalog-*-list.md)."""

    select: list[str]
    filter: dict[str, Any]
    order: dict[str, Any]
    start: int

    @classmethod
    def of(cls, params: dict[str, Any]) -> ListQuery:
        try:
            start = int(str(get_ci(params, "start", 0) or 0))
        except ValueError:
            start = 0
        return cls(
            [str(s) for s in as_list(get_ci(params, "select")) if str(s) not in ("", "*")],
            as_dict(get_ci(params, "filter")),
            as_dict(get_ci(params, "order")),
            start,
        )

    def filter_value(self, name: str) -> Any:
        """The value filtered on ``name`` with no prefix or ``=``; None when the filter does not name it."""
        for key, value in self.filter.items():
            if str(key).lstrip("=").lower() == name.lower():
                return value
        return None

