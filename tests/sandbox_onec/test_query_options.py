"""Query options with 1C's semantics: $filter, $select, $orderby, $top/$skip, $inlinecount, $count, errors."""

from __future__ import annotations

import pytest

COUNTERPARTIES = "Catalog_Контрагенты"


def rows(sandbox, resource: str = COUNTERPARTIES, base: str = "ut", **params) -> list[dict]:
    return sandbox.json(resource, base, **params)["value"]


def error(sandbox, resource: str = COUNTERPARTIES, **params) -> tuple[int, str, str]:
    response = sandbox.get(resource, **params)
    body = response.json()["odata.error"]
    return response.status_code, body["code"], body["message"]["value"]


def test_collection_shape(sandbox):
    doc = sandbox.json(COUNTERPARTIES, **{"$top": 3})
    assert doc["odata.metadata"].endswith("/ut/odata/standard.odata/$metadata#Catalog_Контрагенты")
    first = doc["value"][0]
    # No Code: Контрагенты has CodeLength 0 in УТ 11.5.27 (facts/data/ut-11.5.27.56).
    assert list(first)[:4] == ["Ref_Key", "DataVersion", "DeletionMark", "Description"] and "Code" not in first
    assert first["КонтактнаяИнформация"][0]["LineNumber"] == "1"  # Edm.Int64 is a JSON string
    assert first["Партнер@navigationLinkUrl"] == f"Catalog_Контрагенты(guid'{first['Ref_Key']}')/Партнер"


def test_filter_equality_and_string_escape(fresh):
    created = fresh.send("POST", COUNTERPARTIES, body={"Description": "ООО «Д'Артаньян»", "ИНН": "7707083893"})
    assert created.status_code == 201
    found = rows(fresh, **{"$filter": "Description eq 'ООО «Д''Артаньян»'"})
    assert [r["ИНН"] for r in found] == ["7707083893"]
    by_inn = rows(fresh, **{"$filter": "ИНН eq '7707083893' and DeletionMark eq false"})
    assert len(by_inn) == 1


def test_filter_comparisons_and_logic(sandbox):
    orders = rows(sandbox, "Document_ЗаказКлиента", **{"$select": "Ref_Key,СуммаДокумента,Posted,Date"})
    assert len(orders) > 50
    threshold = sorted(o["СуммаДокумента"] for o in orders)[len(orders) // 2]
    for op, check in [("gt", lambda v: v > threshold), ("ge", lambda v: v >= threshold),
                      ("lt", lambda v: v < threshold), ("le", lambda v: v <= threshold),
                      ("eq", lambda v: v == threshold), ("ne", lambda v: v != threshold)]:
        got = rows(sandbox, "Document_ЗаказКлиента", **{"$filter": f"СуммаДокумента {op} {threshold}",
                                                        "$select": "СуммаДокумента"})
        assert len(got) == sum(1 for o in orders if check(o["СуммаДокумента"])), op
    combined = rows(sandbox, "Document_ЗаказКлиента",
                    **{"$filter": f"(СуммаДокумента gt {threshold} or Posted eq false) and not (Posted eq true)"})
    assert {o["Ref_Key"] for o in combined} == {o["Ref_Key"] for o in orders if not o["Posted"]}
    arithmetic = rows(sandbox, "Document_ЗаказКлиента", **{"$filter": f"СуммаДокумента mul 2 gt {threshold * 2}"})
    assert len(arithmetic) == sum(1 for o in orders if o["СуммаДокумента"] > threshold)


def test_filter_guid_and_datetime_literals(sandbox):
    first = rows(sandbox, "Document_ЗаказКлиента", **{"$top": 1, "$orderby": "Date"})[0]
    by_key = rows(sandbox, "Document_ЗаказКлиента", **{"$filter": f"Ref_Key eq guid'{first['Ref_Key'].upper()}'"})
    assert [r["Number"] for r in by_key] == [first["Number"]]
    by_ref = rows(sandbox, "Document_ЗаказКлиента",
                  **{"$filter": f"Контрагент_Key eq guid'{first['Контрагент_Key']}'"})
    assert all(r["Контрагент_Key"] == first["Контрагент_Key"] for r in by_ref) and by_ref
    day = first["Date"][:10]
    same_day = rows(sandbox, "Document_ЗаказКлиента",
                    **{"$filter": f"Date ge datetime'{day}T00:00:00' and Date lt datetime'{day}T23:59:59'"})
    assert first["Number"] in {r["Number"] for r in same_day}
    assert all(r["Date"].startswith(day) for r in same_day)


def test_filter_string_and_date_functions(sandbox):
    everyone = rows(sandbox, **{"$select": "Description,ИНН"})
    contains = rows(sandbox, **{"$filter": "substringof('ромашка', Description)", "$select": "Description"})
    assert contains and len(contains) == sum(1 for r in everyone if "ромашка" in r["Description"].lower())
    starts = rows(sandbox, **{"$filter": "startswith(Description, 'ИП ') eq true", "$select": "Description"})
    assert starts and all(r["Description"].startswith("ИП ") for r in starts)
    ends = rows(sandbox, **{"$filter": "endswith(Description, ' ООО')", "$select": "Description"})
    assert ends and all(r["Description"].endswith(" ООО") for r in ends)
    moscow = rows(sandbox, **{"$filter": "substring(ИНН, 1, 2) eq '77'", "$select": "ИНН"})
    assert len(moscow) == sum(1 for r in everyone if r["ИНН"].startswith("77"))
    like = rows(sandbox, **{"$filter": "like(Description, 'ООО «%')", "$select": "Description"})
    assert like and all(r["Description"].startswith("ООО «") for r in like)
    dated = rows(sandbox, "Document_ЗаказКлиента", **{"$filter": "year(Date) eq 2026 and month(Date) le 3"})
    assert dated and all(r["Date"][:7] <= "2026-03" for r in dated)


def test_filter_navigation_and_lambda(sandbox):
    orders = rows(sandbox, "Document_ЗаказКлиента", **{"$top": 20})
    customer = sandbox.json(f"Catalog_Контрагенты(guid'{orders[0]['Контрагент_Key']}')")
    found = rows(sandbox, "Document_ЗаказКлиента", **{"$filter": f"Контрагент/ИНН eq '{customer['ИНН']}'"})
    assert orders[0]["Ref_Key"] in {r["Ref_Key"] for r in found}
    big_line = max(line["Сумма"] for o in orders for line in o["Товары"])
    with_big = rows(sandbox, "Document_ЗаказКлиента", **{"$filter": f"Товары/any(d: d/Сумма ge {big_line})"})
    assert with_big and all(any(line["Сумма"] >= big_line for line in o["Товары"]) for o in with_big)
    payments = rows(sandbox, "Document_ПоступлениеБезналичныхДенежныхСредств", **{"$top": 1})
    target = payments[0]["РасшифровкаПлатежа"][0]["ОбъектРасчетов_Key"]
    linked = rows(sandbox, "Document_ПоступлениеБезналичныхДенежныхСредств",
                  **{"$filter": f"РасшифровкаПлатежа/any(p: p/ОбъектРасчетов_Key eq guid'{target}')"})
    assert payments[0]["Ref_Key"] in {r["Ref_Key"] for r in linked}
    typed = rows(sandbox, "Document_РеализацияТоваровУслуг",
                 **{"$filter": "isof(ЗаказКлиента, 'Document_ЗаказКлиента')", "$top": 5})
    assert typed and all(r["ЗаказКлиента_Type"] == "StandardODATA.Document_ЗаказКлиента" for r in typed)
    bare = rows(sandbox, "Document_РеализацияТоваровУслуг",
                **{"$filter": f"ЗаказКлиента eq guid'{typed[0]['ЗаказКлиента']}'"})
    assert bare == []  # a composite attribute never equals a bare guid (17.4.5.2)


def test_select_forms(sandbox):
    picked = rows(sandbox, **{"$select": "Ref_Key, Description, ИНН", "$top": 2})
    assert all(set(r) == {"Ref_Key", "Description", "ИНН"} for r in picked)
    no_tables = rows(sandbox, "Document_ЗаказКлиента", **{"$select": "**", "$top": 1})[0]
    assert "Товары" not in no_tables and "СуммаДокумента" in no_tables
    lines = rows(sandbox, "Document_ЗаказКлиента", **{"$select": "Number,Товары/Номенклатура_Key", "$top": 1})[0]
    assert set(lines) == {"Number", "Товары"} and set(lines["Товары"][0]) == {"Номенклатура_Key"}
    table_set = rows(sandbox, "Document_ЗаказКлиента_Товары", **{"$top": 3})
    assert {"Ref_Key", "LineNumber", "Номенклатура_Key", "Цена"} <= set(table_set[0])


def test_orderby_top_skip_inlinecount_count(sandbox):
    ordered = rows(sandbox, **{"$orderby": "ИНН desc, Description asc", "$select": "ИНН,Description"})
    keys = [r["ИНН"] for r in ordered]
    assert keys == sorted(keys, reverse=True)
    # Paging by code on a catalog that has one in УТ 11.5.27 (Партнеры; Контрагенты has CodeLength 0, facts).
    partners = "Catalog_Партнеры"
    page = sandbox.json(partners, **{"$orderby": "Code", "$top": 10, "$skip": 20, "$select": "Code"})
    everything = rows(sandbox, partners, **{"$orderby": "Code", "$select": "Code"})
    assert len(everything) > 30
    assert [r["Code"] for r in page["value"]] == [r["Code"] for r in everything[20:30]]
    # 17.4.6.2: with $inlinecount=allpages the platform ignores $top and $skip and answers everything.
    counted = sandbox.json(partners, **{"$orderby": "Code", "$top": 10, "$skip": 20, "$select": "Code",
                                        "$inlinecount": "allpages"})
    assert counted["odata.count"] == str(len(everything))
    assert [r["Code"] for r in counted["value"]] == [r["Code"] for r in everything]
    default_order = rows(sandbox, **{"$select": "Ref_Key"})
    assert [r["Ref_Key"] for r in default_order] == sorted(r["Ref_Key"] for r in default_order)
    count = sandbox.get(f"{COUNTERPARTIES}/$count", **{"$filter": "startswith(Description, 'ИП ')"})
    assert count.status_code == 200 and int(count.text) == len(
        rows(sandbox, **{"$filter": "startswith(Description, 'ИП ')"}))
    by_partner = rows(sandbox, "Document_ЗаказКлиента", **{"$orderby": "Контрагент/Description", "$top": 5})
    assert len(by_partner) == 5


@pytest.mark.parametrize(
    ("params", "code"),
    [
        # An unknown name in a query option is code 6 «Неверный URL» in real 1C (issue 11; 17.4.10's list).
        ({"$filter": "Нет eq 1"}, "6"),
        ({"$select": "Ref_Key,НетТакого"}, "6"),
        ({"$orderby": "НетТакого desc"}, "6"),
        ({"$filter": "Description eq"}, "14"),
        ({"$filter": "Description eq 'unclosed"}, "14"),
        ({"$filter": "tolower(Description) eq 'x'"}, "21"),
        ({"$top": "ten"}, "14"),
    ],
)
def test_query_errors_answer_like_1c(sandbox, params, code):
    status, got, message = error(sandbox, **params)
    assert (status, got) == (400, code)
    assert message


def test_single_element_navigation_and_not_found(sandbox):
    order = rows(sandbox, "Document_ЗаказКлиента", **{"$top": 1})[0]
    element = sandbox.json(f"Document_ЗаказКлиента(guid'{order['Ref_Key']}')")
    assert element["odata.metadata"].endswith("$metadata#Document_ЗаказКлиента/@Element")
    assert element["Number"] == order["Number"]
    customer = sandbox.json(f"Document_ЗаказКлиента(guid'{order['Ref_Key']}')/Контрагент")
    assert customer["Ref_Key"] == order["Контрагент_Key"]
    name = sandbox.json(f"Document_ЗаказКлиента(guid'{order['Ref_Key']}')/Контрагент/Description")
    assert name["value"] == customer["Description"]
    line = sandbox.json(f"Document_ЗаказКлиента_Товары(Ref_Key=guid'{order['Ref_Key']}', LineNumber=1)")
    assert line["Номенклатура_Key"] == order["Товары"][0]["Номенклатура_Key"]
    missing = sandbox.get("Document_ЗаказКлиента(guid'00000000-0000-0000-0000-00000000abcd')")
    assert missing.status_code == 404 and missing.json()["odata.error"]["code"] == "9"


def test_seeded_counterparties_are_messy(sandbox):
    from stdnum.ru import inn

    everyone = rows(sandbox, **{"$select": "Description,ИНН,КПП,ЮрФизЛицо"})
    inns = [r["ИНН"] for r in everyone if r["ИНН"]]
    assert any(not inn.is_valid(x) for x in inns) and sum(inn.is_valid(x) for x in inns) > len(inns) * 0.8
    assert len(inns) > len(set(inns))  # duplicates by ИНН
    assert any(not r["ИНН"] and r["ЮрФизЛицо"] == "ФизЛицо" for r in everyone)
    assert all(len(r["КПП"]) == 9 for r in everyone if r["ЮрФизЛицо"] == "ЮрЛицо" and len(r["ИНН"]) == 10)
    styles = {r["Description"] for r in everyone if "Ромашка" in r["Description"]}
    assert any(s.startswith("ООО «") for s in styles) and any(s.endswith(" ООО") for s in styles)
    units = {r["Code"]: r["Description"] for r in rows(sandbox, "Catalog_УпаковкиЕдиницыИзмерения")}
    assert units["796"] == "шт" and units["166"] == "кг" and units["006"] == "м" and units["112"] == "л"
    assert any(r["Артикул"] for r in rows(sandbox, "Catalog_Номенклатура", **{"$filter": "IsFolder eq false"}))
