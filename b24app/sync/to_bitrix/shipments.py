"""1C → Bitrix24: shipments (issue 5 "Shipments").

Sales (УТ 11 `РеализацияТоваровУслуг`, БП 3.0 its namesake) created or changed since the watermark name the order
they ship (`ЗаказКлиента`, a composite reference: value + `_Type`); every deal linked to that order gets its
shipped status (no / partly / fully by sum against the order), the "shipped" stage of its pipeline when fully
shipped, and a timeline comment per sale. The watermark moves only after Bitrix24 confirmed.

The stream also follows changed customer orders (closed or cancelled in 1C) and returns from the customer
(order_changes.py), each from its own part of the stored watermark.
"""

from __future__ import annotations

from b24app.core.errors import SyncError
from b24app.onec import refs
from b24app.onec.changes import DocumentWatermark, document_changes
from b24app.sync.to_bitrix.deal_state import DealStateSync, Touched
from b24app.sync.to_bitrix.order_changes import followed_changes
from b24app.sync.to_bitrix.pull_deps import PullDeps


def pull_shipments(deps: PullDeps) -> int:
    """Bring the deals of one base up to date with its sales; returns how many deals were updated."""
    odata, profile = deps.odata, deps.profile
    spec = profile.objects.get("shipment")
    if spec is None or not spec.enabled or ("order" not in spec.fields and "invoice" not in spec.fields):
        return 0
    # The sale names its order (УТ 11 `ЗаказКлиента`, composite: only a customer order counts) or, in БП 3.0, the
    # customer invoice that is the order document there.
    logical = "order" if "order" in spec.fields else "invoice"
    target = profile.object("customer_order" if logical == "order" else "customer_invoice").entity_set
    ref_f = spec.spec_of(logical)
    stored = deps.watermarks.get(deps.member_id, deps.base_id, "shipments")
    with deps.journal.exchange(deps.member_id, "shipments", "1c_to_b24", base_id=deps.base_id) as entry:
        changes = document_changes(odata, spec, DocumentWatermark.from_dict(stored))
        touched = [
            Touched(order_key, c.ref_key, c.data_version, str(c.row.get(spec.field("number"), "")), "shipment")
            for c in changes.changes
            if (order_key := refs.read(ref_f, c.row, target))
        ]
        followed = followed_changes(odata, profile, stored)
        touched += followed.touched
        outcome = DealStateSync.for_pull(deps).sync(touched, payments=False, shipments=True)
        entry.items = len(outcome.confirmed)
        if not outcome.complete:
            raise SyncError(f"Bitrix24 refused {len(outcome.failed)} deal update(s), watermark kept")
        deps.watermarks.put(deps.member_id, deps.base_id, "shipments",
                            {**changes.watermark.to_dict(), **followed.watermarks})
    return len(outcome.confirmed)
