"""Build and run the sandbox portal server.

``python -m b24sandbox.portal`` (or ``main(argv)``) binds the port, prints exactly one first line
``SANDBOX_PORTAL_URL=http://<host>:<port>`` and serves with werkzeug's threaded server until stopped.
"""

from __future__ import annotations

import argparse
import logging
import sys

from flask import Flask
from werkzeug.serving import make_server

from b24sandbox.portal import (  # noqa: F401  (importing registers the catalog.*, im.* and requisite methods)
    methods_addresses,
    methods_catalog,
    methods_catalog_prices,
    methods_catalog_stores,
    methods_duplicates,
    methods_im,
    methods_requisites,
)
from b24sandbox.portal.control import control_bp
from b24sandbox.portal.events import EventDispatcher
from b24sandbox.portal.oauth_server import oauth_bp
from b24sandbox.portal.pages import pages_bp
from b24sandbox.portal.rest import rest_bp
from b24sandbox.portal.state import Options, PortalState


def create_app(options: Options | None = None) -> Flask:
    """A Flask app playing one portal with ``options``.

    For in-process use with port 0, call ``app.extensions["sandbox_portal"].bind_address(host, port)`` once
    the real port is known, so URLs in tokens, events and frames are right.
    """
    options = options or Options()
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    state = PortalState(options)
    app.extensions["sandbox_portal"] = state
    app.extensions["sandbox_portal_events"] = EventDispatcher(state)
    for blueprint in (rest_bp, oauth_bp, control_bp, pages_bp):
        app.register_blueprint(blueprint)
    return app


DESCRIPTION = "Sandbox Bitrix24 portal (REST, OAuth server, events, install wizard, cards) on loopback"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The server's options, declared once: `python -m` and `b24app sandbox-portal` both use them."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--deals", type=int, default=200)
    parser.add_argument("--companies", type=int, default=50)
    parser.add_argument("--rate", type=float, default=2.0, help="leaky bucket drain per second (limits.md)")
    parser.add_argument("--burst", type=float, default=50.0, help="leaky bucket threshold (limits.md)")
    parser.add_argument("--access-ttl", type=int, default=3600, help="access token lifetime, seconds")
    parser.add_argument(
        "--operating-limit",
        type=float,
        default=480.0,
        help="per-method execution seconds per 10 minutes before OPERATION_TIME_LIMIT",
    )
    parser.add_argument("--demo", action="store_true", help="company 1 and the first deals tell the demo's story")


def options_from(args: argparse.Namespace) -> Options:
    return Options(
        host=args.host,
        port=args.port,
        seed=args.seed,
        deals=args.deals,
        companies=args.companies,
        rate=args.rate,
        burst=args.burst,
        access_ttl=args.access_ttl,
        operating_limit=args.operating_limit,
        demo=args.demo,
    )


def parse_options(argv: list[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m b24sandbox.portal", description=DESCRIPTION)
    add_arguments(parser)
    return options_from(parser.parse_args(argv))


def main(argv: list[str] | None = None) -> None:
    """Start the server; the first stdout line is ``SANDBOX_PORTAL_URL=http://<host>:<port>``."""
    serve(parse_options(argv))


def run(args: argparse.Namespace) -> int:
    """`b24app sandbox-portal`: serve with the options parsed by the app's CLI."""
    serve(options_from(args))
    return 0


def serve(options: Options) -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app(options)
    server = make_server(options.host, options.port, app, threaded=True)
    port = server.server_port
    app.extensions["sandbox_portal"].bind_address(options.host, port)
    sys.stdout.write(f"SANDBOX_PORTAL_URL=http://{options.host}:{port}\n")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.extensions["sandbox_portal_events"].stop()
