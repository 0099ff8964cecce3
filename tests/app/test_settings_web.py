"""The settings page over HTTP against the sandbox portal and sandbox 1C: the admin rule, frame tokens, base forms
with their validation, test connection, mapping/stage saving with optimistic concurrency, broken mappings,
export/import without secrets."""

from __future__ import annotations

import json
import re
import socket

import pytest

from b24app.web import create_app
from tests.support.processes import get_json, post_json
from tests.support.settings_data import (
    app_frame,
    base_form,
    frame_token,
    open_settings,
    post_form,
    version_of,
)

pytestmark = pytest.mark.db


@pytest.fixture
def running_app(ctx, app_server, registered_app):
    app_server.serve(create_app(context=ctx))
    return app_server


@pytest.fixture
def member_id(installed, sandbox_url) -> str:
    return get_json(sandbox_url + "/_sandbox/state")["member_id"]


@pytest.fixture
def admin_page(running_app, member_id, sandbox_url, settings):
    response = open_settings(running_app.url, app_frame(sandbox_url, settings.client_id))
    assert response.status_code == 200, response.text[:500]
    return response


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_admin_sees_the_settings_page(admin_page):
    html = admin_page.text
    assert "Настройки интеграции с 1С" in html
    assert 'id="base-form"' in html and 'id="settings-form"' in html
    # the sandbox's pipelines and their real stages are offered
    assert "Оптовые продажи" in html and 'value="C1:EXECUTING"' in html and 'value="PREPAYMENT_INVOICE"' in html


def test_non_admin_gets_a_read_only_summary_and_cannot_change_anything(running_app, member_id, sandbox_url, settings,
                                                                      ctx, onec_url):
    page = open_settings(running_app.url, app_frame(sandbox_url, settings.client_id, user_id=2))
    assert page.status_code == 200
    assert 'id="settings-readonly"' in page.text and 'id="base-form"' not in page.text
    assert 'name="frame"' not in page.text
    # a token a non-admin frame could hold (a card tab signs one the same way)
    from b24app.web.frame import FrameUser, sign_frame

    token = sign_frame(ctx, FrameUser(member_id, "2", False, "ru", "DEFAULT", {}))
    refused = post_form(running_app.url, "/settings/base", token, base_form(onec_url))
    assert refused.status_code == 403 and 'id="settings-refused"' in refused.text
    assert ctx.bases.list(member_id) == []
    assert post_form(running_app.url, "/settings/export", token).status_code == 403


def test_requests_without_a_valid_frame_are_refused(running_app, member_id, onec_url, sandbox_url, settings):
    assert post_form(running_app.url, "/settings/base", "forged", base_form(onec_url)).status_code == 403
    params = app_frame(sandbox_url, settings.client_id)
    assert open_settings(running_app.url, {**params, "AUTH_ID": "not-a-token"}).status_code == 401
    assert open_settings(running_app.url, {**params, "DOMAIN": "evil.example"}).status_code == 403


@pytest.mark.parametrize(("overrides", "field", "words"), [
    ({"url": "ftp://1c.example/base"}, "url", "Это не адрес публикации"),
    ({"url": "not a url"}, "url", "Это не адрес публикации"),
    ({"url": "http://no-such-host.invalid/ut/"}, "url", "не найден"),
    ({"password": ""}, "password", "Укажите пароль"),
    ({"profile": "erp99"}, "profile", "Неизвестная конфигурация"),
    ({"legal_entity_inn": "7707083894"}, "legal_entity_inn", "ИНН с ошибкой"),
    ({"name": ""}, "name", "Заполните"),
])
def test_base_form_errors_are_shown_next_to_the_field_and_nothing_is_saved(admin_page, running_app, onec_url, ctx,
                                                                          member_id, overrides, field, words):
    answer = post_form(running_app.url, "/settings/base", frame_token(admin_page.text),
                       base_form(onec_url, **overrides))
    assert answer.status_code == 422
    error = re.search(rf'id="err-{field}">([^<]+)<', answer.text)
    assert error and words in error.group(1)
    assert "Ничего не сохранено" in answer.text
    assert ctx.bases.list(member_id) == []


def test_unreachable_host_is_named(admin_page, running_app, ctx, member_id):
    port = _closed_port()
    answer = post_form(running_app.url, "/settings/base", frame_token(admin_page.text),
                       base_form(f"http://127.0.0.1:{port}"))
    assert answer.status_code == 422
    assert re.search(rf'id="err-url">Сервер 127.0.0.1 не отвечает на порту {port}', answer.text)


def test_add_base_stores_encrypted_password_never_shown(admin_page, running_app, onec_url, ctx, member_id):
    from tests.app.conftest import ONEC_PASSWORD

    answer = post_form(running_app.url, "/settings/base", frame_token(admin_page.text), base_form(onec_url))
    assert answer.status_code == 200, answer.text[:400]
    assert 'id="notice"' in answer.text
    [record] = ctx.bases.list(member_id)
    assert record.url == f"{onec_url}/ut/" and record.has_password
    assert ctx.bases.connection(member_id, record.id).password == ONEC_PASSWORD
    assert ONEC_PASSWORD not in answer.text
    # editing without a password keeps the stored one
    edit = post_form(running_app.url, "/settings/base/edit", frame_token(answer.text), {"base_id": record.id})
    assert ONEC_PASSWORD not in edit.text and 'value="ООО «Ромашка» (ut)"' in edit.text
    renamed = post_form(running_app.url, "/settings/base", frame_token(edit.text),
                        base_form(onec_url, base_id=str(record.id), name="Торговля", password=""))
    assert renamed.status_code == 200
    assert ctx.bases.get(member_id, record.id).name == "Торговля"
    assert ctx.bases.connection(member_id, record.id).password == ONEC_PASSWORD


def test_connection_reports_good_wrong_password_and_unpublished(admin_page, running_app, onec_url, ctx, member_id):
    token = frame_token(admin_page.text)
    good = post_form(running_app.url, "/settings/base", token, base_form(onec_url, action="test"))
    assert 'data-verdict="ok"' in good.text and "Все нужные объекты опубликованы" in good.text
    assert ctx.bases.list(member_id) == []  # testing typed values saves nothing

    wrong = post_form(running_app.url, "/settings/base", token, base_form(onec_url, action="test", password="nope"))
    assert 'data-verdict="unauthorised"' in wrong.text and "1С не пустила" in wrong.text

    post_json(f"{onec_url}/_sandbox/ut/unpublish", {"entity": "Document_ЗаказКлиента"})
    saved = post_form(running_app.url, "/settings/base", token, base_form(onec_url))
    [record] = ctx.bases.list(member_id)
    unpublished = post_form(running_app.url, "/settings/base/test", frame_token(saved.text), {"base_id": record.id})
    assert 'data-verdict="unpublished"' in unpublished.text
    assert "<code>Document_ЗаказКлиента</code>" in unpublished.text
    assert "Настройка стандартного интерфейса OData" in unpublished.text  # how to publish it
    # the last check is kept for the page and journaled
    assert "есть проблемы" in unpublished.text
    assert ctx.journal.recent(member_id)[0].kind == "schema_check"


def test_down_base_reports_unreachable(admin_page, running_app, onec_url):
    post_json(f"{onec_url}/_sandbox/ut/fault", {"down": True})
    answer = post_form(running_app.url, "/settings/base", frame_token(admin_page.text),
                       base_form(onec_url, action="test"))
    assert 'data-verdict="unreachable"' in answer.text and "База не отвечает" in answer.text


def _settings_form(html: str, **changes) -> dict:
    """The main form as the browser would post it, with `changes` applied."""
    form = re.search(r'<form method="post" action="/settings/save" id="settings-form">(.*?)</form>', html,
                     re.S).group(1)
    data: dict[str, str] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form):
        data[name] = value
    for name, value in re.findall(r'<input type="number" id="[^"]+" name="([^"]+)" min="1" value="([^"]*)"', form):
        data[name] = value
    for name in re.findall(r'<input type="checkbox" id="[^"]+" name="([^"]+)" value="1" checked', form):
        data[name] = "1"
    for name, body in re.findall(r'<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        data[name] = chosen.group(1) if chosen else (re.search(r'<option value="([^"]*)"', body).group(1))
    data.update(changes)
    return data


def _chosen(html: str, select: str) -> str:
    """The value of the option the page shows selected in the select named `select` ("" when none is)."""
    body = re.search(rf'<select id="[^"]+" name="{select}"[^>]*>(.*?)</select>', html, re.S).group(1)
    found = re.search(r'<option value="([^"]*)" selected', body)
    return found.group(1) if found else ""


def test_stage_mapping_pipeline_bases_and_schedules_saved_in_one_go(admin_page, running_app, ctx, member_id,
                                                                    onec_url, sandbox_url):
    page = post_form(running_app.url, "/settings/base", frame_token(admin_page.text), base_form(onec_url))
    [base] = ctx.bases.list(member_id)
    assert _chosen(page.text, "category_base__0") == _chosen(page.text, "category_base__1") == ""  # any base
    assert f'<option value="{base.id}">{base.name}</option>' in page.text
    data = _settings_form(page.text, **{"stage__0__make_order": "PREPAYMENT_INVOICE", "stage__0__paid": "WON",
                                        "stage__1__make_order": "C1:PREPARATION", "minutes__payments": "2",
                                        "category_base__1": str(base.id)})
    data.pop("push_to_1c", None)
    answer = post_form(running_app.url, "/settings/save", data.pop("frame"), data)
    assert answer.status_code == 200, answer.text[:600]
    saved, version = ctx.portal_settings.load(member_id)
    assert version == 1
    assert saved.stage_map(0).make_order == "PREPAYMENT_INVOICE" and saved.stage_map(0).paid == "WON"
    assert saved.stage_map(1).make_order == "C1:PREPARATION" and saved.stage_map(1).paid is None
    assert saved.schedules.payments_seconds == 120 and saved.schedules.push_to_1c is False
    assert saved.category_bases == {"1": base.id}
    assert _chosen(answer.text, "category_base__1") == str(base.id) and _chosen(answer.text, "category_base__0") == ""
    shown = open_settings(running_app.url, app_frame(sandbox_url, ctx.settings.client_id))
    assert _chosen(shown.text, "category_base__1") == str(base.id)

    # a base that is not the portal's: a message next to the pipeline's select, nothing saved
    data = _settings_form(answer.text, **{"category_base__0": str(base.id + 100), "stage__0__paid": "FINAL_INVOICE"})
    refused = post_form(running_app.url, "/settings/save", data.pop("frame"), data)
    assert refused.status_code == 422
    assert re.search(r'id="err-category_base__0">Такой базы нет', refused.text)
    assert ctx.portal_settings.load(member_id) == (saved, 1)


def test_invalid_settings_save_nothing(admin_page, running_app, ctx, member_id):
    data = _settings_form(admin_page.text, **{"stage__0__make_order": "C1:NEW", "minutes__debt": "0",
                                              "deal_field__paid_sum": "UF_CRM_NOT_THERE"})
    answer = post_form(running_app.url, "/settings/save", data.pop("frame"), data)
    assert answer.status_code == 422
    assert re.search(r'id="err-stage__0__make_order">Стадии C1:NEW нет', answer.text)
    assert re.search(r'id="err-minutes__debt">Целое число минут', answer.text)
    assert re.search(r'id="err-deal_field__paid_sum">Поля UF_CRM_NOT_THERE нет', answer.text)
    assert ctx.portal_settings.load(member_id)[1] == 0


def test_concurrent_save_says_changed_by_someone_else(admin_page, running_app, ctx, member_id):
    first = _settings_form(admin_page.text, **{"stage__0__paid": "WON"})
    second = _settings_form(admin_page.text, **{"stage__0__paid": "FINAL_INVOICE"})
    assert post_form(running_app.url, "/settings/save", first.pop("frame"), first).status_code == 200
    late = post_form(running_app.url, "/settings/save", second.pop("frame"), second)
    assert late.status_code == 409 and "изменил кто-то другой" in late.text
    assert ctx.portal_settings.get(member_id).stage_map(0).paid == "WON"


def test_broken_mapping_is_flagged_and_journaled_once(admin_page, running_app, ctx, member_id, sandbox_url):
    client = ctx.bitrix(member_id)
    field_id = client.call("crm.deal.userfield.add", {"fields": {"FIELD_NAME": "MY_PAID", "USER_TYPE_ID": "double",
                                                                 "EDIT_FORM_LABEL": "Оплачено (наше поле)"}}).result
    from b24app.web.settings_portal import forget_schema

    forget_schema(ctx, member_id)
    page = open_settings(running_app.url, app_frame(sandbox_url, ctx.settings.client_id))
    assert re.search(r"<option value=\"UF_CRM_MY_PAID\">", page.text)
    data = _settings_form(page.text, **{"deal_field__paid_sum": "UF_CRM_MY_PAID"})
    assert post_form(running_app.url, "/settings/save", data.pop("frame"), data).status_code == 200
    assert ctx.portal_settings.get(member_id).deal_fields["paid_sum"] == "UF_CRM_MY_PAID"

    client.call("crm.deal.userfield.delete", {"id": field_id})  # someone edits the deal form
    forget_schema(ctx, member_id)
    for _ in range(2):
        page = open_settings(running_app.url, app_frame(sandbox_url, ctx.settings.client_id))
        assert 'id="mapping-broken"' in page.text and 'data-broken="deal.paid_sum"' in page.text
    broken = [e for e in ctx.journal.recent(member_id) if e.kind == "mapping_broken"]
    assert len(broken) == 1
    assert broken[0].status == "error" and broken[0].direction == "internal" and "UF_CRM_MY_PAID" in broken[0].error


def test_create_app_fields_and_legal_entity_field(admin_page, running_app, ctx, member_id, onec_url):
    token = frame_token(admin_page.text)
    page = post_form(running_app.url, "/settings/base", token, base_form(onec_url))
    page = post_form(running_app.url, "/settings/base", frame_token(page.text),
                     base_form(onec_url, "bp", name="ИП Васильков (БП)", legal_entity="ИП Васильков",
                               legal_entity_inn=""))
    assert 'data-not-created="deal.paid_sum"' in page.text  # the app's own fields do not exist yet
    assert 'id="mapping-broken"' not in page.text  # and that is no breakage
    created = post_form(running_app.url, "/settings/fields/create", frame_token(page.text))
    assert created.status_code == 200 and 'id="fields-not-created"' not in created.text
    names = {f["FIELD_NAME"] for f in ctx.bitrix(member_id).call("crm.deal.userfield.list").result}
    assert {"UF_CRM_B24_1C_PAID", "UF_CRM_B24_1C_PAID_SUM"} <= names

    legal = post_form(running_app.url, "/settings/legal-field/create", frame_token(created.text))
    assert legal.status_code == 200, legal.text[:500]
    fields = ctx.bitrix(member_id).call("crm.deal.userfield.list").result
    [seller] = [f for f in fields if f["FIELD_NAME"] == "UF_CRM_B24_1C_SELLER"]
    assert seller["USER_TYPE_ID"] == "enumeration"
    assert ctx.portal_settings.get(member_id).legal_entity_field == "UF_CRM_B24_1C_SELLER"
    assert 'id="legal-entity-field"' in legal.text and 'value="UF_CRM_B24_1C_SELLER" selected' in legal.text


def test_export_has_no_secrets_and_import_asks_passwords_of_new_bases(admin_page, running_app, ctx, member_id,
                                                                       onec_url):
    from tests.app.conftest import ONEC_PASSWORD

    page = post_form(running_app.url, "/settings/base", frame_token(admin_page.text), base_form(onec_url))
    [ut] = ctx.bases.list(member_id)
    data = _settings_form(page.text, **{"stage__0__make_order": "EXECUTING", "category_base__1": str(ut.id)})
    page = post_form(running_app.url, "/settings/save", data.pop("frame"), data)
    exported = post_form(running_app.url, "/settings/export", frame_token(page.text))
    assert exported.status_code == 200 and "attachment" in exported.headers["Content-Disposition"]
    assert ONEC_PASSWORD not in exported.text and "password" not in exported.text
    config = exported.json()
    assert config["settings"]["stages"]["0"]["make_order"] == "EXECUTING"
    assert config["settings"]["category_bases"] == {"1": 0}  # the base's position in the file, not its id

    # the same file with a second, new base: the import asks for its password and saves nothing without it
    config["bases"].append({**config["bases"][0], "name": "Бухгалтерия", "url": f"{onec_url}/bp/",
                            "profile": "bp30"})
    config["settings"]["stages"]["0"]["make_order"] = "FINAL_INVOICE"
    config["settings"]["category_bases"] = {"0": 1, "1": 0}
    text = json.dumps(config, ensure_ascii=False)
    preview = post_form(running_app.url, "/settings/import", frame_token(page.text),
                        files={"file": ("settings.json", text.encode(), "application/json")})
    assert preview.status_code == 200
    assert 'name="password__1"' in preview.text and 'name="password__0"' not in preview.text
    version = ctx.portal_settings.load(member_id)[1]
    refused = post_form(running_app.url, "/settings/import/confirm", frame_token(preview.text),
                        {"config": text, "version": version})
    assert refused.status_code == 422 and "пароль" in refused.text
    assert len(ctx.bases.list(member_id)) == 1
    assert ctx.portal_settings.get(member_id).stage_map(0).make_order == "EXECUTING"

    done = post_form(running_app.url, "/settings/import/confirm", frame_token(preview.text),
                     {"config": text, "version": version, "password__1": "bp-secret"})
    assert done.status_code == 200, done.text[:500]
    bases = {b.name: b for b in ctx.bases.list(member_id)}
    assert set(bases) == {"ООО «Ромашка» (ut)", "Бухгалтерия"}
    assert ctx.bases.connection(member_id, bases["Бухгалтерия"].id).password == "bp-secret"
    assert ctx.bases.connection(member_id, bases["ООО «Ромашка» (ut)"].id).password == ONEC_PASSWORD
    assert ctx.portal_settings.get(member_id).stage_map(0).make_order == "FINAL_INVOICE"
    assert ctx.portal_settings.get(member_id).category_bases == {"0": bases["Бухгалтерия"].id, "1": ut.id}


def test_delete_base_needs_confirmation_and_drops_it_from_the_pipelines(admin_page, running_app, ctx, member_id,
                                                                        onec_url):
    page = post_form(running_app.url, "/settings/base", frame_token(admin_page.text), base_form(onec_url))
    [record] = ctx.bases.list(member_id)
    data = _settings_form(page.text, **{"category_base__0": str(record.id), "category_base__1": str(record.id)})
    page = post_form(running_app.url, "/settings/save", data.pop("frame"), data)
    assert ctx.portal_settings.get(member_id).category_bases == {"0": record.id, "1": record.id}
    form = {"base_id": record.id, "version": version_of(page.text)}
    unconfirmed = post_form(running_app.url, "/settings/base/delete", frame_token(page.text), form)
    assert unconfirmed.status_code == 422 and len(ctx.bases.list(member_id)) == 1
    done = post_form(running_app.url, "/settings/base/delete", frame_token(page.text), {**form, "confirm": "1"})
    assert done.status_code == 200 and ctx.bases.list(member_id) == []
    assert ctx.portal_settings.get(member_id).category_bases == {}
    assert _chosen(done.text, "category_base__0") == ""
