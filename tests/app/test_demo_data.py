"""The demo tells one story in both systems: every linked deal and its company agree with 1C.

Both sandboxes are started as `b24app demo` starts them (``--demo``) and linked by the demo's own
`link_demo_data`; then each deal carrying a 1C order number is compared, over HTTP, with what 1C holds — amount,
rows (item by XML_ID/article, quantity, price, VAT), stage against the 1C state, the payment and shipment fields
and the card tab's figures — and each of their companies with its counterparty in every base (name, full name,
ИНН/КПП, debt). Nothing is compared with the scenario the data was seeded from: only the two systems with each
other, so a change that makes either side tell a different story fails here.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from b24app.bitrix.client import BitrixClient
from b24app.core.formatting import money
from b24app.core.model import ZERO, OrderDocuments, PaidStatus
from b24app.core.portal_settings import PortalSettings
from b24app.demo import link_demo_data
from b24app.onec import refs
from b24app.onec.readers import OneCDocuments
from b24app.sync.linking import REQUISITE_COMPANY
from b24app.sync.to_bitrix.deal_state import shipped_status
from tests.app.conftest import ONEC_LOGIN, ONEC_PASSWORD
from tests.support.processes import get_json, start_server
from tests.support.sync_data import settle, unthrottle
from tests.support.tabs_data import frame_params, open_tab

KOPECK = Decimal("0.01")


@pytest.fixture(scope="module")
def portal_sandbox():
    """The sandbox portal as the demo starts it."""
    server = start_server(["b24sandbox.portal", "--port", "0", "--deals", "60", "--demo"], "SANDBOX_PORTAL_URL")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def onec_sandbox():
    """The sandbox 1C (УТ 11 and БП 3.0) as the demo starts it."""
    server = start_server(["b24sandbox.onec", "--port", "0", "--demo", "--user", ONEC_LOGIN,
                           "--password", ONEC_PASSWORD], "SANDBOX_1C_URL")
    yield server
    server.stop()


@pytest.fixture
def demo(ctx, settings_env, installed, sandbox_url, onec_url) -> dict:
    cards = link_demo_data(ctx, sandbox_url, onec_url)  # at the portal's real rate limit, as the demo runs it
    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    # The checks read every row, product and requisite one by one: more than a portal's burst allows.
    unthrottle(ctx, sandbox_url, member_id)
    # The app's worker handles the events the demo's own writes raised, as the demo's worker does: the story
    # must still hold afterwards (no second order made, no stage moved).
    settle(ctx, sandbox_url)
    settings = ctx.portal_settings.get(member_id)
    bases = {base.id: base for base in ctx.bases.list(member_id)}
    readers = {base_id: OneCDocuments.for_base(ctx.bases.connection(member_id, base_id), egress=ctx.egress)
               for base_id in bases}
    return {"cards": cards, "member_id": member_id, "client": ctx.bitrix(member_id), "settings": settings,
            "readers": readers, "bases": bases}


def _dec(value: object) -> Decimal:
    return Decimal(str(value or 0)).quantize(KOPECK, rounding=ROUND_HALF_UP)


def _linked_deals(client: BitrixClient, settings: PortalSettings) -> list[dict]:
    number_f = settings.deal_fields["order_number"]
    deals = client.list_all("crm.deal.list", {"filter": {f"!{number_f}": ""}, "select": ["*", "UF_*"]})
    return [d for d in deals if str(d.get(number_f) or "").strip()]


def _base_of(demo: dict, deal: dict) -> int:
    settings = demo["settings"]
    return settings.legal_entity_bases[str(deal[settings.legal_entity_field])]


def _seller(reader: OneCDocuments, order_key: str) -> tuple[str, str]:
    """(name, ИНН) of the organization the 1C order is made by."""
    spec = reader.profile.object("customer_order")
    organization = reader.profile.object("organization")
    org_key = refs.read(spec.fields["organization"], reader.client.get(spec.entity_set, order_key),
                        organization.entity_set)
    org = reader.client.get(organization.entity_set, org_key)
    return org[organization.field("name")], org[organization.field("inn")]


def _order_lines(reader: OneCDocuments, order_key: str) -> list[dict]:
    """The order's goods rows with each item's article, name and the row's figures (profile names only)."""
    spec = reader.profile.object("customer_order")
    goods = spec.table("goods")
    product = reader.profile.object("product")
    row = reader.client.get(spec.entity_set, order_key)
    lines = []
    for line in sorted(row[goods.name], key=lambda r: r["LineNumber"]):
        item_key = refs.read(goods.fields["product"], line, product.entity_set)
        item = reader.client.get(product.entity_set, item_key)
        lines.append({"key": item_key, "article": item[product.field("article")],
                      "name": item[product.field("name")],
                      **{f: _dec(line[goods.fields[f].name]) for f in ("quantity", "price", "amount", "vat_amount")},
                      "cancelled": bool(line.get(goods.fields["cancelled"].name)) if "cancelled" in goods.fields
                      else False})
    return lines


def _check_rows(client: BitrixClient, deal: dict, lines: list[dict]) -> None:
    rows = sorted(client.call("crm.deal.productrows.get", {"id": deal["ID"]}).result, key=lambda r: r["SORT"])
    assert len(rows) == len(lines), f"deal {deal['ID']}: {len(rows)} rows, 1C order {len(lines)}"
    for row, line in zip(rows, lines, strict=True):
        product = client.call("crm.product.get", {"id": row["PRODUCT_ID"]}).result
        where = f"deal {deal['ID']} row «{row['PRODUCT_NAME']}»"
        # A portal names a 1C item by its article or its Ref_Key in XML_ID (tests/support/sync_data.py).
        assert product["XML_ID"] in (line["article"], line["key"]), where
        assert row["PRODUCT_NAME"] == line["name"], where
        assert _dec(row["QUANTITY"]) == line["quantity"], where
        assert row["TAX_INCLUDED"] == "Y", where  # 1C's prices of the seeded orders include VAT
        assert _dec(row["PRICE"]) == line["price"], where
        amount = _dec(Decimal(str(row["PRICE"])) * Decimal(str(row["QUANTITY"])))
        assert amount == line["amount"], where
        rate = Decimal(str(row["TAX_RATE"]))
        assert _dec(amount * rate / (100 + rate)) == line["vat_amount"], where
    assert _dec(deal["TAX_VALUE"]) == sum((line["vat_amount"] for line in lines), ZERO), f"deal {deal['ID']}"


def _check_stage(settings: PortalSettings, deal: dict, docs: OrderDocuments, closed: bool) -> None:
    stages = settings.stage_map(deal["CATEGORY_ID"])
    where = f"deal {deal['ID']} in {deal['STAGE_ID']}, 1C order {docs.order.number} paid {docs.status.value}"
    if closed:
        assert deal["STAGE_SEMANTIC_ID"] == "F", where  # given up in 1C: a lost deal
        assert docs.paid == ZERO and docs.shipped == ZERO, where
    elif docs.status is PaidStatus.FULLY:
        assert deal["STAGE_ID"] == stages.paid, where
    elif docs.status is PaidStatus.PARTLY:
        assert deal["STAGE_ID"] == stages.partly_paid, where
    else:
        assert deal["STAGE_SEMANTIC_ID"] == "P", where
        assert deal["STAGE_ID"] not in (stages.partly_paid, stages.paid), where
    if deal["STAGE_SEMANTIC_ID"] == "F":
        assert closed, f"{where}: a lost deal's order must be closed in 1C"


def _check_fields(settings: PortalSettings, deal: dict, docs: OrderDocuments) -> None:
    f = settings.deal_fields
    where = f"deal {deal['ID']}"
    assert deal[f["paid_status"]] == docs.status.value, where
    assert _dec(deal[f["paid_sum"]]) == docs.paid, where
    assert _dec(deal[f["remaining"]]) == docs.remaining, where
    assert deal[f["shipment_status"]] == shipped_status(docs.order.amount, docs.shipped).value, where


def _check_tab(ctx, settings_url: str, sandbox_url: str, client_id: str, deal: dict, docs: OrderDocuments) -> None:
    page = open_tab(settings_url, "deal", frame_params(sandbox_url, client_id, "CRM_DEAL_DETAIL_TAB", deal["ID"]))
    assert page.status_code == 200
    html = page.text
    for figure in (money(_dec(deal["OPPORTUNITY"])), money(docs.paid)):
        assert figure in html, f"deal {deal['ID']}: the tab does not show {figure}"
    assert docs.order.number in html


def test_every_linked_deal_agrees_with_its_1c_order(demo, ctx, settings, sandbox_url):
    client, app_settings = demo["client"], demo["settings"]
    deals = _linked_deals(client, app_settings)
    assert len(deals) >= 4, "the demo links its deals to 1C orders"
    seen = set()
    for deal in deals:
        base = demo["bases"][_base_of(demo, deal)]
        reader = demo["readers"][base.id]
        order = reader.order_by_number(deal[app_settings.deal_fields["order_number"]])
        assert order is not None and not order.deleted and order.posted, f"deal {deal['ID']}"
        docs = reader.order_documents(order)
        where = f"deal {deal['ID']} / 1C {order.number}"
        # The seller the deal names is the base's legal entity and the organization of its 1C order.
        assert _seller(reader, order.key) == (deal[app_settings.legal_entity_field], base.legal_entity_inn), where
        assert base.legal_entity == deal[app_settings.legal_entity_field], where
        assert deal["CURRENCY_ID"] == "RUB", where
        assert _dec(deal["OPPORTUNITY"]) == order.amount, where
        lines = _order_lines(reader, order.key)
        assert sum((line["amount"] for line in lines), ZERO) == order.amount, where
        _check_rows(client, deal, lines)
        closed_value = reader.profile.object("customer_order").values.get("status_closed")
        closed = bool(closed_value) and order.status == closed_value
        assert closed == (bool(lines) and all(line["cancelled"] for line in lines)), where
        _check_stage(app_settings, deal, docs, closed)
        _check_fields(app_settings, deal, docs)
        _check_tab(ctx, settings.public_url, sandbox_url, settings.client_id, deal, docs)
        counterparty = reader.counterparty(order.counterparty_key)
        requisites = client.call("crm.requisite.list", {"filter": {"ENTITY_TYPE_ID": REQUISITE_COMPANY,
                                                                   "ENTITY_ID": deal["COMPANY_ID"]}}).result
        assert [(r["RQ_INN"], r["RQ_KPP"]) for r in requisites] == [(counterparty.inn, counterparty.kpp)], where
        seen.add((deal["ID"], docs.status))
    statuses = {status for _, status in seen}
    assert {PaidStatus.FULLY, PaidStatus.PARTLY} <= statuses, "the demo shows a paid and a partly paid deal"


def _orders_of(reader: OneCDocuments, counterparty_key: str) -> set[str]:
    """Numbers of every order (БП: customer invoice) of the counterparty in the base, closed ones too."""
    spec = reader.profile.object("customer_order")
    condition = refs.equals(spec.fields["counterparty"], counterparty_key,
                            reader.profile.object("counterparty").entity_set)
    rows = reader.client.query(spec.entity_set, filter=condition, select=[spec.field("number")]).rows
    return {row[spec.field("number")] for row in rows}


def test_every_demo_company_is_its_counterparty_in_every_base(demo):
    client, app_settings = demo["client"], demo["settings"]
    deals = _linked_deals(client, app_settings)
    companies = {d["COMPANY_ID"] for d in deals}
    assert companies
    for company_id in companies:
        company = client.call("crm.company.get", {"id": company_id}).result
        requisites = client.call("crm.requisite.list", {"filter": {"ENTITY_TYPE_ID": REQUISITE_COMPANY,
                                                                   "ENTITY_ID": company_id}}).result
        assert len(requisites) == 1
        req = requisites[0]
        debt = ZERO
        for base_id, reader in demo["readers"].items():
            found = reader.counterparties_by_inn(req["RQ_INN"], req["RQ_KPP"])
            where = f"company {company_id} «{company['TITLE']}» in {reader.base.label}"
            assert len(found) == 1, where
            counterparty = found[0]
            assert company["TITLE"] == req["RQ_COMPANY_NAME"] == counterparty.name, where
            assert req["RQ_COMPANY_FULL_NAME"] == counterparty.full_name, where
            assert (counterparty.inn, counterparty.kpp) == (req["RQ_INN"], req["RQ_KPP"]), where
            # Every 1C order of the client is one of the company's deals in this base, and no deal lacks one.
            numbers = {d[app_settings.deal_fields["order_number"]] for d in deals
                       if d["COMPANY_ID"] == company_id and _base_of(demo, d) == base_id}
            assert _orders_of(reader, counterparty.key) == numbers, where
            base_debt = reader.debt([counterparty.key]).receivable
            assert base_debt > ZERO, f"{where}: the demo's client owes money in every base"
            debt = debt + base_debt
        assert _dec(company[app_settings.company_fields["debt"]]) == debt, f"company {company_id}"
