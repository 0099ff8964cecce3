"""A settings file carries the catalog's per-base choices by the base's position, and never carries a CommerceML
exchange node or the bases whose counterparties are loaded (those belong to the portal the file is imported into)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from b24app.core.catalog_settings import CatalogSettings
from b24app.core.party_settings import PartySettings
from b24app.store.exchange_nodes import ExchangeNodes
from tests.app.conftest import ONEC_LOGIN, ONEC_PASSWORD
from tests.support.processes import get_json

pytestmark = pytest.mark.db
PRICE = "11111111-2222-3333-4444-555555555555"


def test_export_and_import_keep_routes_and_counterparty_loads_to_the_portal(ctx, installed, sandbox_url):
    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    node = ExchangeNodes(ctx.db, ctx.box).create(member_id, name="Обмен с сайтом")
    ut = ctx.bases.save(member_id, name="УТ", url="https://1c.example.ru/ut/", login=ONEC_LOGIN,
                        password=ONEC_PASSWORD, profile="ut11")
    current, version = ctx.portal_settings.load(member_id)
    ctx.portal_settings.save(member_id, replace(
        current, catalog=CatalogSettings(enabled=True, price_types={str(ut.id): (PRICE,)},
                                         base_price_type={str(ut.id): PRICE}),
        counterparties=PartySettings(enabled_bases=(str(ut.id),), crm_to_onec=True)), version)

    exported = ctx.config_transfer.export_config(member_id)
    assert [b["profile"] for b in exported["bases"]] == ["ut11"]  # the node stays with its portal
    assert exported["settings"]["catalog"]["price_types"] == {"0": [PRICE]}  # by position, not id
    assert exported["settings"]["counterparties"]["enabled_bases"] == []
    assert exported["settings"]["counterparties"]["crm_to_onec"] is True

    # A hand-edited file cannot switch a counterparty load on; the portal's own choice survives the import.
    exported["settings"]["counterparties"]["enabled_bases"] = ["0", "1"]
    current, version = ctx.portal_settings.load(member_id)
    ctx.portal_settings.save(member_id, replace(current, counterparties=PartySettings()), version)
    plan = ctx.config_transfer.plan_import(member_id, json.loads(json.dumps(exported)))
    ctx.config_transfer.apply_import(member_id, plan, {}, ctx.portal_settings.load(member_id)[1])
    after = ctx.portal_settings.get(member_id)
    assert after.catalog.price_types == {str(ut.id): (PRICE,)} and after.catalog.base_price_type == {
        str(ut.id): PRICE}
    assert after.counterparties.enabled_bases == () and after.counterparties.crm_to_onec is True
    assert {b.id for b in ctx.bases.list(member_id)} == {ut.id, node.base_id}


def test_removing_a_base_drops_it_from_the_catalog_choices_and_the_counterparty_loads(ctx, installed, sandbox_url):
    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    gone, kept = (ctx.bases.save(member_id, name=name, url=f"https://1c.example.ru/{name}/", login=ONEC_LOGIN,
                                 password=ONEC_PASSWORD, profile="ut11") for name in ("gone", "kept"))
    current, version = ctx.portal_settings.load(member_id)
    version = ctx.portal_settings.save(member_id, replace(
        current, catalog=CatalogSettings(price_types={str(gone.id): (PRICE,), str(kept.id): (PRICE,)}),
        counterparties=PartySettings(enabled_bases=(str(gone.id), str(kept.id)))), version)
    ctx.config_transfer.remove_base(member_id, gone.id, ctx.portal_settings.load(member_id)[1])
    after = ctx.portal_settings.get(member_id)
    assert after.catalog.price_types == {str(kept.id): (PRICE,)}
    assert after.counterparties.enabled_bases == (str(kept.id),)
