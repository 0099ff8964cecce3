"""The counterparty settings section and what the counterparties page makes of a posted form: defaults (1C wins the
legal details, the CRM the ways to reach the client), a round trip through JSON, the import check, a posted
winner equal to its default not stored, enabled bases never touched by the settings form; the administrator's
decisions as the store accepts them; and the preview's rows under decisions (a name candidate confirmed or
declined, a branch given its own card, what is left undecided) and the CRM duplicates merged across INN and
phone / e-mail."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from b24app.core.counterparty_match import Party
from b24app.core.counterparty_model import CrmParty, CrmRequisite, OneCParty
from b24app.core.party_settings import AS_COMPANY, AS_CONTACT, CRM, FIELD_WINNERS, ONEC, PartySettings, check_parties
from b24app.store.party_decisions import link_to, linked_card, valid_decision
from b24app.sync.counterparty_preview import build_preview, crm_duplicate_groups, decide, undecided_keys
from b24app.web.counterparties_page import parse_party_settings
from b24app.web.counterparties_texts import card_text, inn_kpp_text

ROMASHKA, KPP_HEAD, KPP_BRANCH = "7707083893", "770701001", "784201001"


def test_defaults_give_1c_the_legal_details_and_the_crm_the_contacts():
    s = PartySettings()
    assert s.individuals_as == AS_CONTACT and s.crm_to_onec is False and s.enabled_bases == ()
    assert {name: s.winner(name) for name in FIELD_WINNERS} == {
        "name": ONEC, "full_name": ONEC, "inn": ONEC, "kpp": ONEC, "ogrn": ONEC, "addresses": ONEC,
        "bank_accounts": ONEC, "phones": CRM, "emails": CRM}
    assert not s.enabled_for(3)


def test_json_round_trip_and_tolerant_reading():
    s = PartySettings(enabled_bases=("3", "7"), individuals_as=AS_COMPANY, crm_to_onec=True,
                      winners={"phones": ONEC})
    assert PartySettings.from_json(s.to_json()) == s and s.enabled_for(7) and s.winner("phones") == ONEC
    odd = PartySettings.from_json({"enabled_bases": ["3", "x", 5], "individuals_as": "alien", "crm_to_onec": "yes",
                                   "winners": {"inn": "crm", "colour": "1c", "kpp": "both"}, "extra": 1})
    assert odd == PartySettings(enabled_bases=("3", "5"), winners={"inn": CRM})
    assert PartySettings.from_json(None) == PartySettings()


@pytest.mark.parametrize("bad", [[], {"enabled_bases": [3]}, {"individuals_as": "lead"}, {"crm_to_onec": 1},
                                 {"winners": {"inn": "me"}}, {"winners": {"colour": "1c"}}])
def test_import_check_names_the_bad_entry(bad):
    with pytest.raises(ValueError, match="counterparties"):
        check_parties(bad)


def test_import_check_accepts_a_saved_section():
    check_parties(PartySettings(enabled_bases=("4",), winners={"emails": ONEC}).to_json())
    check_parties(None)


def test_posted_form_over_saved_settings():
    current = PartySettings(enabled_bases=("4",), winners={"inn": CRM})
    form = MultiDict({"individuals_as": AS_COMPANY, "crm_to_onec": "1", "winner_inn": ONEC, "winner_phones": ONEC,
                      "winner_emails": CRM})
    parsed, errors = parse_party_settings(form, current)
    assert errors == []
    # The defaults are not stored; the base list is the load button's, untouched here.
    assert parsed == PartySettings(enabled_bases=("4",), individuals_as=AS_COMPANY, crm_to_onec=True,
                                   winners={"phones": ONEC})
    off, _ = parse_party_settings(MultiDict({}), parsed)
    assert off.crm_to_onec is False and off.winners == {"phones": ONEC}  # unposted radios keep their value


def test_posted_nonsense_is_refused_by_name():
    _, errors = parse_party_settings(MultiDict({"individuals_as": "lead", "winner_kpp": "neither"}),
                                     PartySettings())
    assert ("err_settings", {"what": "individuals_as"}) in errors and ("err_settings", {"what": "kpp"}) in errors


def test_decisions_as_stored():
    assert link_to("company", 12) == "link:company:12" and linked_card("link:contact:7") == ("contact", 7)
    assert all(valid_decision(d) for d in ("create", "skip", "link:company:1"))
    assert not any(valid_decision(d) for d in ("", "link:deal:4", "link:company:0", "link:company:x", "delete"))
    assert linked_card("create") is None
    with pytest.raises(ValueError):
        link_to("lead", 3)


def test_inn_and_kpp_as_an_accountant_writes_them():
    assert inn_kpp_text(ROMASHKA, KPP_HEAD, "ru") == "7707083893 / 770701001"
    assert inn_kpp_text("500100732259", "", "ru") == "500100732259"
    assert inn_kpp_text("", "", "ru") == "без ИНН" and inn_kpp_text("", "", "en") == "no INN"
    assert card_text("company:12", "ru") == "Компания № 12" and card_text("contact:7", "en") == "Contact #7"


def _company(n: int, title: str, inn: str = "", kpp: str = "", phones: tuple[str, ...] = (),
             origin: str = "") -> CrmParty:
    requisite = CrmRequisite(id=n, preset_id=1, inn=inn, kpp=kpp) if inn else None
    return CrmParty("company", n, title, requisite=requisite, phones=phones, origin_id=origin)


def test_preview_rows_under_decisions():
    onec = [OneCParty("k-head", "ООО «Ромашка»", inn=ROMASHKA, kpp=KPP_HEAD),
            OneCParty("k-fuzzy", "Торговый дом Вектор ООО"),
            OneCParty("k-fuzzy2", "Гранит ООО"),
            OneCParty("k-new", "Совсем новая"),
            OneCParty("k-linked", "Меридиан"),
            OneCParty("k-gone", "Удалённый", deleted=True)]
    crm = [_company(1, "Ромашка СПб", ROMASHKA, KPP_BRANCH), _company(2, "ООО «Торговый дом «Вектор»»"),
           _company(3, "ООО «Гранит»"), _company(4, "Меридиан, старое имя", origin="k-linked")]
    raw = build_preview(onec, crm, [], base_id=5, base_name="УТ")
    assert raw["marked"] == 1 and raw["onec_total"] == 6
    assert {k: v for k, v in raw["totals"].items() if v} == {"by_origin": 1, "other_kpp": 1, "by_name": 2,
                                                              "to_create": 1}
    fresh = decide(raw, {})
    assert fresh["counts"]["to_decide"] == 3 and fresh["counts"]["will_link"] == 1
    assert fresh["counts"]["will_create"] == 1
    assert set(undecided_keys(fresh)) == {"k-head", "k-fuzzy", "k-fuzzy2"}
    decided = decide(raw, {"k-head": "create", "k-fuzzy": "link:company:2", "k-fuzzy2": "create", "k-new": "skip"})
    assert (decided["counts"]["to_decide"], decided["counts"]["will_link"], decided["counts"]["will_create"],
            decided["counts"]["will_skip"]) == (0, 2, 2, 1)
    row = next(r for r in decided["lists"]["by_name"] if r["onec"][0]["key"] == "k-fuzzy")
    assert (row["outcome"], row["target"], row["decision"]) == ("link", "company:2", "link:company:2")
    assert undecided_keys(decided) == []
    assert raw["lists"]["by_name"][0].get("outcome") is None  # decide() leaves the job's own result alone


def test_crm_duplicates_by_inn_and_by_phone_are_merged():
    by_inn = [[Party("company:1", "А"), Party("company:6", "Б")]]
    by_comm = [["company:6", "company:9"], ["contact:2", "contact:4"]]
    assert crm_duplicate_groups(by_inn, by_comm) == [(["company:1", "company:6", "company:9"], "comm+inn"),
                                                     (["contact:2", "contact:4"], "comm")]


def test_a_1c_duplicate_by_inn_joins_its_twins_card():
    twins = [OneCParty("k-a", "ООО «Альфа»", inn="7702070139", kpp="770201001"),
             OneCParty("k-b", "Альфа (дубль)", inn="7702070139", kpp="770201001"),
             OneCParty("k-c", "Альфа (ещё дубль)", inn="7702070139", kpp="770201001")]
    people = [OneCParty("k-p", "Иванов Иван", phones=("+7 916 000-00-01",)),
              OneCParty("k-q", "Иванова Мария", phones=("8 916 000 00 01",))]
    preview = decide(build_preview(twins + people, [], [], base_id=1, base_name=""), {"k-c": "skip"})
    rows = {r["onec"][0]["key"]: r for r in preview["lists"]["to_create"]}
    assert rows["k-b"]["outcome"] == "join" and rows["k-b"]["target"] == "k-a"
    assert rows["k-b"]["target_name"] == "ООО «Альфа»" and rows["k-c"]["outcome"] == "skip"
    # People sharing a phone are listed as duplicates, yet each gets a card of their own (a family shares one).
    assert (rows["k-p"]["outcome"], rows["k-q"]["outcome"]) == ("create", "create")
    assert [g["by"] for g in preview["lists"]["onec_duplicates"]] == ["inn", "comm"]
    assert (preview["counts"]["will_create"], preview["counts"]["will_join"], preview["counts"]["will_skip"]) == \
        (3, 1, 1)
