"""Every fault switch of the sandbox, seen through the client, the schema check and the CLI."""

import socket

import pytest
from onec_sandbox import LOGIN, LOOPBACK, PASSWORD

from b24app.onec import cli
from b24app.onec.base import OneCBase
from b24app.onec.errors import OneCAuthError, OneCNotFound, OneCQueryError, OneCUnavailable
from b24app.onec.odata import ODataClient
from b24app.onec.schema import check

COUNTERPARTIES = "Catalog_Контрагенты"


def test_down_is_unavailable_after_retries(fresh, fast_retry):
    fresh.control("ut/fault", {"down": True})
    client = ODataClient(fresh.base("ut"), egress=LOOPBACK, retry=fast_retry)
    with pytest.raises(OneCUnavailable) as info:
        client.query(COUNTERPARTIES, top=1)
    assert info.value.http_status == 503
    assert client.requests_made == fast_retry.attempts


def test_closed_port_is_unavailable(fast_retry):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = ODataClient(OneCBase(url=f"http://127.0.0.1:{port}/ut/", login="x", password="y"), egress=LOOPBACK,
                         retry=fast_retry)
    with pytest.raises(OneCUnavailable, match="connection failed"):
        client.query(COUNTERPARTIES)
    assert client.requests_made == fast_retry.attempts


def test_slow_answer_times_out(fresh, fast_retry):
    fresh.control("ut/fault", {"slow_ms": 600})
    client = ODataClient(fresh.base("ut"), egress=LOOPBACK, timeout=(2.0, 0.3), retry=fast_retry)
    with pytest.raises(OneCUnavailable, match="read timeout"):
        client.query(COUNTERPARTIES, top=1)


def test_500s_are_retried_then_succeed(fresh, fast_retry):
    fresh.control("ut/fault", {"error500": 2})
    client = ODataClient(fresh.base("ut"), egress=LOOPBACK, retry=fast_retry)
    assert len(client.query(COUNTERPARTIES, top=3).rows) == 3
    assert client.requests_made == 3


def test_unauthorized_is_auth_error(fresh, fast_retry):
    fresh.control("ut/fault", {"unauthorized": True})
    client = ODataClient(fresh.base("ut"), egress=LOOPBACK, retry=fast_retry)
    with pytest.raises(OneCAuthError):
        client.query(COUNTERPARTIES, top=1)
    report = check(fresh.base("ut"), client=client)
    assert report.reachable and not report.authorised and not report.ok
    assert "1С отказала во входе" in report.render_text()


def test_schema_check_passes_on_the_sandbox_layout(fresh, sandbox_profile):
    report = check(fresh.base("ut"), profile=sandbox_profile, egress=LOOPBACK)
    assert report.ok, report.render_text()
    assert report.checked_objects == len(sandbox_profile.enabled_objects())


def test_shipped_profiles_pass_on_both_sandbox_bases(fresh):
    for name, profile in (("ut", "ut11"), ("bp", "bp30")):
        report = check(fresh.base(name, profile=profile), egress=LOOPBACK)
        assert report.ok, report.render_text()
        assert not report.optional_missing, report.render_text()


def test_rename_is_named_by_the_schema_check(fresh, ut_client, sandbox_profile):
    fresh.control("ut/rename", {"entity": COUNTERPARTIES, "field": "ИНН", "to": "ИННКонтрагента"})
    report = check(fresh.base("ut"), profile=sandbox_profile, egress=LOOPBACK)
    assert not report.ok
    [missing] = [m for m in report.missing_fields if m.entity_set == COUNTERPARTIES]
    assert (missing.field, missing.logical_object) == ("ИНН", "counterparty")
    assert missing.similar[0] == "ИННКонтрагента"
    text = report.render_text()
    assert "missing field: Catalog_Контрагенты.ИНН" in text and "similar: ИННКонтрагента" in text
    with pytest.raises(OneCQueryError):
        ut_client.query(COUNTERPARTIES, select=["ИНН"], top=1)


def test_unpublished_object_is_named_with_the_instruction(fresh, ut_client, sandbox_profile):
    fresh.control("ut/unpublish", {"entity": "Document_ПоступлениеБезналичныхДенежныхСредств"})
    report = check(fresh.base("ut"), profile=sandbox_profile, egress=LOOPBACK)
    assert ("bank_receipt", "Document_ПоступлениеБезналичныхДенежныхСредств") in report.missing_sets
    advice = report.instructions()
    assert "Document_ПоступлениеБезналичныхДенежныхСредств" in advice["ru"]
    assert "Настройка стандартного интерфейса OData" in advice["ru"]
    assert "SetStandardODataInterfaceContent" in advice["en"]
    with pytest.raises(OneCNotFound):
        ut_client.query("Document_ПоступлениеБезналичныхДенежныхСредств", top=1)


def test_cli_exit_codes(fresh, capsys, monkeypatch):
    monkeypatch.setenv("B24APP_ONEC_ALLOWED_NETWORKS", "127.0.0.0/8")
    args = ["onec", "check", "--url", f"{fresh.url}/ut/", "--login", LOGIN, "--password", PASSWORD,
            "--profile", "ut11"]  # fmt: skip
    assert cli.main(args) == cli.EXIT_OK
    assert "OK:" in capsys.readouterr().out
    fresh.control("ut/rename", {"entity": COUNTERPARTIES, "field": "КПП", "to": "КППКонтрагента"})
    assert cli.main(args) == cli.EXIT_PROBLEMS
    assert "Catalog_Контрагенты.КПП" in capsys.readouterr().out
    fresh.control("ut/fault", {"down": True})
    assert cli.main([*args, "--json"]) == cli.EXIT_UNREACHABLE
    assert '"reachable": false' in capsys.readouterr().out
