"""The Bitrix24 → 1C rules alone, with no Redis, database or HTTP: which base a deal's order goes to, when a deal
wants an order, how its rows become 1C goods lines, the link that opens a 1C document, and who the buyer is."""

from __future__ import annotations

import pytest

from b24app.core.errors import PermanentSyncError
from b24app.core.portal_settings import PortalSettings, StageMap
from b24app.onec.profiles import load_profile
from b24app.sync.to_onec import counterparties as cp
from b24app.sync.to_onec.order_body import order_body, order_lines
from b24app.sync.to_onec.order_model import DealBundle, fingerprint, navigation_link
from b24app.sync.to_onec.order_refs import LineRefs, ProductRef, SellerRefs
from b24app.sync.to_onec.orders import _wants_order, choose_base, deal_base
from tests.support.fakes_onec import FakeBases, FakeOneC

UT = load_profile("ut11")
LEGAL = "UF_CRM_SELLER"


def _settings(**changes) -> PortalSettings:
    return PortalSettings(**changes)


# -- which base ---------------------------------------------------------------------------------------------------


def test_the_legal_entity_wins_over_the_pipeline():
    settings = _settings(legal_entity_field=LEGAL, legal_entity_bases={"41": 2}, category_bases={"3": 1})
    assert deal_base(settings, {LEGAL: "41", "CATEGORY_ID": "3"}, [1, 2]) == 2


def test_an_unmapped_legal_entity_falls_back_to_the_pipeline():
    settings = _settings(legal_entity_field=LEGAL, legal_entity_bases={"41": 2}, category_bases={"3": 1})
    assert deal_base(settings, {LEGAL: "42", "CATEGORY_ID": "3"}, [1, 2]) == 1


def test_the_pipeline_wins_over_the_only_base():
    settings = _settings(category_bases={"3": 2})
    assert deal_base(settings, {"CATEGORY_ID": "3"}, [1, 2]) == 2
    # A pipeline without a base (the default one: CATEGORY_ID 0 or missing) leaves it to the only / first base.
    assert deal_base(settings, {"CATEGORY_ID": "0"}, [2, 1]) == 1
    assert deal_base(_settings(), {}, [5]) == 5


@pytest.mark.parametrize("settings, deal", [
    (_settings(legal_entity_field=LEGAL, legal_entity_bases={"41": 3}), {LEGAL: "41"}),
    (_settings(category_bases={"0": 3}), {"CATEGORY_ID": "0"}),
])
def test_a_disabled_or_gone_base_is_a_permanent_error(settings, deal):
    with pytest.raises(PermanentSyncError, match="1C base 3 chosen for .* is disabled or gone"):
        deal_base(settings, deal, [1, 2])


def test_a_legal_entity_field_in_use_but_naming_nothing_says_what_to_map():
    settings = _settings(legal_entity_field=LEGAL, legal_entity_bases={"41": 1})
    with pytest.raises(PermanentSyncError, match="names no 1C base .* map one in the settings"):
        deal_base(settings, {LEGAL: "", "CATEGORY_ID": "2"}, [1, 2])


def test_a_portal_without_an_enabled_base_is_a_permanent_error():
    bases = FakeBases(onec={1: FakeOneC()}, disabled={1})
    with pytest.raises(PermanentSyncError, match="no 1C base is configured"):
        choose_base(bases, _settings(), {"CATEGORY_ID": "0"})
    bases.disabled.clear()
    assert choose_base(bases, _settings(), {"CATEGORY_ID": "0"}) == 1


# -- when a deal wants an order ---------------------------------------------------------------------------------

ORDER_STAGE = "C0:PREPAYMENT_INVOICE"
STAGED = _settings(stages={"0": StageMap(make_order=ORDER_STAGE), "4": StageMap(make_order="C4:WON")})


def _deal(stage: str, semantic: str = "P", category: str = "0") -> DealBundle:
    return DealBundle({"ID": "7", "STAGE_ID": stage, "STAGE_SEMANTIC_ID": semantic, "CATEGORY_ID": category},
                      [], None, [])


@pytest.mark.parametrize("bundle, linked, force, wanted", [
    (_deal(ORDER_STAGE), False, False, "order"),        # reached the pipeline's order stage
    (_deal("NEW"), False, False, None),                 # not yet
    (_deal("C4:WON", category="4"), False, False, "order"),  # each pipeline has its own stage
    (_deal(ORDER_STAGE, category="4"), False, False, None),
    (_deal("NEW"), True, False, "order"),               # a deal with an order keeps it in step at any stage
    (_deal("NEW"), False, True, "order"),               # the button orders whatever the stage
    (_deal("LOSE", "F"), True, False, "cancel"),        # lost: its order is cancelled
    (_deal("LOSE", "F"), True, True, "cancel"),
    (_deal("LOSE", "F"), False, True, None),            # lost and never ordered: nothing to do, even by button
])
def test_wants_order(bundle, linked, force, wanted):
    assert _wants_order(bundle, STAGED, linked, force) == wanted


def test_no_stage_mapped_means_no_order_without_the_button():
    assert _wants_order(_deal(ORDER_STAGE), _settings(), False, False) is None


# -- order lines and body ---------------------------------------------------------------------------------------

REFS = {"1": ProductRef("ref-1", "unit-1", "vat-20", "Стол"), "2": ProductRef("ref-2", None, None, "Стул"),
        "3": ProductRef("ref-3", "unit-3", "vat-0", "Книга")}


def _bundle(*rows: dict) -> DealBundle:
    return DealBundle({"ID": "7"}, list(rows), None, [])


def test_order_lines_carry_amounts_and_vat_extracted_at_the_rows_rate():
    bundle = _bundle({"PRODUCT_ID": "1", "PRICE": 1200, "QUANTITY": 2, "TAX_RATE": 20},
                     {"PRODUCT_ID": "2", "PRICE": "1210,5", "QUANTITY": "3", "TAX_RATE": "10"},
                     {"PRODUCT_ID": "3", "PRICE": 99.99, "QUANTITY": None, "TAX_RATE": None})
    first, second, third = order_lines(bundle, REFS, UT, cancel=False, line=LineRefs(vat={"20": "vat-20"}))
    assert first == {"Номенклатура_Key": "ref-1", "Упаковка_Key": "unit-1", "КоличествоУпаковок": 2.0,
                     "Количество": 2.0, "Цена": 1200.0, "Сумма": 2400.0, "СтавкаНДС_Key": "vat-20",
                     "СуммаНДС": 400.0, "СуммаСНДС": 2400.0, "Отменено": False, "ПроцентРучнойСкидки": 0.0,
                     "СуммаРучнойСкидки": 0.0}
    # "1210,5" is a decimal comma; VAT inside the price: amount * 10 / 110.
    assert second["Цена"] == 1210.5 and second["Сумма"] == 3631.5
    assert second["СуммаНДС"] == round(3631.5 * 10 / 110, 2) == 330.14
    assert "Упаковка_Key" not in second and "СтавкаНДС_Key" not in second  # nothing known: not sent
    # No quantity is one piece; no rate is no VAT.
    assert third["Количество"] == 1.0 and third["Сумма"] == 99.99 and third["СуммаНДС"] == 0.0


def test_order_body_totals_the_lines_and_a_cancelled_one_is_closed_with_nothing_to_pay():
    bundle = _bundle({"PRODUCT_ID": "1", "PRICE": 1200, "QUANTITY": 2, "TAX_RATE": 20},
                     {"PRODUCT_ID": "3", "PRICE": 100.1, "QUANTITY": 3, "TAX_RATE": 0})
    buyer = cp.CounterpartyRef("buyer", "partner", False)
    seller = SellerRefs("org", "rub", "store")
    body = order_body(bundle, buyer, seller, REFS, UT, cancel=False)
    assert body["СуммаДокумента"] == 2700.3
    assert (body["Организация_Key"], body["Контрагент_Key"], body["Партнер_Key"]) == ("org", "buyer", "partner")
    assert (body["Валюта_Key"], body["Склад_Key"], body["ЦенаВключаетНДС"]) == ("rub", "store", True)
    assert body["НомерПоДаннымКлиента"] == "B24-7" and body["Статус"] == "КОбеспечению"
    assert [line["Отменено"] for line in body["Товары"]] == [False, False]

    cancelled = order_body(bundle, buyer, seller, REFS, UT, cancel=True)
    assert cancelled["СуммаДокумента"] == 0.0 and cancelled["Статус"] == "Закрыт"
    assert [line["Отменено"] for line in cancelled["Товары"]] == [True, True]
    assert fingerprint("order", body, 1) != fingerprint("cancel", cancelled, 1)
    assert fingerprint("order", body, 1) != fingerprint("order", body, 2)  # the same deal in another base
    assert fingerprint("order", body, 1) == fingerprint("order", dict(reversed(body.items())), 1)


# -- the link into 1C --------------------------------------------------------------------------------------------

REF = "21dda1c5-8c44-11db-a9b0-00055d49b45e"


def test_navigation_link_puts_the_reference_bytes_in_1c_storage_order():
    # 1C stores a reference as the GUID's groups 4, 5, 3, 2, 1.
    assert navigation_link("http://1c.test/ut/", "Document_ЗаказКлиента", REF) == \
        "http://1c.test/ut/#e1cib/data/Документ.ЗаказКлиента?ref=a9b000055d49b45e11db8c4421dda1c5"
    assert navigation_link("http://1c.test/ut", "Catalog_Контрагенты", REF).endswith(
        "/ut/#e1cib/data/Справочник.Контрагенты?ref=a9b000055d49b45e11db8c4421dda1c5")


# -- who the buyer is --------------------------------------------------------------------------------------------


def test_a_company_without_inn_names_the_field_to_fill():
    company = {"ID": "12", "TITLE": "Ромашка"}
    with pytest.raises(PermanentSyncError, match=r"company 12 «Ромашка» has no INN in its requisites \(RQ_INN\)"):
        cp.identity_from(company, [{"RQ_INN": "  ", "RQ_KPP": "770701001"}])
    with pytest.raises(PermanentSyncError, match="has no INN"):
        cp.identity_from(company, [])


def test_a_deal_without_company_or_with_a_wrong_inn_is_refused_with_the_reason():
    with pytest.raises(PermanentSyncError, match="the deal has no company and no contact: 1C needs a buyer"):
        cp.identity_from(None, [])
    with pytest.raises(PermanentSyncError, match="INN 7736207544 is not valid"):
        cp.identity_from({"ID": "12", "TITLE": "Ромашка"}, [{"RQ_INN": "7736207544"}])


def test_identity_takes_the_first_requisite_with_an_inn():
    who = cp.identity_from({"ID": "12", "TITLE": "Ромашка"}, [
        {"RQ_INN": ""}, {"RQ_INN": "7736207543", "RQ_KPP": "770401001", "RQ_COMPANY_FULL_NAME": "ООО «Ромашка»"}])
    assert (who.inn, who.kpp, who.title, who.full_name) == ("7736207543", "770401001", "Ромашка", "ООО «Ромашка»")
