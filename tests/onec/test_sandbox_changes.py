"""Change detection against the sandbox: documents by Date, catalogs by DataVersion."""

import json
from datetime import timedelta

from b24app.onec.changes import (
    CREATED,
    DELETED,
    UPDATED,
    CatalogWatermark,
    DocumentWatermark,
    catalog_changes,
    document_changes,
)


def test_catalog_changes_by_data_version(fresh, ut_client, sandbox_profile):
    spec = sandbox_profile.object("counterparty")
    first = catalog_changes(ut_client, spec, CatalogWatermark(), select=["Description"], page_size=100)
    total = ut_client.count(spec.entity_set)
    assert len(first.changes) == total and {c.kind for c in first.changes} == {CREATED}

    stored = json.loads(json.dumps(first.watermark.to_dict()))  # what the store keeps
    quiet = catalog_changes(ut_client, spec, CatalogWatermark.from_dict(stored), page_size=100)
    assert quiet.changes == []

    target = first.changes[5].ref_key
    ut_client.update(spec.entity_set, target, {spec.field("full_name"): "ООО «Ромашка и партнёры»"})
    fake_gone = "00000000-0000-0000-0000-0000000000ff"
    seen = dict(stored["versions"], **{fake_gone: "AAAAAQAAAAA="})
    after = catalog_changes(ut_client, spec, CatalogWatermark(seen), page_size=100)
    assert [(c.kind, c.ref_key) for c in after.changes] == [(UPDATED, target), (DELETED, fake_gone)]
    assert fake_gone not in after.watermark.versions


def test_document_changes_by_date_with_lookback(fresh, ut_client, sandbox_profile):
    spec = sandbox_profile.object("customer_order")
    first = document_changes(ut_client, spec, DocumentWatermark(), select=["Number", "Posted"], page_size=50)
    assert len(first.changes) == ut_client.count(spec.entity_set)
    dates = [c.row["Date"] for c in first.changes]
    assert dates == sorted(dates)

    wm = DocumentWatermark.from_dict(json.loads(json.dumps(first.watermark.to_dict())))
    assert document_changes(ut_client, spec, wm, lookback=timedelta(days=3)).changes == []

    newest = first.changes[-1]
    ut_client.unpost_document(spec.entity_set, newest.ref_key)
    template = ut_client.get(spec.entity_set, newest.ref_key)
    created = ut_client.create(
        spec.entity_set,
        {k: template[k] for k in ("Организация_Key", "Партнер_Key", "Контрагент_Key", "Валюта_Key")}
        | {"Date": "2099-01-01T00:00:00", "Комментарий": "new"},
    )
    later = document_changes(ut_client, spec, wm, lookback=timedelta(days=3))
    kinds = {c.ref_key: c.kind for c in later.changes}
    assert kinds == {newest.ref_key: UPDATED, created["Ref_Key"]: CREATED}
    assert later.watermark.since.year == 2099
