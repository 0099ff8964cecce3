"""1C → Bitrix24: what 1C knows (payments, shipments, debt) written into deals and companies."""
