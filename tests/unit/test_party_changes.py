"""Which fields of a 1C counterparty a CRM card changes (CRM → 1C, issue 14): only the fields the CRM wins, only
when they differ as the matcher compares them, never erasing with an empty CRM value, and never an INN or KPP
failing its check digits."""

from __future__ import annotations

import pytest

from b24app.core.counterparty_match import ENTREPRENEUR, LEGAL
from b24app.core.counterparty_model import CrmParty, CrmRequisite, OneCParty
from b24app.core.party_settings import CRM, PartySettings
from b24app.sync.to_onec.party_update import CrmValueRefused, crm_changes, may_change_onec

ROMASHKA, KPP = "7707083893", "770701001"
OTHER = "7736050003"
SOLE = "500100732259"

ONEC = OneCParty(key="k1", name="Ромашка ООО", full_name="ООО «Ромашка»", inn=ROMASHKA, kpp=KPP, kind=LEGAL,
                 phones=("+7 495 123-45-67",), emails=("info@romashka.ru",))
DEFAULTS = PartySettings(crm_to_onec=True)
LEGAL_WINS = PartySettings(crm_to_onec=True, winners={"name": CRM, "full_name": CRM, "inn": CRM, "kpp": CRM})


def card(*, title: str = "Ромашка ООО", phones=("8 (495) 123-45-67",), emails=("INFO@romashka.ru",),
         inn: str = ROMASHKA, kpp: str = KPP, full: str = "ООО «Ромашка»", requisite: bool = True) -> CrmParty:
    req = CrmRequisite(id=5, preset_id=1, inn=inn, kpp=kpp, company_name=full) if requisite else None
    return CrmParty(entity="company", id=12, title=title, requisite=req, phones=phones, emails=emails)


def test_the_same_values_written_differently_change_nothing():
    assert crm_changes(card(), ONEC, DEFAULTS) == {}
    assert crm_changes(card(), ONEC, LEGAL_WINS) == {}


def test_by_default_only_phones_and_e_mails_go_and_as_the_manager_typed_them():
    changed = card(title="Ромашка и партнёры", phones=("+7 812 555-01-02", "+7 812 555 01 02", "8 495 1234567"),
                   emails=("sales@romashka.ru",), inn=OTHER)
    assert crm_changes(changed, ONEC, DEFAULTS) == {"phones": ["+7 812 555-01-02", "8 495 1234567"],
                                                    "emails": ["sales@romashka.ru"]}


def test_an_empty_crm_value_never_erases_1c():
    empty = card(title="", phones=(), emails=(), inn="", kpp="", full="")
    assert crm_changes(empty, ONEC, LEGAL_WINS) == {}
    assert crm_changes(card(requisite=False, title=ONEC.name), ONEC, LEGAL_WINS) == {}


def test_legal_details_go_when_the_administrator_made_the_crm_win_them():
    changed = card(title="Ромашка-Север", inn=OTHER, kpp="773601001", full="ООО «Ромашка-Север»")
    assert crm_changes(changed, ONEC, LEGAL_WINS) == {
        "name": "Ромашка-Север", "full_name": "ООО «Ромашка-Север»", "inn": OTHER, "kpp": "773601001"}
    assert crm_changes(changed, ONEC, PartySettings(winners={"kpp": CRM})) == {"kpp": "773601001"}


@pytest.mark.parametrize(("inn", "kpp", "words"), [
    ("7707083894", KPP, "the INN '7707083894' of company 12 ('Ромашка ООО') fails its check digits: 1C keeps "
                        f"{ROMASHKA}"),
    (SOLE, KPP, "has 12 digits"),
    (ROMASHKA, "77070100", "the KPP '77070100' of company 12"),
])
def test_an_inn_or_kpp_failing_its_check_is_refused_whole(inn, kpp, words):
    with pytest.raises(CrmValueRefused) as refused:
        crm_changes(card(inn=inn, kpp=kpp, phones=("+7 812 555-01-02",)), ONEC, LEGAL_WINS)
    assert words in str(refused.value)


def test_a_sole_proprietor_takes_a_12_digit_inn_and_no_kpp():
    sole = OneCParty(key="k2", name="Иванов И. И. ИП", inn=SOLE, kind=ENTREPRENEUR)
    changed = card(title=sole.name, inn="772475135007", kpp=KPP, full="", phones=(), emails=())
    assert crm_changes(changed, sole, LEGAL_WINS) == {"inn": "772475135007"}


def test_which_events_can_change_1c():
    assert not may_change_onec("company", PartySettings())  # the switch is off by default
    assert may_change_onec("company", DEFAULTS) and may_change_onec("contact", DEFAULTS)
    assert not may_change_onec("requisite", DEFAULTS)  # by default the CRM wins nothing a requisite holds
    assert may_change_onec("requisite", PartySettings(crm_to_onec=True, winners={"inn": CRM}))
    only_legal = PartySettings(crm_to_onec=True, winners={"kpp": CRM, "phones": "1c", "emails": "1c"})
    assert not may_change_onec("company", only_legal) and may_change_onec("requisite", only_legal)
