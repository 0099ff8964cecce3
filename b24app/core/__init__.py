"""Shared domain types of both directions: what 1C and Bitrix24 things mean to the exchange, the portal settings
schema, the error kinds, the clock. Imports nothing else of the app."""
