"""Bitrix24 → 1C: deals and smart invoices turned into 1C documents, exactly once."""
