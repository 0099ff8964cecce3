"""1C connector: OData client, configuration profiles, schema check, change detection."""
