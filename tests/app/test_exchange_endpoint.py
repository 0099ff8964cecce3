"""The CommerceML exchange endpoint (issue 16) driven over real HTTP by the sandbox 1C exchange node: the app served
by werkzeug on loopback, real Redis and database, the sandbox portal. Covers checkauth (wrong password, lockout),
init, chunked and zipped uploads, hostile names and archives, a connection dropped mid-chunk, a chunk sent twice,
calls without a session, an unknown token, the import job enqueued with the exchange's files, and the orders
round once the orders side exists."""

from __future__ import annotations

import importlib.util
import io
import os
import threading
import time
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from rq.job import Job

from b24app.store.exchange_nodes import ExchangeNodes
from b24app.store.exchange_sessions import MAX_FAILURES
from b24app.web.exchange import exchange_url
from b24sandbox.exchange_node.protocol import ExchangeFailure, NodeSession, zip_files
from b24sandbox.exchange_node.runs import run_catalog, run_sale
from tests.support.processes import get_json
from tests.support.samples import needs, samples_dir

SAMPLES = samples_dir("commerceml")
pytestmark = [pytest.mark.db, needs(SAMPLES)]
FILE_LIMIT = 64 * 1024


@pytest.fixture
def settings(settings, tmp_path):
    return replace(settings, exchange_dir=str(tmp_path / "exchange"), exchange_file_limit=FILE_LIMIT,
                   exchange_max_bytes=2 * 1024 * 1024)


@pytest.fixture
def node(ctx, installed, sandbox_url) -> dict:
    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    creds = ExchangeNodes(ctx.db, ctx.box).create(member_id, name="ООО «Ромашка» (обмен с сайтом)",
                                                  legal_entity="ООО «Ромашка»", legal_entity_inn="7707083893")
    return {"member_id": member_id, "base_id": creds.base_id, "url": exchange_url(ctx.settings.public_url, creds.token),
            "login": creds.login, "password": creds.password, "token": creds.token}


def _catalog_files() -> dict[str, bytes]:
    return {"import.xml": (SAMPLES / "commerceml_import__Denis-777_test.xml").read_bytes(),
            "offers.xml": (SAMPLES / "commerceml_offers__Denis-777_test.xml").read_bytes(),
            "import_files/a1/a1b2c3.jpg": bytes(range(256)) * 40}


def _session(node: dict, kind: str = "catalog") -> NodeSession:
    session = NodeSession(node["url"], node["login"], node["password"])
    session.checkauth(kind)
    return session


def _run_dirs(ctx, node: dict) -> list[Path]:
    nodes = ExchangeNodes(ctx.db, ctx.box)
    found = nodes.by_token(node["token"])
    root = ctx.settings.exchange_root / str(found.id)
    return sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime) if root.exists() else []


def _journal_errors(ctx, member_id: str) -> list[str]:
    return [e.error or "" for e in ctx.journal.recent(member_id, 200) if e.kind == "commerceml" and e.status == "error"]


def _with_jobs(ctx, work):
    """Run `work` (the node's side) in a thread while this thread runs the app's queues in bursts, in process, as
    a worker would, until the node is done."""
    from tests.support.sync_data import run_burst

    result, errors = {}, []

    def target() -> None:
        try:
            result["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            errors.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    while thread.is_alive():
        run_burst(ctx)
        thread.join(0.1)
    if errors:
        raise errors[0]
    return result["value"]


def test_wrong_password_refused_logged_without_it_then_locked(ctx, node, caplog):
    bad = NodeSession(node["url"], node["login"], "not-the-password")
    with pytest.raises(ExchangeFailure) as refused:
        bad.checkauth("catalog")
    assert "Неверное имя пользователя или пароль" in refused.value.reason
    assert "not-the-password" not in caplog.text
    assert all("not-the-password" not in e for e in _journal_errors(ctx, node["member_id"]))
    for _ in range(MAX_FAILURES - 1):
        with pytest.raises(ExchangeFailure):
            bad.checkauth("catalog")
    # Locked now: even the right password waits for the window to pass.
    with pytest.raises(ExchangeFailure) as locked:
        _session(node)
    assert "Слишком много неудачных попыток" in locked.value.reason


def test_checkauth_and_init_answer_as_the_protocol_says(node):
    raw = requests.get(node["url"], params={"type": "catalog", "mode": "checkauth"},
                       auth=(node["login"], node["password"]), timeout=10)
    assert raw.headers["Content-Type"] == "text/plain; charset=windows-1251"
    lines = raw.content.decode("cp1251").splitlines()
    assert lines[0] == "success" and lines[1] == "B24CMLSESSID" and len(lines[2]) >= 40
    assert lines[3].startswith("sessid=") and lines[4].startswith("timestamp=")
    cookies = {lines[1]: lines[2]}
    init = requests.get(node["url"], params={"type": "catalog", "mode": "init"}, cookies=cookies, timeout=10)
    assert init.content.decode("cp1251").splitlines() == ["zip=yes", f"file_limit={FILE_LIMIT}"]
    newer = requests.get(node["url"], params={"type": "catalog", "mode": "init", "version": "3.1",
                                              "sessid": lines[3][7:]}, cookies=cookies, timeout=10)
    assert newer.content.decode("cp1251").splitlines() == ["zip=yes", f"file_limit={FILE_LIMIT}", lines[3],
                                                           "version=2.09"]
    wrong_sessid = requests.get(node["url"], params={"type": "catalog", "mode": "init", "sessid": "forged"},
                                cookies=cookies, timeout=10)
    assert wrong_sessid.content.decode("cp1251").startswith("failure\n")


def test_without_a_session_every_mode_fails_and_an_unknown_token_is_404(node):
    for mode in ("init", "file", "import", "query"):
        r = requests.post(node["url"], params={"type": "catalog", "mode": mode, "filename": "import.xml"},
                          data=b"<x/>", cookies={"B24CMLSESSID": "made-up"}, timeout=10)
        lines = r.content.decode("cp1251").splitlines()
        assert r.status_code == 200 and lines[0] == "failure" and "Сеанс обмена не найден" in lines[1]
    forged = node["url"][:-4] + ("AAAA" if not node["url"].endswith("AAAA") else "BBBB")
    assert requests.get(forged, params={"type": "catalog", "mode": "checkauth"},
                        auth=(node["login"], node["password"]), timeout=10).status_code == 404
    # A session of the catalog exchange does not open the sale one.
    session = _session(node, "catalog")
    session.init("catalog")
    with pytest.raises(ExchangeFailure):
        session.query()


def test_chunked_upload_reassembles_byte_exact_and_import_enqueues_every_xml(ctx, node):
    files = _catalog_files()
    session = _session(node)
    answer = session.init("catalog")
    assert answer.file_limit == FILE_LIMIT
    calls = sum(session.send_file("catalog", name, data, 10_000) for name, data in files.items())
    assert calls == sum(-(-len(d) // 10_000) for d in files.values())
    [run_dir] = _run_dirs(ctx, node)
    for name, data in files.items():
        assert (run_dir / name).read_bytes() == data
    response = requests.get(node["url"], params={"type": "catalog", "mode": "import", "filename": "import.xml"},
                            cookies={session.cookie[0]: session.cookie[1]}, timeout=10)
    lines = response.content.decode("cp1251").splitlines()
    assert lines[0] == "progress"
    run = ExchangeNodes(ctx.db, ctx.box).run(run_dir.name)
    [entry] = run.jobs
    job = Job.fetch(entry["job_id"], connection=ctx.redis)
    assert job.func_name == "b24app.jobs.commerceml_exchange.import_catalog"
    assert job.args == (node["member_id"], node["base_id"], run_dir.name,
                        [str(run_dir / "import.xml"), str(run_dir / "offers.xml")])
    # The next import call (offers.xml) reports the same job instead of enqueuing another.
    again = requests.get(node["url"], params={"type": "catalog", "mode": "import", "filename": "offers.xml"},
                         cookies={session.cookie[0]: session.cookie[1]}, timeout=10)
    assert again.content.decode("cp1251").splitlines()[0] == "progress"
    assert len(ExchangeNodes(ctx.db, ctx.box).run(run_dir.name).jobs) == 1
    kinds = [(e.entity or "") for e in ctx.journal.recent(node["member_id"], 50) if e.kind == "commerceml"]
    assert any(k.startswith("catalog:file import.xml") for k in kinds)
    assert any(k.startswith("catalog:import import.xml") for k in kinds)


def test_a_chunk_sent_again_is_not_appended_twice(ctx, node):
    session = _session(node)
    session.init("catalog")
    session.send_chunk("catalog", "import.xml", b"A" * 1000)
    session.send_chunk("catalog", "import.xml", b"B" * 1000)
    session.send_chunk("catalog", "import.xml", b"B" * 1000)  # the answer to the first B was lost: sent again
    session.send_chunk("catalog", "import.xml", b"C" * 10)
    [run_dir] = _run_dirs(ctx, node)
    assert (run_dir / "import.xml").read_bytes() == b"A" * 1000 + b"B" * 1000 + b"C" * 10


def test_a_connection_dropped_mid_chunk_then_restarted_gives_the_right_file(ctx, node):
    files = {"import.xml": (SAMPLES / "commerceml_import__Denis-777_test.xml").read_bytes()}
    session = _session(node)
    session.init("catalog")
    data = files["import.xml"]
    session.send_chunk("catalog", "import.xml", data[:10_000])
    session.drop_chunk("catalog", "import.xml", data[10_000:20_000])
    first = _run_dirs(ctx, node)[0]
    # Nothing of the broken chunk was appended.
    assert (first / "import.xml").read_bytes() == data[:10_000]
    # 1C starts over (checkauth, init) and sends the file from its start into a fresh exchange.
    again = _session(node)
    again.init("catalog")
    again.send_file("catalog", "import.xml", data, 10_000)
    second = [d for d in _run_dirs(ctx, node) if d != first][0]
    assert (second / "import.xml").read_bytes() == data
    assert any("connection closed mid-chunk" in e for e in _journal_errors(ctx, node["member_id"]))


def test_the_node_restarts_after_a_drop_and_uploads_everything(ctx, node):
    files = _catalog_files()
    with pytest.raises(ExchangeFailure):  # no worker here: the import ends in progress until the deadline
        run_catalog(node["url"], node["login"], node["password"], files, chunk=10_000,
                    drop_once=("offers.xml", 2), import_timeout=0.5, poll=0.1)
    dirs = _run_dirs(ctx, node)
    assert len(dirs) == 2
    for name, data in files.items():
        assert (dirs[-1] / name).read_bytes() == data


def test_a_zip_is_unpacked_on_the_first_import_call(ctx, node):
    files = _catalog_files()
    session = _session(node)
    assert session.init("catalog").zip
    session.send_file("catalog", "catalog.zip", zip_files(files), 20_000)
    cookies = {session.cookie[0]: session.cookie[1]}
    first = requests.get(node["url"], params={"type": "catalog", "mode": "import", "filename": "import.xml"},
                         cookies=cookies, timeout=10).content.decode("cp1251").splitlines()
    assert first == ["progress", "Архив распакован: файлов 3."]
    [run_dir] = _run_dirs(ctx, node)
    assert not (run_dir / "catalog.zip").exists()
    for name, data in files.items():
        assert (run_dir / name).read_bytes() == data
    second = requests.get(node["url"], params={"type": "catalog", "mode": "import", "filename": "import.xml"},
                          cookies=cookies, timeout=10).content.decode("cp1251").splitlines()
    assert second[0] == "progress"
    assert len(ExchangeNodes(ctx.db, ctx.box).run(run_dir.name).jobs) == 1


def _zip_of(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("entries, why", [
    ({"import.xml": b"<ok/>", "../../evil.xml": b"<evil/>"}, "outside the exchange directory"),
    ({"/etc/evil.xml": b"<evil/>"}, "outside the exchange directory"),
    ({"import.xml": b"\0" * (3 * 1024 * 1024)}, "size limit"),
])
def test_hostile_archives_are_refused_and_nothing_lands(ctx, node, entries, why):
    session = _session(node)
    session.init("catalog")
    session.send_file("catalog", "catalog.zip", _zip_of(entries), FILE_LIMIT)
    with pytest.raises(ExchangeFailure) as refused:
        session.import_file("catalog", "import.xml", timeout=1)
    assert why in refused.value.reason
    [run_dir] = _run_dirs(ctx, node)
    assert not (run_dir / "import.xml").exists()
    assert not (run_dir.parent / "evil.xml").exists() and not (ctx.settings.exchange_root / "evil.xml").exists()


def test_a_zip_bomb_is_refused_by_its_ratio(ctx, node, settings):
    # Within the exchange's size limit, but 3 MB of zeros squeezed a thousand times: not a catalog.
    ctx_settings = ctx.settings
    assert ctx_settings.exchange_max_bytes >= 2 * 1024 * 1024
    session = _session(node)
    session.init("catalog")
    session.send_file("catalog", "catalog.zip", _zip_of({"import.xml": b"\0" * (1536 * 1024)}), FILE_LIMIT)
    with pytest.raises(ExchangeFailure) as refused:
        session.import_file("catalog", "import.xml", timeout=1)
    assert "zip bomb" in refused.value.reason


@pytest.mark.parametrize("filename", ["../import.xml", "/etc/passwd", "C:/Windows/x.xml", "a/../../b.xml",
                                      "import_files/../../x"])
def test_unsafe_file_names_are_refused(ctx, node, filename):
    session = _session(node)
    session.init("catalog")
    with pytest.raises(ExchangeFailure) as refused:
        session.send_chunk("catalog", filename, b"<x/>")
    assert "Файл не принят" in refused.value.reason
    [run_dir] = _run_dirs(ctx, node)
    assert [p for p in run_dir.rglob("*") if p.is_file()] == []


def test_oversize_chunks_and_exchanges_are_refused(ctx, node):
    session = _session(node)
    session.init("catalog")
    with pytest.raises(ExchangeFailure) as big_chunk:
        session.send_chunk("catalog", "import.xml", b"x" * (FILE_LIMIT + 1))
    assert "file_limit" in big_chunk.value.reason
    for n in range(2 * 1024 * 1024 // FILE_LIMIT):
        session.send_chunk("catalog", "import.xml", bytes([n % 251]) * FILE_LIMIT)
    with pytest.raises(ExchangeFailure) as full:
        session.send_chunk("catalog", "import.xml", b"y" * 10)
    assert "size limit" in full.value.reason


def test_regenerated_credentials_end_the_old_session(ctx, node):
    session = _session(node)
    ExchangeNodes(ctx.db, ctx.box).regenerate(node["member_id"], node["base_id"])
    with pytest.raises(ExchangeFailure):
        session.init("catalog")
    with pytest.raises(ExchangeFailure):
        _session(node)


def test_a_switched_off_base_refuses_the_exchange(ctx, node):
    record = ctx.bases.get(node["member_id"], node["base_id"])
    ctx.bases.save(node["member_id"], name=record.name, url="", login=record.login, password=None,
                   profile=record.profile, enabled=False, base_id=record.id)
    with pytest.raises(ExchangeFailure) as refused:
        _session(node)
    assert "выключен" in refused.value.reason


def test_the_node_is_never_asked_over_odata(ctx, node):
    from b24app.jobs.outbox import StoreBases
    from b24app.store.alert_facts import AlertFacts

    [record] = ctx.bases.list(node["member_id"])
    assert record.route == "commerceml" and not record.is_odata
    bases = StoreBases(store=ctx.bases, profiles=ctx.profiles, member_id=node["member_id"], egress=ctx.egress)
    assert bases.enabled() == []
    assert AlertFacts(ctx.db).bases(node["member_id"]) == []


@pytest.mark.skipif(importlib.util.find_spec("b24app.jobs.commerceml_orders") is None,
                    reason="the orders side (b24app.jobs.commerceml_orders) has not landed yet")
def test_the_orders_round_through_the_node(ctx, node, settings_env, tmp_path):
    """query answers XML, success confirms, and the document 1C sends back is applied by a job, polled on import."""
    back = (SAMPLES / "commerceml_orders__irpsv_commerceml__off-doc-1c.xml").read_bytes()
    report = _with_jobs(ctx, lambda: run_sale(node["url"], node["login"], node["password"], orders_back=back,
                                              orders_out=tmp_path / "orders", poll=0.1, import_timeout=60))
    assert report.orders_xml.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml")
    assert report.confirmed.startswith("success") and report.sent_back >= 1
    assert [p.read_bytes() for p in (tmp_path / "orders").iterdir()] == [report.orders_xml]
    modes = [mode for mode, _, first in report.transcript.calls]
    assert modes[:4] == ["checkauth", "init", "query", "success"] and "import" in modes
    [run_dir] = _run_dirs(ctx, node)
    run = ExchangeNodes(ctx.db, ctx.box).run(run_dir.name)
    [entry] = run.jobs
    assert Job.fetch(entry["job_id"], connection=ctx.redis).func_name == "b24app.jobs.commerceml_exchange.apply_orders"
    assert run.status == "done"


@pytest.mark.skipif(importlib.util.find_spec("b24app.jobs.commerceml_import") is None,
                    reason="the catalog import job (b24app.jobs.commerceml_import) has not landed yet")
def test_a_full_catalog_exchange_through_the_node_ends_in_success_with_products(ctx, node, settings_env):
    from b24app.core.catalog_settings import CatalogSettings

    current, version = ctx.portal_settings.load(node["member_id"])
    ctx.portal_settings.save(node["member_id"], replace(current, catalog=CatalogSettings(enabled=True)), version)
    files = {"import.xml": (SAMPLES / "commerceml_import__irpsv_commerceml__off-doc-1c.xml").read_bytes(),
             "offers.xml": (SAMPLES / "commerceml_offers__irpsv_commerceml__off-doc-1c.xml").read_bytes()}
    report = _with_jobs(ctx, lambda: run_catalog(node["url"], node["login"], node["password"], files, chunk=5_000,
                                                 use_zip=True, poll=0.1, import_timeout=60))
    assert report.zipped and report.import_polls >= 2
    [run_dir] = _run_dirs(ctx, node)
    run = ExchangeNodes(ctx.db, ctx.box).run(run_dir.name)
    assert run.status == "done"
    bitrix = ctx.bitrix(node["member_id"])
    products = list(bitrix.iterate_by_id("catalog.product.list", {"filter": {"iblockId": 23},
                                                                  "select": ["id", "iblockId", "xmlId", "name"]},
                                         id_field="id", page_key="products"))
    names = {p["name"] for p in products if p.get("xmlId")}
    assert names, "no product reached the portal"
    catalog_text = files["import.xml"].decode("utf-8-sig")
    assert all(name in catalog_text for name in names)


def test_init_sweeps_earlier_exchanges_after_the_grace_time_but_keeps_busy_ones(tmp_path):
    from b24app.store.exchange_uploads import ExchangeUploads

    uploads = ExchangeUploads(tmp_path, 1 << 20)
    for run_id in ("old", "busy", "fresh", "current"):
        uploads.start(7, run_id)
        (uploads.run_dir(7, run_id) / "import.xml").write_bytes(b"<x/>")
    now = time.time()
    for run_id in ("old", "busy"):
        for path in (uploads.run_dir(7, run_id), uploads.run_dir(7, run_id) / "import.xml"):
            os.utime(path, (now - 7200, now - 7200))
    removed = uploads.sweep(7, {"current", "busy"}, 3600, now=now)
    assert removed == ["old"]
    assert sorted(p.name for p in uploads.node_dir(7).iterdir()) == ["busy", "current", "fresh"]


@pytest.mark.skipif(importlib.util.find_spec("b24app.jobs.commerceml_import") is None
                    or importlib.util.find_spec("b24app.jobs.commerceml_orders") is None,
                    reason="the catalog import and orders jobs have not both landed yet")
def test_the_node_command_line_runs_a_whole_exchange(ctx, node, settings_env, tmp_path):
    """`python -m b24sandbox.exchange_node` as a process: catalog (the portal's catalog load off, so the import job
    only stages and reports) and the orders round, ending with its key=value line."""
    import subprocess
    import sys

    from tests.support.sync_data import run_burst

    files = tmp_path / "exchange"
    files.mkdir()
    (files / "import.xml").write_bytes((SAMPLES / "commerceml_import__irpsv_commerceml__umi-cms.xml").read_bytes())
    (files / "offers.xml").write_bytes((SAMPLES / "commerceml_offers__irpsv_commerceml__umi-cms.xml").read_bytes())
    command = subprocess.Popen([sys.executable, "-m", "b24sandbox.exchange_node", "--url", node["url"], "--login",
                                node["login"], "--password", node["password"], "--files", str(files), "--chunk",
                                "8000", "--version", "2.09", "--orders-out", str(tmp_path / "orders"),
                                "--timeout", "60"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while command.poll() is None:  # the app's jobs run here, as a worker would run them
        run_burst(ctx)
        time.sleep(0.1)
    stdout, stderr = command.communicate(timeout=10)
    assert command.returncode == 0, (stdout, stderr)
    figures = dict(item.split("=", 1) for item in stdout.strip().splitlines()[-1].split())
    assert figures["ok"] == "1" and figures["files"] == "2" and int(figures["file_calls"]) >= 3
    assert len(list((tmp_path / "orders").iterdir())) == 1

    bad = subprocess.run([sys.executable, "-m", "b24sandbox.exchange_node", "--url", node["url"], "--login",
                          node["login"], "--password", "wrong", "--files", str(files)],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "failure in checkauth" in bad.stderr


def test_the_older_sale_protocol_applies_a_document_once_all_of_it_arrived(ctx, node):
    """No version at init: no `import` follows, so the orders 1C sends back are queued when their last chunk
    closes the document (a document in two chunks is not queued half-way)."""
    document = (SAMPLES / "commerceml_orders__irpsv_commerceml__off-doc-1c.xml").read_bytes()
    session = _session(node, "sale")
    answer = session.init("sale")
    assert not answer.version and not answer.sessid
    half = len(document) // 2
    session.send_chunk("sale", "orders.xml", document[:half])
    [run_dir] = _run_dirs(ctx, node)
    assert ExchangeNodes(ctx.db, ctx.box).run(run_dir.name).jobs == []
    session.send_chunk("sale", "orders.xml", document[half:])
    [entry] = ExchangeNodes(ctx.db, ctx.box).run(run_dir.name).jobs
    job = Job.fetch(entry["job_id"], connection=ctx.redis)
    assert job.func_name == "b24app.jobs.commerceml_exchange.apply_orders"
    assert job.args == (node["member_id"], node["base_id"], run_dir.name, str(run_dir / "orders.xml"))
    assert (run_dir / "orders.xml").read_bytes() == document
