"""The sandbox portal's product properties over HTTP: catalog.productProperty.* and the ``property<ID>`` values of
products and variations (bitrix24/b24restdocs: api-reference/catalog/product-property/, product/, product/offer/,
data-types.md ``propertyN``, tutorials/catalog/index.md)."""

from __future__ import annotations

from typing import Any

import requests

from tests.sandbox_portal.conftest import Portal

PRODUCTS = 23  # the CRM product catalog (catalog-catalog-list.md)
OFFERS = 24  # its variations catalog


def call(hook: str, method: str, payload: dict[str, Any] | None = None) -> requests.Response:
    return requests.post(hook + method, json=payload or {}, timeout=30)


def ok(hook: str, method: str, payload: dict[str, Any] | None = None) -> Any:
    response = call(hook, method, payload)
    assert response.status_code == 200, response.text
    return response.json()


def add_property(hook: str, **fields: Any) -> dict[str, Any]:
    payload = {"fields": {"iblockId": PRODUCTS, "propertyType": "S", **fields}}
    return ok(hook, "catalog.productProperty.add", payload)["result"]["productProperty"]


def add_product(hook: str, **fields: Any) -> dict[str, Any]:
    return ok(hook, "catalog.product.add", {"fields": {"iblockId": PRODUCTS, **fields}})["result"]["element"]


def error(response: requests.Response) -> tuple[int, Any, str]:
    body = response.json()
    return response.status_code, body["error"], body["error_description"]


def test_property_add_get_update_list_delete(portal: Portal) -> None:
    hook = portal.webhook()
    article = add_property(hook, name="Артикул", code="ARTICLE", xmlId="article-1c", sort=100,
                           userTypeSettings={"size": 1, "nested": {"a": "b"}})
    assert article["id"] > 97  # after the variations' parent link (skuPropertyId 97)
    assert (article["name"], article["iblockId"], article["propertyType"], article["code"]) == (
        "Артикул", PRODUCTS, "S", "ARTICLE")
    assert (article["active"], article["multiple"], article["sort"], article["colCount"], article["rowCount"]) == (
        "Y", "N", 100, 30, 1)
    assert article["userTypeSettings"] == {"size": 1, "nested": {"a": "b"}} and article["userType"] is None
    assert article["timestampX"] and article["defaultValue"] is None
    got = ok(hook, "catalog.productProperty.get", {"id": article["id"]})["result"]["productProperty"]
    assert got == article
    barcodes = add_property(hook, name="Штрихкоды", code="BARCODES", multiple="Y")
    colour = add_property(hook, iblockId=OFFERS, name="Цвет", propertyType="L", listType="C")
    updated = ok(hook, "catalog.productProperty.update", {"id": article["id"], "fields": {
        "iblockId": PRODUCTS, "name": "Артикул 1С", "propertyType": "N", "userType": "HTML", "searchable": "y"}})
    prop = updated["result"]["productProperty"]
    # The type "cannot be changed" (product-property/index.md): the update keeps it.
    assert (prop["name"], prop["propertyType"], prop["userType"], prop["searchable"]) == ("Артикул 1С", "S", None, "Y")
    everything = ok(hook, "catalog.productProperty.list")
    assert [p["id"] for p in everything["result"]["productProperties"]] == [article["id"], barcodes["id"],
                                                                            colour["id"]]
    assert everything["total"] == 3 and "next" not in everything
    products_only = ok(hook, "catalog.productProperty.list", {
        "select": ["id", "name", "iblockId", "propertyType"], "filter": {"iblockId": PRODUCTS},
        "order": {"id": "DESC"}})
    assert products_only["result"]["productProperties"] == [
        {"iblockId": PRODUCTS, "id": barcodes["id"], "name": "Штрихкоды", "propertyType": "S"},
        {"iblockId": PRODUCTS, "id": article["id"], "name": "Артикул 1С", "propertyType": "S"},
    ]
    by_code = ok(hook, "catalog.productProperty.list", {"filter": {"=code": "BARCODES"}, "select": ["id"]})
    assert by_code["result"]["productProperties"] == [{"id": barcodes["id"]}]
    not_a_catalog = ok(hook, "catalog.productProperty.list", {"filter": {"iblockId": 99}})
    assert not_a_catalog["result"]["productProperties"] == [] and not_a_catalog["total"] == 0
    assert ok(hook, "catalog.productProperty.delete", {"id": colour["id"]})["result"] is True
    gone = call(hook, "catalog.productProperty.get", {"id": colour["id"]})
    assert gone.status_code == 400 and gone.json() == {"error": "", "error_description":
                                                       "productProperty does not exist."}


def test_property_list_pages_by_fifty(portal: Portal) -> None:
    hook = portal.webhook()
    cmd = {f"p{n}": f"catalog.productProperty.add?fields[iblockId]={PRODUCTS}&fields[name]=Свойство {n}"
                    "&fields[propertyType]=S" for n in range(50)}
    ok(hook, "batch", {"cmd": cmd})
    add_property(hook, name="Пятьдесят первое")
    first = ok(hook, "catalog.productProperty.list", {"select": ["id"]})
    assert first["total"] == 51 and first["next"] == 50 and len(first["result"]["productProperties"]) == 50
    second = ok(hook, "catalog.productProperty.list", {"select": ["id"], "start": 50})
    assert [p["id"] for p in second["result"]["productProperties"]] == [first["result"]["productProperties"][-1]
                                                                         ["id"] + 1]
    uncounted = ok(hook, "catalog.productProperty.list", {"select": ["id"], "start": -1})
    assert "total" not in uncounted and len(uncounted["result"]["productProperties"]) == 50


def test_property_errors(portal: Portal) -> None:
    hook = portal.webhook()
    assert error(call(hook, "catalog.productProperty.add", {})) == (
        400, 100, "Could not find value for parameter {fields}")
    assert error(call(hook, "catalog.productProperty.add", {"fields": {"active": "Y"}})) == (
        400, 0, "Required fields: iblockId, name, propertyType")
    assert error(call(hook, "catalog.productProperty.add", {"fields": {"iblockId": PRODUCTS, "name": "x"}})) == (
        400, 0, "Required fields: propertyType")
    no_catalog = {"fields": {"iblockId": 99, "name": "x", "propertyType": "S"}}
    assert error(call(hook, "catalog.productProperty.add", no_catalog)) == (
        400, 0, "The specified iblock is not a product catalog")
    for bad_type in ({"propertyType": "X"}, {"propertyType": "S", "userType": "BoolEnum"},
                     {"propertyType": "S", "userType": "NoSuchType"}):
        answer = call(hook, "catalog.productProperty.add", {"fields": {"iblockId": PRODUCTS, "name": "x", **bad_type}})
        assert error(answer) == (400, 0, "Invalid property type specified"), bad_type
    digit = {"fields": {"iblockId": PRODUCTS, "name": "x", "propertyType": "S", "code": "1C_ARTICLE"}}
    assert error(call(hook, "catalog.productProperty.add", digit)) == (
        400, 0, "Property code cannot start with a digit")
    deep = {"fields": {"iblockId": PRODUCTS, "name": "x", "propertyType": "S",
                       "userTypeSettings": {"a": {"b": {"c": 1}}}}}
    assert error(call(hook, "catalog.productProperty.add", deep)) == (
        400, 0, "Invalid custom property type settings specified")
    not_a_number = {"fields": {"iblockId": PRODUCTS, "name": "x", "propertyType": "S", "sort": "first"}}
    assert error(call(hook, "catalog.productProperty.add", not_a_number)) == (400, 0, "Wrong format of field sort")
    assert error(call(hook, "catalog.productProperty.get", {})) == (400, 100, "Could not find value for parameter {id}")
    assert error(call(hook, "catalog.productProperty.get", {"id": "abc"})) == (
        400, 100, "Invalid value {abc} to match with parameter {id}. Should be value of type int")
    prop = add_property(hook, name="Артикул")
    no_iblock = call(hook, "catalog.productProperty.update", {"id": prop["id"], "fields": {"name": "y"}})
    assert error(no_iblock) == (400, 0, "Required fields: iblockId")
    bad_iblock = call(hook, "catalog.productProperty.update", {"id": prop["id"], "fields": {"iblockId": "x"}})
    assert error(bad_iblock) == (400, 0, "Invalid information block code")
    for verb, payload in (("update", {"id": 999_999, "fields": {"iblockId": PRODUCTS, "name": "y"}}),
                          ("delete", {"id": 999_999}), ("get", {"id": 999_999})):
        assert error(call(hook, f"catalog.productProperty.{verb}", payload)) == (
            400, "", "productProperty does not exist."), verb
    unchanged = ok(hook, "catalog.productProperty.get", {"id": prop["id"]})["result"]["productProperty"]
    assert unchanged["name"] == "Артикул"


def test_get_fields_marks_the_required_ones(portal: Portal) -> None:
    described = ok(portal.webhook(), "catalog.productProperty.getFields")["result"]["productProperty"]
    assert described["active"] == {"isImmutable": False, "isReadOnly": False, "isRequired": False, "type": "char"}
    assert {name for name, info in described.items() if info["isRequired"]} == {"iblockId", "name", "propertyType"}
    assert described["id"]["isReadOnly"] and described["timestampX"]["isReadOnly"]
    assert described["userTypeSettings"]["type"] == "object"


def test_fields_by_filter_describe_the_catalogs_properties(portal: Portal) -> None:
    hook = portal.webhook()
    barcodes = add_property(hook, name="Штрихкоды", multiple="Y")
    size = add_property(hook, iblockId=OFFERS, name="Размер", propertyType="L", userType="BoolEnum")
    product_fields = ok(hook, "catalog.product.getFieldsByFilter", {"filter": {"iblockId": PRODUCTS}})
    described = product_fields["result"]["product"]
    assert described[f"property{barcodes['id']}"] == {
        "isDynamic": True, "isImmutable": False, "isMultiple": True, "isReadOnly": False, "isRequired": False,
        "name": "Штрихкоды", "propertyType": "S", "type": "productproperty", "userType": ""}
    assert f"property{size['id']}" not in described and described["name"]["type"] == "string"
    offer_fields = ok(hook, "catalog.product.offer.getFieldsByFilter", {"filter": {"iblockId": OFFERS}})
    assert offer_fields["result"]["offer"][f"property{size['id']}"]["userType"] == "BoolEnum"
    assert error(call(hook, "catalog.product.getFieldsByFilter", {})) == (
        400, 100, "Could not find value for parameter {filter}")
    assert error(call(hook, "catalog.product.getFieldsByFilter", {"filter": {"active": "Y"}})) == (
        400, 0, "Information block identifier not specified")


def test_values_on_products_single_and_multiple(portal: Portal) -> None:
    hook = portal.webhook()
    article = add_property(hook, name="Артикул", code="ARTICLE")
    barcodes = add_property(hook, name="Штрихкоды", code="BARCODES", multiple="Y")
    weight = add_property(hook, name="Вес нетто", propertyType="N")
    a, b, n = (f"property{p['id']}" for p in (article, barcodes, weight))
    added = add_product(hook, name="Цемент М500", **{a: "ЦМ-500", b: ["4600000000017", {"value": 4600000000024}],
                                                     n: 50.0})
    assert added[a]["value"] == "ЦМ-500" and isinstance(added[a]["valueId"], str)
    assert [v["value"] for v in added[b]] == ["4600000000017", "4600000000024"]
    assert added[n] == {"value": "50", "valueId": added[n]["valueId"]}
    ids = [added[a]["valueId"], *(v["valueId"] for v in added[b]), added[n]["valueId"]]
    assert len(set(ids)) == 4
    got = ok(hook, "catalog.product.get", {"id": added["id"]})["result"]["product"]
    assert (got[a], got[b], got[n]) == (added[a], added[b], added[n])
    # A product without values prints every property of its catalog as null (the get / list pages' types).
    bare = ok(hook, "catalog.product.get", {"id": add_product(hook, name="Без свойств")["id"]})["result"]["product"]
    assert (bare[a], bare[b], bare[n]) == (None, None, None)
    # Update: a named valueId keeps its id, a value without one gets a new id, the values not named go.
    kept = added[b][1]
    updated = ok(hook, "catalog.product.update", {"id": added["id"], "fields": {
        a: {"value": "ЦМ-500-Д0", "valueId": added[a]["valueId"]},
        b: [{"value": "4600000000031"}, {"value": kept["value"], "valueId": kept["valueId"]}],
    }})["result"]["element"]
    assert updated[a] == {"value": "ЦМ-500-Д0", "valueId": added[a]["valueId"]}
    assert updated[b][1] == kept and updated[b][0]["value"] == "4600000000031"
    assert updated[b][0]["valueId"] not in ids and updated[n] == added[n]  # not named in the update: untouched
    replaced = ok(hook, "catalog.product.update", {"id": added["id"], "fields": {a: {"value": "ЦМ-500-Б"}}})
    assert replaced["result"]["element"][a]["valueId"] != added[a]["valueId"]
    # update reads only {"value": ...}: a bare value leaves the property without one (tutorials/catalog/index.md).
    cleared = ok(hook, "catalog.product.update", {"id": added["id"], "fields": {a: "ЦМ-500-В", b: []}})
    assert cleared["result"]["element"][a] is None and cleared["result"]["element"][b] is None
    assert cleared["result"]["element"][n] == added[n]


def test_unknown_and_foreign_properties_are_ignored(portal: Portal) -> None:
    hook = portal.webhook()
    colour = add_property(hook, iblockId=OFFERS, name="Цвет")
    article = add_property(hook, name="Артикул")
    added = add_product(hook, name="Кирпич", **{"property999999": "x", f"property{colour['id']}": "красный",
                                                f"property{article['id']}": ["A-1", "A-2"]})
    assert "property999999" not in added and f"property{colour['id']}" not in added
    assert added[f"property{article['id']}"]["value"] == "A-1"  # a single property keeps the first of a list
    variation = ok(hook, "catalog.product.offer.add", {"fields": {
        "iblockId": OFFERS, "name": "Кирпич, красный", "parentId": added["id"],
        f"property{colour['id']}": {"value": "красный"}, f"property{article['id']}": "A-9"}})["result"]["offer"]
    assert variation[f"property{colour['id']}"]["value"] == "красный"
    assert f"property{article['id']}" not in variation
    # Values and the parent link share one value id sequence (the offer get example: 9867, 9868).
    assert int(variation[f"property{colour['id']}"]["valueId"]) > int(variation["parentId"]["valueId"])


def test_values_on_variations(portal: Portal) -> None:
    hook = portal.webhook()
    size = add_property(hook, iblockId=OFFERS, name="Размер", code="SIZE")
    codes = add_property(hook, iblockId=OFFERS, name="Штрихкоды", multiple="Y")
    s, c = f"property{size['id']}", f"property{codes['id']}"
    parent = add_product(hook, name="Футболка")
    made = ok(hook, "catalog.product.offer.add", {"fields": {
        "iblockId": OFFERS, "name": "Футболка, XL", "parentId": parent["id"], s: "XL",
        c: [{"value": "2000000000015"}, {"value": "2000000000022"}]}})["result"]["offer"]
    assert made[s]["value"] == "XL" and [v["value"] for v in made[c]] == ["2000000000015", "2000000000022"]
    changed = ok(hook, "catalog.product.offer.update", {"id": made["id"], "fields": {
        s: {"value": "XXL", "valueId": made[s]["valueId"]}}})["result"]["offer"]
    assert changed[s] == {"value": "XXL", "valueId": made[s]["valueId"]} and changed[c] == made[c]
    got = ok(hook, "catalog.product.offer.get", {"id": made["id"]})["result"]["offer"]
    assert got[s]["value"] == "XXL" and got["parentId"]["value"] == str(parent["id"])
    listed = ok(hook, "catalog.product.offer.list", {"select": ["id", "iblockId", c],
                                                     "filter": {"iblockId": OFFERS, c: "2000000000022"}})
    assert listed["result"]["offers"] == [{"id": made["id"], "iblockId": OFFERS, c: made[c]}]


def test_list_selects_and_filters_by_property(portal: Portal) -> None:
    hook = portal.webhook()
    article = add_property(hook, name="Артикул")
    barcodes = add_property(hook, name="Штрихкоды", multiple="Y")
    made_on = add_property(hook, name="Дата выпуска", userType="DateTime")
    a, b, d = (f"property{p['id']}" for p in (article, barcodes, made_on))
    first = add_product(hook, name="Первый", **{a: "A-1", b: ["111", "222"], d: "2025-05-29T10:00:00+03:00"})
    second = add_product(hook, name="Второй", **{a: "A-2", b: ["333"], d: "2025-05-31T10:00:00+03:00"})
    add_product(hook, name="Третий")
    select = ["id", "iblockId", a, b]
    rows = ok(hook, "catalog.product.list", {"select": select, "filter": {"iblockId": PRODUCTS, ">=id": first["id"]}})
    products = rows["result"]["products"]
    assert [set(p) for p in products] == [{"id", "iblockId", a, b}] * 3
    assert products[0][b] == first[b] and products[1][a] == second[a] and products[2][a] is None
    plain = ok(hook, "catalog.product.list", {"select": ["id", "iblockId"], "filter": {"iblockId": PRODUCTS,
                                                                                       "id": first["id"]}})
    assert plain["result"]["products"] == [{"id": first["id"], "iblockId": PRODUCTS}]

    def ids(filter_: dict[str, Any]) -> list[int]:
        found = ok(hook, "catalog.product.list", {"select": ["id", "iblockId"],
                                                  "filter": {"iblockId": PRODUCTS, **filter_}})
        return [p["id"] for p in found["result"]["products"]]

    assert ids({a: "A-2"}) == [second["id"]]
    assert ids({b: 222}) == [first["id"]]  # any of a multiple property's values; a number matches its text
    assert ids({b: ["333", "999"]}) == [second["id"]]
    assert ids({f"!{a}": "A-1", ">=id": first["id"]}) == [second["id"], second["id"] + 1]
    assert ids({f">={d}": {"value": "2025-05-30T00:00:00+03:00"}}) == [second["id"]]


def test_deleting_removes_values(portal: Portal) -> None:
    hook = portal.webhook()
    article = add_property(hook, name="Артикул")
    barcodes = add_property(hook, name="Штрихкоды", multiple="Y")
    a, b = f"property{article['id']}", f"property{barcodes['id']}"
    kept = add_product(hook, name="Остаётся", **{a: "A-1", b: ["111"]})
    doomed = add_product(hook, name="Удаляется", **{a: "A-2", b: ["222"]})
    ok(hook, "catalog.product.delete", {"id": doomed["id"]})
    by_value = ok(hook, "catalog.product.list", {"select": ["id", "iblockId"], "filter": {"iblockId": PRODUCTS,
                                                                                           b: "222"}})
    assert by_value["result"]["products"] == []
    ok(hook, "catalog.productProperty.delete", {"id": barcodes["id"]})
    after = ok(hook, "catalog.product.get", {"id": kept["id"]})["result"]["product"]
    assert b not in after and after[a] == kept[a]
    # A property made again later starts empty: the deleted one's values did not stay on the product.
    again = add_property(hook, name="Штрихкоды", multiple="Y")
    fresh = ok(hook, "catalog.product.get", {"id": kept["id"]})["result"]["product"]
    assert fresh[f"property{again['id']}"] is None
    listed = ok(hook, "catalog.product.list", {"select": ["id", "iblockId", b], "filter": {"iblockId": PRODUCTS,
                                                                                           b: "111"}})
    assert listed["result"]["products"] == []


def test_form_encoded_batch_writes_multiple_values(portal: Portal) -> None:
    """The app writes through batch, whose commands are query strings: ``fields[propertyN][]=...``."""
    hook = portal.webhook()
    article = add_property(hook, name="Артикул")
    barcodes = add_property(hook, name="Штрихкоды", multiple="Y")
    a, b = f"property{article['id']}", f"property{barcodes['id']}"
    cmd = {
        "add": f"catalog.product.add?fields[iblockId]={PRODUCTS}&fields[name]=Гвозди&fields[{a}]=GV-100"
               f"&fields[{b}][]=4600000000109&fields[{b}][]=4600000000116",
        "update": f"catalog.product.update?id=$result[add][element][id]&fields[{a}][value]=GV-101"
                  f"&fields[{b}][0][value]=4600000000123",
    }
    result = ok(hook, "batch", {"halt": 1, "cmd": cmd})["result"]
    assert result["result_error"] == []
    added, updated = result["result"]["add"]["element"], result["result"]["update"]["element"]
    assert added[a]["value"] == "GV-100" and [v["value"] for v in added[b]] == ["4600000000109", "4600000000116"]
    assert updated[a]["value"] == "GV-101" and [v["value"] for v in updated[b]] == ["4600000000123"]
