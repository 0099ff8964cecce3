"""Reads through the client against the sandbox 1C: query options, Cyrillic names, virtual tables."""

from datetime import datetime

import pytest
from onec_sandbox import LOOPBACK

from b24app.onec import query as q
from b24app.onec.errors import OneCAuthError, OneCQueryError
from b24app.onec.odata import ODataClient

COUNTERPARTIES = "Catalog_Контрагенты"
ORDERS = "Document_ЗаказКлиента"
SETTLEMENTS = "AccumulationRegister_РасчетыСКлиентами"


def test_filter_by_cyrillic_string_and_guid(ut_client, sandbox_profile):
    spec = sandbox_profile.object("counterparty")
    inn, name = spec.field("inn"), spec.field("name")
    sample = ut_client.query(COUNTERPARTIES, filter=f"{inn} ne ''", top=1, select=["Ref_Key", name, inn]).rows[0]
    by_inn = ut_client.query(COUNTERPARTIES, filter=q.eq(inn, sample[inn]), select=["Ref_Key", inn]).rows
    assert sample["Ref_Key"] in {r["Ref_Key"] for r in by_inn}
    assert all(r[inn] == sample[inn] for r in by_inn)
    by_name = ut_client.query(COUNTERPARTIES, filter=q.eq(name, sample[name])).rows
    assert sample["Ref_Key"] in {r["Ref_Key"] for r in by_name}
    by_key = ut_client.query(COUNTERPARTIES, filter=q.eq("Ref_Key", sample["Ref_Key"])).rows
    assert [r["Ref_Key"] for r in by_key] == [sample["Ref_Key"]]
    assert ut_client.get(COUNTERPARTIES, sample["Ref_Key"])[name] == sample[name]


def test_substring_and_quotes_in_strings(ut_client):
    rows = ut_client.query(COUNTERPARTIES, filter=q.contains("Description", "ООО"), select=["Description"]).rows
    assert rows and all("ООО" in r["Description"] for r in rows)
    assert ut_client.query(COUNTERPARTIES, filter=q.eq("Description", "O'Brien «Ромашка»")).rows == []


def test_select_limits_properties(ut_client):
    row = ut_client.query(COUNTERPARTIES, select=["Ref_Key", "ИНН"], top=1).rows[0]
    assert set(row) == {"Ref_Key", "ИНН"}


def test_orderby_top_skip_and_counts(ut_client):
    # УТ's Контрагенты has no Code (CodeLength 0): keys are unique and ordered by the server.
    everything = [r["Ref_Key"] for r in ut_client.query(COUNTERPARTIES, select=["Ref_Key"],
                                                         orderby="Ref_Key desc").rows]
    assert len(set(everything)) == len(everything)
    page = ut_client.query(COUNTERPARTIES, select=["Ref_Key"], orderby="Ref_Key desc", top=7, skip=5).rows
    assert [r["Ref_Key"] for r in page] == everything[5:12]
    assert ut_client.count(COUNTERPARTIES) == len(everything)
    with_count = ut_client.query(COUNTERPARTIES, select=["Ref_Key"], inlinecount=True)
    assert with_count.count == len(everything)
    legal = ut_client.count(COUNTERPARTIES, filter="КПП ne ''")
    assert 0 < legal < len(everything)


def test_dates_filter_documents(ut_client):
    rows = ut_client.query(ORDERS, select=["Ref_Key", "Date"], orderby="Date").rows
    middle = datetime.fromisoformat(rows[len(rows) // 2]["Date"])
    later = ut_client.query(ORDERS, filter=q.compare("Date", "ge", middle), select=["Date"]).rows
    assert later and all(datetime.fromisoformat(r["Date"]) >= middle for r in later)
    assert len(later) < len(rows)


def test_unknown_field_is_a_query_error_with_1c_code(ut_client):
    with pytest.raises(OneCQueryError) as info:
        ut_client.query(COUNTERPARTIES, filter="НетТакогоПоля eq 1")
    assert info.value.http_status == 400
    assert info.value.code
    assert "НетТакогоПоля" in info.value.message


def test_wrong_password_is_auth_error(fresh, fast_retry):
    client = ODataClient(fresh.base("ut", password="wrong"), egress=LOOPBACK, retry=fast_retry)
    with pytest.raises(OneCAuthError) as info:
        client.query(COUNTERPARTIES, top=1)
    assert info.value.http_status == 401
    assert client.requests_made == 1  # never retried


def test_balance_and_turnovers(ut_client, sandbox_profile):
    spec = sandbox_profile.object("settlements")
    analytics = spec.field("partner_analytics")
    balance = ut_client.balance(SETTLEMENTS, period=datetime(2100, 1, 1))
    assert balance and {"СуммаBalance", analytics} <= set(balance[0])
    one = balance[0][analytics]
    only_one = ut_client.balance(SETTLEMENTS, condition=q.eq(analytics, one), dimensions=["АналитикаУчетаПоПартнерам"])
    assert [r[analytics] for r in only_one] == [one]
    expected = round(sum(r["СуммаBalance"] for r in balance if r[analytics] == one), 2)
    assert round(only_one[0]["СуммаBalance"], 2) == expected
    turnovers = ut_client.turnovers(
        SETTLEMENTS, start=datetime(2000, 1, 1), end=datetime(2100, 1, 1), dimensions=["АналитикаУчетаПоПартнерам"]
    )
    row = next(r for r in turnovers if r[analytics] == one)
    assert round(row["СуммаReceipt"] - row["СуммаExpense"], 2) == expected
    assert round(row["СуммаTurnover"], 2) == expected


def test_register_records_stream_by_skip(ut_client, sandbox_profile):
    spec = sandbox_profile.object("settlements")
    total = ut_client.count(spec.records_set)
    seen = [
        (r["Recorder"], r["LineNumber"])
        for r in ut_client.iter_rows(spec.records_set, by_key=False, orderby=None, page_size=50)
    ]
    assert len(seen) == total == len(set(seen))
