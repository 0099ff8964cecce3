"""``python -m b24app.sandbox.portal``: start the sandbox portal server."""

from b24app.sandbox.portal.server import main

main(None)
