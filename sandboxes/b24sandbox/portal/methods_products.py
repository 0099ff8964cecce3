"""CRM catalog products: crm.product.fields/add/get/list/update/delete, over the catalog.* store.

Facts: dev.1c-bitrix.ru/rest_help/crm/products/crm_product_fields.php and api-reference/crm/outdated/products/ in
bitrix24/b24restdocs (the field set; the same calling convention as crm.deal.*: ``id``, ``fields``,
``filter``/``select``/``order``/``start``). Deal product rows name a product by PRODUCT_ID
(api-reference/crm/deals/crm-deal-productrows-set.md). The products are the catalog's elements of the CRM catalog
(methods_catalog_crm.py says how the two families' fields meet), so catalog.product.* reads what these write.
"""

from __future__ import annotations

from typing import Any

from b24sandbox.portal import errors
from b24sandbox.portal.entities import EntityTable
from b24sandbox.portal.errors import RestError
from b24sandbox.portal.methods_catalog import delete_element
from b24sandbox.portal.methods_catalog_common import catalog
from b24sandbox.portal.methods_catalog_crm import (
    add_crm_product,
    catalog_query,
    crm_product,
    crm_table,
    crm_view,
    is_crm_product,
    product_fields,
    update_crm_product,
)
from b24sandbox.portal.params import as_dict, as_list, get_ci
from b24sandbox.portal.registry import Call, Outcome, method


def _id(call: Call) -> int:
    try:
        value = int(str(get_ci(call.params, "id")))
    except (TypeError, ValueError):
        raise errors.bad_id() from None
    if value <= 0:
        raise errors.bad_id()
    return value


def _fields(call: Call) -> dict[str, Any]:
    fields = get_ci(call.params, "fields")
    if not isinstance(fields, dict):
        raise RestError("", "Parameter 'fields' must be array.", 400)
    return fields


@method("crm.product.fields", scope="crm")
def _product_fields(call: Call) -> Outcome:
    return Outcome({n: s.describe() for n, s in product_fields().items()})


@method("crm.product.add", scope="crm")
def _product_add(call: Call) -> Outcome:
    fields = _fields(call)
    if not str(get_ci(fields, "NAME") or "").strip():
        raise RestError("", "The field 'NAME' is required.", 400)
    with call.state.lock:
        record = add_crm_product(catalog(call), fields, call.caller.user_id)
        return Outcome(int(record["ID"]))


@method("crm.product.get", scope="crm")
def _product_get(call: Call) -> Outcome:
    product_id = _id(call)
    with call.state.lock:
        cat = catalog(call)
        record = crm_product(cat, product_id)
        if record is None:
            raise errors.not_found()
        return Outcome(crm_view(cat, record))


@method("crm.product.list", scope="crm")
def _product_list(call: Call) -> Outcome:
    raw_filter = as_dict(get_ci(call.params, "filter"))
    order = as_dict(get_ci(call.params, "order"))
    select = [str(s) for s in as_list(get_ci(call.params, "select"))]
    try:
        start = int(str(get_ci(call.params, "start", 0) or 0))
    except ValueError:
        start = 0
    projector = EntityTable("product", product_fields())
    with call.state.lock:
        cat = catalog(call)
        stored_filter, stored_order = catalog_query(raw_filter), catalog_query(order)
        if stored_filter is None or stored_order is None:
            page = crm_table(cat).list(raw_filter, order, start)
            items = [projector.project(r, select) for r in page.items]
        else:
            # Filters and orders on the element's own fields page the catalog table itself, so ``>ID`` paging
            # over 10,000 products stays a bisect.
            page = cat.elements.list(stored_filter, stored_order, start, visible=is_crm_product)
            items = [projector.project(crm_view(cat, r), select) for r in page.items]
    return Outcome(items, total=page.total, next=page.next)


@method("crm.product.update", scope="crm")
def _product_update(call: Call) -> Outcome:
    product_id = _id(call)
    fields = _fields(call)
    with call.state.lock:
        cat = catalog(call)
        record = crm_product(cat, product_id)
        if record is None:
            raise errors.not_found()
        update_crm_product(cat, record, fields, call.caller.user_id)
    return Outcome(True)


@method("crm.product.delete", scope="crm")
def _product_delete(call: Call) -> Outcome:
    product_id = _id(call)
    with call.state.lock:
        cat = catalog(call)
        if crm_product(cat, product_id) is None:
            raise errors.not_found()
        delete_element(cat, product_id)  # with its prices, stock rows and variations, as catalog.product.delete
    return Outcome(True)
