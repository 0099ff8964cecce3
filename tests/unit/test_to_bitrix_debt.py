"""Debt of companies linked by INN (+KPP), with every collaborator in memory: only figures that changed since the
last confirmed write are sent, a refused company is written again next time, the balance is asked "as of" the
clock handed in. No Redis, no database, no HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from b24app.core.errors import SyncError
from b24app.onec.profiles import load_profile
from b24app.sync.to_bitrix.debt import WRITTEN, balance_moment, company_counterparties, pull_debt
from tests.support.clock import FakeClock
from tests.support.fakes_bitrix import FakePull

PROFILE = load_profile("ut11")
COUNTERPARTIES = PROFILE.object("counterparty").entity_set
DEBT, OVERDUE, BY_BASE = "UF_CRM_B24_1C_DEBT", "UF_CRM_B24_1C_OVERDUE", "UF_CRM_B24_1C_DEBT_BASES"


def _counterparty(world: FakePull, key: str, inn: str, kpp: str = "", *, deleted: bool = False) -> None:
    world.odata.add(COUNTERPARTIES, {"Ref_Key": key, "DeletionMark": deleted, "ИНН": inn, "КПП": kpp})


@pytest.fixture
def world() -> FakePull:
    """Companies 5 (INN 7701…/KPP 770101) and 6 (INN 5003…) in the portal, one counterparty each in 1C."""
    pull = FakePull(PROFILE)
    pull.bitrix.add_company(5, "7701234567", "770101001")
    pull.bitrix.add_company(6, "5003012345")
    _counterparty(pull, "k5", "7701234567", "770101001")
    _counterparty(pull, "k6", "5003012345")
    pull.documents.receivable.update({"k5": Decimal("2400.00"), "k6": Decimal("0.00")})
    pull.documents.overdue.update({"k5": Decimal("400.00")})
    return pull


def test_debt_is_written_then_only_changed_figures(world):
    assert pull_debt(world.deps) == 2
    assert (world.bitrix.companies["5"][DEBT], world.bitrix.companies["5"][OVERDUE]) == ("2400.00", "400.00")
    assert world.bitrix.companies["5"][BY_BASE] == "База 1, ООО «Фейк»: 2\u202f400,00\u00a0₽"
    # Nothing owed: nothing overdue either, whether or not the base tells due dates; no line per base.
    assert [world.bitrix.companies["6"][f] for f in (DEBT, OVERDUE, BY_BASE)] == ["0.00", "0.00", ""]
    assert world.journal.entries[-1][1].items == 2

    assert pull_debt(world.deps) == 0  # nothing changed in 1C: nothing sent
    assert len(world.bitrix.methods("crm.company.update")) == 2

    world.documents.receivable["k5"] = Decimal("1400.00")
    assert pull_debt(world.deps) == 1
    updates = world.bitrix.methods("crm.company.update")
    assert len(updates) == 3 and updates[-1] == {"id": "5", "fields": {
        DEBT: "1400.00", OVERDUE: "400.00", BY_BASE: "База 1, ООО «Фейк»: 1\u202f400,00\u00a0₽"}}


def test_a_refused_company_is_not_marked_and_is_written_next_time(world):
    world.bitrix.refuse("crm.company.update", 5)
    with pytest.raises(SyncError, match="refused 1 company update.*company 5"):
        pull_debt(world.deps)
    assert set(world.marks.scope(WRITTEN)) == {f"{world.member_id}:6"}
    assert world.journal.entries[-1][1].status == "error"

    world.bitrix.allow("crm.company.update", 5)
    assert pull_debt(world.deps) == 1
    assert [u["id"] for u in world.bitrix.methods("crm.company.update")] == ["5", "6", "5"]
    assert world.bitrix.companies["5"][DEBT] == "2400.00"


def test_a_company_deleted_in_bitrix24_meanwhile_is_no_failure(world):
    del world.bitrix.companies["6"]  # its requisite is still listed
    pull_debt(world.deps)
    assert world.journal.entries[-1][1].status == "ok"
    assert world.bitrix.companies["5"][DEBT] == "2400.00"
    assert pull_debt(world.deps) == 0  # not retried on every run


def test_companies_are_linked_to_their_counterparties(world):
    pull_debt(world.deps)
    [link] = world.links.for_entity(world.member_id, "company", "5")
    assert (link.base_id, link.onec_set, link.onec_ref) == (world.base_id, COUNTERPARTIES, "k5")


def test_the_balance_is_asked_as_of_the_clock():
    clock = FakeClock()
    world = FakePull(PROFILE, clock=clock)
    world.bitrix.add_company(5, "7701234567")
    _counterparty(world, "k5", "7701234567")
    pull_debt(world.deps)
    assert world.documents.asked_as_of == [clock.now().astimezone().replace(tzinfo=None)]
    assert balance_moment(clock).tzinfo is None


def test_inn_and_kpp_pick_the_counterparty():
    by_inn = {"7701": [("k1", "770101"), ("k2", "770102")], "5003": [("k3", ""), ("k4", "")]}
    requisites = [
        {"ENTITY_ID": 1, "RQ_INN": "7701", "RQ_KPP": "770102"},  # the exact pair
        {"ENTITY_ID": 2, "RQ_INN": "7701", "RQ_KPP": "999"},     # no such KPP: every one with the INN
        {"ENTITY_ID": 3, "RQ_INN": "5003", "RQ_KPP": ""},
        {"ENTITY_ID": 4, "RQ_INN": "0000", "RQ_KPP": ""},        # not in 1C
    ]
    assert company_counterparties(requisites, by_inn) == {"1": ["k2"], "2": ["k1", "k2"], "3": ["k3", "k4"]}


def test_deleted_counterparties_are_not_linked(world):
    world.odata.sets[COUNTERPARTIES].clear()
    _counterparty(world, "k5", "7701234567", "770101001", deleted=True)
    assert pull_debt(world.deps) == 0
    assert world.bitrix.methods("crm.company.update") == []
