"""Product and variation properties: catalog.productProperty.*, and their values on products and variations
(the ``property<ID>`` fields of catalog.product.* and catalog.product.offer.*).

SOURCES (bitrix24/b24restdocs, api-reference/catalog/ unless named):
- product-property/index.md: a property belongs to one trade catalog (its iblockId); "The type is set when creating
  the property and cannot be changed".
- product-property/catalog-product-property-add.md: required iblockId, name, propertyType (N, S, L, F, E, G);
  ``{"productProperty": {...}}``; errors (code 0) "Required fields: iblockId, name, propertyType", "The specified
  iblock is not a product catalog", "Invalid property type specified" (propertyType and userType do not match),
  "Invalid custom property type settings specified" (userTypeSettings: "Only scalar values and nested objects from
  scalar values are supported"), "Property code cannot start with a digit", "Wrong format of field ...".
- product-property/catalog-product-property-update.md: ``iblockId`` is required in ``fields`` ("Required fields:
  iblockId"); propertyType and userType "Cannot be changed"; an ``id`` that is not a number is 100 "Invalid value
  {...} to match with parameter {id}. Should be value of type int"; "Invalid information block code".
- product-property/catalog-product-property-get.md, -delete.md: an unknown id is ``{"error": "",
  "error_description": "productProperty does not exist."}``; delete answers ``true``.
- product-property/catalog-product-property-list.md: ``{"productProperties": [...]}``, select / filter / order /
  start as the other catalog lists; "If iblockId is not provided, the method selects properties from all trade
  catalogs. If an iblockId is provided that is not a catalog, the method will return an empty list".
- product-property/catalog-product-property-get-fields.md: ``{"productProperty": {field: rest_field_description}}``;
  iblockId, name and propertyType are the required ones.
- data-types.md (catalog_product, catalog_product_offer: ``propertyN``): a value is ``{valueId, value}``, a multiple
  property's a list of them. "If valueId is not specified, the existing value will be removed from the database and
  replaced with the new one specified in value. If the property is multiple, all existing values of the property
  for which valueId was not specified will be removed."
- product/catalog-product-add.md, product/offer/catalog-product-offer-add.md: "When adding a product, the property
  value can be specified as a string, number, or as an object {value: value}. If the property is multiple, an array
  of values or objects"; the answer prints ``"property258": {"value": "test", "valueId": "9816"}`` and
  ``"property259": [{"value": "test1", "valueId": "9817"}, ...]`` (value and valueId as strings).
- product/catalog-product-update.md: values as ``{valueId, value}``; "If the property is empty and does not yet have
  a valueId, only pass value". tutorials/catalog/index.md: "propertyN: null when updating a product — the
  catalog.product.update method does not accept a list value identifier directly. Pass it in the {value: 1739}
  format".
- product/catalog-product-get-fields-by-filter.md: the catalog's properties described as ``"property258":
  {"isDynamic": true, "isMultiple": false, "name": ..., "propertyType": "S", "type": "productproperty", ...}``.
- product/catalog-product-get.md, -list.md and the offer pages: get prints the properties; list prints those named
  in ``select``; the TypeScript types print a property without a value as ``null``. The list filter takes
  ``propertyN`` by exact match ("pass the value directly without value"), an array for IN / NOT IN, and a prefixed
  key with ``{"value": ...}`` for a range; the offer get example's values share one id sequence with the
  ``parentId`` value (9867, 9868, ...).
What the docs leave open, and the sandbox's choice:
- ``property<ID>`` naming no property of the element's own catalog (an unknown id, or a product property on a
  variation): no error is documented for it on any add / update page, so the value is ignored.
- A bare value (not ``{"value": ...}``) in catalog.product.update / offer.update carries nothing: the property is
  left without a value (the tutorial's ``propertyN: null``), for every property type.
- File properties (F) keep no values: the sandbox catalog keeps no files (as for pictures).
- A property's ``iblockId`` in update must be there, and a number, but does not move the property: no page says a
  property can change its catalog. A duplicate ``code`` is accepted: no page prints a message for it.
- The variations' parent link (skuPropertyId 97) is not listed: its fields are not printed in the docs; it shows as
  ``parentId``.
"""

from __future__ import annotations

import re
from typing import Any

from b24sandbox.portal.methods_catalog_common import (
    CatalogError,
    CatalogState,
    ListQuery,
    catalog,
    fields_param,
    missing_parameter,
    out,
    required_fields,
    stamp,
)
from b24sandbox.portal.methods_catalog_tables import PROPERTY
from b24sandbox.portal.params import get_ci
from b24sandbox.portal.registry import Call, Outcome, method

Record = dict[str, Any]

TYPES = ("N", "S", "L", "F", "E", "G")  # catalog-product-property-add.md, propertyType
# The userType values catalog-product-property-add.md lists; BoolEnum is "used with propertyType = L".
USER_TYPES = ("DateTime", "Money", "SKU", "directory", "employee", "UserID", "EList", "EAutocomplete", "SectionAuto",
              "HTML", "map_google", "DiskFile", "ECrm", "BoolEnum")
REQUIRED = ("iblockId", "name", "propertyType")
_YES_NO = ("Y", "N")
_CHAR_VALUES = {"listType": ("L", "C")}  # "L — dropdown list, C — set of checkboxes"
_VALUE_FIELD = re.compile(r"^property(\d+)$", re.IGNORECASE)
_FILTER_FIELD = re.compile(r"^([!<>=%@]*)(property\d+)$", re.IGNORECASE)


def _not_found() -> CatalogError:
    return CatalogError("", "productProperty does not exist.")


def _wrong_format(name: str) -> CatalogError:
    return CatalogError(0, f"Wrong format of field {name}")


def _property_id(params: Record) -> int:
    raw = get_ci(params, "id")
    if raw is None or raw == "":
        raise missing_parameter("id")
    try:
        return int(str(raw))
    except ValueError:
        raise CatalogError(100, f"Invalid value {{{raw}}} to match with parameter {{id}}. "
                                "Should be value of type int") from None


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _settings(value: Any) -> Record | None:
    """userTypeSettings: "Only scalar values and nested objects from scalar values are supported"."""
    if value in (None, "", []):
        return None
    if not isinstance(value, dict):
        raise CatalogError(0, "Invalid custom property type settings specified")
    for item in value.values():
        nested_ok = isinstance(item, dict) and all(_scalar(v) for v in item.values())
        if not (_scalar(item) or nested_ok):
            raise CatalogError(0, "Invalid custom property type settings specified")
    return dict(value)


def _write(record: Record, fields: Record, skip: tuple[str, ...] = ()) -> None:
    """Copy the writable ``fields`` into ``record`` in their types; a value of the wrong type is refused."""
    names = PROPERTY.writable()
    for raw, value in fields.items():
        name = names.get(str(raw).lower())
        if name is None or name in skip:
            continue
        kind = PROPERTY.fields[name][0]
        if kind == "object":
            record[name.upper()] = _settings(value)
            continue
        if not _scalar(value):
            raise _wrong_format(name)
        if value is None or value == "":
            record[name.upper()] = None
        elif kind == "integer":
            try:
                record[name.upper()] = int(str(value))
            except ValueError:
                raise _wrong_format(name) from None
        elif kind == "char":
            text = str(value).upper()
            if text not in _CHAR_VALUES.get(name, _YES_NO):
                raise _wrong_format(name)
            record[name.upper()] = text
        else:
            record[name.upper()] = str(value)


def _is_catalog(cat: CatalogState, iblock: Any) -> bool:
    return iblock is not None and cat.catalogs.get(int(iblock)) is not None


def _check(cat: CatalogState, record: Record) -> None:
    if not _is_catalog(cat, record.get("IBLOCKID")):
        raise CatalogError(0, "The specified iblock is not a product catalog")
    property_type = record.get("PROPERTYTYPE")
    user_type = record.get("USERTYPE")
    if property_type not in TYPES or (user_type is not None and user_type not in USER_TYPES):
        raise CatalogError(0, "Invalid property type specified")
    if user_type == "BoolEnum" and property_type != "L":
        raise CatalogError(0, "Invalid property type specified")
    code = record.get("CODE")
    if code and code[0].isdigit():
        raise CatalogError(0, "Property code cannot start with a digit")


def _defaults() -> Record:
    # What the add example prints for fields the request left out.
    return {"ACTIVE": "Y", "SORT": 500, "COLCOUNT": 30, "ROWCOUNT": 1, "LISTTYPE": "L", "MULTIPLE": "N",
            "FILTRABLE": "N", "SEARCHABLE": "N", "ISREQUIRED": "N"}


def _fetch(cat: CatalogState, property_id: int) -> Record:
    record = cat.properties.get(property_id)
    if record is None:
        raise _not_found()
    return record


def _one(record: Record) -> Outcome:
    return Outcome({"productProperty": out(PROPERTY, record)})


@method("catalog.productproperty.add", scope="catalog")
def _add(call: Call) -> Outcome:
    fields = fields_param(call.params)
    with call.state.lock:
        cat = catalog(call)
        record = _defaults()
        _write(record, fields)
        missing = [name for name in REQUIRED if record.get(name.upper()) in (None, "")]
        if missing:
            raise required_fields(missing)
        _check(cat, record)
        record["TIMESTAMPX"] = stamp()
        cat.properties.insert(record)
        return _one(record)


@method("catalog.productproperty.update", scope="catalog")
def _update(call: Call) -> Outcome:
    property_id = _property_id(call.params)
    fields = fields_param(call.params)
    iblock = next((v for k, v in fields.items() if str(k).lower() == "iblockid"), None)
    if iblock in (None, ""):
        raise required_fields(["iblockId"])
    if not str(iblock).isdigit():
        raise CatalogError(0, "Invalid information block code")
    with call.state.lock:
        cat = catalog(call)
        record = _fetch(cat, property_id)
        changed = dict(record)
        _write(changed, fields, skip=("iblockId", "propertyType", "userType"))
        missing = [name for name in REQUIRED if changed.get(name.upper()) in (None, "")]
        if missing:
            raise required_fields(missing)
        _check(cat, changed)
        changed["TIMESTAMPX"] = stamp()
        record.update(changed)
        return _one(record)


@method("catalog.productproperty.get", scope="catalog")
def _get(call: Call) -> Outcome:
    property_id = _property_id(call.params)
    with call.state.lock:
        return _one(_fetch(catalog(call), property_id))


@method("catalog.productproperty.delete", scope="catalog")
def _delete(call: Call) -> Outcome:
    property_id = _property_id(call.params)
    with call.state.lock:
        cat = catalog(call)
        record = _fetch(cat, property_id)
        cat.properties.delete(property_id)
        drop_values(cat, int(record["IBLOCKID"]), property_id)
    return Outcome(True)


@method("catalog.productproperty.list", scope="catalog")
def _list(call: Call) -> Outcome:
    query = ListQuery.of(call.params)
    with call.state.lock:
        page = catalog(call).properties.list(query.filter, query.order, query.start)
        items = [out(PROPERTY, r, query.select) for r in page.items]
    return Outcome({"productProperties": items}, total=page.total, next=page.next)


@method("catalog.productproperty.getfields", scope="catalog")
def _fields(call: Call) -> Outcome:
    described = PROPERTY.describe()
    for name in REQUIRED:
        described[name]["isRequired"] = True
    return Outcome({"productProperty": described})


# -- values on products and variations -----------------------------------------------------------------------
# An element keeps a property's values as two parallel lists: PROPERTY<id> (the values, as text, so the element
# table's filter matches them) and PROPERTY<id>_VALUEID (their value ids), in the order they were written.


def _key(property_id: int) -> str:
    return f"PROPERTY{property_id}"


def _ids_key(property_id: int) -> str:
    return f"PROPERTY{property_id}_VALUEID"


def _items(value: Any) -> list[Any]:
    """A written ``property<ID>``: one value or several (a list, or a PHP form array decoded as a dict)."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and get_ci(value, "value") is None and get_ci(value, "valueId") is None and value:
        return list(value.values())
    return [value]


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_values(cat: CatalogState, record: Record, fields: Record, adding: bool) -> None:
    """Write the ``property<ID>`` fields of an add or update into an element of catalog ``record["IBLOCKID"]``.

    ``adding``: catalog.product.add takes bare values too; update only ``{"value": ..., "valueId": ...}`` objects.
    A value naming one of the property's current valueIds keeps that id; any other value gets a new one, and the
    current values not named go (data-types.md, ``propertyN``).
    """
    iblock = int(record["IBLOCKID"])
    for raw, written in fields.items():
        match = _VALUE_FIELD.match(str(raw))
        if match is None:
            continue
        property_id = int(match.group(1))
        prop = cat.properties.get(property_id)
        if prop is None or int(prop["IBLOCKID"]) != iblock or prop.get("PROPERTYTYPE") == "F":
            continue
        current = dict(zip(record.get(_ids_key(property_id)) or [], record.get(_key(property_id)) or [],
                           strict=True))
        values: list[str] = []
        value_ids: list[str] = []
        for item in _items(written):
            if isinstance(item, dict):
                value, value_id = get_ci(item, "value"), get_ci(item, "valueId")
            elif adding:
                value, value_id = item, None
            else:
                continue  # update reads only {"value": ...} (tutorials/catalog/index.md)
            if value is None or value == "" or not _scalar(value):
                continue
            kept = str(value_id) if value_id not in (None, "") else None
            if kept is None or kept not in current or kept in value_ids:
                kept = str(cat.next_value_id)
                cat.next_value_id += 1
            values.append(_text(value))
            value_ids.append(kept)
            if prop.get("MULTIPLE") != "Y":
                break
        # None, not a removed key: an update copies the element and writes the copy back with dict.update.
        record[_key(property_id)] = values or None
        record[_ids_key(property_id)] = value_ids or None


def values_out(cat: CatalogState, record: Record, select: list[str] | None = None) -> Record:
    """The element's ``property<ID>`` fields as the API prints them: every property of its catalog, or only those
    named in ``select``; a property without a value is null."""
    iblock = int(record["IBLOCKID"])
    wanted = {s.lower() for s in select} if select else None
    answer: Record = {}
    for prop in cat.properties.records.values():
        property_id = int(prop["ID"])
        name = f"property{property_id}"
        if int(prop["IBLOCKID"]) != iblock or (wanted is not None and name not in wanted):
            continue
        pairs = [{"value": v, "valueId": i}
                 for v, i in zip(record.get(_key(property_id)) or [], record.get(_ids_key(property_id)) or [],
                                 strict=True)]
        if not pairs:
            answer[name] = None
        elif prop.get("MULTIPLE") == "Y":
            answer[name] = pairs
        else:
            answer[name] = pairs[0]
    return answer


def properties_described(cat: CatalogState, iblock: int) -> Record:
    """The ``property<ID>`` fields of a catalog as catalog.product.getFieldsByFilter describes them
    (catalog-product-get-fields-by-filter.md: type "productproperty", isDynamic, isMultiple, name, propertyType,
    userType "" when there is none)."""
    described: Record = {}
    for prop in cat.properties.records.values():
        if int(prop["IBLOCKID"]) != iblock:
            continue
        described[f"property{int(prop['ID'])}"] = {
            "isDynamic": True, "isImmutable": False, "isMultiple": prop.get("MULTIPLE") == "Y", "isReadOnly": False,
            "isRequired": prop.get("ISREQUIRED") == "Y", "name": prop.get("NAME"),
            "propertyType": prop.get("PROPERTYTYPE"), "type": "productproperty", "userType": prop.get("USERTYPE") or "",
        }
    return described


def drop_values(cat: CatalogState, iblock: int, property_id: int) -> None:
    """A deleted property's values go from every element of its catalog."""
    for record in cat.elements.records.values():
        if int(record["IBLOCKID"]) == iblock:
            record.pop(_key(property_id), None)
            record.pop(_ids_key(property_id), None)


def value_filter(raw: Record) -> Record:
    """A product or variation list ``filter`` with ``propertyN`` range values unwrapped: a prefixed key takes
    ``{"value": ...}`` (catalog-product-list.md), exact matches and IN lists the value itself."""
    unwrapped: Record = {}
    for key, value in raw.items():
        if _FILTER_FIELD.match(str(key)) and isinstance(value, dict) and get_ci(value, "value") is not None:
            value = get_ci(value, "value")
        unwrapped[key] = value
    return unwrapped
