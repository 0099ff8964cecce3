"""The counterparties page («Контрагенты из 1С») over HTTP, opened from the settings page as the sandbox portal's
administrator: the preview run on RQ with its progress, its counts on the page equal to the job's own, a name
candidate confirmed and withdrawn, a branch given its own card, the CSV and the XLSX carrying the same counts;
the settings saved (a concurrent save refused); «Загрузить» storing what is undecided as left out, turning the
base's exchange on and queueing the load; another portal's job, a forged or a non-admin frame refused."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
import requests
from openpyxl import load_workbook
from rq.job import Job

from b24app.core.party_settings import AS_COMPANY, CRM, ONEC
from b24app.jobs import sync_now
from b24app.store.party_decisions import PartyDecisions
from b24app.store.party_links import PartyLinks
from b24app.web import counterparties_page
from b24app.web.counterparties_texts import PREVIEW_COUNTS, outcome_sentence, pt
from tests.support import sync_data as sd
from tests.support.party_data import PAGE, party_sandbox_fixtures, seed_party_stand
from tests.support.settings_data import app_frame, frame_token, open_settings, post_form, version_of

pytestmark = pytest.mark.db


portal_sandbox, party_onec, onec = party_sandbox_fixtures()


@pytest.fixture
def seeded(ctx, installed, sandbox_url, onec, settings_env):
    member_id, base_id, _, crm = seed_party_stand(ctx, sandbox_url, onec)
    return member_id, base_id, crm


def open_page(app_url: str, sandbox_url: str, client_id: str, *, user_id: int = 1, lang: str = "ru"):
    """The page as the settings page's link opens it (a POST with the settings page's frame token)."""
    settings_page = open_settings(app_url, app_frame(sandbox_url, client_id, user_id=user_id, lang=lang))
    assert settings_page.status_code == 200, settings_page.text[:500]
    assert 'id="counterparties-link"' in settings_page.text
    return post_form(app_url, PAGE, frame_token(settings_page.text))


def run_preview(ctx, app_url: str, token: str, base_id: int) -> tuple[str, str]:  # noqa: ANN001 - Runtime
    started = post_form(app_url, PAGE + "/preview", token, {"base_id": str(base_id)})
    assert started.status_code == 200
    job_id = re.search(rf'id="preview-job-{base_id}" data-job="([^"]+)" data-state="queued"', started.text).group(1)
    queued = post_form(app_url, PAGE + "/status", token, {"job": job_id}).json()
    assert queued["state"] == "queued" and queued["finished"] is False
    sd.run_burst(ctx)
    done = post_form(app_url, PAGE + "/status", token, {"job": job_id}).json()
    assert done["state"] == "finished" and done["percent"] == 100 and done["done"] == done["total"] > 0
    return job_id, unescape(post_form(app_url, PAGE, token).text)


def shown_count(html: str, key: str) -> str:
    found = re.search(rf'<tr data-count="{key}"[^>]*><td>[^<]*</td><td class="num">([^<]*)</td>', html)
    assert found, key
    return found.group(1).replace("\u202f", "")


def test_only_administrators_get_in(seeded, sandbox_url, settings, app_server):
    assert requests.get(app_server.url + PAGE, timeout=10).status_code == 400
    forged = requests.post(app_server.url + PAGE, data={"frame": "forged"}, timeout=10)
    assert forged.status_code == 403 and 'id="counterparties-refused"' in forged.text
    manager = requests.post(app_server.url + PAGE, data=app_frame(sandbox_url, settings.client_id, user_id=2),
                            timeout=30)
    assert manager.status_code == 403 and "только администратор портала" in unescape(manager.text)
    for path in ("/save", "/load", "/preview", "/decide", "/preview.csv", "/preview.xlsx"):
        refused = requests.post(app_server.url + PAGE + path, data={"frame": "forged", "base_id": str(seeded[1])},
                                timeout=10)
        assert refused.status_code == 403 and 'id="counterparties-refused"' in refused.text, path
    status = requests.post(app_server.url + PAGE + "/status", data={"frame": "forged", "job": "x"}, timeout=10)
    assert status.status_code == 403 and status.json() == {"error": "refused"}


def test_preview_decisions_and_downloads(ctx, seeded, sandbox_url, settings, app_server, monkeypatch):
    member_id, base_id, crm = seeded
    token = frame_token(open_page(app_server.url, sandbox_url, settings.client_id).text)
    job_id, html = run_preview(ctx, app_server.url, token, base_id)
    preview = sync_now.job_progress(ctx, member_id, job_id).result["bases"][str(base_id)]
    for key, _ in PREVIEW_COUNTS:
        assert shown_count(html, key) == str(preview["counts"][key]), key
    assert shown_count(html, "to_decide") == "2"
    # Both sides next to each other: the name candidate's CRM card with its link into the portal.
    row = re.search(rf'<tr id="(row-by_name-{base_id}-1)" class="cp-row" data-onec-key="{crm.name_candidate}"'
                    r' data-outcome="decide">(.*?)</tr>', html, re.S)
    assert row and f"/crm/company/details/{crm.crm_ids['by_name']}/" in row.group(2)

    same = post_form(app_server.url, PAGE + "/decide", token, {
        "base_id": str(base_id), "onec_key": crm.name_candidate, "decision": f"link:company:{crm.crm_ids['by_name']}"})
    assert same.status_code == 200 and "Решение сохранено." in unescape(same.text)
    assert PartyDecisions(ctx.db).get_all(member_id, base_id) == {
        crm.name_candidate: f"link:company:{crm.crm_ids['by_name']}"}
    branch = unescape(post_form(app_server.url, PAGE + "/decide", token, {
        "base_id": str(base_id), "onec_key": crm.other_kpp, "decision": "create"}).text)
    assert shown_count(branch, "to_decide") == "0"
    assert shown_count(branch, "will_link") == str(preview["counts"]["will_link"] + 1)
    assert re.search(rf'data-onec-key="{crm.other_kpp}" data-outcome="create"', branch)
    undone = unescape(post_form(app_server.url, PAGE + "/decide", token, {
        "base_id": str(base_id), "onec_key": crm.other_kpp, "decision": ""}).text)
    assert shown_count(undone, "to_decide") == "1" and "Решение отменено." in undone
    bad = post_form(app_server.url, PAGE + "/decide", token, {
        "base_id": str(base_id), "onec_key": crm.other_kpp, "decision": "link:deal:3"})
    assert bad.status_code == 422

    answer = post_form(app_server.url, PAGE + "/preview.csv", token, {"job": job_id})
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig")), delimiter=";"))
    by_label = {r[0]: r[1] for r in rows if len(r) == 2}
    decided = {**preview["counts"], "to_decide": 1, "will_link": preview["counts"]["will_link"] + 1}
    for key, text in PREVIEW_COUNTS:
        assert by_label[pt(text, "ru")] == str(decided[key]), key
    title = next(i for i, r in enumerate(rows) if r and r[0] == pt("list_by_name", "ru") and rows[i + 1][0] == "№")
    assert rows[title + 2][4] == crm.name_candidate and "решено" in rows[title + 2][-1]
    assert not any(cell.startswith("+") for r in rows for cell in r)  # a phone never reads as a formula

    xlsx = post_form(app_server.url, PAGE + "/preview.xlsx", token, {"job": job_id})
    assert xlsx.status_code == 200 and xlsx.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[0] == "Итоги" and len(book.sheetnames) == 11
    counts = {r[0]: r[1] for r in book["Итоги"].iter_rows(min_row=3, values_only=True)}
    assert counts == {pt(text, "ru"): decided[key] for key, text in PREVIEW_COUNTS}
    assert book["Похожие названия"].max_row == 1 + preview["counts"]["by_name"]

    # A long list shows its head on the page; the downloads hold every listed row.
    monkeypatch.setattr(counterparties_page, "PAGE_ROWS", 3)
    short = unescape(post_form(app_server.url, PAGE, token).text)
    to_create = preview["counts"]["to_create"]
    assert f"Показаны первые 3 из {to_create}; все — в CSV и XLSX." in short
    listed = re.search(rf'<details class="cp-list" id="list-to_create-{base_id}".*?</details>', short, re.S).group(0)
    assert listed.count('class="cp-row"') == 3
    assert book["Будут созданы"].max_row == to_create + 1  # the header, then a line per counterparty

    other = sync_now.enqueue(ctx, "another-portal-member", "counterparty_preview", base_id)
    assert post_form(app_server.url, PAGE + "/preview.xlsx", token, {"job": other}).status_code == 404
    assert post_form(app_server.url, PAGE + "/status", token, {"job": other}).status_code == 404


def test_settings_are_saved_and_a_stale_save_refused(ctx, seeded, sandbox_url, settings, app_server):
    member_id = seeded[0]
    bitrix = ctx.bitrix(member_id)
    # A portal installed before the company events joined the manifest: switching CRM → 1C on binds them.
    bitrix.call("event.unbind", {"event": "ONCRMCOMPANYUPDATE", "handler": settings.public_url + "/events"})
    bitrix.call("event.unbind", {"event": "ONCRMCOMPANYUPDATE", "event_type": "offline"})
    assert "ONCRMCOMPANYUPDATE" not in {e["event"].upper() for e in bitrix.call("event.get", {}).result}
    page = open_page(app_server.url, sandbox_url, settings.client_id)
    token, version = frame_token(page.text), version_of(page.text)
    form = {"version": str(version), "individuals_as": AS_COMPANY, "crm_to_onec": "1", "winner_phones": ONEC,
            "winner_inn": CRM}
    saved = post_form(app_server.url, PAGE + "/save", token, form)
    assert saved.status_code == 200 and "Настройки контрагентов сохранены." in unescape(saved.text)
    parties = ctx.portal_settings.get(member_id).counterparties
    assert (parties.individuals_as, parties.crm_to_onec, parties.winners) == (AS_COMPANY, True,
                                                                              {"phones": ONEC, "inn": CRM})
    assert "ONCRMCOMPANYUPDATE" in {e["event"].upper() for e in bitrix.call("event.get", {}).result}
    assert post_form(app_server.url, PAGE + "/save", token, form).status_code == 409  # the old version again
    assert post_form(app_server.url, PAGE + "/save", token, {
        "version": str(version_of(saved.text)), "individuals_as": "lead"}).status_code == 422


def test_load_saves_decisions_enables_the_base_and_queues_the_load(ctx, seeded, sandbox_url, settings, app_server):
    member_id, base_id, crm = seeded
    token = frame_token(open_page(app_server.url, sandbox_url, settings.client_id).text)
    assert post_form(app_server.url, PAGE + "/load", token, {"base_id": str(base_id)}).status_code == 409
    _, html = run_preview(ctx, app_server.url, token, base_id)
    assert "Без решения осталось пар: 2." in html
    post_form(app_server.url, PAGE + "/decide", token, {
        "base_id": str(base_id), "onec_key": crm.other_kpp, "decision": "create"})
    started = post_form(app_server.url, PAGE + "/load", token, {"base_id": str(base_id)})
    assert started.status_code == 200 and "Загрузка запущена." in unescape(started.text)
    assert ctx.portal_settings.get(member_id).counterparties.enabled_bases == (str(base_id),)
    assert PartyDecisions(ctx.db).get_all(member_id, base_id) == {crm.other_kpp: "create",
                                                                  crm.name_candidate: "skip"}
    job_id = re.search(rf'id="load-job-{base_id}" data-job="([^"]+)"', started.text).group(1)
    job = Job.fetch(job_id, connection=ctx.redis)
    assert job.meta["name"] == "counterparties" and job.args == (member_id, "counterparties", base_id)
    assert sync_now.REGISTRY["counterparties"].target == "b24app.jobs.counterparties.load"
    sd.run_burst(ctx)  # the load itself (jobs/counterparties.py): its outcome comes back as a sentence
    done = post_form(app_server.url, PAGE + "/status", token, {"job": job_id}).json()
    assert done["state"] == "finished", done
    assert done["sentence"].startswith("Загрузка завершена: связано с карточками CRM — "), done
    # The preview told what the load does: the 1C duplicates it showed joining their twin's card share one card,
    # and what was decided left out is left out.
    page = post_form(app_server.url, PAGE, token).text
    loaded = sync_now.job_progress(ctx, member_id, job_id).result
    cards: dict[tuple, set[str]] = {}
    for key, link in PartyLinks(ctx.db).all(member_id, base_id).items():
        cards.setdefault((link.entity, link.crm_id), set()).add(key)
    groups = [keys for keys in cards.values() if len(keys) > 1]
    joins = re.findall(r'data-onec-key="([^"]+)" data-outcome="join"', page)
    assert joins and set(joins) <= set().union(*groups) and sum(len(g) - 1 for g in groups) == len(joins)
    assert loaded["skipped"] == 1 and crm.name_candidate not in PartyLinks(ctx.db).all(member_id, base_id)
    assert post_form(app_server.url, PAGE + "/load", token, {"base_id": "99999"}).status_code == 422


def test_english_interface(seeded, sandbox_url, settings, app_server):
    page = open_page(app_server.url, sandbox_url, settings.client_id, lang="en")
    html = unescape(page.text)
    assert page.status_code == 200 and "Counterparties from 1C" in html and "Run the preview" in html
    assert "Whose value wins when they differ" in html and "Контрагенты" not in html


def test_the_outcome_in_words():
    result = {"created": 1200, "linked": 35, "updated": 2, "persons": 7, "skipped": 4, "refused": 1}
    assert outcome_sentence(result, "ru") == (
        "Загрузка завершена: связано с карточками CRM — 35, создано — 1\u202f200, обновлено — 2, контактных лиц — "
        "7, пропущено — 4. Не записано: 1 (подробности — в журнале обмена).")
    assert outcome_sentence({"created": 3}, "en") == (
        "The load is done: linked to CRM cards: 0, created: 3, updated: 0, contact persons: 0, left out: 0.")
