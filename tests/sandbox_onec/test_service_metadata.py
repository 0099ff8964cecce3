"""Service document, $metadata and publication of objects."""

from __future__ import annotations

import defusedxml.ElementTree as ET

EDM = "{http://schemas.microsoft.com/ado/2009/11/edm}"


def metadata(sandbox, base: str = "ut"):
    response = sandbox.get("$metadata", base)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/xml")
    return ET.fromstring(response.content)


def test_service_document_json_lists_entity_sets(sandbox):
    doc = sandbox.json("")
    assert doc["odata.metadata"] == sandbox.odata("ut").rstrip("/")
    names = {item["name"] for item in doc["value"]}
    assert {"Catalog_Контрагенты", "Document_ЗаказКлиента", "Document_ЗаказКлиента_Товары",
            "AccumulationRegister_РасчетыСКлиентами", "AccumulationRegister_РасчетыСКлиентами_RecordType",
            "Document_ПоступлениеБезналичныхДенежныхСредств"} <= names
    assert all(item["url"] == item["name"] for item in doc["value"])


def test_service_document_atom_by_default(sandbox):
    response = sandbox.get("", **{"$format": ""})
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2007/app}service"
    hrefs = {c.get("href") for c in root.iter("{http://www.w3.org/2007/app}collection")}
    assert "Catalog_Номенклатура" in hrefs


def test_metadata_describes_objects_like_1c(sandbox):
    root = metadata(sandbox)
    schema = root.find(f".//{EDM}Schema")
    assert schema.get("Namespace") == "StandardODATA"
    types = {t.get("Name"): t for t in schema.findall(f"{EDM}EntityType")}
    counterparty = {p.get("Name"): p.get("Type") for p in types["Catalog_Контрагенты"].findall(f"{EDM}Property")}
    assert counterparty["Ref_Key"] == "Edm.Guid"
    assert counterparty["DataVersion"] == "Edm.String"
    assert counterparty["ИНН"] == "Edm.String"
    assert counterparty["Партнер_Key"] == "Edm.Guid"
    row_type = "StandardODATA.Catalog_Контрагенты_КонтактнаяИнформация_RowType"
    assert counterparty["КонтактнаяИнформация"] == f"Collection({row_type})"
    order = {p.get("Name"): p.get("Type") for p in types["Document_ЗаказКлиента"].findall(f"{EDM}Property")}
    assert order["Posted"] == "Edm.Boolean" and order["Date"] == "Edm.DateTime" and order["Number"] == "Edm.String"
    navigation = {n.get("Name") for n in types["Document_ЗаказКлиента"].findall(f"{EDM}NavigationProperty")}
    assert {"Контрагент", "Партнер", "Организация"} <= navigation
    complex_types = {c.get("Name") for c in schema.findall(f"{EDM}ComplexType")}
    assert "Document_ЗаказКлиента_Товары_RowType" in complex_types
    assert "AccumulationRegister_РасчетыСКлиентами_Balance" in complex_types
    balance = next(c for c in schema.findall(f"{EDM}ComplexType")
                   if c.get("Name") == "AccumulationRegister_РасчетыСКлиентами_Balance")
    assert {p.get("Name") for p in balance} >= {"АналитикаУчетаПоПартнерам_Key", "СуммаBalance", "КОплатеBalance"}


def test_metadata_function_imports(sandbox):
    container = metadata(sandbox).find(f".//{EDM}EntityContainer")
    functions = container.findall(f"{EDM}FunctionImport")

    def bound(name: str, to: str) -> bool:
        return any(f.get("Name") == name and any(p.get("Name") == "bindingParameter" and p.get("Type") == to
                                                 for p in f) for f in functions)

    assert bound("Post", "StandardODATA.Document_ЗаказКлиента")
    assert bound("Unpost", "StandardODATA.Document_ПриходныйКассовыйОрдер")
    assert bound("Balance", "StandardODATA.AccumulationRegister_РасчетыСКлиентами")
    assert bound("Turnovers", "StandardODATA.AccumulationRegister_ТоварыНаСкладах")
    # УТ 11.5.27's ЦеныНоменклатуры is recorder-subordinate (facts), so its slices hang on _RecordType (17.4.13.1.1).
    assert bound("SliceLast", "StandardODATA.InformationRegister_ЦеныНоменклатуры_RecordType")
    post = next(f for f in functions if f.get("Name") == "Post")
    assert "PostingModeOperational" in {p.get("Name") for p in post}


def test_bp30_metadata_uses_its_own_names(sandbox):
    sets = {s.get("Name") for s in metadata(sandbox, "bp").iter(f"{EDM}EntitySet")}
    assert {"Document_ПоступлениеНаРасчетныйСчет", "Document_СчетНаОплатуПокупателю",
            "Catalog_КлассификаторЕдиницИзмерения", "AccountingRegister_Хозрасчетный",
            "AccountingRegister_Хозрасчетный_RecordType", "ChartOfAccounts_Хозрасчетный",
            "ChartOfCharacteristicTypes_ВидыСубконтоХозрасчетные"} <= sets
    assert "AccumulationRegister_ВзаиморасчетыСКонтрагентами" not in sets
    assert "Document_ЗаказКлиента" not in sets
    assert "Document_ПоступлениеБезналичныхДенежныхСредств" not in sets


def test_unpublished_object_disappears_and_answers_like_unknown(fresh):
    fresh.control("ut/unpublish", {"entity": "Catalog_Номенклатура"})
    sets = {s.get("Name") for s in metadata(fresh).iter(f"{EDM}EntitySet")}
    assert "Catalog_Номенклатура" not in sets and "Catalog_Контрагенты" in sets
    response = fresh.get("Catalog_Номенклатура")
    assert response.status_code == 404
    assert response.json()["odata.error"]["code"] == "6"
    unknown = fresh.get("Catalog_НетТакого")
    assert unknown.status_code == response.status_code
    assert unknown.json()["odata.error"]["code"] == "6"
    assert "Catalog_Номенклатура" in fresh.control("state")["ut"]["unpublished"]
    fresh.control("ut/publish", {"entity": "Catalog_Номенклатура"})
    assert fresh.get("Catalog_Номенклатура", **{"$top": 1}).status_code == 200


def test_rename_changes_metadata_and_data(fresh):
    answer = fresh.control("ut/rename", {"entity": "Catalog_Контрагенты", "field": "ИНН", "to": "ИННКонтрагента"})
    assert answer["renamed"] == {"ИНН": "ИННКонтрагента"}
    types = {t.get("Name"): t for t in metadata(fresh).iter(f"{EDM}EntityType")}
    props = {p.get("Name") for p in types["Catalog_Контрагенты"].findall(f"{EDM}Property")}
    assert "ИННКонтрагента" in props and "ИНН" not in props
    row = fresh.json("Catalog_Контрагенты", **{"$top": 1})["value"][0]
    assert "ИННКонтрагента" in row and "ИНН" not in row
    failed = fresh.get("Catalog_Контрагенты", **{"$filter": "ИНН eq '7700000000'"})
    assert failed.status_code == 400 and failed.json()["odata.error"]["code"] == "6"
