"""The catalog page («Каталог и остатки из 1С») over HTTP, opened from the settings page as the sandbox portal's
administrator: 1C's price types and warehouses offered, a save that changes nothing leaves the settings document
identical (saved keys 1C no longer has and bases 1C cannot be read for included), choices saved, a concurrent save
refused; the preview run on RQ and its CSV checked against the preview itself; another portal's job, a forged or a
non-admin frame refused."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from html import unescape
from html.parser import HTMLParser

import pytest
import requests

from b24app.core.catalog_settings import CatalogSettings
from b24app.jobs import sync_now
from b24app.web.catalog_texts import PREVIEW_COUNTS, count_text, ct, outcome_sentence
from tests.support import sync_data as sd
from tests.support.catalog_data import PAGE, add_base, odata, open_catalog, reset, start_catalog_onec
from tests.support.processes import post_json
from tests.support.settings_data import app_frame, frame_token, post_form, version_of

pytestmark = pytest.mark.db

GONE_KEY = "00000000-0000-0000-0000-00000000dead"  # a warehouse saved once, deleted from 1C since


@pytest.fixture(scope="module")
def catalog_onec():
    server = start_catalog_onec()
    yield server
    server.stop()


@pytest.fixture
def onec(catalog_onec) -> str:
    return reset(catalog_onec.url)


@pytest.fixture
def base(ctx, installed, sandbox_url, onec, settings_env) -> tuple[str, int]:
    return add_base(ctx, sandbox_url, onec)


class FormFields(HTMLParser):
    """What a browser submits for form `form_id`: its own fields and those naming it by the `form` attribute."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if tag != "input" or not (self.inside or a.get("form") == self.form_id) or not a.get("name"):
            return
        if a.get("type") in ("checkbox", "radio") and "checked" not in a:
            return
        self.fields.append((a["name"], a.get("value") or ""))

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag == "form":
            self.inside = False


def submitted(html: str, form_id: str = "catalog-form") -> dict[str, list[str]]:
    parser = FormFields(form_id)
    parser.feed(html)
    out: dict[str, list[str]] = {}
    for name, value in parser.fields:
        out.setdefault(name, []).append(value)
    return out


def kinds(onec: str) -> dict[str, str]:
    return {r["Description"]: r["Ref_Key"] for r in odata(onec, "Catalog_ВидыЦен")}


def stores(onec: str) -> list[str]:
    return [r["Ref_Key"] for r in odata(onec, "Catalog_Склады") if not r.get("IsFolder")]


def test_only_administrators_get_in(base, sandbox_url, settings, app_server):
    assert requests.get(app_server.url + PAGE, timeout=10).status_code == 400
    forged = requests.post(app_server.url + PAGE, data={"frame": "forged"}, timeout=10)
    assert forged.status_code == 403 and 'id="catalog-refused"' in forged.text
    manager = requests.post(app_server.url + PAGE, data=app_frame(sandbox_url, settings.client_id, user_id=2),
                            timeout=30)
    assert manager.status_code == 403 and "только администратор портала" in unescape(manager.text)
    for path in ("/save", "/load", "/disable", "/preview", "/preview.csv"):
        refused = requests.post(app_server.url + PAGE + path, data={"frame": "forged", "base_id": str(base[1])},
                                timeout=10)
        assert refused.status_code == 403 and 'id="catalog-refused"' in refused.text, path
    status = requests.post(app_server.url + PAGE + "/status", data={"frame": "forged", "job": "x"}, timeout=10)
    assert status.status_code == 403 and status.json() == {"error": "refused"}


def test_a_round_trip_keeps_the_document_and_choices_are_saved(ctx, base, onec, sandbox_url, settings,
                                                                app_server):
    member_id, base_id = base
    price_kinds = kinds(onec)
    warehouses = stores(onec)
    # A second base 1C cannot be read for (nothing listens there): its saved choices must survive every save.
    dark = ctx.bases.save(member_id, name="Закрытая база", url="http://127.0.0.1:9/ut/", login="x", password="y",
                          profile="ut11", legal_entity="ООО «Лютик»", legal_entity_inn="7707083893")
    current, version = ctx.portal_settings.load(member_id)
    saved_catalog = CatalogSettings(
        enabled=False,
        price_types={str(base_id): (price_kinds["Розничная"], price_kinds["Закупочная"]),
                     str(dark.id): (GONE_KEY,)},
        base_price_type={str(base_id): price_kinds["Закупочная"], str(dark.id): GONE_KEY},
        warehouses={str(base_id): (warehouses[1], GONE_KEY), "999": (GONE_KEY,)})
    ctx.portal_settings.save(member_id, replace(current, catalog=saved_catalog, schedules=replace(
        current.schedules, catalog_seconds=90)), version)
    before, version = ctx.portal_settings.load(member_id)

    page = open_catalog(app_server.url, sandbox_url, settings.client_id)
    assert page.status_code == 200, page.text[:500]
    html = unescape(page.text)
    assert "Каталог и остатки из 1С" in html and "Загрузка каталога выключена" in html
    assert all(name in html for name in price_kinds)  # 1C's price types offered
    assert f'id="onec-unreadable-{dark.id}"' in html and "сохранённый выбор остаётся как есть" in html
    assert 'data-inventory="off"' in html and "сумма остатков по выбранным складам" in html
    assert f'value="{GONE_KEY}" checked' in html and "нет в 1С" in html  # shown, so a save keeps it
    token = frame_token(page.text)
    assert version_of(page.text) == version

    unchanged = post_form(app_server.url, PAGE + "/save", token, submitted(page.text))
    assert unchanged.status_code == 200 and "Настройки каталога сохранены." in unescape(unchanged.text)
    after, new_version = ctx.portal_settings.load(member_id)
    assert after.to_json() == before.to_json() and new_version == version + 1

    form = submitted(unchanged.text)
    form[f"price_type_{base_id}"] = [price_kinds["Оптовая"], price_kinds["Розничная"]]
    form[f"base_price_{base_id}"] = [price_kinds["Розничная"]]
    form[f"warehouse_{base_id}"] = warehouses[:2]
    form["minutes"] = ["30"]
    chosen = post_form(app_server.url, PAGE + "/save", token, form)
    assert chosen.status_code == 200, chosen.text[:500]
    saved = ctx.portal_settings.get(member_id)
    assert saved.catalog.price_types == {str(base_id): (price_kinds["Розничная"], price_kinds["Оптовая"]),
                                         str(dark.id): (GONE_KEY,)}
    assert saved.catalog.base_price_type == {str(base_id): price_kinds["Розничная"], str(dark.id): GONE_KEY}
    assert saved.catalog.warehouses == {str(base_id): (warehouses[1], warehouses[0]), "999": (GONE_KEY,)}
    assert saved.schedules.catalog_seconds == 1800
    assert replace(saved, catalog=before.catalog, schedules=before.schedules) == before  # nothing else moved

    none_ticked = {k: v for k, v in submitted(chosen.text).items() if not k.startswith(f"warehouse_{base_id}")}
    all_again = post_form(app_server.url, PAGE + "/save", token, none_ticked)
    assert all_again.status_code == 200
    assert str(base_id) not in ctx.portal_settings.get(member_id).catalog.warehouses  # none ticked = all

    bad = post_form(app_server.url, PAGE + "/save", token, {**submitted(all_again.text), "minutes": ["0"]})
    assert bad.status_code == 422 and "от 1 до 1440" in unescape(bad.text)
    stale = post_form(app_server.url, PAGE + "/save", token, form)  # the version of two saves ago
    assert stale.status_code == 409 and "изменил кто-то другой" in unescape(stale.text)
    assert str(base_id) not in ctx.portal_settings.get(member_id).catalog.warehouses


def test_the_preview_and_its_csv(ctx, base, onec, sandbox_url, settings, app_server):
    member_id, base_id = base
    page = open_catalog(app_server.url, sandbox_url, settings.client_id)
    token = frame_token(page.text)
    started = post_form(app_server.url, PAGE + "/preview", token, {"base_id": str(base_id)})
    assert started.status_code == 200
    job_id = re.search(rf'id="preview-job-{base_id}" data-job="([^"]+)" data-state="queued"', started.text).group(1)
    queued = post_form(app_server.url, PAGE + "/status", token, {"job": job_id}).json()
    assert queued["state"] == "queued" and queued["finished"] is False

    sd.run_burst(ctx)
    done = post_form(app_server.url, PAGE + "/status", token, {"job": job_id}).json()
    assert done["state"] == "finished" and done["percent"] == 100 and done["done"] == done["total"] > 0
    preview = sync_now.job_progress(ctx, member_id, job_id).result["bases"][str(base_id)]
    shown = unescape(post_form(app_server.url, PAGE, token).text)
    assert f'id="preview-{base_id}"' in shown
    items_row = re.search(r'<tr data-count="items"[^>]*><td>[^<]*</td><td class="num">([^<]*)</td>', shown)
    assert items_row.group(1) == str(preview["items"])

    answer = post_form(app_server.url, PAGE + "/preview.csv", token, {"job": job_id})
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    by_label = {r[0]: r[1] for r in rows if len(r) == 2}
    for key, text in PREVIEW_COUNTS:
        assert by_label[ct(text, "ru")] == str(preview[key]), key
    assert preview["items"] + preview["marked"] == done["total"]
    start = next(i for i, r in enumerate(rows) if r and r[0] == ct("csv_duplicates", "ru"))
    assert int(rows[start][1]) == preview["duplicate_count"]
    listed = rows[start + 2:]
    assert [r[0] for r in listed] == [d["article"] for d in preview["duplicates"]]
    price_rows = rows[next(i for i, r in enumerate(rows) if r and r[0] == ct("csv_price_types", "ru")) + 1:][:3]
    assert {r[0] for r in price_rows} == {t["name"] for t in preview["price_types"]}

    other = sync_now.enqueue(ctx, "another-portal-member", "catalog_preview", base_id)
    assert post_form(app_server.url, PAGE + "/preview.csv", token, {"job": other}).status_code == 404
    assert post_form(app_server.url, PAGE + "/status", token, {"job": other}).status_code == 404
    assert post_form(app_server.url, PAGE + "/preview.csv", token, {"job": "no-such-job"}).status_code == 404


def test_load_turns_the_load_on_and_off(ctx, base, sandbox_url, settings, app_server):
    member_id, base_id = base
    page = open_catalog(app_server.url, sandbox_url, settings.client_id)
    token = frame_token(page.text)
    started = post_form(app_server.url, PAGE + "/load", token, {"base_id": str(base_id)})
    assert started.status_code == 200 and ctx.portal_settings.get(member_id).catalog.enabled
    assert re.search(rf'id="load-job-{base_id}" data-job="[^"]+"', started.text)
    assert post_form(app_server.url, PAGE + "/load", token, {"base_id": "99999"}).status_code == 422
    off = post_form(app_server.url, PAGE + "/disable", token)
    assert off.status_code == 200 and "Загрузка каталога выключена." in unescape(off.text)
    assert not ctx.portal_settings.get(member_id).catalog.enabled


def test_english_interface_and_inventory_management_on(ctx, base, sandbox_url, settings, app_server):
    post_json(sandbox_url + "/_sandbox/catalog", {"inventory_management": True})
    page = open_catalog(app_server.url, sandbox_url, settings.client_id, lang="en")
    assert page.status_code == 200
    html = unescape(page.text)
    assert "Catalog and stock from 1C" in html and "The catalog load is off" in html
    assert 'data-inventory="on"' in html and "Stock moves only by conducted store documents" in html
    assert "Каталог" not in html


def test_counts_and_the_outcome_in_words():
    assert count_text(1234567, "ru") == "1\u202f234\u202f567" and count_text(1234567, "en") == "1,234,567"
    result = {"stream": "catalog", "enabled": True, "created": 1200, "updated": 3, "deactivated": 1,
              "prices": 118, "stock": 117, "sections": 0, "refused": 2}
    assert outcome_sentence(result, "ru") == (
        "Создано товаров: 1\u202f200, обновлено: 3, снято с продажи: 1, цен записано: 118, остатков: 117. "
        "Портал отказал в записи: 2 (подробности — в журнале обмена)")
    assert outcome_sentence({"enabled": False}, "en") == "The catalog load is off: nothing was loaded."
