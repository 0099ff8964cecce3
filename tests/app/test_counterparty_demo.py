"""The demo's CRM partly overlaps its УТ 11 base, so the counterparty preview has something of every kind to show:
both sandboxes started as `b24app demo` starts them, the demo's cards made through REST (`add_demo_cards`), and the
preview finding the same INN + KPP, a branch's card with another KPP, a name to confirm and the CRM's pair sharing
a phone — each checked by the card's title and the counterparty's INN, as the two systems hold them."""

from __future__ import annotations

import pytest

from b24app.demo import add_demo_cards
from b24app.jobs.counterparty_preview import preview_base
from tests.app.conftest import ONEC_LOGIN, ONEC_PASSWORD
from tests.support.processes import get_json, start_server
from tests.support.sync_data import unthrottle

pytestmark = pytest.mark.db


@pytest.fixture(scope="module")
def portal_sandbox():
    server = start_server(["b24sandbox.portal", "--port", "0", "--deals", "10", "--demo"], "SANDBOX_PORTAL_URL")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def onec_sandbox():
    server = start_server(["b24sandbox.onec", "--port", "0", "--demo", "--counterparties", "40", "--bases",
                           "ut:ut11", "--user", ONEC_LOGIN, "--password", ONEC_PASSWORD], "SANDBOX_1C_URL")
    yield server
    server.stop()


def _pairs(preview: dict, name: str) -> list[tuple[str, list[str], list[str]]]:
    """(1C INN, CRM titles, CRM INNs) of each row of a list."""
    return [(row["onec"][0]["inn"], [c["name"] for c in row["crm"]], [c["inn"] for c in row["crm"]])
            for row in preview["lists"][name]]


def test_the_demo_preview_shows_every_kind(ctx, installed, sandbox_url, onec_url, settings_env):
    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    base = ctx.bases.save(member_id, name="ООО «Ромашка» (УТ 11)", url=f"{onec_url}/ut/", login=ONEC_LOGIN,
                          password=ONEC_PASSWORD, profile="ut11", legal_entity="ООО «Ромашка»",
                          legal_entity_inn="7715432107")
    unthrottle(ctx, sandbox_url, member_id)
    from b24sandbox import demo_scenario  # the demo's story; the product never imports the sandboxes

    add_demo_cards(ctx.bitrix(member_id), demo_scenario.PARTIES)
    preview = preview_base(ctx, member_id, base.id)
    by_inn_kpp = _pairs(preview, "by_inn_kpp")
    for inn, title in (("7704231712", "Гранит-Строй"), ("7719375570", "АО Меридиан"),
                       (demo_scenario.CLIENT.inn, demo_scenario.CLIENT.title)):
        assert any(i == inn and title in titles for i, titles, _ in by_inn_kpp), (inn, title)
    assert ("7810150180", ["Северная звезда, филиал в Москве"], ["7810150180"]) in _pairs(preview, "other_kpp")
    assert ("7725400591", ["Технолайн ООО"], [""]) in _pairs(preview, "by_name")
    groups = [sorted(c["name"] for c in row["crm"]) for row in preview["lists"]["crm_duplicates"]]
    assert ["Стройресурс", "Стройресурс (старая карточка)"] in groups
    assert preview["counts"]["to_decide"] >= 2
