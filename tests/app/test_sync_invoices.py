"""Smart invoice → 1C customer invoice through events, the outbox and RQ: one posted invoice per Bitrix24
invoice, based on the deal's order, cancelled when declined."""

from __future__ import annotations

import pytest
import requests

from b24app.jobs.outbox import deal_orders
from b24app.sync.to_onec.invoices import invoice_key
from tests.support import sync_data as sd
from tests.support.processes import post_json

pytestmark = pytest.mark.db

INVOICES = "Document_СчетНаОплатуКлиенту"


def _invoices(odata, key: str) -> list[dict]:
    rows = odata.query(INVOICES, filter=f"substringof('{key}', Комментарий) eq true").rows
    return [r for r in rows if key in (r.get("Комментарий") or "").split()]


def _ordered_deal_with_invoice(ctx, client, odata, member: str, sandbox_url: str):  # noqa: ANN001, ANN202
    """A deal of two 1C items pushed to its 1C order, and a smart invoice of it (two rows of 1000 × 2, VAT 20%),
    its events delivered: (deal id, the company's requisite, the order, the invoice item)."""
    items = sd.catalog_items(client, odata, 2)
    deal, company, requisite = sd.deal_with_company(client)
    sd.order_on_stage(ctx, member)
    sd.set_rows(client, deal, items, [1, 1])
    client.call("crm.deal.update", {"id": deal, "fields": {"STAGE_ID": sd.ORDER_STAGE}})
    order = deal_orders(ctx, member).push(deal)
    item = client.call("crm.item.add", {"entityTypeId": 31, "fields": {
        "title": "Счёт по сделке", "companyId": company["ID"], "parentId2": deal}}).result["item"]
    client.call("crm.item.productrow.set", {"ownerType": "SI", "ownerId": item["id"], "productRows": [
        {"productId": it.product_id, "productName": it.name, "price": 1000, "quantity": 2, "taxRate": 20}
        for it in items]})
    post_json(sandbox_url + "/_sandbox/events/wait")
    return deal, requisite, order, item


def test_invoice_of_an_ordered_deal_becomes_one_posted_1c_invoice(ctx, configured_base, sandbox_url, onec_url,
                                                                   settings_env):
    member = sd.member_id(sandbox_url)
    client = sd.manager(sandbox_url)
    odata = sd.onec(onec_url)
    deal, requisite, order, item = _ordered_deal_with_invoice(ctx, client, odata, member, sandbox_url)
    for _ in range(3):  # redelivered
        post_json(sandbox_url + "/_sandbox/events/fire", {"event": "ONCRMDYNAMICITEMUPDATE", "id": item["id"]})
    sd.run_burst(ctx)

    key = invoice_key(member, str(item["id"]))
    [invoice] = _invoices(odata, key)
    assert invoice["Posted"] and invoice["СуммаДокумента"] == pytest.approx(4000.0)
    assert invoice["ДокументОснование"] == order.ref_key
    assert invoice["ДокументОснование_Type"] == "StandardODATA.Document_ЗаказКлиента"
    assert odata.get("Catalog_Контрагенты", invoice["Контрагент_Key"])["ИНН"] == requisite["RQ_INN"]
    comments = [c["COMMENT"] for c in client.call("crm.timeline.comment.list", {
        "filter": {"ENTITY_TYPE": "deal", "ENTITY_ID": deal}}).result]
    assert sum("создан и проведён счёт на оплату" in c for c in comments) == 1

    client.call("crm.item.update", {"entityTypeId": 31, "id": item["id"], "fields": {"stageId": "DT31_1:D"}})
    post_json(sandbox_url + "/_sandbox/events/wait")
    sd.run_burst(ctx)
    [invoice] = _invoices(odata, key)
    assert invoice["Аннулирован"] is True


def test_item_events_of_other_smart_processes_are_ignored(ctx, installed, running_app, sandbox_url):
    member = sd.member_id(sandbox_url)
    token = ctx.portals.get(member).application_token
    answer = requests.post(running_app.url + "/events", data={
        "event": "ONCRMDYNAMICITEMUPDATE", "data[FIELDS][ID]": "5", "data[FIELDS][ENTITY_TYPE_ID]": "1220",
        "auth[member_id]": member, "auth[application_token]": token}, timeout=10)
    assert answer.status_code == 200
    assert ctx.outbox.counts(member)["pending"] == 0


@pytest.mark.parametrize(("base", "profile"), [("ut4", "ut11_4"), ("bp", "bp30"), ("bp83", "bp30_83"), ("unf", "unf")])
def test_invoice_of_an_ordered_deal_on_other_releases(ctx, installed, sandbox_url, settings_env, releases_url,
                                                      base, profile):
    """The same flow on bases of УТ 11.4, БП 3.0.198 and 3.0.83, and УНФ 3.0.12 through their profiles: one
    posted invoice of the deal's order."""
    member = sd.member_id(sandbox_url)
    odata = sd.release_base(ctx, member, releases_url, base, profile)
    client = sd.manager(sandbox_url)
    _, _, order, item = _ordered_deal_with_invoice(ctx, client, odata, member, sandbox_url)
    sd.run_burst(ctx)
    spec = ctx.profiles.load(profile).object("customer_invoice")
    key = invoice_key(member, str(item["id"]))
    rows = odata.query(spec.entity_set, filter=f"substringof('{key}', Комментарий) eq true").rows
    [invoice] = [r for r in rows if key in (r.get("Комментарий") or "").split()]
    assert invoice["Posted"] and invoice[spec.field("amount")] == pytest.approx(4000.0)
    basis = spec.spec_of("basis") if "basis" in spec.fields else None
    if basis is not None:
        from b24app.onec import refs

        assert refs.read(basis, invoice) == order.ref_key
