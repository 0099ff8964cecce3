"""Sandbox Bitrix24 portal: a real HTTP server that plays a cloud portal and its OAuth server on loopback.

It shares no code with the app's Bitrix24 client (``b24app.bitrix``), so a protocol mistake cannot hide on
both sides at once. Start it with ``python -m b24sandbox.portal`` or ``server.main()``.
"""
