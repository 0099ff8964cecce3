"""The catalog section of the portal settings: tolerant reading, strict checking on import, and a save of the main
settings page (which does not show the catalog's interval or choices) keeping them."""

from __future__ import annotations

import pytest

from b24app.core.catalog_settings import CatalogSettings, check_catalog
from b24app.core.portal_settings import PortalSettings, Schedules
from b24app.store.bases import BaseRecord
from b24app.web.settings_forms import SettingsInput, validate_settings
from b24app.web.settings_portal import PortalSchema

KEY = "0f0e0a0b-0000-4000-8000-000000000001"


def test_the_section_round_trips_and_drops_what_is_malformed():
    good = CatalogSettings(enabled=True, price_types={"3": (KEY,)}, base_price_type={"3": KEY},
                           warehouses={"3": ()})
    assert CatalogSettings.from_json(good.to_json()) == good
    assert PortalSettings.from_json(PortalSettings(catalog=good).to_json()).catalog == good
    messy = CatalogSettings.from_json({"enabled": "yes", "price_types": {"x": [KEY], "4": [KEY, "not a key"]},
                                       "base_price_type": {"4": "nope"}, "extra": 1})
    assert messy == CatalogSettings(enabled=False, price_types={"4": (KEY,)})


@pytest.mark.parametrize("bad", [{"enabled": 1}, {"price_types": {"1": ["x"]}}, {"warehouses": []},
                                 {"base_price_type": {"1": 5}}, {"price_types": {"b": [KEY]}}])
def test_an_imported_section_with_a_bad_entry_is_refused(bad):
    with pytest.raises(ValueError):
        check_catalog(bad)


def test_saving_the_settings_page_keeps_the_catalog_interval_and_choices():
    from b24app.web.settings_portal import Pipeline

    stored = PortalSettings(schedules=Schedules(catalog_seconds=3600),
                            catalog=CatalogSettings(enabled=True, warehouses={"1": (KEY,)}))
    schema = PortalSchema(deal_fields={}, company_fields={}, pipelines=[Pipeline("0", "Общая", [("NEW", "Новая")])])
    base = BaseRecord(1, "УТ", "http://x/", "u", "ut11", None, None, True, True)
    posted = SettingsInput.from_settings(stored, 1)
    posted.minutes["payments"] = "7"
    new, errors = validate_settings(posted, stored, schema, [base])
    assert errors == {}
    assert new.schedules.payments_seconds == 420
    assert new.schedules.catalog_seconds == 3600 and new.catalog == stored.catalog
