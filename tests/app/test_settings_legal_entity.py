"""The seller legal-entity switch end to end: two sandbox 1C bases (two УТ 11 bases — a БП 3.0 "order" is a
customer invoice without the cancel flags an order has), the list field made by the settings page and mapped to
the bases, a deal moved between legal entities through the sandbox portal, events handled by real RQ workers.

One order per deal and base: a move cancels the order in the old base and makes (or reopens) the one in the new
base as one journal entry `legal_entity_switch`; a replayed event changes nothing; a failing new base leaves the
old order in place and the switch is retried whole. A deal moved to a pipeline of another base (the settings'
`category_bases`) switches the same way, and a legal-entity value mapped to a base still wins over its pipeline."""

from __future__ import annotations

import pytest

from b24app.core.portal_settings import PortalSettings
from b24app.jobs.sync import sweep_outbox
from b24app.onec.base import OneCBase
from b24app.onec.odata import ODataClient
from b24app.sync.to_onec.orders import order_key
from tests.app.conftest import ONEC_LOGIN, ONEC_PASSWORD
from tests.support import sync_data as sd
from tests.support.processes import post_json, start_server, wait_until
from tests.support.settings_data import app_frame, base_form, frame_token, open_settings, post_form

pytestmark = pytest.mark.db

FIELD = "UF_CRM_B24_1C_SELLER"
A, B = "ООО «Ромашка»", "ООО «Ромашка-Сервис»"
ITEMS_SET = "Catalog_Номенклатура"


@pytest.fixture(scope="module")
def onec_sandbox():
    """This module's sandbox 1C: two УТ 11 bases, `ut` and `ut2`, on one port."""
    server = start_server(["b24sandbox.onec", "--port", "0", "--counterparties", "120", "--bases",
                           "ut:ut11,ut2:ut11", "--user", ONEC_LOGIN, "--password", ONEC_PASSWORD], "SANDBOX_1C_URL")
    yield server
    server.stop()


def _twin_items(client, ut, ut2, count: int) -> list[sd.Item]:
    """`count` items present in both bases under one article (each base keeps its own references and units),
    and the Bitrix24 products naming them by that article."""
    query = {"filter": "IsFolder eq false and Артикул ne ''", "select": ["Ref_Key", "Description"],
             "orderby": "Code", "top": count}
    items = []
    for n, (a, b) in enumerate(zip(ut.query(ITEMS_SET, **query).rows, ut2.query(ITEMS_SET, **query).rows,
                                   strict=True)):
        article = f"LE-{n + 1:03d}"
        ut.update(ITEMS_SET, a["Ref_Key"], {"Артикул": article})
        ut2.update(ITEMS_SET, b["Ref_Key"], {"Артикул": article})
        pid = client.call("crm.product.add", {"fields": {"NAME": a["Description"], "XML_ID": article,
                                                         "PRICE": 100 + n}}).result
        items.append(sd.Item(a["Ref_Key"], article, a["Description"], int(pid)))
    return items


@pytest.fixture
def two_bases(ctx, installed, running_app, sandbox_url, onec_url, settings, settings_env, monkeypatch):
    """Bases `ut` (legal entity A) and `ut2` (B) added on the settings page, the seller field created there and
    mapped; the default pipeline's PREPARATION stage makes orders; a deal with a company and two rows."""
    sd.retune(ctx, monkeypatch, B24APP_SYNC_LEASE_SECONDS="3", B24APP_SYNC_RETRY_BASE_SECONDS="1",
              B24APP_SYNC_CIRCUIT_SECONDS="1")
    member = sd.member_id(sandbox_url)
    page = open_settings(running_app.url, app_frame(sandbox_url, settings.client_id))
    assert page.status_code == 200, page.text[:500]
    page = post_form(running_app.url, "/settings/base", frame_token(page.text),
                     base_form(onec_url, name="УТ Ромашка", legal_entity=A))
    page = post_form(running_app.url, "/settings/base", frame_token(page.text),
                     base_form(onec_url, "ut2", name="УТ Ромашка-Сервис", profile="ut11", legal_entity=B,
                               legal_entity_inn=""))
    assert page.status_code == 200, page.text[:500]
    page = post_form(running_app.url, "/settings/legal-field/create", frame_token(page.text))
    assert page.status_code == 200, page.text[:500]
    bases = {b.legal_entity: b.id for b in ctx.bases.list(member)}
    settings_now = ctx.portal_settings.get(member)
    assert settings_now.legal_entity_field == FIELD
    client = sd.manager(sandbox_url)
    values = {i["VALUE"]: i["ID"] for i in client.call("crm.deal.fields").result[FIELD]["items"]}
    assert settings_now.legal_entity_bases == {values[A]: bases[A], values[B]: bases[B]}
    sd.order_on_stage(ctx, member)

    ut = sd.onec(onec_url)
    ut2 = ODataClient(OneCBase(url=f"{onec_url}/ut2/", login=ONEC_LOGIN, password=ONEC_PASSWORD, profile="ut11",
                               name="ut2"), egress=ctx.egress)
    items = _twin_items(client, ut, ut2, 2)
    deal, _, _ = sd.deal_with_company(client)
    sd.set_rows(client, deal, items, [2, 3])
    return dict(member=member, client=client, deal=deal, value=values, base=bases, odata={A: ut, B: ut2},
                sandbox=sandbox_url, onec=onec_url)


def _change(env: dict, fields: dict) -> None:
    """What a manager does on the card: the portal raises ONCRMDEALUPDATE, the app's workers handle it."""
    env["client"].call("crm.deal.update", {"id": env["deal"], "fields": fields})
    post_json(env["sandbox"] + "/_sandbox/events/wait")


def _orders(env: dict, entity: str) -> list[dict]:
    return sd.orders_with_key(env["odata"][entity], order_key(env["member"], env["deal"]))


def _order_links(ctx, env: dict) -> dict[int, str]:
    return {lk.base_id: lk.onec_ref for lk in ctx.links.for_entity(env["member"], "deal", env["deal"])
            if lk.onec_set == sd.ORDER_SET}


def _comments(env: dict) -> list[str]:
    rows = env["client"].call("crm.timeline.comment.list", {"filter": {
        "ENTITY_TYPE": "deal", "ENTITY_ID": env["deal"]}}).result
    return [c["COMMENT"] for c in rows]


def test_switching_the_legal_entity_moves_the_order_between_bases_once_and_back(ctx, two_bases):
    env, member = two_bases, two_bases["member"]
    _change(env, {FIELD: env["value"][A], "STAGE_ID": sd.ORDER_STAGE})
    sd.run_burst(ctx)
    [in_a] = _orders(env, A)
    assert sd.order_live(in_a) and _orders(env, B) == []
    assert _order_links(ctx, env) == {env["base"][A]: in_a["Ref_Key"]}

    _change(env, {FIELD: env["value"][B]})
    sd.run_burst(ctx)
    [in_a], [in_b] = _orders(env, A), _orders(env, B)
    assert sd.order_cancelled(in_a) and in_a["СуммаДокумента"] == 0
    assert sd.order_live(in_b) and [line["Количество"] for line in in_b["Товары"]] == [2, 3]
    assert _order_links(ctx, env) == {env["base"][B]: in_b["Ref_Key"]}  # only B's payments count now
    [switch] = sd.switches(ctx, member)
    assert switch.status == "ok" and switch.base_id == env["base"][B]
    assert switch.entity == f"deal:{env['deal']} base:{env['base'][A]}->{env['base'][B]}"
    deal = env["client"].call("crm.deal.get", {"id": env["deal"]}).result
    assert deal["UF_CRM_B24_1C_ORDER"] == in_b["Number"] and "/ut2/#e1cib/" in deal["UF_CRM_B24_1C_ORDER_URL"]
    assert deal["UF_CRM_B24_1C_PAID"] == "no" and float(deal["UF_CRM_B24_1C_REMAINING"]) == in_b["СуммаДокумента"]
    assert sum("Юрлицо продавца изменилось" in c for c in _comments(env)) == 1

    # the same event again: nothing moves, nothing is written in 1C or journaled as a switch
    versions = (in_a["DataVersion"], in_b["DataVersion"])
    comments = len(_comments(env))
    for _ in range(2):
        post_json(env["sandbox"] + "/_sandbox/events/fire", {"event": "ONCRMDEALUPDATE", "id": env["deal"]})
    sd.run_burst(ctx)
    [in_a], [in_b] = _orders(env, A), _orders(env, B)
    assert (in_a["DataVersion"], in_b["DataVersion"]) == versions
    assert len(sd.switches(ctx, member)) == 1 and len(_comments(env)) == comments

    # and back: A's order is reopened (not a second one), B's is cancelled
    _change(env, {FIELD: env["value"][A]})
    sd.run_burst(ctx)
    [in_a], [in_b] = _orders(env, A), _orders(env, B)
    assert sd.order_live(in_a) and sd.order_cancelled(in_b)
    assert _order_links(ctx, env) == {env["base"][A]: in_a["Ref_Key"]}
    assert [s.status for s in sd.switches(ctx, member)] == ["ok", "ok"]
    assert env["client"].call("crm.deal.get", {"id": env["deal"]}).result["UF_CRM_B24_1C_ORDER"] == in_a["Number"]


def test_a_new_base_that_fails_leaves_the_old_order_and_the_switch_is_retried_whole(ctx, two_bases):
    env, member = two_bases, two_bases["member"]
    _change(env, {FIELD: env["value"][A], "STAGE_ID": sd.ORDER_STAGE})
    sd.run_burst(ctx)
    [in_a] = _orders(env, A)

    post_json(f"{env['onec']}/_sandbox/ut2/fault", {"down": True})
    _change(env, {FIELD: env["value"][B]})
    sd.run_burst(ctx)
    [still] = _orders(env, A)
    assert sd.order_live(still) and still["DataVersion"] == in_a["DataVersion"]  # the deal keeps its order
    assert _order_links(ctx, env) == {env["base"][A]: in_a["Ref_Key"]}
    failures = sd.switches(ctx, member)  # every failed attempt is journaled
    assert failures and all(f.status == "error" and "Ромашка-Сервис" in f.error for f in failures)
    assert all(f.entity == f"deal:{env['deal']} base:{env['base'][A]}->{env['base'][B]}"  # the record of why
               for f in failures)

    post_json(f"{env['onec']}/_sandbox/ut2/fault", {"down": False})
    # the retry's backoff and the base's circuit breaker run out
    wait_until(lambda: sweep_outbox() >= 1, timeout=15, what="the switch's retry to fall due")
    sd.run_burst(ctx)
    [in_a], [in_b] = _orders(env, A), _orders(env, B)
    assert sd.order_cancelled(in_a) and sd.order_live(in_b)
    assert _order_links(ctx, env) == {env["base"][B]: in_b["Ref_Key"]}
    statuses = [s.status for s in sd.switches(ctx, member)]  # newest first
    assert statuses[0] == "ok" and set(statuses[1:]) == {"error"}


def _pipeline_bases(ctx, env: dict, bases: dict[str, str]) -> None:
    """Settings: deals of pipeline "0" sell through `bases["0"]`'s base, of "1" through `bases["1"]`'s (the
    page's select per pipeline saves exactly this; test_settings_web checks the page)."""
    settings, version = ctx.portal_settings.load(env["member"])
    ctx.portal_settings.save(env["member"], PortalSettings.from_json({**settings.to_json(), "category_bases": {
        category: env["base"][entity] for category, entity in bases.items()}}), version)


def test_moving_a_deal_to_a_pipeline_of_another_base_moves_its_order_and_a_legal_entity_still_wins(ctx, two_bases):
    env, member = two_bases, two_bases["member"]
    _pipeline_bases(ctx, env, {"0": A, "1": B})
    # no seller value on the deal: its pipeline (the default one, "0") names the base
    _change(env, {FIELD: "", "STAGE_ID": sd.ORDER_STAGE})
    sd.run_burst(ctx)
    [in_a] = _orders(env, A)
    assert sd.order_live(in_a) and _orders(env, B) == []
    assert _order_links(ctx, env) == {env["base"][A]: in_a["Ref_Key"]}

    # the manager moves the deal to the wholesale pipeline ("1"), which sells through B: the same switch as a
    # legal-entity change (crm.deal.update with CATEGORY_ID stands in for the portal's pipeline move)
    _change(env, {"CATEGORY_ID": "1", "STAGE_ID": "C1:PREPARATION"})
    sd.run_burst(ctx)
    [in_a], [in_b] = _orders(env, A), _orders(env, B)
    assert sd.order_cancelled(in_a) and in_a["СуммаДокумента"] == 0
    assert sd.order_live(in_b) and [line["Количество"] for line in in_b["Товары"]] == [2, 3]
    assert _order_links(ctx, env) == {env["base"][B]: in_b["Ref_Key"]}
    [switch] = sd.switches(ctx, member)
    assert switch.status == "ok" and switch.base_id == env["base"][B] and switch.items == 2
    assert switch.entity == f"deal:{env['deal']} base:{env['base'][A]}->{env['base'][B]}"
    deal = env["client"].call("crm.deal.get", {"id": env["deal"]}).result
    assert deal["CATEGORY_ID"] == "1" and deal["UF_CRM_B24_1C_ORDER"] == in_b["Number"]
    assert "/ut2/#e1cib/" in deal["UF_CRM_B24_1C_ORDER_URL"]
    assert sum("Сделка перешла в воронку другой базы 1С" in c for c in _comments(env)) == 1

    # a replayed event moves nothing
    post_json(env["sandbox"] + "/_sandbox/events/fire", {"event": "ONCRMDEALUPDATE", "id": env["deal"]})
    sd.run_burst(ctx)
    assert len(sd.switches(ctx, member)) == 1 and _orders(env, B)[0]["DataVersion"] == in_b["DataVersion"]

    # in pipeline "1" still, the seller value A names a base: the legal entity wins, A's order is reopened
    _change(env, {FIELD: env["value"][A]})
    sd.run_burst(ctx)
    [in_a], [in_b] = _orders(env, A), _orders(env, B)
    assert sd.order_live(in_a) and sd.order_cancelled(in_b)
    assert _order_links(ctx, env) == {env["base"][A]: in_a["Ref_Key"]}
    assert [s.entity for s in sd.switches(ctx, member)] == [
        f"deal:{env['deal']} base:{env['base'][B]}->{env['base'][A]}",
        f"deal:{env['deal']} base:{env['base'][A]}->{env['base'][B]}"]  # newest first
    assert sum("Юрлицо продавца изменилось" in c for c in _comments(env)) == 1
