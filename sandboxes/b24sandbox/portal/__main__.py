"""``python -m b24sandbox.portal``: start the sandbox portal server."""

from b24sandbox.portal.server import main

main(None)
