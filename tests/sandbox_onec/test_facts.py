"""Facts about real 1C configurations (b24sandbox.onec.facts): the loader reads every data file, spot checks
against what the public dumps say (each checked by reading the dump's XML, see SOURCES.md for the commits),
and the extractor run on a tiny synthetic Designer XML dump kept in a temporary git repository."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from b24sandbox.onec import facts
from b24sandbox.onec.facts import extract
from b24sandbox.onec.facts.gitread import GitSnapshot

UT_RELEASES = ("ut-11.5.27.56", "ut-11.5.20.68", "ut-11.4.2.139")
BP_RELEASES = ("bp-3.0.198.19", "bp-3.0.83.25-aun")
DATA = Path(facts.__file__).parent / "data"


# ------------------------------------------------------------------------------------------------ the data files


def test_every_data_file_is_listed_and_loads() -> None:
    names = facts.available()
    assert names == sorted(p.name.removesuffix(".json.gz") for p in DATA.glob("*.json.gz"))
    assert {*UT_RELEASES, *BP_RELEASES, "unf-3.0.12.261"} <= set(names)
    for name in names:
        loaded = facts.load(name)
        assert loaded.key == name
        assert re.fullmatch(r"[0-9a-f]{40}", loaded.source.commit)
        assert loaded.source.format == "designer-xml" and "/" in loaded.source.repo
        assert loaded.missing == ()
        assert len(loaded.of_kind("Catalog")) > 300 and len(loaded.of_kind("Document")) > 150
        assert loaded.version.startswith(name.split("-")[1])  # the file is named after the dumped version


def test_data_files_stay_small() -> None:
    for path in DATA.glob("*.json.gz"):
        assert path.stat().st_size < 3_000_000, path.name


def test_sources_md_names_every_data_file_and_its_commit() -> None:
    sources = (DATA.parent / "SOURCES.md").read_text(encoding="utf-8")
    for name in facts.available():
        loaded = facts.load(name)
        assert f"{name}.json.gz" in sources
        assert loaded.source.commit in sources and loaded.source.repo in sources


def test_unknown_name_is_refused() -> None:
    with pytest.raises(KeyError, match="available"):
        facts.load("ut-0.0")


# ---------------------------------------------------------------------------------- facts checked in the dumps


@pytest.mark.parametrize("release", UT_RELEASES)
def test_ut_counterparties_and_warehouses_have_no_code(release: str) -> None:
    ut = facts.load(release)
    counterparties = ut.object("Catalog", "Контрагенты")
    assert (counterparties.code_length, counterparties.description_length) == (0, 100)
    assert not counterparties.has_code and counterparties.hierarchical is False
    warehouses = ut.object("Catalog", "Склады")
    assert warehouses.code_length == 0 and warehouses.description_length == 50
    # Catalogs/Склады.xml: <Hierarchical>true</Hierarchical>, <HierarchyType>HierarchyFoldersAndItems</…>
    assert warehouses.hierarchical is True and warehouses.has_folders


def test_ut_counterparty_inn_is_the_defined_type_inn() -> None:
    inn = facts.load("ut-11.5.27.56").object("Catalog", "Контрагенты").attribute("ИНН")
    assert inn.types == ("cfg:DefinedType.ИНН",)
    assert inn.resolved == ("xs:string",) and inn.length == 12 and not inn.fixed_length


def test_ut_money_defined_type() -> None:
    money = facts.load("ut-11.5.27.56").object("DefinedType", "ДенежнаяСуммаЛюбогоЗнака").value_type
    assert money is not None and (money.types, money.digits, money.fraction) == (("xs:decimal",), 15, 2)
    assert not money.nonnegative


@pytest.mark.parametrize(("release", "dimensions"), [
    ("ut-11.5.27.56", ["АналитикаУчетаПоПартнерам", "ОбъектРасчетов", "Валюта"]),
    ("ut-11.5.20.68", ["АналитикаУчетаПоПартнерам", "ОбъектРасчетов", "Валюта"]),
    ("ut-11.4.2.139", ["АналитикаУчетаПоПартнерам", "ЗаказКлиента", "Валюта"]),
])
def test_ut_customer_settlements_dimensions(release: str, dimensions: list[str]) -> None:
    register = facts.load(release).object("AccumulationRegister", "РасчетыСКлиентами")
    assert register.register_type == "Balance"
    assert [d.name for d in register.dimensions] == dimensions
    assert register.entity_set == "AccumulationRegister_РасчетыСКлиентами"


def test_ut_enum_values() -> None:
    legal_form = facts.load("ut-11.5.27.56").object("Enum", "ЮрФизЛицо")
    assert legal_form.values == ("ЮрЛицо", "ФизЛицо", "ЮрЛицоНеРезидент", "ИндивидуальныйПредприниматель")


@pytest.mark.parametrize("release", BP_RELEASES)
def test_bp_bank_receipt_counterparty_is_composite(release: str) -> None:
    receipt = facts.load(release).by_entity_set("Document_ПоступлениеНаРасчетныйСчет")
    assert receipt is not None
    counterparty = receipt.attribute("Контрагент")
    assert counterparty.types == ("cfg:CatalogRef.Контрагенты", "cfg:CatalogRef.ФизическиеЛица")
    assert counterparty.composite and not counterparty.reference
    assert (receipt.number_length, receipt.number_periodicity, receipt.posting) == (11, "Year", "Allow")


def test_bp_invoice_goods_product_became_composite_after_3_0_83() -> None:
    def product(release: str) -> facts.AttributeFacts:
        invoice = facts.load(release).object("Document", "СчетНаОплатуПокупателю")
        return invoice.tabular_section("Товары").attribute("Номенклатура")

    assert product("bp-3.0.198.19").resolved == ("cfg:CatalogRef.ОсновныеСредства", "cfg:CatalogRef.Номенклатура")
    assert product("bp-3.0.83.25-aun").resolved == ("cfg:CatalogRef.Номенклатура",)
    assert product("bp-3.0.83.25-aun").reference


@pytest.mark.parametrize("release", BP_RELEASES)
def test_bp_prices_are_recorder_subordinate(release: str) -> None:
    prices = facts.load(release).object("InformationRegister", "ЦеныНоменклатуры")
    assert prices.recorder_subordinate and prices.periodicity == "Day"
    assert [d.name for d in prices.dimensions] == ["ТипЦен", "Номенклатура"]
    assert [r.name for r in prices.resources] == ["Валюта", "Цена"]


def test_bp_chart_of_accounts_and_accounting_register() -> None:
    bp = facts.load("bp-3.0.198.19")
    chart = bp.object("ChartOfAccounts", "Хозрасчетный")
    assert (chart.code_length, chart.code_mask, chart.max_ext_dimension_count) == (8, "@@@.@@.@", 3)
    assert chart.ext_dimension_types == "ChartOfCharacteristicTypes.ВидыСубконтоХозрасчетные"
    register = bp.object("AccountingRegister", "Хозрасчетный")
    assert register.chart_of_accounts == "ChartOfAccounts.Хозрасчетный" and register.correspondence is True


def test_unf_structural_units_have_no_folders_and_prices_are_independent() -> None:
    unf = facts.load("unf-3.0.12.261")
    units = unf.object("Catalog", "СтруктурныеЕдиницы")
    # Catalogs/СтруктурныеЕдиницы.xml: <Hierarchical>true</…>, <HierarchyType>HierarchyOfItems</…>
    assert units.hierarchical is True and units.hierarchy_type == "HierarchyOfItems" and not units.has_folders
    assert unf.object("Catalog", "Контрагенты").code_length == 9
    prices = unf.object("InformationRegister", "ЦеныНоменклатуры")
    assert (prices.write_mode, prices.periodicity) == ("Independent", "Second")


# -------------------------------------------------------------------------------- the extractor, synthetic dump

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n<MetaDataObject xmlns="http://v8.1c.ru/8.3/MDClasses" '
        'xmlns:v8="http://v8.1c.ru/8.1/data/core" xmlns:xr="http://v8.1c.ru/8.3/xcf/readable" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" version="2.20">')

CONFIGURATION = HEAD + """<Configuration uuid="1"><Properties><Name>Проба</Name>
<Synonym><v8:item><v8:lang>ru</v8:lang><v8:content>Проба, редакция 1</v8:content></v8:item></Synonym>
<Vendor>Мы</Vendor><Version>1.0.2.3</Version><CompatibilityMode>Version8_3_24</CompatibilityMode></Properties>
<ChildObjects><Language>Русский</Language><DefinedType>ИНН</DefinedType><Catalog>Контрагенты</Catalog>
<Catalog>Потерянный</Catalog><Enum>Виды</Enum></ChildObjects></Configuration></MetaDataObject>"""

DEFINED_TYPE = HEAD + """<DefinedType uuid="2"><Properties><Name>ИНН</Name><Type><v8:Type>xs:string</v8:Type>
<v8:StringQualifiers><v8:Length>12</v8:Length><v8:AllowedLength>Variable</v8:AllowedLength></v8:StringQualifiers>
</Type></Properties></DefinedType></MetaDataObject>"""

CATALOG = HEAD + """<Catalog uuid="3"><Properties><Name>Контрагенты</Name><Hierarchical>true</Hierarchical>
<HierarchyType>HierarchyOfItems</HierarchyType><Owners><xr:Item xsi:type="xr:MDObjectRef">Catalog.Партнеры</xr:Item>
</Owners><CodeLength>0</CodeLength><DescriptionLength>100</DescriptionLength><CodeType>String</CodeType>
<CodeAllowedLength>Fixed</CodeAllowedLength><StandardAttributes><xr:StandardAttribute name="Code"/>
</StandardAttributes></Properties><ChildObjects>
<Attribute uuid="4"><Properties><Name>ИНН</Name><Type><v8:TypeSet>cfg:DefinedType.ИНН</v8:TypeSet></Type>
<FillChecking>ShowError</FillChecking></Properties></Attribute>
<Attribute uuid="5"><Properties><Name>Вид</Name><Type><v8:Type>cfg:EnumRef.Виды</v8:Type>
<v8:Type>cfg:CatalogRef.Контрагенты</v8:Type></Type><FillChecking>DontCheck</FillChecking></Properties></Attribute>
<TabularSection uuid="6"><Properties><Name>Счета</Name></Properties><ChildObjects>
<Attribute uuid="7"><Properties><Name>Сумма</Name><Type><v8:Type>xs:decimal</v8:Type><v8:NumberQualifiers>
<v8:Digits>15</v8:Digits><v8:FractionDigits>2</v8:FractionDigits><v8:AllowedSign>Nonnegative</v8:AllowedSign>
</v8:NumberQualifiers></Type></Properties></Attribute></ChildObjects></TabularSection>
<Form>ФормаЭлемента</Form><Template>Макет</Template></ChildObjects></Catalog></MetaDataObject>"""

ENUM = HEAD + """<Enum uuid="8"><Properties><Name>Виды</Name></Properties><ChildObjects>
<EnumValue uuid="9"><Properties><Name>Первый</Name></Properties></EnumValue>
<EnumValue uuid="10"><Properties><Name>Второй</Name></Properties></EnumValue></ChildObjects></Enum></MetaDataObject>"""


def _git(work: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z",
           "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z"}
    return subprocess.run(["git", "-C", str(work), "-c", "commit.gpgsign=false", *args], check=True, env=env,
                          capture_output=True, text=True).stdout.strip()


def _repository(tmp_path: Path, files: dict[str, str]) -> tuple[Path, str]:
    """A git repository holding `files` in one commit: (its git directory, the commit id)."""
    work = tmp_path / "dump"
    for relative, text in files.items():
        (work / relative).parent.mkdir(parents=True, exist_ok=True)
        (work / relative).write_text(text, encoding="utf-8")
    _git(work, "init", "-q")
    _git(work, "add", "-A")
    _git(work, "commit", "-q", "-m", "dump")
    return work / ".git", _git(work, "rev-parse", "HEAD")


SYNTHETIC = {"cf/Configuration.xml": CONFIGURATION, "cf/DefinedTypes/ИНН.xml": DEFINED_TYPE,
             "cf/Catalogs/Контрагенты.xml": CATALOG, "cf/Enums/Виды.xml": ENUM, "README.md": "not a dump"}


def test_extractor_on_a_synthetic_dump(tmp_path: Path) -> None:
    git_dir, commit = _repository(tmp_path, SYNTHETIC)
    with GitSnapshot(git_dir, commit) as snapshot:
        document = extract.extract(snapshot, repo="someone/dump", notes="synthetic", extracted="2026-12-06")
    assert document["source"] == {
        "repo": "someone/dump", "commit": commit, "commit_date": "2026-01-02T03:04:05+00:00", "root": "cf/",
        "format": "designer-xml", "format_version": "2.20", "extracted": "2026-12-06", "notes": "synthetic"}
    assert document["configuration"] == {"name": "Проба", "synonym": "Проба, редакция 1", "version": "1.0.2.3",
                                         "vendor": "Мы", "compatibility_mode": "Version8_3_24"}
    assert document["missing"] == ["Catalog.Потерянный"]
    assert document["counts"] == {"DefinedType": 1, "Enum": 1, "Catalog": 1}
    assert document["objects"] == {
        "DefinedType": [{"name": "ИНН", "value_type": {"name": "ИНН", "types": ["xs:string"], "length": 12}}],
        "Enum": [{"name": "Виды", "values": ["Первый", "Второй"]}],
        "Catalog": [{
            "name": "Контрагенты", "code_length": 0, "code_type": "String", "code_allowed_length": "Fixed",
            "description_length": 100, "hierarchical": True, "hierarchy_type": "HierarchyOfItems",
            "owners": ["Catalog.Партнеры"],
            "attributes": [
                {"name": "ИНН", "types": ["cfg:DefinedType.ИНН"], "required": True, "resolved": ["xs:string"],
                 "length": 12},
                {"name": "Вид", "types": ["cfg:EnumRef.Виды", "cfg:CatalogRef.Контрагенты"]}],
            "tabular_sections": [{"name": "Счета", "attributes": [
                {"name": "Сумма", "types": ["xs:decimal"], "digits": 15, "fraction": 2, "nonnegative": True}]}],
        }],
    }


def test_extractor_cli_writes_a_file_the_loader_reads(tmp_path: Path) -> None:
    git_dir, commit = _repository(tmp_path, SYNTHETIC)
    out = tmp_path / "probe-1.0.2.3.json.gz"
    args = ["--repo", str(git_dir), "--commit", commit[:10], "--out", str(out), "--source", "someone/dump",
            "--date", "2026-12-06"]
    assert extract.main(args) == 0
    first = out.read_bytes()
    assert extract.main(args) == 0 and out.read_bytes() == first  # same input, same bytes
    loaded = facts.from_document("probe-1.0.2.3", json.loads(gzip.decompress(first)))
    catalog = loaded.object("Catalog", "Контрагенты")
    assert catalog.owners == ("Catalog.Партнеры",) and not catalog.has_code and not catalog.has_folders
    assert catalog.attribute("ИНН").required and catalog.attribute("Вид").composite
    assert catalog.tabular_section("Счета").attribute("Сумма").resolved == ("xs:decimal",)
    assert loaded.object("Enum", "Виды").values == ("Первый", "Второй")
    assert loaded.source.commit == commit and loaded.missing == ("Catalog.Потерянный",)


def test_extractor_refuses_an_edt_project(tmp_path: Path) -> None:
    git_dir, commit = _repository(tmp_path, {"src/Configuration/Configuration.mdo": "<mdclass:Configuration/>"})
    with GitSnapshot(git_dir, commit) as snapshot, pytest.raises(extract.ExtractError, match="EDT"):
        extract.extract(snapshot, repo="someone/edt")


def test_root_is_the_shallowest_configuration() -> None:
    paths = ["Extensions/Доработки/Configuration.xml", "Configuration.xml", "Catalogs/А.xml"]
    assert extract.find_root(paths) == ""
    assert extract.find_root(["src/cf/Configuration.xml"]) == "src/cf/"
    assert extract.find_root(paths, root="Extensions/Доработки") == "Extensions/Доработки/"
    with pytest.raises(extract.ExtractError, match="--root"):
        extract.find_root(["a/Configuration.xml", "b/Configuration.xml"])


def test_how_a_field_is_published() -> None:
    def field(*types: str) -> facts.AttributeFacts:
        return facts.AttributeFacts("Поле", types, types)

    assert field("cfg:CatalogRef.Контрагенты").reference  # Поле_Key
    assert not field("cfg:EnumRef.ЮрФизЛицо").reference  # enum values are published as strings
    assert field("cfg:CatalogRef.Контрагенты", "cfg:CatalogRef.ФизическиеЛица").composite  # Поле + Поле_Type
    assert field("cfg:DocumentRef").composite and not field("cfg:DocumentRef").reference  # any document
    assert not field("xs:string").composite and not field("xs:string").reference
