"""The app's deal and company fields: created when missing, never invented for a field the administrator mapped,
and asked of the portal at most once per remembered check (the cache is handed in). No Redis, no database, no
HTTP."""

from __future__ import annotations

import pytest

from b24app.core.errors import PermanentSyncError
from b24app.core.portal_settings import DEFAULT_COMPANY_FIELDS, DEFAULT_DEAL_FIELDS, PortalSettings
from b24app.sync.to_bitrix.user_fields import (
    COMPANY_FIELDS,
    DEAL_FIELDS,
    ensure_fields_once,
    ensure_user_fields,
    mapping_digest,
)
from tests.support.fakes_bitrix import FakeBitrix, FakeFieldsChecked


def test_missing_fields_are_created_with_our_xml_id_and_existing_ones_kept():
    portal = FakeBitrix()
    portal.userfields["deal"].append({"FIELD_NAME": DEFAULT_DEAL_FIELDS["paid_status"]})
    created = ensure_user_fields(portal, PortalSettings())
    assert len(created) == len(DEAL_FIELDS) - 1 + len(COMPANY_FIELDS)
    assert DEFAULT_DEAL_FIELDS["paid_status"] not in created
    added = {f["FIELD_NAME"]: f for f in portal.userfields["deal"] + portal.userfields["company"]}
    assert set(added) == set(DEFAULT_DEAL_FIELDS.values()) | set(DEFAULT_COMPANY_FIELDS.values())
    assert added[DEFAULT_DEAL_FIELDS["paid_sum"]]["XML_ID"] == "b24_1c_paid_sum"
    assert added[DEFAULT_COMPANY_FIELDS["debt"]]["USER_TYPE_ID"] == "double"
    assert ensure_user_fields(portal, PortalSettings()) == []  # all there now


def test_a_field_mapped_to_one_the_portal_lacks_is_not_invented():
    settings = PortalSettings.from_json({"company_fields": {"debt": "UF_CRM_THEIRS"}})
    portal = FakeBitrix()
    with pytest.raises(PermanentSyncError, match="debt → UF_CRM_THEIRS"):
        ensure_user_fields(portal, settings)
    assert portal.userfields["company"] == []


def test_fields_are_checked_once_per_portal_and_mapping():
    portal, checked = FakeBitrix(), FakeFieldsChecked()
    ensure_fields_once(checked, "member-1", portal, PortalSettings())
    asked = len(portal.sent)
    assert asked > 0
    ensure_fields_once(checked, "member-1", portal, PortalSettings())
    assert len(portal.sent) == asked  # remembered: the portal is not asked again

    portal.userfields["deal"].append({"FIELD_NAME": "UF_CRM_THEIR_ORDER_NO"})
    remapped = PortalSettings.from_json({"deal_fields": {"order_number": "UF_CRM_THEIR_ORDER_NO"}})
    assert mapping_digest(remapped) != mapping_digest(PortalSettings())
    ensure_fields_once(checked, "member-1", portal, remapped)
    assert len(portal.sent) > asked  # a new mapping is checked at once
    ensure_fields_once(checked, "member-2", portal, PortalSettings())
    assert ("member-2", mapping_digest(PortalSettings())) in checked.done


def test_a_failed_check_is_not_remembered():
    portal, checked = FakeBitrix(), FakeFieldsChecked()
    settings = PortalSettings.from_json({"deal_fields": {"paid_status": "UF_CRM_MISSING"}})
    with pytest.raises(PermanentSyncError):
        ensure_fields_once(checked, "member-1", portal, settings)
    assert checked.done == set()
