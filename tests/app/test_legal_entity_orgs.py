"""Several organizations in one 1C base, end to end: the sandbox portal, the sandbox 1C (УТ 11), real Redis and the
app's RQ workers handling the portal's events.

The base keeps the books of two legal entities: its own (the first organization, the base's INN) and a second one
the 1C administrator adds to Catalog_Организации. The deal's seller legal-entity list value names the base and the
organization (`legal_entity_bases` + `legal_entity_orgs`). A deal made under A has its order under A; switching the
value to B cancels A's order and makes one under B (one journal entry `legal_entity_switch` naming both sides, one
timeline comment naming both organizations and numbers); switching back reopens A's order; an organization 1C no
longer offers makes the switch fail as an error while the deal keeps its order."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import delete

from b24app.core.portal_settings import PortalSettings
from b24app.jobs import dead_letters
from b24app.store.models import MarkRow
from b24app.sync.to_onec.order_model import ORDER_ORG, order_key, order_org_key
from tests.support import sync_data as sd
from tests.support.processes import post_json

pytestmark = pytest.mark.db

FIELD = "UF_CRM_B24_1C_SELLER"
ORGS = "Catalog_Организации"
# A second organization of the base: a valid ИНН (checksum, stdnum.ru.inn) with its КПП.
B_NAME, B_INN, B_KPP = "ООО «Торговый дом Север»", "7702123454", "770201001"


def _seller_field(client) -> dict[str, str]:
    """The deal list field naming the seller legal entity (crm.deal.userfield.add, USER_TYPE_ID enumeration:
    api-reference/crm/deals/user-defined-fields/crm-deal-userfield-add.md): value -> list item ID."""
    client.call("crm.deal.userfield.add", {"fields": {
        "FIELD_NAME": FIELD.removeprefix("UF_CRM_"), "USER_TYPE_ID": "enumeration", "XML_ID": "b24_1c_seller",
        "EDIT_FORM_LABEL": "Юрлицо продавца", "LIST": [{"VALUE": "A", "SORT": 10}, {"VALUE": "B", "SORT": 20}]}})
    return {i["VALUE"]: i["ID"] for i in client.call("crm.deal.fields").result[FIELD]["items"]}


@pytest.fixture
def shop(ctx, installed, sandbox_url, onec_url, settings_env, monkeypatch):
    """One УТ 11 base selling as its own organization A and as organization B; the seller field maps value "A" to
    (base, A) and "B" to (base, B); a deal with a company and two rows; the order stage set."""
    sd.retune(ctx, monkeypatch, B24APP_SYNC_LEASE_SECONDS="3", B24APP_SYNC_RETRY_BASE_SECONDS="1")
    member = sd.member_id(sandbox_url)
    client = sd.manager(sandbox_url)
    odata = sd.release_base(ctx, member, onec_url, "ut", "ut11")  # the base's INN: its first organization's
    [base] = ctx.bases.list(member)
    [org_a] = odata.query(ORGS, filter=f"ИНН eq '{base.legal_entity_inn}'", select=["Ref_Key", "Description"]).rows
    org_b = odata.create(ORGS, {"Description": B_NAME, "НаименованиеПолное": B_NAME, "ИНН": B_INN, "КПП": B_KPP,
                                "Префикс": "СВ"})
    values = _seller_field(client)
    settings, version = ctx.portal_settings.load(member)
    ctx.portal_settings.save(member, PortalSettings.from_json({
        **settings.to_json(), "legal_entity_field": FIELD,
        "legal_entity_bases": {values["A"]: base.id, values["B"]: base.id},
        # A named by its INN, which is the base's own: its orders keep the key orders had before organizations
        "legal_entity_orgs": {values["A"]: base.legal_entity_inn, values["B"]: B_INN}}), version)
    sd.order_on_stage(ctx, member)
    items = sd.catalog_items(client, odata, 2)
    deal, _, _ = sd.deal_with_company(client)
    sd.set_rows(client, deal, items, [2, 3])
    return dict(member=member, client=client, odata=odata, base=base, deal=deal, value=values, sandbox=sandbox_url,
                org={"A": org_a["Ref_Key"], "B": org_b["Ref_Key"]}, org_name={"A": org_a["Description"], "B": B_NAME},
                inn={"A": base.legal_entity_inn, "B": B_INN})


def _change(env: dict, fields: dict) -> None:
    """What a manager does on the card: the portal raises ONCRMDEALUPDATE, the app's workers handle it.

    The event is delivered once more, as portals may redeliver: the echo count of our own write-backs
    (store/own_writes.py) may take the first delivery for the echo of the order-number write-back when that echo
    arrived before it was counted; a redelivery of an event already handled must change nothing."""
    env["client"].call("crm.deal.update", {"id": env["deal"], "fields": fields})
    post_json(env["sandbox"] + "/_sandbox/events/wait")
    post_json(env["sandbox"] + "/_sandbox/events/fire", {"event": "ONCRMDEALUPDATE", "id": env["deal"]})


def _order(env: dict, org: str) -> list[dict]:
    """The deal's order(s) under organization "A" (the base's own: the plain key) or "B" (the key with its INN)."""
    return sd.orders_with_key(env["odata"], order_key(env["member"], env["deal"], None if org == "A" else B_INN))


def _all_orders(env: dict) -> list[dict]:
    """Every order carrying any key of this deal (the plain one or one with an organization)."""
    prefix = order_key(env["member"], env["deal"])
    rows = env["odata"].query(sd.ORDER_SET, filter=f"substringof('{prefix}', Комментарий) eq true").rows
    return [r for r in rows if any(t == prefix or t.startswith(prefix + ":org:")
                                   for t in (r.get("Комментарий") or "").split())]


def _order_links(ctx, env: dict) -> list[tuple[int, str]]:
    return [(lk.base_id, lk.onec_ref) for lk in ctx.links.for_entity(env["member"], "deal", env["deal"])
            if lk.onec_set == sd.ORDER_SET]


def _comments(env: dict) -> list[str]:
    rows = env["client"].call("crm.timeline.comment.list", {"filter": {
        "ENTITY_TYPE": "deal", "ENTITY_ID": env["deal"]}}).result
    return [c["COMMENT"] for c in rows]


def test_switching_the_organization_inside_one_base_reissues_the_order_and_back_reopens_it(ctx, shop):
    env, member, base_id = shop, shop["member"], shop["base"].id
    _change(env, {FIELD: env["value"]["A"], "STAGE_ID": sd.ORDER_STAGE})
    sd.settle(ctx, env["sandbox"])
    [in_a] = _order(env, "A")
    assert sd.order_live(in_a) and in_a["Организация_Key"] == env["org"]["A"]
    assert _order(env, "B") == [] and sd.switches(ctx, member) == []
    assert _order_links(ctx, env) == [(base_id, in_a["Ref_Key"])]

    _change(env, {FIELD: env["value"]["B"]})
    sd.settle(ctx, env["sandbox"])
    [in_a], [in_b] = _order(env, "A"), _order(env, "B")
    assert sd.order_cancelled(in_a) and in_a["СуммаДокумента"] == 0 and in_a["Организация_Key"] == env["org"]["A"]
    assert sd.order_live(in_b) and in_b["Организация_Key"] == env["org"]["B"]
    assert [line["Количество"] for line in in_b["Товары"]] == [2, 3]
    assert in_b["Контрагент_Key"] == in_a["Контрагент_Key"]  # the same buyer, another seller
    assert _order_links(ctx, env) == [(base_id, in_b["Ref_Key"])]  # the deal follows B's order now
    [switch] = sd.switches(ctx, member)
    assert switch.status == "ok" and switch.base_id == base_id and switch.items == 2
    assert switch.entity == f"deal:{env['deal']} base:{base_id}->{base_id}/{B_INN}"
    deal = env["client"].call("crm.deal.get", {"id": env["deal"]}).result
    assert deal["UF_CRM_B24_1C_ORDER"] == in_b["Number"] and deal["UF_CRM_B24_1C_PAID"] == "no"
    told = [c for c in _comments(env) if "Юрлицо продавца изменилось" in c]
    assert len(told) == 1
    assert (f"заказ клиента № {in_a['Number']} ({env['org_name']['A']}, ИНН {env['inn']['A']}" in told[0]
            and f"заказ клиента № {in_b['Number']} ({B_NAME}, ИНН {B_INN}" in told[0]), told[0]

    # the same event again: nothing is written in 1C, nothing journaled as a switch, no second comment
    versions = (in_a["DataVersion"], in_b["DataVersion"])
    comments = len(_comments(env))
    post_json(env["sandbox"] + "/_sandbox/events/fire", {"event": "ONCRMDEALUPDATE", "id": env["deal"]})
    sd.settle(ctx, env["sandbox"])
    [in_a], [in_b] = _order(env, "A"), _order(env, "B")
    assert (in_a["DataVersion"], in_b["DataVersion"]) == versions
    assert len(sd.switches(ctx, member)) == 1 and len(_comments(env)) == comments

    # and back to A: A's order is reopened, B's cancelled; no third order
    first_a = in_a["Ref_Key"]
    _change(env, {FIELD: env["value"]["A"]})
    sd.settle(ctx, env["sandbox"])
    [in_a], [in_b] = _order(env, "A"), _order(env, "B")
    assert in_a["Ref_Key"] == first_a and sd.order_live(in_a) and sd.order_cancelled(in_b)
    assert len(_all_orders(env)) == 2
    assert _order_links(ctx, env) == [(base_id, in_a["Ref_Key"])]
    assert [s.status for s in sd.switches(ctx, member)] == ["ok", "ok"]
    assert sd.switches(ctx, member)[0].entity == f"deal:{env['deal']} base:{base_id}/{B_INN}->{base_id}"
    assert env["client"].call("crm.deal.get", {"id": env["deal"]}).result["UF_CRM_B24_1C_ORDER"] == in_a["Number"]


def test_a_deal_made_under_the_second_organization_keeps_its_order_there(ctx, shop):
    """A deal whose first order is made under B: the order carries B, and later changes update it — the link's
    organization is remembered, so no switch is seen where there is none."""
    env, member = shop, shop["member"]
    _change(env, {FIELD: env["value"]["B"], "STAGE_ID": sd.ORDER_STAGE})
    sd.settle(ctx, env["sandbox"])
    [in_b] = _order(env, "B")
    assert sd.order_live(in_b) and in_b["Организация_Key"] == env["org"]["B"] and _order(env, "A") == []
    sd.set_rows(env["client"], env["deal"], [], [])  # rows changed: the same order is updated, not re-issued
    items = sd.catalog_items(env["client"], env["odata"], 1)
    sd.set_rows(env["client"], env["deal"], items, [7])
    _change(env, {"TITLE": "Поставка, изменены строки"})
    sd.settle(ctx, env["sandbox"])
    [again] = _order(env, "B")
    assert again["Ref_Key"] == in_b["Ref_Key"] and [line["Количество"] for line in again["Товары"]] == [7]
    assert _order(env, "A") == [] and sd.switches(ctx, member) == []

    # a link whose organization is not recorded (an order linked, not made by the app): 1C is asked which
    # organization the order has, and the order under B stays the deal's order
    with ctx.db.transaction() as s:
        s.execute(delete(MarkRow).where(MarkRow.scope == ORDER_ORG))
    _change(env, {"TITLE": "Поставка, ещё раз"})
    sd.settle(ctx, env["sandbox"])
    assert [o["Ref_Key"] for o in _order(env, "B")] == [in_b["Ref_Key"]] and sd.order_live(_order(env, "B")[0])
    assert _order(env, "A") == [] and sd.switches(ctx, member) == []
    assert ctx.marks.get(ORDER_ORG, order_org_key(member, env["deal"], env["base"].id)) == B_INN


def test_a_switch_to_an_organization_1c_no_longer_offers_is_an_error_and_the_deal_keeps_its_order(ctx, shop):
    env, member, base_id = shop, shop["member"], shop["base"].id
    _change(env, {FIELD: env["value"]["A"], "STAGE_ID": sd.ORDER_STAGE})
    sd.settle(ctx, env["sandbox"])
    [in_a] = _order(env, "A")

    # the 1C administrator marks organization B for deletion: 1C no longer lets orders be made under it
    env["odata"].update(ORGS, env["org"]["B"], {"DeletionMark": True})
    _change(env, {FIELD: env["value"]["B"]})
    sd.settle(ctx, env["sandbox"])
    [still] = _order(env, "A")
    assert sd.order_live(still) and still["DataVersion"] == in_a["DataVersion"] and _order(env, "B") == []
    assert _order_links(ctx, env) == [(base_id, in_a["Ref_Key"])]
    [failure] = sd.switches(ctx, member)
    assert failure.status == "error" and B_INN in failure.error
    assert failure.entity == f"deal:{env['deal']} base:{base_id}->{base_id}/{B_INN}"
    deal = env["client"].call("crm.deal.get", {"id": env["deal"]}).result
    assert deal["UF_CRM_B24_1C_ORDER"] == in_a["Number"]
    [dead] = ctx.outbox.dead(member)
    assert B_INN in dead.last_error and dead.attempts == 1  # permanent: no retries spent on it

    # the organization is restored and the dead letter replayed: the switch completes
    env["odata"].update(ORGS, env["org"]["B"], {"DeletionMark": False})
    letter = next(d for d in dead_letters.list_dead(ctx, member) if d.outbox_id == dead.id)
    assert dead_letters.replay(ctx, member, letter.ref)
    sd.settle(ctx, env["sandbox"])
    [in_a], [in_b] = _order(env, "A"), _order(env, "B")
    assert sd.order_cancelled(in_a) and sd.order_live(in_b)
    assert [s.status for s in sd.switches(ctx, member)] == ["ok", "error"]  # newest first


def test_export_and_import_carry_the_organizations_and_warehouses(ctx, shop):
    """The settings file names bases by position: the warehouse map is re-keyed with them, the organizations
    travel as INNs; importing the file back gives the same settings; removing the base drops its warehouses."""
    env, member, base_id = shop, shop["member"], shop["base"].id
    stores = [r["Ref_Key"] for r in env["odata"].query("Catalog_Склады", filter="IsFolder eq false",
                                                       select=["Ref_Key"], top=2).rows]
    settings, version = ctx.portal_settings.load(member)
    ctx.portal_settings.save(member, PortalSettings.from_json({**settings.to_json(), "warehouses": {
        str(base_id): stores[0], f"{base_id}:1": stores[1]}}), version)
    before = ctx.portal_settings.get(member)

    exported = json.loads(json.dumps(ctx.config_transfer.export_config(member), ensure_ascii=False))
    assert exported["settings"]["warehouses"] == {"0": stores[0], "0:1": stores[1]}
    assert exported["settings"]["legal_entity_orgs"] == {env["value"]["A"]: env["inn"]["A"], env["value"]["B"]: B_INN}

    _, version = ctx.portal_settings.load(member)
    ctx.portal_settings.save(member, PortalSettings(), version)
    plan = ctx.config_transfer.plan_import(member, exported)
    ctx.config_transfer.apply_import(member, plan, {}, ctx.portal_settings.load(member)[1])
    assert ctx.portal_settings.get(member) == before

    ctx.config_transfer.remove_base(member, base_id, ctx.portal_settings.load(member)[1])
    after = ctx.portal_settings.get(member)
    assert after.warehouses == {} and after.legal_entity_bases == {}
    assert after.legal_entity_orgs == before.legal_entity_orgs  # INNs name no base: kept for the next base
