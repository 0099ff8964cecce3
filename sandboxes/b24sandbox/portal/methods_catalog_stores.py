"""Warehouses, stock and inventory documents: catalog.store.*, catalog.storeproduct.*, catalog.document.*,
catalog.document.element.*, catalog.document.mode.status, catalog.enum.getStoreDocumentTypes.

SOURCES (bitrix24/b24restdocs, api-reference/catalog/):
- store/catalog-store-add.md, -get, -list, -update, -delete: ``{"store": ...}`` / ``{"stores": [...]}``; required
  address (0 "Parameter address is not specified or is empty"); 201100000000 no such warehouse; 0 "Documents are
  issued for this warehouse" when deleting one that documents name.
- store-product/catalog-store-product-get.md, -list: ``{"storeProduct": ...}`` / ``{"storeProducts": [...]}``
  (amount, quantityReserved, productId, storeId); read only: documents change stock (document/index.md);
  "Store product does not exist" (no code printed: the sandbox answers 0).
- document/index.md and enum/catalog-enum-get-store-document-types.md: types A (goods arrival), S (goods receipt,
  "оприходование"), M (transfer between warehouses), R (return), D (write-off); document-element data-types:
  storeTo for incoming and transfer documents, storeFrom where goods leave a warehouse.
- document/catalog-document-add.md, -update, -list, -conduct, -cancel, -delete: required docType, currency,
  responsibleId; ``{"document": ...}`` / ``{"documents": [...]}``; status N (draft), Y (conducted), C (cancelled);
  currency cannot change after creation; errors with the code as the string "0": "DOC_TYPE isn't available",
  "Document not found", "Warehouse accounting must be enabled to conduct the document", "Document conducting
  error: ...", "Error cancelling document conduct: Document has not been conducted yet". The docs have no
  catalog.document.get: a document is read through catalog.document.list with a filter by id.
- document/document-element/catalog-document-element-add.md, -list, -update, -delete: ``{"documentElement": ...}``
  / ``{"documentElements": [...]}``; required docId and elementId; ERROR_DOCUMENT_STATUS "Document not found" /
  "Conducted document", ERROR_DOCUMENT_RIGHTS "Access denied" (rights on the document or one of its warehouses).
- document/catalog-document-mode-status.md: ``{"result": "Y"}`` while inventory management is on, else "N".
- product/index.md: with inventory management on, "inventory management will automatically set the values" of a
  product's quantity: conducting or cancelling a document sets it to the sum over warehouses.
Sandbox limits, on purpose: a return (R) is not conducted (its direction is not documented); an arrival (A) does
not ask for a supplier (catalog.documentcontractor.* is not served); reserves stay 0.
"""

from __future__ import annotations

from typing import Any

from b24sandbox.portal.methods_catalog import available
from b24sandbox.portal.methods_catalog_common import (
    CatalogError,
    CatalogState,
    ListQuery,
    catalog,
    catalog_of,
    fields_param,
    out,
    positive_id,
    required_fields,
    stamp,
    write,
)
from b24sandbox.portal.methods_catalog_crud import Family, Record, register
from b24sandbox.portal.methods_catalog_tables import DOCUMENT, DOCUMENT_ELEMENT, STORE, STORE_PRODUCT
from b24sandbox.portal.registry import Call, Outcome, method
from b24sandbox.portal.state import PortalState

# enum/catalog-enum-get-store-document-types.md, in the portal's language (Russian).
DOCUMENT_TYPES = {"A": "Приход товара", "S": "Оприходование товара", "M": "Перемещение товара",
                  "R": "Возврат товара", "D": "Списание товара"}
# Where a document's row takes goods from (-1) and puts them to (+1), by type (catalog_document_element fields).
_ENDS = {"A": (("STORETO", 1.0),), "S": (("STORETO", 1.0),), "M": (("STOREFROM", -1.0), ("STORETO", 1.0)),
         "D": (("STOREFROM", -1.0),)}


def configure_catalog(state: PortalState, changes: dict[str, Any]) -> dict[str, Any]:
    """The control API's switch: ``{"inventory_management": true|false}``; answers the current setting."""
    with state.lock:
        cat = catalog_of(state)
        if "inventory_management" in changes:
            cat.inventory_management = bool(changes["inventory_management"])
        return {"inventory_management": cat.inventory_management, "products": len(cat.elements),
                "stores": len(cat.stores), "documents": len(cat.documents)}


@method("catalog.document.mode.status", scope="catalog")
def _mode_status(call: Call) -> Outcome:
    with call.state.lock:
        return Outcome("Y" if catalog(call).inventory_management else "N")


@method("catalog.enum.getstoredocumenttypes", scope="catalog")
def _document_types(call: Call) -> Outcome:
    return Outcome({"enum": [{"id": key, "name": name} for key, name in DOCUMENT_TYPES.items()]})


# -- warehouses ------------------------------------------------------------------------------------------------


def _no_store() -> CatalogError:
    return CatalogError(201100000000, "Store with the specified identifier not found")


def _check_store(cat: CatalogState, record: Record, record_id: int | None) -> None:
    if not str(record.get("ADDRESS") or "").strip():
        raise CatalogError(0, "Parameter address is not specified or is empty")


def _store_unused(cat: CatalogState, record: Record, record_id: int) -> None:
    for row in cat.document_elements.records.values():
        if record_id in (row.get("STOREFROM"), row.get("STORETO")):
            raise CatalogError(0, "Documents are issued for this warehouse")


def _store_defaults(call: Call) -> Record:
    return {"ACTIVE": "Y", "SORT": 100, "ISSUINGCENTER": "N", "USERID": call.caller.user_id, "DATECREATE": stamp()}


register(Family(
    "catalog.store", "store", "stores", STORE, lambda c: c.stores, _no_store, defaults=_store_defaults,
    check=_check_store, deletable=_store_unused, touch=("DATEMODIFY",), modifier="MODIFIEDBY",
))


# -- stock -----------------------------------------------------------------------------------------------------


def _no_stock() -> CatalogError:
    return CatalogError(0, "Store product does not exist")


register(Family("catalog.storeproduct", "storeProduct", "storeProducts", STORE_PRODUCT,
                lambda c: c.store_products, _no_stock), ("get", "list", "getFields"))


def _set_amount(cat: CatalogState, product_id: int, store_id: int, amount: float) -> None:
    stock_id = cat.stock_index.get((product_id, store_id))
    if stock_id is None:
        stock_id = cat.store_products.insert({"PRODUCTID": product_id, "STOREID": store_id, "AMOUNT": amount,
                                              "QUANTITYRESERVED": 0.0})
        cat.stock_index[(product_id, store_id)] = stock_id
    else:
        cat.store_products.records[stock_id]["AMOUNT"] = amount


def _amount(cat: CatalogState, product_id: int, store_id: int) -> float:
    stock_id = cat.stock_index.get((product_id, store_id))
    return float(cat.store_products.records[stock_id]["AMOUNT"] or 0) if stock_id is not None else 0.0


def _moves(cat: CatalogState, document: Record) -> dict[tuple[int, int], float]:
    """What conducting ``document`` adds to each (product, warehouse); raises when a row cannot be conducted."""
    kind = str(document.get("DOCTYPE"))
    if kind not in _ENDS:
        raise _conduct_error(f"documents of type {kind} are not conducted by the sandbox")
    moves: dict[tuple[int, int], float] = {}
    for row_id in sorted(cat.doc_rows.get(int(document["ID"]), set())):
        row = cat.document_elements.records[row_id]
        product_id = int(row.get("ELEMENTID") or 0)
        if cat.elements.get(product_id) is None:
            raise _conduct_error(f"product {product_id} not found")
        amount = float(row.get("AMOUNT") or 0)
        if amount <= 0:
            raise _conduct_error(f"no quantity for product {product_id}")
        ends = _ENDS[kind]
        for column, sign in ends:
            store_id = row.get(column)
            if store_id is None or cat.stores.get(int(store_id)) is None:
                raise _conduct_error(f"no warehouse for product {product_id}")
            key = (product_id, int(store_id))
            moves[key] = moves.get(key, 0.0) + sign * amount
    return moves


def _conduct_error(text: str) -> CatalogError:
    return CatalogError("0", f'Document conducting error: "{text}"')


def _apply(cat: CatalogState, moves: dict[tuple[int, int], float], sign: float, failure: str) -> None:
    """Add ``sign`` × ``moves`` to stock, all or nothing, then set each product's quantity to its total."""
    for (product_id, store_id), delta in moves.items():
        if _amount(cat, product_id, store_id) + sign * delta < 0:
            raise CatalogError("0", f'{failure}"not enough of product {product_id} in warehouse {store_id}"')
    for (product_id, store_id), delta in moves.items():
        _set_amount(cat, product_id, store_id, _amount(cat, product_id, store_id) + sign * delta)
    for product_id in {p for p, _ in moves}:
        product = cat.elements.records[product_id]
        product["QUANTITY"] = sum(_amount(cat, product_id, s) for s in cat.stores.ids)
        product["AVAILABLE"] = available(product)
        product["TIMESTAMPX"] = stamp()


# -- documents -------------------------------------------------------------------------------------------------


def _no_document() -> CatalogError:
    return CatalogError("0", "Document not found")


def _document(cat: CatalogState, document_id: int) -> Record:
    document = cat.documents.get(document_id)
    if document is None:
        raise _no_document()
    return document


@method("catalog.document.add", scope="catalog")
def _document_add(call: Call) -> Outcome:
    fields = fields_param(call.params)
    with call.state.lock:
        cat = catalog(call)
        now = stamp()
        record: Record = {"STATUS": "N", "SITEID": "s1", "CREATEDBY": call.caller.user_id,
                          "MODIFIEDBY": call.caller.user_id, "DATECREATE": now, "DATEMODIFY": now, "DATESTATUS": now}
        write(DOCUMENT, record, fields)
        missing = [n for n in ("docType", "currency", "responsibleId") if record.get(n.upper()) in (None, "")]
        if missing:
            raise required_fields(missing)
        if record["DOCTYPE"] not in DOCUMENT_TYPES:
            raise CatalogError("0", "DOC_TYPE isn't available")
        new_id = cat.documents.insert(record)
        record["DOCNUMBER"] = record.get("DOCNUMBER") or str(new_id)
        cat.doc_rows[new_id] = set()
        return Outcome({"document": out(DOCUMENT, record)})


@method("catalog.document.update", scope="catalog")
def _document_update(call: Call) -> Outcome:
    document_id = positive_id(call.params)
    fields = fields_param(call.params)
    with call.state.lock:
        cat = catalog(call)
        record = _document(cat, document_id)
        changed = dict(record)
        write(DOCUMENT, changed, fields, skip=("currency", "docType"))  # fixed at creation (catalog-document-add.md)
        changed["MODIFIEDBY"] = call.caller.user_id
        changed["DATEMODIFY"] = stamp()
        record.update(changed)
        return Outcome({"document": out(DOCUMENT, record)})


@method("catalog.document.list", scope="catalog")
def _document_list(call: Call) -> Outcome:
    query = ListQuery.of(call.params)
    with call.state.lock:
        page = catalog(call).documents.list(query.filter, query.order, query.start)
        items = [out(DOCUMENT, r, query.select) for r in page.items]
    return Outcome({"documents": items}, total=page.total, next=page.next)


@method("catalog.document.conduct", scope="catalog")
def _document_conduct(call: Call) -> Outcome:
    document_id = positive_id(call.params)
    with call.state.lock:
        cat = catalog(call)
        document = _document(cat, document_id)
        if not cat.inventory_management:
            raise CatalogError("0", "Warehouse accounting must be enabled to conduct the document")
        if document.get("STATUS") == "Y":
            raise _conduct_error("the document is already conducted")
        moves = _moves(cat, document)
        _apply(cat, moves, 1.0, "Document conducting error: ")
        _set_status(call, cat, document, "Y")
    return Outcome(True)


@method("catalog.document.cancel", scope="catalog")
def _document_cancel(call: Call) -> Outcome:
    document_id = positive_id(call.params)
    with call.state.lock:
        cat = catalog(call)
        document = _document(cat, document_id)
        if document.get("STATUS") != "Y":
            raise CatalogError("0", "Error cancelling document conduct: Document has not been conducted yet")
        _apply(cat, _moves(cat, document), -1.0, "Error cancelling document conduct: ")
        _set_status(call, cat, document, "C")
    return Outcome(True)


def _set_status(call: Call, cat: CatalogState, document: Record, status: str) -> None:
    now = stamp()
    document.update({"STATUS": status, "STATUSBY": call.caller.user_id, "DATESTATUS": now, "DATEMODIFY": now})
    if status == "Y":
        document["DATEDOCUMENT"] = document.get("DATEDOCUMENT") or now
        if document.get("TOTAL") is None:  # "calculated automatically after approval but can be set manually"
            rows = [cat.document_elements.records[r] for r in cat.doc_rows.get(int(document["ID"]), set())]
            document["TOTAL"] = sum(float(r.get("AMOUNT") or 0) * float(r.get("PURCHASINGPRICE") or 0) for r in rows)


@method("catalog.document.delete", scope="catalog")
def _document_delete(call: Call) -> Outcome:
    document_id = positive_id(call.params)
    with call.state.lock:
        cat = catalog(call)
        document = _document(cat, document_id)
        if document.get("STATUS") == "Y":
            raise CatalogError("0", "Conducted document")
        for row_id in cat.doc_rows.pop(document_id, set()):
            cat.document_elements.delete(row_id)
        cat.documents.delete(document_id)
    return Outcome(True)


# -- document rows ---------------------------------------------------------------------------------------------


def _open_document(cat: CatalogState, document_id: int) -> Record:
    document = cat.documents.get(document_id)
    if document is None:
        raise CatalogError("ERROR_DOCUMENT_STATUS", "Document not found")
    if document.get("STATUS") == "Y":
        raise CatalogError("ERROR_DOCUMENT_STATUS", "Conducted document")
    return document


def _check_row_stores(cat: CatalogState, row: Record) -> None:
    for column in ("STOREFROM", "STORETO"):
        store_id = row.get(column)
        if store_id is not None and cat.stores.get(int(store_id)) is None:
            raise CatalogError("ERROR_DOCUMENT_RIGHTS", "Access denied")


@method("catalog.document.element.add", scope="catalog")
def _row_add(call: Call) -> Outcome:
    fields = fields_param(call.params)
    with call.state.lock:
        cat = catalog(call)
        row: Record = {"AMOUNT": 0.0, "STOREFROM": None, "STORETO": None, "PURCHASINGPRICE": None}
        write(DOCUMENT_ELEMENT, row, fields)
        missing = [n for n in ("docId", "elementId") if row.get(n.upper()) in (None, "")]
        if missing:
            raise required_fields(missing)
        _open_document(cat, int(row["DOCID"]))
        _check_row_stores(cat, row)
        row_id = cat.document_elements.insert(row)
        cat.doc_rows.setdefault(int(row["DOCID"]), set()).add(row_id)
        return Outcome({"documentElement": out(DOCUMENT_ELEMENT, row)})


def _row(cat: CatalogState, row_id: int) -> Record:
    row = cat.document_elements.get(row_id)
    if row is None:
        raise CatalogError("ERROR_DOCUMENT_STATUS", "Document not found")
    _open_document(cat, int(row["DOCID"]))
    return row


@method("catalog.document.element.update", scope="catalog")
def _row_update(call: Call) -> Outcome:
    row_id = positive_id(call.params)
    fields = fields_param(call.params)
    with call.state.lock:
        cat = catalog(call)
        row = _row(cat, row_id)
        changed = dict(row)
        write(DOCUMENT_ELEMENT, changed, fields, skip=("docId",))
        _check_row_stores(cat, changed)
        row.update(changed)
        return Outcome({"documentElement": out(DOCUMENT_ELEMENT, row)})


@method("catalog.document.element.list", scope="catalog")
def _row_list(call: Call) -> Outcome:
    query = ListQuery.of(call.params)
    with call.state.lock:
        page = catalog(call).document_elements.list(query.filter, query.order, query.start)
        items = [out(DOCUMENT_ELEMENT, r, query.select) for r in page.items]
    return Outcome({"documentElements": items}, total=page.total, next=page.next)


@method("catalog.document.element.delete", scope="catalog")
def _row_delete(call: Call) -> Outcome:
    row_id = positive_id(call.params)
    with call.state.lock:
        cat = catalog(call)
        row = _row(cat, row_id)
        cat.document_elements.delete(row_id)
        cat.doc_rows.get(int(row["DOCID"]), set()).discard(row_id)
    return Outcome(True)
