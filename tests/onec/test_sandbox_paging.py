"""Streaming 10,000+ rows by key range and by $skip, with the fewest requests the page size allows."""

import pytest
from onec_sandbox import LOOPBACK, Sandbox

from b24app.onec.odata import ODataClient, minimum_requests

ROWS = 10_500
PAGE = 1000


@pytest.fixture(scope="module")
def big():
    # Only the counterparties are read: one settlement row instead of the orders that would follow them (the
    # counterparties are seeded first and come out the same), a quarter of the start-up.
    box = Sandbox("--counterparties", str(ROWS), "--settlements", "1", "--bases", "ut:ut11")
    yield box
    box.stop()


@pytest.mark.slow
def test_key_range_and_skip_paging_agree(big):
    client = ODataClient(big.base("ut"), egress=LOOPBACK)
    total = client.count("Catalog_Контрагенты")
    assert total >= 10_000

    start = client.requests_made
    keyed = [r["Ref_Key"] for r in client.iter_rows("Catalog_Контрагенты", select=["Ref_Key"], page_size=PAGE)]
    keyed_requests = client.requests_made - start

    start = client.requests_made
    skipped = [
        r["Ref_Key"] for r in client.iter_rows("Catalog_Контрагенты", by_key=False, select=["Ref_Key"], page_size=PAGE)
    ]
    skip_requests = client.requests_made - start

    assert len(keyed) == len(set(keyed)) == total
    assert keyed == skipped  # both walk the server's Ref_Key order
    assert keyed_requests == skip_requests == minimum_requests(total, PAGE)


@pytest.mark.slow
def test_key_range_paging_with_a_filter_and_a_resume_point(big):
    client = ODataClient(big.base("ut"), egress=LOOPBACK)
    flt = "КПП ne ''"
    expected = client.count("Catalog_Контрагенты", filter=flt)
    pages = list(client.iter_pages_by_key("Catalog_Контрагенты", filter=flt, select=["КПП"], page_size=PAGE))
    rows = [r for p in pages for r in p]
    assert len(rows) == expected and all(r["КПП"] for r in rows)
    resumed = [r for p in client.iter_pages_by_key(
        "Catalog_Контрагенты", filter=flt, select=["КПП"], page_size=PAGE, after=pages[0][-1]["Ref_Key"]
    ) for r in p]  # fmt: skip
    assert [r["Ref_Key"] for r in resumed] == [r["Ref_Key"] for r in rows[PAGE:]]
