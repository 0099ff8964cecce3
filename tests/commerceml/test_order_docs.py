"""CommerceML order documents: what the app offers 1C (`mode=query`) read back element by element, every real
order file in ../shared/samples/commerceml read, hostile XML refused, and what 1C says turned into deal fields."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from b24app.commerceml.order_docs import (
    OrderDocument,
    OrderLine,
    Party,
    ReturnedOrder,
    order_package,
    read_documents,
    render_document,
)
from b24app.commerceml.safe_xml import CommerceMLError
from b24app.core.portal_settings import PortalSettings
from b24app.sync.commerceml_orders import deal_update
from tests.support.samples import needs, samples_dir

SAMPLES = samples_dir("commerceml")
ORDER_SAMPLES = sorted(SAMPLES.glob("*orders*.xml"))


def _doc(**over) -> OrderDocument:
    lines = (OrderLine(key="dee6e19a-55bc-11d9-848a-00112f43529a", name='Телевизор "JVC"', okei="796", unit="шт",
                       price=Decimal("1200.00"), quantity=Decimal("2"), amount=Decimal("2400.00"),
                       vat_rate=Decimal("20"), vat=Decimal("400.00")),
             OrderLine(key="aa80#9b62", name="Доставка", okei="796", unit="шт", price=Decimal("340.00"),
                       quantity=Decimal("1.5"), amount=Decimal("500.00"), vat_rate=None, vat=Decimal("0"),
                       discount=Decimal("10.00")))
    values = dict(number="B24-42", version=3, created=dt.datetime(2026, 12, 6, 17, 5, 9), currency="руб",
                  amount=Decimal("2900.00"), includes_vat=True,
                  buyer=Party(key="B24-company-7", name="Ромашка", full_name="ООО «Ромашка»", inn="7707083893",
                              kpp="773601001"),
                  lines=lines, comment="Сделка Битрикс24 №42: Поставка", values=(("Номер сделки в CRM", "42"),))
    return OrderDocument(**{**values, **over})


def _text(node: ET.Element, path: str) -> str:
    found = node.find(path)
    assert found is not None, path
    return found.text or ""


def test_offered_document_carries_what_1c_reads_in_its_order():
    package = order_package([render_document(_doc())], dt.datetime(2026, 12, 6, 17, 6, 0))
    assert package.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(package)
    assert root.tag == "КоммерческаяИнформация"
    assert root.attrib == {"ВерсияСхемы": "2.08", "ДатаФормирования": "2026-12-06T17:06:00"}
    [doc] = root.findall("Документ")
    # The element order of 1C's own example, НомерВерсии / ПометкаУдаления after Ид as 1C writes them.
    assert [c.tag for c in doc] == ["Ид", "НомерВерсии", "ПометкаУдаления", "Номер", "Дата", "ХозОперация", "Роль",
                                    "Валюта", "Курс", "Сумма", "Контрагенты", "Время", "Комментарий", "Налоги",
                                    "Товары", "ЗначенияРеквизитов"]
    assert (_text(doc, "Ид"), _text(doc, "Номер"), _text(doc, "НомерВерсии")) == ("B24-42", "B24-42", "3")
    assert (_text(doc, "Дата"), _text(doc, "Время")) == ("2026-12-06", "17:05:09")
    assert (_text(doc, "ХозОперация"), _text(doc, "Роль"), _text(doc, "Валюта")) == ("Заказ товара", "Продавец",
                                                                                     "руб")
    assert _text(doc, "Сумма") == "2900.00"
    buyer = doc.find("Контрагенты/Контрагент")
    assert (_text(buyer, "ИНН"), _text(buyer, "КПП"), _text(buyer, "Роль")) == ("7707083893", "773601001",
                                                                               "Покупатель")
    assert _text(buyer, "ПолноеНаименование") == "ООО «Ромашка»"
    goods = doc.findall("Товары/Товар")
    assert [_text(g, "Ид") for g in goods] == ["dee6e19a-55bc-11d9-848a-00112f43529a", "aa80#9b62"]
    tv, delivery = goods
    assert tv.find("БазоваяЕдиница").attrib == {"Код": "796"} and tv.find("БазоваяЕдиница").text == "шт"
    assert (_text(tv, "ЦенаЗаЕдиницу"), _text(tv, "Количество"), _text(tv, "Сумма")) == ("1200.00", "2", "2400.00")
    assert _text(tv, "СтавкиНалогов/СтавкаНалога/Ставка") == "20"
    assert (_text(tv, "Налоги/Налог/Сумма"), _text(tv, "Налоги/Налог/УчтеноВСумме")) == ("400.00", "true")
    assert _text(delivery, "Количество") == "1.5"
    assert _text(delivery, "СтавкиНалогов/СтавкаНалога/Ставка") == "Без налога"
    assert _text(delivery, "Скидки/Скидка/Сумма") == "10.00"
    assert _text(doc, "Налоги/Налог/Сумма") == "400.00"
    values = {_text(v, "Наименование"): _text(v, "Значение")
              for v in doc.findall("ЗначенияРеквизитов/ЗначениеРеквизита")}
    assert values == {"Номер сделки в CRM": "42", "Отменен": "false"}


def test_private_buyer_is_written_with_name_parts_and_a_cancelled_order_says_so():
    doc = _doc(buyer=Party(key="B24-contact-5", name="Иванов Иван", full_name="Иванов Иван Петрович",
                           last_name="Иванов", first_name="Иван", middle_name="Петрович"), cancelled=True)
    node = ET.fromstring(render_document(doc))
    buyer = node.find("Контрагенты/Контрагент")
    assert [c.tag for c in buyer] == ["Ид", "Наименование", "ПолноеНаименование", "Фамилия", "Имя", "Отчество",
                                      "Роль"]
    values = {_text(v, "Наименование"): _text(v, "Значение") for v in node.findall(
        "ЗначенияРеквизитов/ЗначениеРеквизита")}
    assert values["Отменен"] == "true"


def test_the_offered_package_reads_back_through_the_order_reader(tmp_path):
    path = tmp_path / "orders.xml"
    path.write_bytes(order_package([render_document(_doc()), render_document(_doc(number="B24-43"))],
                                   dt.datetime(2026, 12, 6)))
    docs = list(read_documents(str(path)))
    assert [(d.key, d.number, d.version, d.amount) for d in docs] == [("B24-42", "B24-42", "3", Decimal("2900.00")),
                                                                      ("B24-43", "B24-43", "3", Decimal("2900.00"))]
    assert docs[0].values["Номер сделки в CRM"] == "42" and not docs[0].cancelled


@needs(SAMPLES)
@pytest.mark.parametrize("sample", ORDER_SAMPLES, ids=lambda p: p.name)
def test_every_sample_order_file_is_read(sample):
    docs = list(read_documents(str(sample)))
    expected = {"commerceml31_documents_orders_1": 20, "commerceml31_documents_orders_2": 4,
                "commerceml_orders": 3}
    assert len(docs) == next(n for prefix, n in expected.items() if sample.name.startswith(prefix + "__"))
    assert all(d.key and d.number for d in docs)


@needs(SAMPLES)
def test_what_1c_says_in_the_samples_is_understood():
    assert len(ORDER_SAMPLES) == 3, "the three order samples of ../shared/samples/commerceml"
    bitrix = {d.key: d for d in read_documents(str(SAMPLES / (
        "commerceml31_documents_orders_1__irpsv_commerceml__bitrix-module-6.xml")))}
    paid = bitrix["490"]  # 1C's 3.1 export: Номер1С padded with spaces, payment and shipment by number and date
    assert (paid.onec_number, paid.version) == ("K490", "AAADvgAAAAA=")
    assert paid.payment_date == dt.date(2017, 8, 16) and paid.paid
    assert paid.shipment_number == "О0000001007" and paid.shipment_date == dt.date(2017, 8, 17) and paid.shipped
    assert paid.amount == Decimal("2340") and not paid.cancelled
    assert sum(d.shipped for d in bitrix.values()) == 7 and not any(d.cancelled for d in bitrix.values())
    official = {d.key: d for d in read_documents(str(SAMPLES / (
        "commerceml_orders__irpsv_commerceml__off-doc-1c.xml")))}
    assert official["36"].status == "[N] Принят" and official["36"].onec_number == ""
    assert (official["92"].onec_number, official["92"].status) == ("MM92", "Открыт")
    assert official["92"].flag("Проведен") and not official["92"].paid


XXE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE КоммерческаяИнформация [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<КоммерческаяИнформация ВерсияСхемы="2.08"><Документ><Ид>&secret;</Ид><Номер>1</Номер></Документ>
</КоммерческаяИнформация>"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<КоммерческаяИнформация><Документ><Ид>&lol3;</Ид></Документ></КоммерческаяИнформация>"""
EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE КоммерческаяИнформация SYSTEM "http://127.0.0.1:9/evil.dtd">
<КоммерческаяИнформация><Документ><Ид>1</Ид></Документ></КоммерческаяИнформация>"""


@pytest.mark.parametrize("body", [XXE, LAUGHS, EXTERNAL_DTD, "<КоммерческаяИнформация><Документ>"],
                         ids=["xxe", "billion-laughs", "external-dtd", "truncated"])
def test_hostile_or_broken_order_files_are_refused_before_any_document(tmp_path, body):
    path = tmp_path / "orders.xml"
    path.write_text(body, encoding="utf-8")
    seen = []
    with pytest.raises(CommerceMLError):
        for doc in read_documents(str(path)):
            seen.append(doc)
    assert seen == []


def test_windows_1251_with_crlf_and_a_bom_free_header_is_read(tmp_path):
    text = ('<?xml version="1.0" encoding="windows-1251"?>\r\n<КоммерческаяИнформация ВерсияСхемы="2.05">\r\n'
            "<Документ><Ид>B24-7</Ид><Номер>B24-7</Номер><ЗначенияРеквизитов><ЗначениеРеквизита>"
            "<Наименование>Статус заказа</Наименование><Значение>Отгружен полностью</Значение>"
            "</ЗначениеРеквизита></ЗначенияРеквизитов></Документ>\r\n</КоммерческаяИнформация>\r\n")
    path = tmp_path / "orders.xml"
    path.write_bytes(text.encode("cp1251"))
    [doc] = read_documents(str(path))
    assert (doc.key, doc.status) == ("B24-7", "Отгружен полностью")


def _settings() -> PortalSettings:
    return PortalSettings.from_json({
        "deal_fields": {"order_status": "UF_CRM_STATUS", "shipment_number": "UF_CRM_SHIPMENT"},
        "stages": {"0": {"make_order": "PREPARATION", "paid": "EXECUTING", "shipped": "FINAL_INVOICE",
                         "cancelled_in_1c": "APOLOGY"}}})


def _deal(stage: str = "PREPARATION", **fields) -> dict:
    return {"ID": "42", "CATEGORY_ID": "0", "STAGE_ID": stage, "STAGE_SEMANTIC_ID": "P", **fields}


def test_1c_status_payment_and_shipment_become_the_deal_fields_and_stage():
    said = ReturnedOrder("B24-42", "B24-42", onec_number="УТ-000123", values={
        "Статус заказа": "Отгружен", "Дата оплаты по 1С": "2026-12-07T10:00:00", "Номер отгрузки по 1С": "РТ-5"})
    update = deal_update(_settings(), _deal(), said)
    assert update.fields == {"UF_CRM_B24_1C_ORDER": "УТ-000123", "UF_CRM_STATUS": "Отгружен",
                             "UF_CRM_B24_1C_PAID": "fully", "UF_CRM_B24_1C_PAID_DATE": "2026-12-07",
                             "UF_CRM_B24_1C_SHIPPED": "fully", "UF_CRM_SHIPMENT": "РТ-5", "STAGE_ID": "FINAL_INVOICE"}
    # Paid only: the paid stage; what the deal already holds is not sent again.
    paid = ReturnedOrder("B24-42", "B24-42", onec_number="УТ-000123", values={"Заказ оплачен": "true"})
    assert deal_update(_settings(), _deal(UF_CRM_B24_1C_ORDER="УТ-000123"), paid).fields == {
        "UF_CRM_B24_1C_PAID": "fully", "STAGE_ID": "EXECUTING"}
    # A deal already further on is not moved back by a late payment document.
    assert "STAGE_ID" not in deal_update(_settings(), _deal("FINAL_INVOICE"), paid).fields


def test_an_order_cancelled_in_1c_moves_the_deal_to_its_stage_but_not_a_closed_deal():
    said = ReturnedOrder("B24-42", "B24-42", values={"Отменен": "true"})
    assert deal_update(_settings(), _deal("FINAL_INVOICE"), said).fields == {"STAGE_ID": "APOLOGY"}
    deleted = ReturnedOrder("B24-42", "B24-42", deleted=True)
    assert deal_update(_settings(), _deal(), deleted).fields == {"STAGE_ID": "APOLOGY"}
    won = _deal("WON", STAGE_SEMANTIC_ID="S")
    assert deal_update(_settings(), won, said).fields == {}
