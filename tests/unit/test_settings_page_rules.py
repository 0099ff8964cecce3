"""Rules of the settings page that need no server: what "run now" says in words, how fields are named in the
admin's language, and that a form posted back unchanged keeps what is stored even where the page cannot show it
faithfully (an interval that is not whole minutes, a stage or field gone from the portal, a base deleted)."""

from __future__ import annotations

import pytest

from b24app.core.portal_settings import PortalSettings, Schedules, StageMap
from b24app.store.bases import BaseRecord
from b24app.web.settings_forms import SettingsInput, validate_settings
from b24app.web.settings_portal import PortalField, PortalSchema, _fields, _labels
from b24app.web.settings_texts import job_sentence

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("job", "ru", "en"), [
    ({"name": "payments", "state": "finished", "result": {"stream": "payments", "bases": 2, "updated": 0}},
     "Оплаты загружены из 1С (баз: 2). Обновлено сделок: 0.", "Payments pulled from 1C (2 base(s)). Deals updated: 0."),
    ({"name": "debt", "state": "finished", "result": {"stream": "debt", "bases": 1, "updated": 7}},
     "Долг загружен из 1С (баз: 1). Обновлено компаний: 7.", "Debt pulled from 1C (1 base(s)). Companies updated: 7."),
    ({"name": "shipments", "state": "finished", "result": {"stream": "shipments", "bases": 0, "updated": 0}},
     "Загружать не из чего: нет включённых баз 1С.", "Nothing to pull from: no 1C base is enabled."),
    ({"name": "check_bases", "state": "finished", "result": {"checked": 2, "ok": 1}},
     "Проверено баз: 2, в порядке: 1", "Bases checked: 2, OK: 1"),
    ({"name": "payments", "state": "started", "done": 1, "total": 3},
     "Выполняется: база 1 из 3.", "Running: base 1 of 3."),
    ({"name": "payments", "state": "queued"},
     "Задание в очереди: начнётся, как только освободится обработчик.",
     "The job is queued: it starts as soon as a worker is free."),
    ({"name": "payments", "state": "failed", "error": "OneCUnavailable: base down"},
     "Не выполнено: OneCUnavailable: base down", "Failed: OneCUnavailable: base down"),
])
def test_run_now_says_what_happened_in_a_sentence(job, ru, en):
    assert job_sentence(job, "ru") == ru
    assert job_sentence(job, "en") == en == job_sentence(job, "de")


def test_fields_are_named_by_the_portals_label_in_the_admins_language():
    # Asked per language with the LANG filter, as crm-deal-userfield-list.md describes: labels come as texts.
    answers = {"ru": [{"FIELD_NAME": "UF_CRM_PAID", "EDIT_FORM_LABEL": "Оплачено",
                       "LIST_COLUMN_LABEL": "Оплачено (список)"},
                      {"FIELD_NAME": "UF_CRM_NOTE", "EDIT_FORM_LABEL": "Примечание"},
                      {"FIELD_NAME": "UF_CRM_A", "EDIT_FORM_LABEL": "Сумма"},
                      {"FIELD_NAME": "UF_CRM_B", "EDIT_FORM_LABEL": "Сумма"},
                      {"FIELD_NAME": "UF_CRM_BARE"}],
               "en": [{"FIELD_NAME": "UF_CRM_PAID", "EDIT_FORM_LABEL": "", "LIST_COLUMN_LABEL": "Paid"},
                      {"FIELD_NAME": "UF_CRM_NOTE", "EDIT_FORM_LABEL": {"de": "Notiz"}}]}
    described = {name: {"type": "string", "title": name, "formLabel": "x"} for name in
                 ("UF_CRM_PAID", "UF_CRM_NOTE", "UF_CRM_A", "UF_CRM_B", "UF_CRM_BARE")}
    described["UF_CRM_BARE"] = {"type": "string", "title": "UF_CRM_BARE"}
    fields = _fields(described, _labels(answers))
    assert fields["UF_CRM_PAID"].label("ru") == "Оплачено" and fields["UF_CRM_PAID"].label("en") == "Paid"
    assert fields["UF_CRM_NOTE"].label("de") == "Notiz" and fields["UF_CRM_NOTE"].label("en") == "x"
    assert fields["UF_CRM_BARE"].label("ru") == "UF_CRM_BARE"
    schema = PortalSchema(deal_fields=fields, company_fields={}, pipelines=[])
    choices = dict(schema.field_choices("deal", "ru"))
    # Two fields with one label are told apart by their codes; every other option is the label alone.
    assert choices == {"UF_CRM_PAID": "Оплачено", "UF_CRM_NOTE": "Примечание", "UF_CRM_A": "Сумма (UF_CRM_A)",
                       "UF_CRM_B": "Сумма (UF_CRM_B)", "UF_CRM_BARE": "UF_CRM_BARE"}
    # A schema cached before labels were read still loads.
    old = PortalSchema.from_json({"deal_fields": {"UF_CRM_X": {"name": "UF_CRM_X", "title": "Икс", "type": "double",
                                                               "items": []}}, "company_fields": {}, "pipelines": []})
    assert old.deal_fields["UF_CRM_X"].label("en") == "Икс"


def _schema() -> PortalSchema:
    from b24app.web.settings_portal import Pipeline

    return PortalSchema(deal_fields={"UF_CRM_MINE": PortalField("UF_CRM_MINE", "Моё", "double")}, company_fields={},
                        pipelines=[Pipeline("0", "Общая", [("NEW", "Новая"), ("WON", "Успешна")])])


def test_an_unchanged_form_keeps_what_the_page_cannot_show_faithfully_and_a_change_is_still_checked():
    base = BaseRecord(1, "УТ", "http://x/", "u", "ut11", None, None, True, True)
    stored = PortalSettings(deal_fields={**PortalSettings().deal_fields, "paid_sum": "UF_CRM_GONE"},
                            stages={"0": StageMap(make_order="NEW", shipped="OLD_STAGE")},
                            category_bases={"0": 5},
                            schedules=Schedules(payments_seconds=90, debt_seconds=1800, pull_from_1c=False),
                            tab_timeout_seconds=7.5)
    posted = SettingsInput.from_settings(stored, 3)
    assert posted.minutes["payments"] == "1"  # what the page shows for 90 s
    new, errors = validate_settings(posted, stored, _schema(), [base])
    assert errors == {} and new == stored

    changed = SettingsInput.from_settings(stored, 3)
    changed.minutes["payments"] = "2"
    changed.stages["0"]["shipped"] = "ANOTHER_GONE"
    changed.deal_fields["paid_sum"] = "UF_CRM_NOT_THERE"
    changed.category_bases["0"] = "6"
    new, errors = validate_settings(changed, stored, _schema(), [base])
    assert new is None and set(errors) == {"stage__0__shipped", "deal_field__paid_sum", "category_base__0"}
    changed = SettingsInput.from_settings(stored, 3)
    changed.minutes["payments"] = "2"
    new, _ = validate_settings(changed, stored, _schema(), [base])
    assert new.schedules.payments_seconds == 120 and new.schedules.debt_seconds == 1800


def test_a_text_legal_entity_field_chosen_before_keeps_its_routing_and_a_new_one_is_still_refused():
    from b24app.web.settings_portal import Pipeline

    schema = PortalSchema(deal_fields={"UF_CRM_LEGAL": PortalField("UF_CRM_LEGAL", "Юрлицо", "string"),
                                       "UF_CRM_OTHER": PortalField("UF_CRM_OTHER", "Другое", "string")},
                          company_fields={}, pipelines=[Pipeline("0", "Общая", [("NEW", "Новая")])])
    bases = [BaseRecord(n, f"base {n}", "http://x/", "u", "ut11", None, None, True, True) for n in (1, 2)]
    stored = PortalSettings(legal_entity_field="UF_CRM_LEGAL",
                            legal_entity_bases={"ООО «Ромашка»": 1, "ИП Васильков": 2})
    new, errors = validate_settings(SettingsInput.from_settings(stored, 1), stored, schema, bases)
    assert errors == {} and new == stored
    switched = SettingsInput.from_settings(stored, 1)
    switched.legal_entity_field = "UF_CRM_OTHER"
    new, errors = validate_settings(switched, stored, schema, bases)
    assert new is None and errors["legal_entity_field"][0] == "err_field_not_list"
