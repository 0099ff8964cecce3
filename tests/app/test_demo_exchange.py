"""The demo's CommerceML part, as `b24app demo` runs it: a node added for the installed portal, then the sandbox 1C
exchange node run as its own process against the app's real web server, with a real `b24app worker` importing, and
the made-up catalog in the sandbox portal's products afterwards."""

from __future__ import annotations

import pytest

from b24app.demo import add_exchange_node, run_exchange_node
from b24sandbox.exchange_node import files as xf
from tests.support import sync_data as sd
from tests.support.processes import get_json

pytestmark = pytest.mark.db
ITEMS = 12


def test_the_demo_node_exchanges_its_catalog_into_the_portal(ctx, settings_env, installed, sandbox_url,
                                                               running_app):
    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    node = add_exchange_node(ctx, member_id)
    assert ctx.portal_settings.get(member_id).catalog.enabled
    assert [b.profile for b in ctx.bases.list(member_id) if b.id == node.base_id] == ["commerceml"]
    worker = sd.worker_process(settings_env)
    try:
        line = run_exchange_node(ctx.settings.public_url, node, ITEMS)
    finally:
        sd.kill(worker)
    figures = dict(part.split("=", 1) for part in line.split() if "=" in part)
    assert figures.get("ok") == "1", line
    assert figures["orders"] == "0"  # no deal of this portal sells through the node yet: an empty orders package
    products = ctx.bitrix(member_id).iterate_by_id("catalog.product.list", {
        "select": ["id", "iblockId", "name", "xmlId"], "filter": {"iblockId": _iblock(ctx, member_id)}},
        id_field="id", page_key="products")
    by_xml = {p["xmlId"]: p["name"] for p in products}
    for n in range(1, ITEMS + 1):
        assert xf.item_key(n) in by_xml, f"item {n} reached the portal"


def _iblock(ctx, member_id: str) -> int:
    [catalog] = [c for c in ctx.bitrix(member_id).call("catalog.catalog.list", {}).result["catalogs"]
                 if not c.get("productIblockId")]
    return int(catalog["iblockId"])
