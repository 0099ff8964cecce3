"""Keyed document writes against the sandbox: create, post, idempotent retry, lost answers."""

import pytest
import requests
from onec_sandbox import LOOPBACK

from b24app.onec.documents import DocumentWriter, carries_key, with_key
from b24app.onec.errors import OneCUnavailable
from b24app.onec.odata import ODataClient, RetryPolicy

KEY = "b24:4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c:deal:1042"


def order_body(client: ODataClient, profile) -> dict:
    """A customer order built from the profile's logical names, copying references from a seeded order."""
    spec = profile.object("customer_order")
    goods = spec.table("goods")
    f = spec.field
    template = client.query(spec.entity_set, top=1, filter="Posted eq true").rows[0]
    line = template[goods.name][0]
    return {
        f("date"): "2026-11-24T12:00:00",
        f("organization"): template[f("organization")],
        f("partner"): template[f("partner")],
        f("counterparty"): template[f("counterparty")],
        f("currency"): template[f("currency")],
        f("warehouse"): template[f("warehouse")],
        f("amount"): 1500.0,
        goods.name: [
            {
                goods.fields["product"].name: line[goods.fields["product"].name],
                goods.fields["quantity"].name: 3,
                goods.fields["price"].name: 500.0,
                goods.fields["amount"].name: 1500.0,
            }
        ],
    }


@pytest.fixture
def writer(ut_client, sandbox_profile):
    return DocumentWriter(ut_client, sandbox_profile.object("customer_order"))


def test_key_marker_round_trip():
    text = with_key("Заказ из сделки «Ромашка»", KEY)
    assert carries_key(text, KEY)
    assert not carries_key(text, KEY[:-1])  # …:deal:104 is not …:deal:1042
    with pytest.raises(ValueError):
        with_key("", "b24:x' or true")
    with pytest.raises(ValueError):
        with_key("", "b24:a_b%")


def test_create_post_and_idempotent_retry(fresh, writer, ut_client, sandbox_profile):
    body = order_body(ut_client, sandbox_profile)
    first = writer.save(KEY, body, comment="Сделка 1042", post=True)
    assert first.created
    saved = ut_client.get("Document_ЗаказКлиента", first.ref_key)
    assert saved["Posted"] is True
    assert carries_key(saved["Комментарий"], KEY) and "Сделка 1042" in saved["Комментарий"]

    body["СуммаДокумента"] = 1800.0
    second = writer.save(KEY, body, comment="Сделка 1042", post=True)
    assert (second.ref_key, second.created) == (first.ref_key, False)
    assert ut_client.get("Document_ЗаказКлиента", first.ref_key)["СуммаДокумента"] == 1800.0
    assert fresh.state("ut")["documents_created"] == 1
    assert writer.find(KEY)["Ref_Key"] == first.ref_key
    assert writer.find(KEY + "9") is None

    ut_client.unpost_document("Document_ЗаказКлиента", first.ref_key)
    assert ut_client.get("Document_ЗаказКлиента", first.ref_key)["Posted"] is False


def test_lost_answer_after_the_write_is_found_not_reposted(fresh, ut_client, sandbox_profile):
    """The POST reaches 1C and creates the order, but its answer never arrives."""

    class LosesFirstPostAnswer(requests.Session):
        lost = False

        def request(self, method, url, **kwargs):
            response = super().request(method, url, **kwargs)
            if method == "POST" and "/Post" not in url and not self.lost:
                self.lost = True
                raise requests.exceptions.ReadTimeout("answer lost")
            return response

    session = LosesFirstPostAnswer()
    client = ODataClient(fresh.base("ut"), egress=LOOPBACK, session=session, retry=RetryPolicy(3, 0.01, 0.02))
    writer = DocumentWriter(client, sandbox_profile.object("customer_order"))
    result = writer.save(KEY, order_body(client, sandbox_profile))
    assert session.lost
    assert result.created
    assert fresh.state("ut")["documents_created"] == 1
    assert writer.find(KEY)["Ref_Key"] == result.ref_key


def test_5xx_on_create_looks_then_creates_once(fresh, writer, ut_client, sandbox_profile):
    body = order_body(ut_client, sandbox_profile)
    fresh.control("ut/fault", {"error500": 1})
    result = writer.save(KEY, body)
    assert result.created
    assert fresh.state("ut")["documents_created"] == 1


def test_slow_base_times_out_and_a_later_retry_does_not_double(fresh, sandbox_profile):
    base = fresh.base("ut")
    quick = ODataClient(base, egress=LOOPBACK, timeout=(2.0, 0.4), retry=RetryPolicy(2, 0.01, 0.02))
    writer = DocumentWriter(quick, sandbox_profile.object("customer_order"))
    body = order_body(quick, sandbox_profile)
    fresh.control("ut/fault", {"slow_ms": 700})
    with pytest.raises(OneCUnavailable):
        writer.save(KEY, body)
    fresh.control("ut/fault", {"slow_ms": 0})
    patient = DocumentWriter(ODataClient(base, egress=LOOPBACK), sandbox_profile.object("customer_order"))
    result = patient.save(KEY, body)
    assert fresh.state("ut")["documents_created"] == 1
    assert patient.find(KEY)["Ref_Key"] == result.ref_key
