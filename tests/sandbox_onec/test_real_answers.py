"""The sandbox's answers against real 1C answers (issue 11).

The real JSON answers are in ../shared/samples/odata/ (SOURCES.md in ../shared/samples/ says where each came
from: a БП 3.0 base and custom configurations). For every sample the test asks the sandbox for the same set or
element — or, where the sandbox does not publish that object, the closest one it does, and then compares only
the general shape — and checks: the top-level keys, the `odata.metadata` URL form, the keys both rows have and
their value types (by the sandbox's own `$metadata`: GUIDs, dates "0001-01-01T00:00:00", Edm.Int32/Int64 as
strings like LineNumber "1", Edm.Int16 and doubles as numbers, booleans), the order of system properties,
tabular sections as arrays of rows with LineNumber and Ref_Key, and `@navigationLinkUrl` links. Then the rest
of the review's findings: Atom XML without `$format` (against the real Atom entry in the raw-comments sample),
the container name, EnumType, IsSideEffecting, the error code of an unknown field, Recorder_Type in register keys.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import defusedxml.ElementTree as ET
import pytest
import requests

from b24sandbox.onec import enums, facts_config
from b24sandbox.onec.seed import SeedSizes, new_configuration_base
from tests.support.samples import samples_dir

from .conftest import LOGIN, PASSWORD, UTF8BasicAuth

SAMPLES = samples_dir("odata")
if not SAMPLES.is_dir():
    pytest.skip(f"the real 1C answers are not at {SAMPLES} (ARCHITECTURE.md: ../shared/samples/)",
                allow_module_level=True)

EDM = "{http://schemas.microsoft.com/ado/2009/11/edm}"
EDMX_DS = "{http://schemas.microsoft.com/ado/2007/06/edmx}DataServices"
META = "{http://schemas.microsoft.com/ado/2007/08/dataservices/metadata}"
DATA = "{http://schemas.microsoft.com/ado/2007/08/dataservices}"
ATOM = "{http://www.w3.org/2005/Atom}"

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
INT64 = re.compile(r"^-?\d+$")
DATA_VERSION = re.compile(r"^[A-Za-z0-9+/]{11}=$")  # 8 bytes in base64: "AAAACgAAAAA="
METADATA_URL = re.compile(r"^https?://[^/]+/.+/odata/standard\.odata/\$metadata#(?P<set>[^/]+)(?P<element>/@Element)?$")
EMPTY_REF = "00000000-0000-0000-0000-000000000000"
EMPTY_DATE = "0001-01-01T00:00:00"
LINK = "@navigationLinkUrl"
# System properties in the order 1C writes them in a collection (the samples, 17.4.3).
SYSTEM_ORDER = ["Ref_Key", "DataVersion", "DeletionMark", "Owner_Key", "Parent_Key", "IsFolder", "Number", "Date",
                "Posted", "Code", "Description"]


@dataclass(frozen=True)
class Sample:
    file: str
    base: str  # the sandbox base to ask
    entity_set: str  # the sandbox's set to ask
    same_object: bool  # False: the sandbox has no such object, the closest one gives the general shape


CASES = [
    # БП 3.0 (garikgsi/LaravelAPI): the sandbox's bp base publishes the same objects.
    Sample("odata_Catalog_ДоговорыКонтрагентов__garikgsi_LaravelAPI.json", "bp", "Catalog_ДоговорыКонтрагентов", True),
    Sample("odata_Catalog_Номенклатура__garikgsi_LaravelAPI.json", "bp", "Catalog_Номенклатура", True),
    Sample("odata_Document_РеализацияТоваровУслуг__garikgsi_LaravelAPI.json", "bp", "Document_РеализацияТоваровУслуг",
           True),
    # БП 3.0 documents the sandbox does not publish: a БП document with tabular sections instead.
    Sample("odata_Document_ОтчетПроизводстваЗаСмену__garikgsi_LaravelAPI.json", "bp",
           "Document_РеализацияТоваровУслуг", False),
    Sample("odata_Document_ПоступлениеТоваровУслуг_element__garikgsi_LaravelAPI.json", "bp",
           "Document_РеализацияТоваровУслуг", False),
    # Custom configurations (roman-nevr/Client): same names where the sandbox's УТ 11 base has them.
    Sample("odata_Catalog_Номенклатура__roman-nevr_Client_6.json", "ut", "Catalog_Номенклатура", True),
    Sample("odata_Catalog_Номенклатура_element__roman-nevr_Client_2.json", "ut", "Catalog_Номенклатура", True),
    Sample("odata_Catalog_Номенклатура_element__roman-nevr_Client_3.json", "ut", "Catalog_Номенклатура", True),
    Sample("odata_Catalog_Контрагенты_element__roman-nevr_Client_9.json", "ut", "Catalog_Контрагенты", True),
    Sample("odata_Catalog_ЕдиницыИзмерения__roman-nevr_Client_5.json", "ut", "Catalog_УпаковкиЕдиницыИзмерения", False),
    Sample("odata_Catalog_ЕдиницыИзмерения_element__roman-nevr_Client_4.json", "ut", "Catalog_УпаковкиЕдиницыИзмерения",
           False),
    Sample("odata_Document_Контракт__roman-nevr_Client_7.json", "ut", "Document_ЗаказКлиента", False),
    Sample("odata_Document_ПриходныйОрдер__roman-nevr_Client_1.json", "ut", "Document_РеализацияТоваровУслуг", False),
    Sample("odata_Document_ПриходныйОрдер__roman-nevr_Client_8.json", "ut", "Document_РеализацияТоваровУслуг", False),
]


def load(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def test_every_json_sample_is_compared():
    compared = {case.file for case in CASES} | {"odata_service_document_entity_sets__roman-nevr_Client.json"}
    assert {p.name for p in SAMPLES.glob("*.json")} == compared


# -- the sandbox's own $metadata gives the Edm type of every property --------------------------------------------


@pytest.fixture(scope="module")
def edm_types(sandbox) -> dict[str, dict[str, dict[str, str]]]:
    """base → type name → property → Edm type."""
    out = {}
    for base in ("ut", "bp"):
        root = ET.fromstring(sandbox.get("$metadata", base).content)
        out[base] = {t.get("Name"): {p.get("Name"): p.get("Type") for p in t.findall(f"{EDM}Property")}
                     for t in root.iter() if t.tag in (f"{EDM}EntityType", f"{EDM}ComplexType")}
    return out


def conforms(value: object, edm: str) -> bool:
    """Is `value` written the way 1C writes a JSON value of this Edm type?"""
    if edm == "Edm.Guid":
        return isinstance(value, str) and bool(GUID.match(value))
    if edm == "Edm.DateTime":
        return isinstance(value, str) and bool(DATE.match(value))
    if edm in ("Edm.Int32", "Edm.Int64"):
        # Strings: "LineNumber": "1", "КратностьВзаиморасчетов": "1" (Int64), "СрокОплаты": "0" and
        # "НомерЧекаККМ": "0" (Int32: Number(5,0) / Number(8,0) in БП 3.0 facts) in the garikgsi samples.
        return isinstance(value, str) and bool(INT64.match(value))
    if edm == "Edm.Int16":
        # A number: "УдалитьКодСпособаПолучения": 0 (Number(1,0)) in the garikgsi ПоступлениеТоваровУслуг sample.
        return isinstance(value, int) and not isinstance(value, bool)
    if edm == "Edm.Double":
        # A number, and a whole one without a fraction ("Вес": 20, "КурсВзаиморасчетов": 1).
        return isinstance(value, int | float) and not isinstance(value, bool) and not (
            isinstance(value, float) and value.is_integer())
    if edm == "Edm.Boolean":
        return isinstance(value, bool)
    if edm.startswith("Collection("):
        return isinstance(value, list) and all(isinstance(line, dict) for line in value)
    return isinstance(value, str)


def sandbox_answer(sandbox, case: Sample, element: bool) -> dict:
    first = sandbox.json(case.entity_set, case.base, **{"$top": 5})
    if not element:
        return first
    # The element with the most tabular rows shows their shape best.
    key = max(first["value"], key=lambda r: sum(len(v) for v in r.values() if isinstance(v, list)))["Ref_Key"]
    return sandbox.json(f"{case.entity_set}(guid'{key}')", case.base)


def rows_of(answer: dict) -> list[dict]:
    return answer["value"] if "value" in answer else [{k: v for k, v in answer.items() if k != "odata.metadata"}]


# -- one comparison per sample ------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.file.removeprefix("odata_").removesuffix(".json") for c in CASES])
def test_sandbox_answers_like_the_real_sample(sandbox, edm_types, case):
    real = load(case.file)
    element = "value" not in real
    ours = sandbox_answer(sandbox, case, element)
    check_top_level(real, ours, case, element)
    types = edm_types[case.base][case.entity_set]
    for row in rows_of(ours):
        check_row_types(row, types, edm_types[case.base], case.entity_set)
        check_links(row, case.entity_set)
    for row in rows_of(real):
        check_links(row, real_set(real))
        check_tabular_rows(row)
        check_composites(row)
    check_shared_keys(rows_of(real), rows_of(ours), types, edm_types[case.base], case)
    if not element:
        # Elements of the custom base come in hash order; collections keep the metadata order.
        check_system_order(rows_of(real)[0], rows_of(ours)[0])


def real_set(answer: dict) -> str:
    return METADATA_URL.match(answer["odata.metadata"]).group("set")


def check_top_level(real: dict, ours: dict, case: Sample, element: bool) -> None:
    real_url, our_url = METADATA_URL.match(real["odata.metadata"]), METADATA_URL.match(ours["odata.metadata"])
    assert real_url and our_url, (real["odata.metadata"], ours["odata.metadata"])
    assert our_url.group("set") == case.entity_set
    if element:
        # Real single elements say `#<Set>/@Element` (roman-nevr); one БП answer (garikgsi) omits the suffix.
        assert our_url.group("element") and "value" not in ours
        if case.same_object:
            assert real_url.group("element")
    else:
        assert set(real) == set(ours) == {"odata.metadata", "value"}  # no odata.count unless asked
        assert not our_url.group("element") and not real_url.group("element")
    if case.same_object:
        assert real_url.group("set") == our_url.group("set")


def check_row_types(row: dict, types: dict[str, str], all_types: dict, entity_set: str) -> None:
    for key, value in row.items():
        if LINK in key:
            continue
        assert key in types, f"{entity_set}.{key} is not in the sandbox's $metadata"
        assert conforms(value, types[key]), (entity_set, key, value, types[key])
        if isinstance(value, list):
            row_types = all_types[f"{entity_set}_{key}_RowType"]
            for line in value:
                assert list(line)[:2] == ["Ref_Key", "LineNumber"] and line["Ref_Key"] == row["Ref_Key"]
                assert all(conforms(v, row_types[k]) for k, v in line.items()), (entity_set, key, line)


def check_tabular_rows(row: dict) -> None:
    """Real tabular rows: objects with LineNumber as a string from "1" up, and Ref_Key of the owner if any."""
    for value in row.values():
        if isinstance(value, list):
            assert [line["LineNumber"] for line in value] == [str(i) for i in range(1, len(value) + 1)]
            assert all(line.get("Ref_Key", row["Ref_Key"]) == row["Ref_Key"] for line in value)


def check_composites(row: dict) -> None:
    for key, value in row.items():
        if key.endswith("_Type"):
            assert value.startswith("StandardODATA."), (key, value)


def check_links(row: dict, entity_set: str) -> None:
    """A `<Ref>@navigationLinkUrl` exactly for every filled `<Ref>_Key`, as `<Set>(guid'<Ref_Key>')/<Ref>`."""
    links = {k.removesuffix(LINK): v for k, v in row.items() if k.endswith(LINK)}
    filled = {k.removesuffix("_Key") for k, v in row.items()
              if k.endswith("_Key") and k != "Ref_Key" and v not in (None, EMPTY_REF)}
    assert set(links) == filled, (entity_set, set(links) ^ filled)
    for name, url in links.items():
        assert url == f"{entity_set}(guid'{row['Ref_Key']}')/{name}"
    keys = list(row)
    if links:
        assert min(keys.index(k) for k in row if LINK in k) > max(keys.index(k) for k in row if LINK not in k)


def check_shared_keys(real_rows: list[dict], our_rows: list[dict], types: dict[str, str], all_types: dict,
                      case: Sample) -> None:
    """Keys both answers have: the real value is written the way the sandbox's type says, and so is ours."""
    shared = set(real_rows[0]) & set(our_rows[0])
    assert {"Ref_Key", "DataVersion", "DeletionMark"} <= shared
    if case.same_object:
        assert len(shared - {"Ref_Key", "DataVersion", "DeletionMark", "Code", "Description"}) >= 2, shared
    for real in real_rows:
        assert DATA_VERSION.match(real["DataVersion"]) and DATA_VERSION.match(our_rows[0]["DataVersion"])
        for key in shared:
            if LINK in key or real[key] is None:  # real 1C writes null for attributes a folder does not use
                continue
            assert conforms(real[key], types[key]), (case.file, key, real[key], types[key])
            if isinstance(real[key], list) and real[key]:
                row_types = all_types[f"{case.entity_set}_{key}_RowType"]
                for line in real[key]:
                    for name in set(line) & set(row_types):
                        assert conforms(line[name], row_types[name]), (case.file, key, name, line[name])


def check_system_order(real: dict, ours: dict) -> None:
    in_both = [k for k in SYSTEM_ORDER if k in real and k in ours]
    assert [k for k in real if k in in_both] == [k for k in ours if k in in_both] == in_both
    # Predefined/PredefinedDataName close a catalog's properties, after its tabular sections.
    for row in (real, ours):
        if "PredefinedDataName" in row:
            plain = [k for k in row if LINK not in k]
            assert plain[-2:] == ["Predefined", "PredefinedDataName"]


def test_same_values_where_the_sandbox_seeds_them_like_1c(sandbox):
    """Values the БП sample and the sandbox both leave empty are written identically."""
    real = load("odata_Catalog_ДоговорыКонтрагентов__garikgsi_LaravelAPI.json")["value"][0]
    ours = sandbox.json("Catalog_ДоговорыКонтрагентов", "bp", **{"$top": 1})["value"][0]
    for key in ("Parent_Key", "Дата", "Номер", "ВидДоговора", "IsFolder", "DeletionMark"):
        assert ours[key] == real[key], key  # 00000000-…, "0001-01-01T00:00:00", "", "СПокупателем", false
    assert real["Дата"] == ours["Дата"] == EMPTY_DATE


def test_service_document_like_the_real_one(sandbox):
    real = load("odata_service_document_entity_sets__roman-nevr_Client.json")
    for base in ("ut", "bp"):
        ours = sandbox.json("", base)
        assert set(real) == set(ours) == {"odata.metadata", "value"}
        # The service root itself, no trailing slash, no $metadata.
        assert real["odata.metadata"].endswith("/odata/standard.odata")
        assert ours["odata.metadata"] == sandbox.odata(base).rstrip("/")
        for doc in (real, ours):
            names = [item["name"] for item in doc["value"]]
            assert all(set(item) == {"name", "url"} and item["url"] == item["name"] for item in doc["value"])
            assert all(n.split("_", 1)[0] in {"Catalog", "Document", "AccumulationRegister", "InformationRegister",
                                              "AccountingRegister", "ChartOfAccounts", "ChartOfCharacteristicTypes"}
                       for n in names)
            # Every register with recorders lists its _RecordType set too.
            for name in names:
                if name.startswith("AccumulationRegister_") and not name.endswith("_RecordType"):
                    assert f"{name}_RecordType" in names


# -- numbers and counts ---------------------------------------------------------------------------------------------


def test_count_is_a_string_and_numbers_as_1c_writes_them(sandbox, edm_types):
    counted = sandbox.json("Document_ЗаказКлиента", **{"$inlinecount": "allpages", "$select": "Ref_Key"})
    assert counted["odata.count"] == str(len(counted["value"]))  # "odata.count": "19" (17.4.6.2)
    raw = sandbox.get("Document_ЗаказКлиента", **{"$top": 20}).text
    assert not re.search(r'"(?:Сумма|Цена|Количество)[^"]*": -?\d+\.0[,}]', raw)  # 150129, never 150129.0
    order = json.loads(raw)["value"][0]
    assert order["Товары"][0]["КодСтроки"].isdigit()  # Edm.Int64 other than LineNumber: a string too
    assert edm_types["ut"]["Document_ЗаказКлиента_Товары_RowType"]["КодСтроки"] == "Edm.Int64"


# -- Atom XML without $format ---------------------------------------------------------------------------------------


def atom_get(sandbox, resource: str, base: str = "ut", headers: dict | None = None, **params) -> requests.Response:
    return requests.get(sandbox.odata(base) + resource, params=params, headers=headers,
                        auth=UTF8BasicAuth(LOGIN, PASSWORD), timeout=30)


def properties(element) -> dict[str, object]:
    """d:* children of m:properties (or of a d:element): text, None for m:null, lists for collections."""
    out: dict[str, object] = {}
    for child in element:
        name = child.tag.removeprefix(DATA)
        if child.get(f"{META}type", "").startswith("Collection("):
            out[name] = [properties(line) for line in child]
        elif child.get(f"{META}null") == "true":
            out[name] = None
        else:
            out[name] = child.text or ""
    return out


def as_text(value: object) -> object:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [{k: as_text(v) for k, v in line.items()} for line in value]
    return value if value is None else str(value)


def real_atom_entry() -> ET.Element:
    """The real `Catalog_Контрагенты(guid'…')?$format=atom` answer in the raw-comments sample."""
    text = (SAMPLES / "odata_responses_raw_comments__roman-nevr_Client.txt").read_text(encoding="utf-8")
    start = text.index("?$format=atom")
    body = text[text.index("<?xml", start):text.index("</entry>", start) + len("</entry>")]
    return ET.fromstring(body.encode("utf-8"))


def test_atom_collection_without_format_has_the_same_data(sandbox):
    params = {"$top": "3", "$orderby": "Description"}  # no Code: CodeLength 0 in УТ 11.5.27 (facts)
    response = atom_get(sandbox, "Catalog_Контрагенты", **params)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed" and feed.get("{http://www.w3.org/XML/1998/namespace}base") == sandbox.odata("ut")
    entries = feed.findall(f"{ATOM}entry")
    as_json = sandbox.json("Catalog_Контрагенты", **params)["value"]
    assert len(entries) == len(as_json) == 3
    for entry, row in zip(entries, as_json, strict=True):
        props = properties(entry.find(f"{ATOM}content/{META}properties"))
        assert props == {k: as_text(v) for k, v in row.items() if LINK not in k}
        path = f"Catalog_Контрагенты(guid'{row['Ref_Key']}')"
        assert entry.findtext(f"{ATOM}id") == sandbox.odata("ut") + path
        assert entry.find(f"{ATOM}category").get("term") == "StandardODATA.Catalog_Контрагенты"
        links = {link.get("title"): link.get("href") for link in entry.findall(f"{ATOM}link")}
        assert links.pop("edit-link") == path
        assert links == {k.removesuffix(LINK): v for k, v in row.items() if k.endswith(LINK)}


def test_atom_entry_is_laid_out_like_the_real_one(sandbox):
    real = real_atom_entry()
    key = sandbox.json("Catalog_Контрагенты", **{"$top": 1})["value"][0]["Ref_Key"]
    for params in ({}, {"$format": "atom"}, {"$format": "application/atom+xml"}):
        response = atom_get(sandbox, f"Catalog_Контрагенты(guid'{key}')", **params)
        assert response.headers["Content-Type"].startswith("application/atom+xml;type=entry")
        ours = ET.fromstring(response.content)
        assert [c.tag for c in ours if c.tag != f"{ATOM}link"] == [c.tag for c in real if c.tag != f"{ATOM}link"]
        assert ours.tag == real.tag == f"{ATOM}entry"
        for entry in (real, ours):
            assert entry.find(f"{ATOM}title").get("type") == "text"
            assert entry.find(f"{ATOM}content").get("type") == "application/xml"
            assert entry.findall(f"{ATOM}link")[-1].get("rel") == "edit"
            table = next(c for c in entry.find(f"{ATOM}content/{META}properties")
                         if c.get(f"{META}type", "").startswith("Collection("))
            row_type = table.get(f"{META}type").removeprefix("Collection(").removesuffix(")")
            assert row_type.startswith("StandardODATA.Catalog_Контрагенты_") and row_type.endswith("_RowType")
            assert all(line.tag == f"{DATA}element" and line.get(f"{META}type") == row_type for line in table)
            assert all(line.findtext(f"{DATA}LineNumber").isdigit() for line in table)
        real_props = properties(real.find(f"{ATOM}content/{META}properties"))
        assert real_props["Строка"] == "" and real_props["Дата"] == EMPTY_DATE  # <d:Строка/>, empty date


def test_json_when_asked_atom_otherwise(sandbox):
    assert atom_get(sandbox, "Catalog_Валюты", **{"$format": "json"}).json()["value"]
    accept = atom_get(sandbox, "Catalog_Валюты", headers={"Accept": "application/json"})
    assert accept.headers["Content-Type"].startswith("application/json") and accept.json()["value"]
    minimal = atom_get(sandbox, "Catalog_Валюты", **{"$format": "application/json;odata=minimalmetadata"})
    assert minimal.json()["value"]
    unsupported = atom_get(sandbox, "Catalog_Валюты", **{"$format": "csv"})
    assert ET.fromstring(unsupported.content).findtext(f"{META}code") == "3"  # 17.4.10


def test_atom_virtual_table_and_property(sandbox):
    register = "AccumulationRegister_РасчетыСКлиентами"
    response = atom_get(sandbox, f"{register}/Balance(Dimensions='АналитикаУчетаПоПартнерам')")
    result = ET.fromstring(response.content)
    assert result.tag == f"{DATA}Result"
    assert result.get(f"{META}type") == f"Collection(StandardODATA.{register}_Balance)"
    as_json = sandbox.json(f"{register}/Balance(Dimensions='АналитикаУчетаПоПартнерам')")["value"]
    assert [properties(e) for e in result] == [{k: as_text(v) for k, v in row.items()} for row in as_json]
    order = sandbox.json("Document_ЗаказКлиента", **{"$top": 1})["value"][0]
    value = atom_get(sandbox, f"Document_ЗаказКлиента(guid'{order['Ref_Key']}')/Валюта/Description")
    assert ET.fromstring(value.content).tag == f"{DATA}Description"


# -- $metadata ----------------------------------------------------------------------------------------------------


def metadata_root(sandbox, base: str = "ut"):
    return ET.fromstring(sandbox.get("$metadata", base).content)


def test_container_is_enterprise_v8_and_types_stay_standard_odata(sandbox):
    for base in ("ut", "bp"):
        root = metadata_root(sandbox, base)
        data_services = root.find(EDMX_DS)
        assert data_services.get(f"{META}DataServiceVersion") == "3.0"
        assert data_services.get(f"{META}MaxDataServiceVersion") == "3.0"
        schema = root.find(f".//{EDM}Schema")
        assert schema.get("Namespace") == "StandardODATA"
        container = schema.find(f"{EDM}EntityContainer")
        assert container.get("Name") == "EnterpriseV8" and container.get(f"{META}IsDefaultEntityContainer") == "true"
        assert all(s.get("EntityType").startswith("StandardODATA.") for s in container.findall(f"{EDM}EntitySet"))


def test_enumerations_are_enum_types(sandbox):
    schema = metadata_root(sandbox).find(f".//{EDM}Schema")
    found = {e.get("Name"): [m.get("Name") for m in e.findall(f"{EDM}Member")]
             for e in schema.findall(f"{EDM}EnumType")}
    assert found["СтатусыЗаказовКлиентов"] == ["НеСогласован", "КОбеспечению", "КОтгрузке", "Закрыт"]
    assert {"ЮрЛицо", "ИндивидуальныйПредприниматель"} <= set(found["ЮрФизЛицо"])
    assert all(e.get("UnderlyingType") == "Edm.Int32" for e in schema.findall(f"{EDM}EnumType"))
    # An enumeration attribute stays an Edm.String property holding the member's name (17.4.3).
    order = next(t for t in schema.findall(f"{EDM}EntityType") if t.get("Name") == "Document_ЗаказКлиента")
    assert {p.get("Name"): p.get("Type") for p in order.findall(f"{EDM}Property")}["Статус"] == "Edm.String"
    bp = {e.get("Name") for e in metadata_root(sandbox, "bp").iter(f"{EDM}EnumType")}
    assert {"ВидыДоговоровКонтрагентов", "ВидыОперацийРеализацияТоваров", "СтавкиНДС"} <= bp


@pytest.mark.parametrize("name", facts_config.names())
def test_seeded_enumeration_values_are_members(name):
    """The data holds only members its EnumType lists (enums.py keeps them in step with the seed)."""
    base = new_configuration_base("x", facts_config.configuration(name), 7, SeedSizes(40, None))
    for obj in base.config.objects.values():
        attrs = [(a, "") for a in obj.columns()] + [(a, t) for t, rows in obj.tables.items() for a in rows]
        for attr, table in attrs:
            if attr.kind != "enum" or not attr.enumeration:
                continue
            for row in base.table(obj.set_name).rows.values():
                values = [line[attr.name] for line in row.get(table) or []] if table else [row.get(attr.name)]
                for value in values:
                    assert value in ("", *enums.members(attr.enumeration)), (obj.set_name, attr.name, value)


def test_virtual_tables_are_side_effect_free_functions(sandbox):
    for base in ("ut", "bp"):
        functions = list(metadata_root(sandbox, base).iter(f"{EDM}FunctionImport"))
        virtual = [f for f in functions if f.get("Name") not in ("Post", "Unpost")]
        assert {f.get("Name") for f in virtual} >= ({"Balance", "Turnovers", "SliceLast"} if base == "ut" else
                                                   {"Balance", "Turnovers", "SliceLast", "RecordsWithExtDimensions"})
        assert all(f.get("IsSideEffecting") == "false" and f.get("IsBindable") == "true" for f in virtual)
        assert all(f.get("IsSideEffecting") == "true" for f in functions if f.get("Name") in ("Post", "Unpost"))


def test_register_keys_include_recorder_type(sandbox, edm_types):
    for base, register in (("ut", "AccumulationRegister_РасчетыСКлиентами"), ("bp", "AccountingRegister_Хозрасчетный")):
        types = {t.get("Name"): t for t in metadata_root(sandbox, base).iter(f"{EDM}EntityType")}
        record_set, record = types[register], types[f"{register}_RecordType"]
        assert [k.get("Name") for k in record_set.iter(f"{EDM}PropertyRef")] == ["Recorder", "Recorder_Type"]
        assert [k.get("Name") for k in record.iter(f"{EDM}PropertyRef")] == ["Recorder", "LineNumber", "Recorder_Type"]
        assert record_set.get("OpenType") == record.get("OpenType") == "true"
        assert edm_types[base][register]["Recorder_Type"] == "Edm.String"
    # The record set is read by both parts of its key.
    sets = sandbox.json("AccumulationRegister_РасчетыСКлиентами", **{"$top": 1})["value"]
    recorder, recorder_type = sets[0]["Recorder"], sets[0]["Recorder_Type"]
    assert recorder_type.startswith("StandardODATA.Document_")
    key = f"Recorder='{recorder}', Recorder_Type='{recorder_type}'"
    one = sandbox.json(f"AccumulationRegister_РасчетыСКлиентами({key})")
    assert one["odata.metadata"].endswith("#AccumulationRegister_РасчетыСКлиентами/@Element")
    assert (one["Recorder"], one["Recorder_Type"]) == (recorder, recorder_type)
    assert one["RecordSet"] == sets[0]["RecordSet"]
    other = next(t for t in ("StandardODATA.Document_ЗаказКлиента", "StandardODATA.Document_РеализацияТоваровУслуг")
                 if t != recorder_type)
    other_type = sandbox.get(f"AccumulationRegister_РасчетыСКлиентами(Recorder='{recorder}', Recorder_Type='{other}')")
    assert other_type.status_code == 404 and other_type.json()["odata.error"]["code"] == "9"
    line = sandbox.json(f"AccumulationRegister_РасчетыСКлиентами_RecordType(Recorder='{recorder}', "
                        f"Recorder_Type='{recorder_type}', LineNumber=1)")
    assert line["LineNumber"] == "1" and line["Recorder_Type"] == recorder_type


# -- errors ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{"$select": "Ref_Key,НетТакого"}, {"$filter": "НетТакого eq 1"},
                                    {"$orderby": "НетТакого desc"}])
def test_unknown_field_is_code_6_in_1c_error_shape(sandbox, params):
    response = sandbox.get("Catalog_Контрагенты", **params)
    assert response.status_code == 400
    body = response.json()
    assert list(body) == ["odata.error"] and set(body["odata.error"]) == {"code", "message"}
    assert body["odata.error"]["code"] == "6"  # a string, like "13" and "-1" in real answers
    assert set(body["odata.error"]["message"]) == {"lang", "value"} and body["odata.error"]["message"]["lang"] == "ru"
    assert "НетТакого" in body["odata.error"]["message"]["value"]
    # Without $format the same error is the XML m:error of 17.4.10.
    xml = atom_get(sandbox, "Catalog_Контрагенты", **params)
    root = ET.fromstring(xml.content)
    assert xml.status_code == 400 and root.tag == f"{META}error" and root.findtext(f"{META}code") == "6"


def test_other_codes_of_the_docs_list(sandbox):
    register = "AccumulationRegister_РасчетыСКлиентами"
    dimensions = sandbox.get(f"{register}/Balance(Dimensions='НетТакого')")
    assert dimensions.json()["odata.error"]["code"] == "6"
    cast = sandbox.get("Document_РеализацияТоваровУслуг",
                       **{"$filter": "cast(ЗаказКлиента, 'Document_НетТакого')/Number eq '1'"})
    assert cast.json()["odata.error"]["code"] == "8"  # Тип сущности не найден
    order = sandbox.json("Document_ЗаказКлиента", **{"$top": 1})["value"][0]
    path = sandbox.get(f"Document_ЗаказКлиента(guid'{order['Ref_Key']}')/НетТакого")
    assert path.json()["odata.error"]["code"] == "10"  # Запрошенное свойство не найдено
    missing = sandbox.get(f"Document_ЗаказКлиента(guid'{EMPTY_REF}')")
    assert missing.status_code == 404 and missing.json()["odata.error"]["code"] == "9"
