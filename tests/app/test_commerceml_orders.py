"""Orders over CommerceML (issue 16), on the sandbox portal with real Redis, a real database and real RQ workers:
a deal of a base whose 1C fetches orders itself is offered in `mode=query` until 1C's `success` confirms it, never
after; a change is offered as a new version; what 1C sends back lands in the deal's fields and stage."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest

from b24app.commerceml.orders_store import CommerceMLOrders
from b24app.commerceml.safe_xml import CommerceMLError
from b24app.core.portal_settings import PortalSettings
from b24app.jobs.commerceml_orders import apply_from_1c, confirm_offered, orders_for_query
from b24app.jobs.outbox import deal_orders
from b24app.store.catalog_links import OFFER, CatalogLinks, Written
from b24app.store.exchange_nodes import ExchangeNodes
from b24app.web.exchange import exchange_url
from b24sandbox.exchange_node.runs import count_documents, run_sale
from tests.support import sync_data as sd
from tests.support.processes import post_json

pytestmark = pytest.mark.db

ITEM_A = "dee6e19a-55bc-11d9-848a-00112f43529a"  # a product whose XML_ID is its 1C Ид
ITEM_B = "aa8085b0-ee4d-11e3-9438-00155d020201#9b62e395-ef8b-11e3-9438-00155d020201"  # linked by the catalog load
STATUS_FIELD, SHIPMENT_FIELD = "UF_CRM_B24_1C_STATUS", "UF_CRM_B24_1C_SHIPMENT_NO"


@pytest.fixture
def settings(settings, tmp_path):
    """1C's uploads of the exchange endpoint kept under the test's own directory."""
    return replace(settings, exchange_dir=str(tmp_path / "exchange"))


@pytest.fixture
def cml(ctx, installed, sandbox_url, settings_env):
    """A portal whose only 1C base exchanges over CommerceML, a deal of a company with requisites and two catalog
    products, the order stage set and two optional deal fields mapped (1C's status and shipment number)."""
    member = sd.member_id(sandbox_url)
    client = sd.manager(sandbox_url)
    base = ctx.bases.save(member, name="УТ 11 (обмен с сайтом)", url="", login="", password=None,
                          profile="commerceml", legal_entity="ООО «Ромашка»", legal_entity_inn="7707083893")
    a = client.call("crm.product.add", {"fields": {"NAME": "Телевизор JVC", "XML_ID": ITEM_A, "PRICE": 1200}}).result
    b = client.call("crm.product.add", {"fields": {"NAME": "Антивирус", "PRICE": 1210}}).result
    CatalogLinks(ctx.db).record(member, base.id, OFFER, [Written(ITEM_B, int(b))])
    items = [sd.Item(ITEM_A, "", "Телевизор JVC", int(a)), sd.Item(ITEM_B, "", "Антивирус", int(b))]
    for name in (STATUS_FIELD, SHIPMENT_FIELD):
        client.call("crm.deal.userfield.add", {"fields": {"FIELD_NAME": name.removeprefix("UF_CRM_"),
                                                          "USER_TYPE_ID": "string"}})
    settings, version = ctx.portal_settings.load(member)
    ctx.portal_settings.save(member, PortalSettings.from_json({
        **settings.to_json(),
        "deal_fields": {**settings.deal_fields, "order_status": STATUS_FIELD, "shipment_number": SHIPMENT_FIELD},
        "stages": {"0": {"make_order": sd.ORDER_STAGE, "paid": "EXECUTING", "shipped": "FINAL_INVOICE",
                         "cancelled_in_1c": "APOLOGY"}}}), version)
    deal, company, requisite = sd.deal_with_company(client)
    sd.set_rows(client, deal, items, [2, 3])
    return dict(member=member, client=client, base=base.id, deal=deal, company=company, requisite=requisite,
                items=items)


def _documents(package: bytes) -> dict[str, ET.Element]:
    root = ET.fromstring(package)
    assert root.tag == "КоммерческаяИнформация" and root.get("ВерсияСхемы") == "2.08"
    return {d.findtext("Ид"): d for d in root.findall("Документ")}


def _to_stage(cml, deal: str, stage: str) -> None:
    cml["client"].call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": stage}})


def _deal(cml, deal: str) -> dict:
    return cml["client"].call("crm.deal.get", {"id": deal}).result


def _answer_from_1c(tmp_path, body: str) -> str:
    """A file as 1C's exchange sends order documents back: CommerceML 3.1 shape of the real samples."""
    path = tmp_path / "documents.xml"
    path.write_text('\ufeff<?xml version="1.0" encoding="UTF-8"?>\n<КоммерческаяИнформация '
                    'xmlns="urn:1C.ru:commerceml_3" ВерсияСхемы="3.1" ДатаФормирования="2026-12-07T10:00:00">'
                    f"{body}</КоммерческаяИнформация>", encoding="utf-8")
    return str(path)


def _returned(number: str, values: dict[str, str], onec_number: str = "УТ-000123") -> str:
    props = "".join(f"<ЗначениеРеквизита><Наименование>{k}</Наименование><Значение>{v}</Значение>"
                    "</ЗначениеРеквизита>" for k, v in values.items())
    return (f"<Контейнер><Документ><Ид>{number}</Ид><НомерВерсии>AAAEVAAAAAA=</НомерВерсии>"
            f"<ПометкаУдаления>false</ПометкаУдаления><Номер>{number}</Номер><Номер1С>{onec_number}     </Номер1С>"
            "<Дата>2026-12-07</Дата><ХозОперация>Заказ товара</ХозОперация><Сумма>6030</Сумма>"
            f"<ЗначенияРеквизитов>{props}</ЗначенияРеквизитов></Документ></Контейнер>")


def test_round_trip_deal_offered_until_confirmed_then_1c_status_updates_the_deal(ctx, cml, sandbox_url, tmp_path):
    member, base, deal = cml["member"], cml["base"], cml["deal"]
    _to_stage(cml, deal, sd.ORDER_STAGE)
    post_json(sandbox_url + "/_sandbox/events/fire", {"event": "ONCRMDEALUPDATE", "id": deal})  # a replay
    sd.settle(ctx, sandbox_url)

    docs = _documents(orders_for_query(ctx, member, base, "exchange-1"))
    assert list(docs) == [f"B24-{deal}"]
    doc = docs[f"B24-{deal}"]
    assert (doc.findtext("Номер"), doc.findtext("НомерВерсии"), doc.findtext("ХозОперация")) == (
        f"B24-{deal}", "1", "Заказ товара")
    buyer = doc.find("Контрагенты/Контрагент")
    assert buyer.findtext("ИНН") == cml["requisite"]["RQ_INN"]
    assert buyer.findtext("КПП") == (cml["requisite"].get("RQ_KPP") or None)
    assert buyer.findtext("Роль") == "Покупатель"
    goods = doc.findall("Товары/Товар")
    assert [g.findtext("Ид") for g in goods] == [ITEM_A, ITEM_B]
    assert [g.findtext("Количество") for g in goods] == ["2", "3"]
    assert [g.findtext("Сумма") for g in goods] == ["2400.00", "3630.00"]
    assert [g.find("БазоваяЕдиница").get("Код") for g in goods] == ["796", "796"]
    assert doc.findtext("Сумма") == "6030.00"
    values = {v.findtext("Наименование"): v.findtext("Значение")
              for v in doc.findall("ЗначенияРеквизитов/ЗначениеРеквизита")}
    assert values["Номер сделки в CRM"] == deal

    # The exchange died before `success`: the next query offers the same order, the same version.
    again = _documents(orders_for_query(ctx, member, base, "exchange-2"))
    assert ET.tostring(again[f"B24-{deal}"]) == ET.tostring(doc)
    assert confirm_offered(ctx, member, base, "exchange-1") == 0  # a late success of the dead exchange
    assert confirm_offered(ctx, member, base, "exchange-2") == 1
    assert confirm_offered(ctx, member, base, "exchange-2") == 0  # 1C confirming twice changes nothing
    assert _documents(orders_for_query(ctx, member, base, "exchange-3")) == {}
    # A replayed event after confirmation offers nothing again.
    post_json(sandbox_url + "/_sandbox/events/fire", {"event": "ONCRMDEALUPDATE", "id": deal})
    sd.settle(ctx, sandbox_url)
    assert _documents(orders_for_query(ctx, member, base, "exchange-4")) == {}
    assert any(e.kind == "deal_order" and e.status == "ok" for e in ctx.journal.recent(member))

    answer = _answer_from_1c(tmp_path, _returned(f"B24-{deal}", {
        "Проведен": "true", "Отменен": "false", "Статус заказа": "Отгружен",
        "Номер оплаты по 1С": "О0000001008", "Дата оплаты по 1С": "2026-12-07T11:30:00",
        "Номер отгрузки по 1С": "РТ-000045", "Дата отгрузки по 1С": "2026-12-07T12:00:00", "Отгружен": "true",
    }) + _returned("42424242", {"Проведен": "true"}, "УТ-999"))
    result = apply_from_1c(ctx, member, base, answer)
    assert result == {"documents": 2, "updated": 1, "unchanged": 0, "unknown": ["42424242"], "failed": {}}
    got = _deal(cml, deal)
    assert got["UF_CRM_B24_1C_ORDER"] == "УТ-000123"
    assert got[STATUS_FIELD] == "Отгружен" and got[SHIPMENT_FIELD] == "РТ-000045"
    assert got["UF_CRM_B24_1C_PAID"] == "fully" and got["UF_CRM_B24_1C_SHIPPED"] == "fully"
    assert str(got["UF_CRM_B24_1C_PAID_DATE"]).startswith("2026-12-07")
    assert got["STAGE_ID"] == "FINAL_INVOICE"
    # The same file again: nothing to write.
    assert apply_from_1c(ctx, member, base, answer)["unchanged"] == 1
    sd.settle(ctx, sandbox_url)  # our own write-back raises events; they make no offer
    assert _documents(orders_for_query(ctx, member, base, "exchange-5")) == {}
    assert [e.kind for e in ctx.journal.recent(member)][:1] == ["commerceml_query"]
    assert any(e.kind == "commerceml_orders" and e.items == 1 for e in ctx.journal.recent(member))


def test_a_change_replaces_the_waiting_document_and_after_confirmation_is_a_new_version(ctx, cml):
    member, base, deal, client = cml["member"], cml["base"], cml["deal"], cml["client"]
    _to_stage(cml, deal, sd.ORDER_STAGE)
    orders = deal_orders(ctx, member)
    assert orders.push(deal).outcome == "created"
    assert orders.push(deal).outcome == "unchanged"
    sd.set_rows(client, deal, cml["items"][:1], [5])  # changed before 1C ever saw it: same version
    assert orders.push(deal).outcome == "updated"
    [doc] = _documents(orders_for_query(ctx, member, base, "e1")).values()
    assert (doc.findtext("НомерВерсии"), [g.findtext("Количество") for g in doc.findall("Товары/Товар")]) == (
        "1", ["5"])
    sd.set_rows(client, deal, cml["items"][:1], [6])  # changed while offered: the next query offers version 2
    assert orders.push(deal).outcome == "updated"
    assert confirm_offered(ctx, member, base, "e1") == 0  # 1C took version 1; version 2 still waits
    [doc] = _documents(orders_for_query(ctx, member, base, "e2")).values()
    assert doc.findtext("НомерВерсии") == "2" and doc.findtext("Товары/Товар/Количество") == "6"
    assert confirm_offered(ctx, member, base, "e2") == 1
    sd.set_rows(client, deal, cml["items"], [1, 1])  # changed after 1C confirmed: version 3, offered again
    assert orders.push(deal).outcome == "updated"
    [doc] = _documents(orders_for_query(ctx, member, base, "e3")).values()
    assert doc.findtext("НомерВерсии") == "3" and doc.findtext("Ид") == f"B24-{deal}"
    assert confirm_offered(ctx, member, base, "e3") == 1
    assert _documents(orders_for_query(ctx, member, base, "e4")) == {}


def test_success_confirms_only_what_its_exchange_was_given(ctx, cml):
    member, base, deal, client = cml["member"], cml["base"], cml["deal"], cml["client"]
    _to_stage(cml, deal, sd.ORDER_STAGE)
    orders = deal_orders(ctx, member)
    orders.push(deal)
    assert list(_documents(orders_for_query(ctx, member, base, "e1"))) == [f"B24-{deal}"]
    later = sd.new_deal(client, cml["company"]["ID"], "Вторая поставка")
    sd.set_rows(client, later, cml["items"][:1], [1])
    _to_stage(cml, later, sd.ORDER_STAGE)
    orders.push(later)  # recorded after the query of e1: not part of it
    assert confirm_offered(ctx, member, base, "e1") == 1
    assert list(_documents(orders_for_query(ctx, member, base, "e2"))) == [f"B24-{later}"]
    assert CommerceMLOrders(ctx.db).get(member, base, deal).state == "confirmed"
    assert CommerceMLOrders(ctx.db).get(member, base, later).state == "offered"


def test_lost_deal_withdraws_an_order_never_offered_and_cancels_a_known_one(ctx, cml):
    member, base, deal, client = cml["member"], cml["base"], cml["deal"], cml["client"]
    orders = deal_orders(ctx, member)
    _to_stage(cml, deal, sd.ORDER_STAGE)
    orders.push(deal)
    _to_stage(cml, deal, "LOSE")
    assert orders.push(deal).outcome == "cancelled"
    assert CommerceMLOrders(ctx.db).get(member, base, deal) is None
    assert _documents(orders_for_query(ctx, member, base, "e1")) == {}

    second = sd.new_deal(client, cml["company"]["ID"], "Поставка, которую отменят")
    sd.set_rows(client, second, cml["items"][:1], [1])
    _to_stage(cml, second, sd.ORDER_STAGE)
    orders.push(second)
    orders_for_query(ctx, member, base, "e2")
    confirm_offered(ctx, member, base, "e2")
    _to_stage(cml, second, "LOSE")
    assert orders.push(second).outcome == "cancelled"
    [doc] = _documents(orders_for_query(ctx, member, base, "e3")).values()
    values = {v.findtext("Наименование"): v.findtext("Значение")
              for v in doc.findall("ЗначенияРеквизитов/ЗначениеРеквизита")}
    assert values["Отменен"] == "true" and doc.findtext("НомерВерсии") == "2"


def test_deal_outside_the_stage_is_not_offered_and_an_unknown_item_is_a_plain_error(ctx, cml):
    member, base, deal, client = cml["member"], cml["base"], cml["deal"], cml["client"]
    orders = deal_orders(ctx, member)
    assert orders.push(deal).outcome == "skipped"
    assert _documents(orders_for_query(ctx, member, base, "e1")) == {}
    stray = client.call("crm.product.add", {"fields": {"NAME": "Без кода 1С", "PRICE": 10}}).result
    client.call("crm.deal.productrows.set", {"id": deal, "rows": [{"PRODUCT_ID": stray, "PRICE": 10,
                                                                  "QUANTITY": 1}]})
    _to_stage(cml, deal, sd.ORDER_STAGE)
    from b24app.core.errors import PermanentSyncError

    with pytest.raises(PermanentSyncError, match="name no product 1C knows"):
        orders.push(deal)
    assert CommerceMLOrders(ctx.db).get(member, base, deal) is None


def test_hostile_order_file_is_refused_and_touches_no_deal(ctx, cml, tmp_path):
    member, base, deal = cml["member"], cml["base"], cml["deal"]
    _to_stage(cml, deal, sd.ORDER_STAGE)
    deal_orders(ctx, member).push(deal)
    path = tmp_path / "documents.xml"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY n SYSTEM "file:///etc/passwd">]>\n'
                    f"<КоммерческаяИнформация><Документ><Ид>B24-{deal}</Ид><Номер1С>&n;</Номер1С>"
                    "</Документ></КоммерческаяИнформация>", encoding="utf-8")
    before = _deal(cml, deal)
    with pytest.raises(CommerceMLError, match="refused"):
        apply_from_1c(ctx, member, base, str(path))
    assert _deal(cml, deal)["UF_CRM_B24_1C_ORDER"] == before.get("UF_CRM_B24_1C_ORDER")
    assert any(e.kind == "commerceml_orders" and e.status == "error" for e in ctx.journal.recent(member))


def test_an_odata_base_is_not_asked_for_commerceml_orders(ctx, configured_base, sandbox_url):
    member = sd.member_id(sandbox_url)
    from b24app.core.errors import PermanentSyncError

    with pytest.raises(PermanentSyncError, match="does not exchange over CommerceML"):
        orders_for_query(ctx, member, configured_base.id, "e1")


def test_end_to_end_through_the_sandbox_exchange_node_over_http(ctx, cml, sandbox_url):
    """1C's node against the app's endpoint: checkauth, init, query, success, its documents back by `file`;
    a second round offers nothing."""
    member = cml["member"]
    creds = ExchangeNodes(ctx.db, ctx.box).create(member, name="ООО «Ромашка» (узел обмена)",
                                                  legal_entity="ООО «Ромашка»", legal_entity_inn="7707083893")
    ctx.bases.save(member, base_id=cml["base"], name="УТ 11 (обмен с сайтом)", url="", login="", password=None,
                   profile="commerceml", enabled=False)  # the fixture's base is off: the node's base sells
    url = exchange_url(ctx.settings.public_url, creds.token)
    _to_stage(cml, cml["deal"], sd.ORDER_STAGE)
    # The item linked by the catalog load of the fixture's base is linked in this base too (its own load).
    CatalogLinks(ctx.db).record(member, creds.base_id, OFFER, [Written(ITEM_B, cml["items"][1].product_id)])
    sd.settle(ctx, sandbox_url)
    assert CommerceMLOrders(ctx.db).get(member, creds.base_id, cml["deal"]).state == "pending"

    first = run_sale(url, creds.login, creds.password, version="")  # the older protocol: `file` applies at once
    assert first.orders == 1 and first.confirmed.startswith("success"), first.transcript.calls
    doc = _documents(first.orders_xml)[f"B24-{cml['deal']}"]
    assert doc.find("Контрагенты/Контрагент").findtext("ИНН") == cml["requisite"]["RQ_INN"]
    assert first.sent_back == 1
    sd.settle(ctx, sandbox_url)  # the job that applies 1C's documents, and the events of its writes
    got = _deal(cml, cml["deal"])
    assert got["UF_CRM_B24_1C_ORDER"] == "УТ-000001" and got[SHIPMENT_FIELD] == "РТУ-000001"
    assert got["UF_CRM_B24_1C_PAID"] == "fully" and got["STAGE_ID"] == "FINAL_INVOICE"
    assert CommerceMLOrders(ctx.db).get(member, creds.base_id, cml["deal"]).state == "confirmed"

    second = run_sale(url, creds.login, creds.password, version="")
    assert count_documents(second.orders_xml) == 0 and second.sent_back == 0
