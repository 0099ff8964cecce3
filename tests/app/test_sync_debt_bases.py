"""Debt across bases (issue 12): one company owes money in two 1C bases (the sandbox УТ 11 and БП 3.0, the БП base
keeping the books of two organizations). Each base's pull keeps its own parts in the database; the company's fields
show the sum of all parts and a line per base and organization, whichever base ran last; a payment posted in 1C, a
base switched off and a counterparty no longer reported take their part away; a re-run writes nothing. Real
database, sandbox portal and sandbox 1C over loopback HTTP.

The 1C side is made as people make it in 1C (catalog elements and posted documents written through the standard
OData interface, a payment posted through the sandbox's control API), not through the app's order flow, so each
base holds exactly the debt the test states.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from b24app.core.formatting import money
from b24app.core.portal_settings import DEFAULT_COMPANY_FIELDS
from b24app.jobs.pull import pull_now
from b24app.onec.odata import ODataClient
from b24app.sync.to_bitrix.user_fields import ensure_user_fields
from b24sandbox.onec import russian_ids
from tests.app.conftest import ONEC_LOGIN, ONEC_PASSWORD
from tests.support import sync_data as sd
from tests.support.processes import post_json, wait_until
from tests.support.tabs_data import frame_params, open_tab

pytestmark = pytest.mark.db

DEBT, OVERDUE, BY_BASE = (DEFAULT_COMPANY_FIELDS[k] for k in ("debt", "overdue", "debt_by_base"))
# The figures: 26 366,51 ₽ in УТ and 349 939,55 ₽ in БП (300 000,00 + 49 939,55 under two organizations).
UT_DEBT, BP_DEBT, BP_SECOND_DEBT = Decimal("26366.51"), Decimal("300000.00"), Decimal("49939.55")
TOTAL = UT_DEBT + BP_DEBT + BP_SECOND_DEBT  # 376 306,06
SECOND_ORG = "ООО «Ромашка-Сервис»"


def _first(odata: ODataClient, entity_set: str, field: str = "Ref_Key", **eq: str) -> dict:
    condition = " and ".join(f"{k} eq '{v}'" for k, v in eq.items()) or None
    return odata.query(entity_set, filter=condition, top=1, orderby=field).rows[0]


def _posted(odata: ODataClient, entity_set: str, body: dict) -> dict:
    doc = odata.create(entity_set, body)
    odata.post_document(entity_set, doc["Ref_Key"])
    return doc


def _ut_shipped_order(odata: ODataClient, inn: str, kpp: str, name: str, amount: Decimal, day: datetime) -> dict:
    """A client in УТ 11 with an agreed order shipped in full on `day` and due that day (so it is overdue)."""
    org, rub = _first(odata, "Catalog_Организации"), _first(odata, "Catalog_Валюты", Code="643")
    warehouse = _first(odata, "Catalog_Склады")
    partner = odata.create("Catalog_Партнеры", {"Description": name, "Клиент": True, "ЮрФизЛицо": "Компания"})
    client = odata.create("Catalog_Контрагенты", {"Description": name, "ИНН": inn, "КПП": kpp,
                                                  "Партнер_Key": partner["Ref_Key"], "ЮрФизЛицо": "ЮрЛицо"})
    moment = day.isoformat(timespec="seconds")
    common = {"Date": moment, "Организация_Key": org["Ref_Key"], "Партнер_Key": partner["Ref_Key"],
              "Контрагент_Key": client["Ref_Key"], "Валюта_Key": rub["Ref_Key"], "Склад_Key": warehouse["Ref_Key"],
              "СуммаДокумента": float(amount), "ХозяйственнаяОперация": "РеализацияКлиенту"}
    order = _posted(odata, "Document_ЗаказКлиента", {**common, "Статус": "КОбеспечению", "ДатаОтгрузки": moment})
    _posted(odata, "Document_РеализацияТоваровУслуг", {
        **common, "Статус": "Отгружено", "ЗаказКлиента": order["Ref_Key"],
        "ЗаказКлиента_Type": "StandardODATA.Document_ЗаказКлиента"})
    return order


def _bp_sale(odata: ODataClient, org_key: str, client_key: str, amount: Decimal, day: datetime) -> None:
    """A posted БП 3.0 sale: Дт 62.01 (the client) Кт 90.01.1 for `amount` under organization `org_key`."""
    rub = _first(odata, "Catalog_Валюты", Code="643")
    _posted(odata, "Document_РеализацияТоваровУслуг", {
        "Date": day.isoformat(timespec="seconds"), "Организация_Key": org_key, "Контрагент_Key": client_key,
        "ВалютаДокумента_Key": rub["Ref_Key"], "СуммаДокумента": float(amount)})


@pytest.fixture
def owing(ctx, installed, onec_url, sandbox_url):
    """Company "ООО «Альфа-Стандарт»" (a fresh INN) owing 26 366,51 ₽ in base "УТ Москва" and 300 000,00 +
    49 939,55 ₽ under two organizations in base "БП"; the app's company fields exist in the portal."""
    member = sd.member_id(sandbox_url)
    sd.unthrottle(ctx, sandbox_url, member)
    ensure_user_fields(ctx.bitrix(member), ctx.portal_settings.get(member))
    inn = russian_ids.legal_inn(random.Random(1226))
    kpp = russian_ids.kpp_for(inn)
    name = "ООО «Альфа-Стандарт»"
    manager = sd.manager(sandbox_url)
    company = str(manager.call("crm.company.add", {"fields": {"TITLE": name}}).result)
    manager.call("crm.requisite.add", {"fields": {"ENTITY_TYPE_ID": 4, "ENTITY_ID": company, "PRESET_ID": 1,
                                                  "NAME": name, "RQ_INN": inn, "RQ_KPP": kpp}})
    yesterday = datetime.now().replace(microsecond=0) - timedelta(days=1)

    ut = sd.onec(onec_url, "ut")
    order = _ut_shipped_order(ut, inn, kpp, name, UT_DEBT, yesterday)
    bp = sd.onec(onec_url, "bp")
    client = bp.create("Catalog_Контрагенты", {"Description": name, "ИНН": inn, "КПП": kpp,
                                               "ЮридическоеФизическоеЛицо": "ЮридическоеЛицо"})
    own_org = _first(bp, "Catalog_Организации")
    second_inn = russian_ids.legal_inn(random.Random(2612))
    second_org = bp.create("Catalog_Организации", {"Description": SECOND_ORG, "НаименованиеПолное": SECOND_ORG,
                                                  "ИНН": second_inn, "КПП": russian_ids.kpp_for(second_inn)})
    _bp_sale(bp, own_org["Ref_Key"], client["Ref_Key"], BP_DEBT, yesterday)
    _bp_sale(bp, second_org["Ref_Key"], client["Ref_Key"], BP_SECOND_DEBT, yesterday)

    bases = {
        "ut": ctx.bases.save(member, name="УТ Москва", url=f"{onec_url}/ut/", login=ONEC_LOGIN,
                             password=ONEC_PASSWORD, profile="ut11", legal_entity=_first(ut, "Catalog_Организации")[
                                 "Description"], legal_entity_inn=_first(ut, "Catalog_Организации")["ИНН"]),
        "bp": ctx.bases.save(member, name="БП", url=f"{onec_url}/bp/", login=ONEC_LOGIN, password=ONEC_PASSWORD,
                             profile="bp30", legal_entity=own_org["Description"], legal_entity_inn=own_org["ИНН"]),
    }
    return dict(member=member, manager=manager, company=company, bases=bases, ut=ut, bp=bp, order=order,
                bp_client=client, ut_org=_first(ut, "Catalog_Организации")["Description"],
                bp_org=own_org["Description"], onec_url=onec_url, sandbox_url=sandbox_url)


def _pull(ctx, o: dict, base: str) -> int:
    """Run the debt stream for one base, as "sync now" on the settings page does; companies written."""
    return pull_now(ctx, "debt", o["member"], o["bases"][base].id, None)["updated"]


def _fields(o: dict) -> tuple[str, str, str]:
    got = o["manager"].call("crm.company.get", {"id": o["company"]}).result
    return got.get(DEBT), got.get(OVERDUE), got.get(BY_BASE)


def _line(label: str, amount: Decimal) -> str:
    return f"{label}: {money(amount)}"


def _full_breakdown(o: dict) -> str:
    """Bases by name, organizations by name within a base (as the store orders parts)."""
    bp = sorted([(SECOND_ORG, BP_SECOND_DEBT), (o["bp_org"], BP_DEBT)])
    return "; ".join([*(_line(f"БП, {org}", amount) for org, amount in bp),
                      _line(f"УТ Москва, {o['ut_org']}", UT_DEBT)])


@pytest.mark.parametrize("order", [("ut", "bp"), ("bp", "ut")], ids=["ut-first", "bp-first"])
def test_debt_of_two_bases_is_their_sum_in_either_order(ctx, owing, order):
    o = owing
    first, second = order
    assert _pull(ctx, o, first) >= 1
    alone = {"ut": UT_DEBT, "bp": BP_DEBT + BP_SECOND_DEBT}[first]
    assert Decimal(_fields(o)[0]) == alone  # one base has run: its part only, not the other base's

    assert _pull(ctx, o, second) >= 1
    # УТ tells due dates (its order was due yesterday), БП does not: the known overdue is УТ's.
    assert _fields(o) == (f"{TOTAL:.2f}", f"{UT_DEBT:.2f}", _full_breakdown(o))
    assert money(TOTAL) == "376\u202f306,06\u00a0₽"

    # Nothing changed in 1C: no base writes the company again (a manager's edit of the field stays).
    o["manager"].call("crm.company.update", {"id": o["company"], "fields": {DEBT: "1.00"}})
    assert _pull(ctx, o, first) == 0 and _pull(ctx, o, second) == 0
    assert _fields(o)[0] == "1.00"


def test_a_paid_base_a_disabled_base_and_a_counterparty_gone_take_their_part_away(ctx, owing):
    o = owing
    _pull(ctx, o, "ut")
    _pull(ctx, o, "bp")
    assert Decimal(_fields(o)[0]) == TOTAL

    # The УТ debt is paid in full in 1C: the company owes only what БП reports, and БП tells no due dates.
    post_json(f"{o['onec_url']}/_sandbox/ut/seed/payment",
              {"order_number": o["order"]["Number"], "sum": float(UT_DEBT), "kind": "bank"})
    bp_only = (f"{BP_DEBT + BP_SECOND_DEBT:.2f}", "", "; ".join(
        _line(f"БП, {org}", amount) for org, amount in sorted([(SECOND_ORG, BP_SECOND_DEBT), (o["bp_org"], BP_DEBT)])))

    def paid_shown() -> bool:
        # 1C's Balance(Period=now) leaves out movements of the current second: the payment may need a later pull.
        _pull(ctx, o, "ut")
        return _fields(o) == bp_only

    wait_until(paid_shown, timeout=10, interval=0.3, what="the УТ payment to lower the company's debt")

    # БП is switched off in the settings: its part stops counting at the next pull of any base.
    bp = o["bases"]["bp"]
    ctx.bases.save(o["member"], name=bp.name, url=bp.url, login=bp.login, password=None, profile=bp.profile,
                   legal_entity=bp.legal_entity, legal_entity_inn=bp.legal_entity_inn, enabled=False,
                   base_id=bp.id)
    _pull(ctx, o, "ut")
    assert _fields(o) == ("0.00", "0.00", "")

    # Switched on again, БП counts again; then its counterparty is marked for deletion in 1C, so БП no longer
    # reports the company at all: its part goes with it.
    ctx.bases.save(o["member"], name=bp.name, url=bp.url, login=bp.login, password=None, profile=bp.profile,
                   legal_entity=bp.legal_entity, legal_entity_inn=bp.legal_entity_inn, enabled=True, base_id=bp.id)
    _pull(ctx, o, "ut")
    assert _fields(o) == bp_only
    o["bp"].update("Catalog_Контрагенты", o["bp_client"]["Ref_Key"], {"DeletionMark": True})
    _pull(ctx, o, "bp")
    assert _fields(o) == ("0.00", "0.00", "")


def test_company_tab_shows_each_base_and_organization_with_the_total(ctx, owing, running_app, settings):
    o = owing
    page = open_tab(running_app.url, "company",
                    frame_params(o["sandbox_url"], settings.client_id, "CRM_COMPANY_DETAIL_TAB", o["company"]))
    assert page.status_code == 200, page.text[:500]
    html = page.text
    overview = html[html.index('class="b24-grid debt-by-base"'):]
    overview = overview[:overview.index("</table>")]
    rows = overview.split('<tr class="debt-part"')[1:]
    assert len(rows) == 3
    for org, amount in ((o["ut_org"], UT_DEBT), (o["bp_org"], BP_DEBT), (SECOND_ORG, BP_SECOND_DEBT)):
        assert any(org in r and money(amount) in r for r in rows), (org, amount)
    total = overview[overview.index('class="debt-total"'):]
    assert money(TOTAL) in total and money(UT_DEBT) in total  # the total and the known overdue
