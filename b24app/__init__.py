"""b24-1c: Bitrix24 CRM <-> 1C:Enterprise integration."""
