"""Deals that name a 1C order the app did not make (issue 12, "Follow every 1C order linked to a deal"): the
order-number field, a БП 3.0 invoice number, or ORIGIN_ID (the Ref_Key). The first pull after the deal names it
brings the order's existing receipts and sales — older than the streams' watermarks — into the deal; a second
pull changes nothing; a number matching no order is reported and nothing is written; an edited number moves the
link. Real Redis, the real pull jobs, the sandbox portal and sandbox 1C over loopback HTTP."""

from __future__ import annotations

import pytest

from b24app.core.portal_settings import PortalSettings
from b24app.jobs.outbox import deal_orders
from b24app.jobs.sync import pull_stream
from b24app.onec.odata import ODataClient
from b24app.sync.to_bitrix.user_fields import ensure_user_fields
from tests.support import sync_data as sd
from tests.support.processes import post_json
from tests.support.tabs_data import frame_params, open_tab

pytestmark = pytest.mark.db

F = {"number": "UF_CRM_B24_1C_ORDER", "status": "UF_CRM_B24_1C_PAID", "sum": "UF_CRM_B24_1C_PAID_SUM",
     "left": "UF_CRM_B24_1C_REMAINING", "shipped": "UF_CRM_B24_1C_SHIPPED"}
STAGES = {"partly_paid": "PREPAYMENT_INVOICE", "paid": "EXECUTING", "shipped": "FINAL_INVOICE"}
SALES = "Document_РеализацияТоваровУслуг"
# Properties 1C fills itself on a new document; a copy leaves them out.
_SYSTEM = {"Ref_Key", "Number", "DataVersion", "Posted", "DeletionMark", "LineNumber"}


def _copy(row: dict) -> dict:
    return {k: [_copy(x) for x in v] if isinstance(v, list) else v
            for k, v in row.items() if k not in _SYSTEM and "@" not in k}


class OneC:
    """What a 1C user does in one sandbox base: enters an order, takes a payment, ships."""

    def __init__(self, odata: ODataClient, url: str, base: str, order_set: str) -> None:
        self.odata, self.url, self.base, self.order_set = odata, url, base, order_set

    def order(self, lines: int = 1) -> dict:
        """A new posted order copied from a seeded one, with its first `lines` goods rows (sum = their sum)."""
        source = self.odata.query(self.order_set, filter="Posted eq true", top=1).rows[0]
        body = _copy(source)
        body["Товары"] = body["Товары"][:lines]
        body["СуммаДокумента"] = round(sum(r["Сумма"] for r in body["Товары"]), 2)
        body["Комментарий"] = "Заказ, введённый в 1С вручную"
        made = self.odata.create(self.order_set, body)
        self.odata.post_document(self.order_set, made["Ref_Key"])
        return self.odata.get(self.order_set, made["Ref_Key"])

    def pay(self, order: dict, amount: float) -> dict:
        return post_json(f"{self.url}/_sandbox/{self.base}/seed/payment",
                         {"order_number": order["Number"], "sum": amount, "kind": "bank"})

    def ship(self, order: dict) -> dict:
        """A posted sale of the whole order, made like the base's own sales (copied from a seeded one)."""
        sale = _copy(self.odata.query(SALES, filter="Posted eq true", top=1).rows[0])
        sale.update(Контрагент_Key=order["Контрагент_Key"], Организация_Key=order["Организация_Key"],
                    СуммаДокумента=order["СуммаДокумента"])
        if self.order_set == "Document_ЗаказКлиента":
            sale.update(Партнер_Key=order["Партнер_Key"], ЗаказКлиента=order["Ref_Key"],
                        ЗаказКлиента_Type="StandardODATA.Document_ЗаказКлиента",
                        Товары=[{k: line[k] for k in ("Номенклатура_Key", "Количество", "Цена", "Сумма")}
                                for line in order["Товары"]])
        else:
            sale.update(СчетНаОплатуПокупателю_Key=order["Ref_Key"],
                        ДоговорКонтрагента_Key=order["ДоговорКонтрагента_Key"],
                        Товары=[_copy(line) for line in order["Товары"]])
        made = self.odata.create(SALES, sale)
        self.odata.post_document(SALES, made["Ref_Key"])
        return self.odata.get(SALES, made["Ref_Key"])


def _portal(ctx, sandbox_url: str) -> dict:
    """Stage map (partly paid / paid / shipped), the app's deal fields, and a deal of a company to name orders."""
    member = sd.member_id(sandbox_url)
    sd.unthrottle(ctx, sandbox_url, member)
    settings, version = ctx.portal_settings.load(member)
    settings = PortalSettings.from_json({**settings.to_json(), "stages": {"0": STAGES}})
    ctx.portal_settings.save(member, settings, version)
    ensure_user_fields(ctx.bitrix(member), settings)  # what the settings page's "create fields" does
    client = sd.manager(sandbox_url)
    deal, _, _ = sd.deal_with_company(client)
    return dict(member=member, client=client, deal=deal)


def _pull(member: str) -> int:
    return pull_stream(member, "payments") + pull_stream(member, "shipments")


@pytest.fixture
def ut(ctx, configured_base, sandbox_url, onec_url, settings_env):
    """The УТ 11 base; the streams have read 1C's whole history once (nothing of it is linked to a deal)."""
    p = _portal(ctx, sandbox_url)
    p["onec"] = OneC(sd.onec(onec_url), onec_url, "ut", "Document_ЗаказКлиента")
    _pull(p["member"])
    return p


def _deal(p, deal: str | None = None) -> dict:
    return p["client"].call("crm.deal.get", {"id": deal or p["deal"]}).result


def _comments(p, deal: str | None = None) -> list[str]:
    rows = p["client"].call("crm.timeline.comment.list",
                            {"filter": {"ENTITY_TYPE": "deal", "ENTITY_ID": deal or p["deal"]}}).result
    return [c["COMMENT"] for c in rows]


def _name(p, fields: dict, deal: str | None = None) -> None:
    p["client"].call("crm.deal.update", {"id": deal or p["deal"], "fields": fields})


def _older_than_watermarks(p, lines: int = 1, paid: float | None = None, shipped: bool = True) -> dict:
    """An order entered in 1C with its receipt and sale; then a pull, so the streams' watermarks pass them while
    no deal names the order yet."""
    onec = p["onec"]
    order = onec.order(lines)
    receipt = onec.pay(order, order["СуммаДокумента"] if paid is None else paid)
    sale = onec.ship(order) if shipped else None
    assert _pull(p["member"]) == 0  # no deal follows the order: nothing to send
    return dict(order=order, receipt=receipt, sale=sale)


def test_number_field_brings_existing_payment_and_sale_on_first_pull(ctx, ut):
    p = ut
    docs = _older_than_watermarks(p)
    order, amount = docs["order"], docs["order"]["СуммаДокумента"]
    _name(p, {F["number"]: order["Number"]})

    assert _pull(p["member"]) >= 1
    deal = _deal(p)
    assert (deal[F["status"]], deal[F["shipped"]]) == ("fully", "fully")
    assert float(deal[F["sum"]]) == pytest.approx(amount)
    assert float(deal[F["left"]]) == pytest.approx(0.0)
    assert deal["STAGE_ID"] == STAGES["shipped"]
    comments = _comments(p)
    assert sum(f"№ {docs['receipt']['Number']}" in c and "поступила оплата" in c for c in comments) == 1
    assert sum(f"отгрузка № {docs['sale']['Number']}" in c for c in comments) == 1
    links = ctx.links.for_entity(p["member"], "deal_named", p["deal"])
    assert [(lk.onec_ref, lk.onec_number) for lk in links] == [(order["Ref_Key"], order["Number"])]
    # The app never takes such an order for one it made: the deal push does not see it as its own.
    assert ctx.links.for_entity(p["member"], "deal", p["deal"]) == []

    # A second pull changes nothing: no field write, no comment again.
    modified = deal["DATE_MODIFY"]
    assert _pull(p["member"]) == 0
    assert _deal(p)["DATE_MODIFY"] == modified
    assert _comments(p) == comments


def test_bare_number_and_later_payment_follow_the_stream(ctx, ut):
    """The digits alone ("73" for "ТД00-000073") name the order; a payment made after the link is the stream's."""
    p = ut
    docs = _older_than_watermarks(p, paid=100.0, shipped=False)
    order = docs["order"]
    bare = order["Number"].rsplit("-", 1)[1].lstrip("0")
    _name(p, {F["number"]: bare})
    _pull(p["member"])
    deal = _deal(p)
    assert (deal[F["status"]], float(deal[F["sum"]]), deal[F["shipped"]]) == ("partly", 100.0, "no")
    assert deal["STAGE_ID"] == STAGES["partly_paid"]

    second = p["onec"].pay(order, 50.0)
    _pull(p["member"])
    deal = _deal(p)
    assert float(deal[F["sum"]]) == pytest.approx(150.0)
    assert sum(f"№ {second['Number']}" in c for c in _comments(p)) == 1


def test_origin_id_guid_links_the_order(ctx, ut):
    p = ut
    docs = _older_than_watermarks(p, paid=100.0)
    order = docs["order"]
    _name(p, {"ORIGIN_ID": order["Ref_Key"].upper()})  # a GUID names the Ref_Key, whatever its case
    _pull(p["member"])
    deal = _deal(p)
    assert (deal[F["status"]], deal[F["shipped"]]) == ("partly", "fully")
    assert float(deal[F["left"]]) == pytest.approx(order["СуммаДокумента"] - 100.0)
    assert deal["STAGE_ID"] == STAGES["shipped"]
    assert [lk.onec_ref for lk in ctx.links.for_entity(p["member"], "deal_named", p["deal"])] == [order["Ref_Key"]]


def test_unknown_number_is_reported_and_nothing_written(ctx, ut):
    p = ut
    before = _deal(p)
    comments = _comments(p)
    _name(p, {F["number"]: "НЕТ-999999"})
    modified = _deal(p)["DATE_MODIFY"]
    _pull(p["member"])
    _pull(p["member"])
    deal = _deal(p)
    assert deal["DATE_MODIFY"] == modified
    assert all(deal.get(F[k]) == before.get(F[k]) for k in ("status", "sum", "left", "shipped"))
    assert _comments(p) == comments
    assert ctx.links.for_entity(p["member"], "deal_named", p["deal"]) == []
    reported = [e for e in ctx.journal.recent(p["member"]) if e.kind == "order_link"]
    assert len(reported) == 1  # once, not on every pass
    assert reported[0].status == "skipped" and reported[0].entity == f"deal:{p['deal']}"
    assert "НЕТ-999999" in reported[0].error and "matches no 1C order" in reported[0].error

    # Long after (the listing watermark is past the deal's last change), 1C gets an order under that number: the
    # next pass looks at the deal again and links it, the deal itself untouched.
    base_id = ctx.bases.list(p["member"])[0].id
    state = ctx.watermarks.get(p["member"], base_id, "order_links")
    ctx.watermarks.put(p["member"], base_id, "order_links", {**state, "since": "2099-01-01T00:00:00+03:00"})
    order = p["onec"].order()
    entered = _copy(order)
    entered["Number"] = "НЕТ-999999"
    p["onec"].odata.update(p["onec"].order_set, order["Ref_Key"], entered)
    _pull(p["member"])
    assert [lk.onec_ref for lk in ctx.links.for_entity(p["member"], "deal_named", p["deal"])] == [order["Ref_Key"]]
    assert _deal(p)[F["status"]] == "no"


def test_edited_number_moves_the_link(ctx, ut):
    p = ut
    first = _older_than_watermarks(p, paid=100.0, shipped=False)
    second = _older_than_watermarks(p)
    _name(p, {F["number"]: first["order"]["Number"]})
    _pull(p["member"])
    assert _deal(p)[F["status"]] == "partly"

    _name(p, {F["number"]: second["order"]["Number"]})
    _pull(p["member"])
    deal = _deal(p)
    assert (deal[F["status"]], deal[F["shipped"]]) == ("fully", "fully")
    links = ctx.links.for_entity(p["member"], "deal_named", p["deal"])
    assert [lk.onec_ref for lk in links] == [second["order"]["Ref_Key"]]
    # The first order no longer speaks for the deal: its new payment changes nothing there.
    p["onec"].pay(first["order"], 10.0)
    _pull(p["member"])
    assert float(_deal(p)[F["sum"]]) == pytest.approx(second["order"]["СуммаДокумента"])

    # Edited to a number of no order: the deal follows none (nothing guessed), and says so in the journal.
    _name(p, {F["number"]: "НЕТ-1"})
    _pull(p["member"])
    assert ctx.links.for_entity(p["member"], "deal_named", p["deal"]) == []
    assert [e.entity for e in ctx.journal.recent(p["member"]) if e.kind == "order_link"] == [f"deal:{p['deal']}"]


def test_deal_routed_to_another_base_is_not_linked_here(ctx, ut):
    p = ut
    docs = _older_than_watermarks(p)
    base_id = ctx.bases.list(p["member"])[0].id
    settings, version = ctx.portal_settings.load(p["member"])
    ctx.portal_settings.save(p["member"], PortalSettings.from_json(
        {**settings.to_json(), "category_bases": {"0": base_id + 1}}), version)
    _name(p, {F["number"]: docs["order"]["Number"]})
    _pull(p["member"])
    assert ctx.links.for_entity(p["member"], "deal_named", p["deal"]) == []
    assert not _deal(p).get(F["status"])

    # Long after (the listing watermark is past the deal's last change), the pipeline sells through this base
    # again: a new mapping lists every deal again, and the deal, unchanged since, is linked on the next pass.
    state = ctx.watermarks.get(p["member"], base_id, "order_links")
    assert state["since"]
    ctx.watermarks.put(p["member"], base_id, "order_links", {**state, "since": "2099-01-01T00:00:00+03:00"})
    settings, version = ctx.portal_settings.load(p["member"])
    ctx.portal_settings.save(p["member"], PortalSettings.from_json(
        {**settings.to_json(), "category_bases": {"0": base_id}}), version)
    _pull(p["member"])
    assert _deal(p)[F["status"]] == "fully"


def test_portal_lists_deals_whose_field_is_not_empty(ut):
    """The filter the pass lists deals with: `"!=FIELD": ""` is "not empty" in the REST docs' own example
    (api-reference/crm/contacts/crm-contact-list.md: "first name and last name are not empty")."""
    p = ut
    _name(p, {F["number"]: "ТД00-000001", "ORIGIN_ID": ""})
    for field in (F["number"], "ORIGIN_ID"):
        named = {str(d["ID"]) for d in p["client"].iterate_by_id("crm.deal.list", {
            "filter": {f"!={field}": ""}, "select": ["ID", field]})}
        assert named == ({p["deal"]} if field == F["number"] else set())


@pytest.fixture
def bp(ctx, installed, sandbox_url, releases_url, settings_env):
    """A БП 3.0 base, where the customer invoice is the order document; history read once."""
    p = _portal(ctx, sandbox_url)
    odata = sd.release_base(ctx, p["member"], releases_url, "bp", "bp30")
    p["onec"] = OneC(odata, releases_url, "bp", "Document_СчетНаОплатуПокупателю")
    _pull(p["member"])
    return p


def test_bp_invoice_number_brings_payment_and_sale(ctx, bp):
    p = bp
    docs = _older_than_watermarks(p, lines=2, paid=1000.0)
    invoice = docs["order"]
    _name(p, {F["number"]: invoice["Number"]})
    _pull(p["member"])
    deal = _deal(p)
    assert (deal[F["status"]], deal[F["shipped"]]) == ("partly", "fully")
    assert float(deal[F["sum"]]) == pytest.approx(1000.0)
    assert float(deal[F["left"]]) == pytest.approx(invoice["СуммаДокумента"] - 1000.0)
    assert sum(f"№ {docs['receipt']['Number']}" in c for c in _comments(p)) == 1
    assert sum(f"№ {docs['sale']['Number']}" in c for c in _comments(p)) == 1
    comments = _comments(p)
    assert _pull(p["member"]) == 0
    assert _comments(p) == comments


def test_number_of_several_orders_is_not_guessed(ctx, ut):
    """1C numbers restart each year: last year's order under the same number makes the name ambiguous."""
    p = ut
    docs = _older_than_watermarks(p, paid=100.0, shipped=False)
    order = docs["order"]
    twin = _copy(order)
    twin.update(Number=order["Number"], Date=f"{int(order['Date'][:4]) - 1}{order['Date'][4:]}")
    p["onec"].odata.create(p["onec"].order_set, twin)
    _name(p, {F["number"]: order["Number"]})
    _pull(p["member"])
    assert ctx.links.for_entity(p["member"], "deal_named", p["deal"]) == []
    assert not _deal(p).get(F["status"])
    reported = [e for e in ctx.journal.recent(p["member"]) if e.kind == "order_link"]
    assert len(reported) == 1 and "matches 2 1C orders" in reported[0].error


def test_an_order_the_app_makes_later_replaces_the_named_one(ctx, ut, onec_url):
    p = ut
    named = _older_than_watermarks(p, paid=100.0, shipped=False)["order"]
    _name(p, {F["number"]: named["Number"]})
    _pull(p["member"])
    assert _deal(p)[F["status"]] == "partly"

    # The manager sends the deal to 1C (the card's button): the app makes the deal's own order and writes its
    # number into the field; from then on that order is the deal's, not the one it named.
    items = sd.catalog_items(p["client"], sd.onec(onec_url), 1)
    sd.set_rows(p["client"], p["deal"], items, [1])
    made = deal_orders(ctx, p["member"]).push(p["deal"], force=True)
    assert made.ref_key != named["Ref_Key"] and _deal(p)[F["number"]] == made.number
    _pull(p["member"])
    assert ctx.links.for_entity(p["member"], "deal_named", p["deal"]) == []
    p["onec"].pay(named, 10.0)
    _pull(p["member"])
    deal = _deal(p)
    assert (deal[F["status"]], float(deal[F["sum"]] or 0)) == ("no", 0.0)


def test_documents_new_to_both_streams_are_told_once(ctx, ut):
    """The receipt and the sale are new to the streams too when the deal names their order: the link brings them,
    and the shipments stream reading the same sale afterwards knows the comment was posted (same DataVersion)."""
    p = ut
    onec = p["onec"]
    order = onec.order()
    receipt = onec.pay(order, 100.0)
    sale = onec.ship(order)
    _name(p, {F["number"]: order["Number"]})
    assert pull_stream(p["member"], "payments") == 1
    assert (_deal(p)[F["status"]], _deal(p)[F["shipped"]]) == ("partly", "fully")
    comments = _comments(p)
    assert pull_stream(p["member"], "shipments") == 0
    assert _comments(p) == comments
    assert sum(f"№ {receipt['Number']}" in c for c in comments) == 1
    assert sum(f"№ {sale['Number']}" in c for c in comments) == 1


def test_a_cleared_number_unlinks_the_deal(ctx, ut):
    """A manager empties the order-number field: the deal stops following the order it named."""
    p = ut
    docs = _older_than_watermarks(p, paid=100.0, shipped=False)
    _name(p, {F["number"]: docs["order"]["Number"]})
    _pull(p["member"])
    assert _deal(p)[F["status"]] == "partly"

    _name(p, {F["number"]: ""})
    _pull(p["member"])
    assert ctx.links.for_entity(p["member"], "deal_named", p["deal"]) == []
    p["onec"].pay(docs["order"], 10.0)  # the order's later payment is no longer the deal's
    _pull(p["member"])
    assert float(_deal(p)[F["sum"]]) == pytest.approx(100.0)


def test_the_card_tab_shows_the_order_the_deal_follows(ctx, ut, running_app, settings, sandbox_url):
    """A bare number ("73") linked to its order stays linked when 1C later gets another order ending in 73 under
    another prefix; the tab shows the order the streams follow, not the newest match of the number."""
    p = ut
    docs = _older_than_watermarks(p, paid=100.0, shipped=False)
    order = docs["order"]
    bare = order["Number"].rsplit("-", 1)[1].lstrip("0")
    _name(p, {F["number"]: bare})
    _pull(p["member"])
    newer = p["onec"].order()
    renumbered = _copy(newer)
    renumbered["Number"] = "ЯЯ00-" + order["Number"].rsplit("-", 1)[1]
    p["onec"].odata.update(p["onec"].order_set, newer["Ref_Key"], renumbered)
    _pull(p["member"])
    assert [lk.onec_ref for lk in ctx.links.for_entity(p["member"], "deal_named", p["deal"])] == [order["Ref_Key"]]

    page = open_tab(running_app.url, "deal", frame_params(sandbox_url, settings.client_id, "CRM_DEAL_DETAIL_TAB",
                                                          p["deal"]))
    assert page.status_code == 200, page.text[:300]
    assert order["Number"] in page.text and renumbered["Number"] not in page.text


def test_an_ut_invoice_number_links_the_order_it_was_made_from(ctx, ut):
    """In УТ 11 the invoice is a document of its own (СчетНаОплатуКлиенту, ДокументОснование = the order): a deal
    that names the invoice's number follows the order."""
    p = ut
    docs = _older_than_watermarks(p, paid=100.0, shipped=False)
    order, odata = docs["order"], p["onec"].odata
    invoices = "Document_СчетНаОплатуКлиенту"
    body = _copy(odata.query(invoices, top=1).rows[0])
    # Invoices are numbered apart from orders; a number no order has, so only the invoice can name the order.
    body.update(ДокументОснование=order["Ref_Key"], ДокументОснование_Type="StandardODATA.Document_ЗаказКлиента",
                Комментарий="Счёт к заказу, введённый в 1С вручную", Number="СЧ00-000777")
    invoice = odata.get(invoices, odata.create(invoices, body)["Ref_Key"])
    assert invoice["Number"] == "СЧ00-000777"
    _name(p, {F["number"]: invoice["Number"]})
    _pull(p["member"])
    links = ctx.links.for_entity(p["member"], "deal_named", p["deal"])
    assert [lk.onec_ref for lk in links] == [order["Ref_Key"]]
    deal = _deal(p)
    assert (deal[F["status"]], float(deal[F["sum"]])) == ("partly", 100.0)
