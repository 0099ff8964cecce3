"""The fault tests run on the app tests' fixtures (tests/app/conftest.py: a migrated database, real Redis, both
sandboxes as subprocesses, the app served on loopback), imported here so pytest registers them for this folder."""

from __future__ import annotations

import pytest

from tests.app.conftest import (  # noqa: F401 - fixtures, registered by being names of this module
    app_server,
    configured_base,
    ctx,
    database_url,
    installed,
    migrated_sqlite,
    onec_sandbox,
    onec_url,
    portal_sandbox,
    queue_prefix,
    redis_client,
    registered_app,
    running_app,
    sandbox_url,
    settings,
    settings_env,
)
from tests.support import faults as f
from tests.support import sync_data as sd
from tests.support.processes import post_json

# Short leases, retries and circuit periods, so an outage and its end fit in seconds. Tests add their own.
FAULT_TUNING = dict(B24APP_SYNC_LEASE_SECONDS="2", B24APP_SYNC_RETRY_BASE_SECONDS="0.2",
                    B24APP_SYNC_CIRCUIT_SECONDS="1", B24APP_SYNC_CIRCUIT_CAP_SECONDS="2")


@pytest.fixture
def shop(ctx, configured_base, sandbox_url, onec_url, settings_env, monkeypatch):  # noqa: F811 - fixtures above
    """An installed portal selling 1C items, deals of the default pipeline making orders on sd.ORDER_STAGE, the
    set-up's own events settled; `company` has requisites, `deal` is one open deal of it."""
    sd.retune(ctx, monkeypatch, **FAULT_TUNING)
    member = sd.member_id(sandbox_url)
    client = sd.manager(sandbox_url)
    sd.unthrottle(ctx, sandbox_url, member)
    odata = sd.onec(onec_url)
    items = sd.catalog_items(client, odata, 2)
    deal, company, _ = sd.deal_with_company(client)
    sd.order_on_stage(ctx, member)
    post_json(sandbox_url + "/_sandbox/events/wait")
    f.burst(ctx)
    return dict(member=member, client=client, odata=odata, items=items, deal=deal, company=company,
                base=configured_base)
