"""A configured 1C base answers through the connector with the password the store decrypts."""

from __future__ import annotations

import pytest

from b24app.onec.schema import check
from tests.support.processes import get_json

pytestmark = pytest.mark.db


def test_configured_base_passes_the_schema_check(ctx, configured_base, sandbox_url):
    member_id = get_json(sandbox_url + "/_sandbox/state")["member_id"]
    report = check(ctx.bases.connection(member_id, configured_base.id), egress=ctx.egress)
    assert report.ok, report
