"""Flask application factory."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from b24app.config import Settings
from b24app.runtime import Runtime
from b24app.web.formatting import format_datetime, format_money, format_quantity
from b24app.web.i18n import t

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


def create_app(settings: Settings | None = None, *, context: Runtime | None = None) -> Flask:
    """Build the web app. Touches no global state: tests build their own with their own settings."""
    ctx = context or Runtime(settings or Settings.from_env())
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config["SECRET_KEY"] = ctx.settings.secret_key
    # The portal embeds our pages in its frames and posts to them cross-site.
    app.config["SESSION_COOKIE_SAMESITE"] = "None"
    app.config["SESSION_COOKIE_SECURE"] = True
    app.extensions["b24app"] = ctx
    app.jinja_env.globals.update(t=t, format_datetime=format_datetime, format_money=format_money,
                                 format_quantity=format_quantity)

    from b24app.web import (
        alerts_page,
        catalog_page,
        counterparties_page,
        dashboard,
        dead_letters,
        events,
        exchange,
        health,
        install,
        journal_page,
        metrics,
        settings,
        tabs,
    )
    from b24app.web.guards import install_guards

    install_guards(app, ctx.settings.max_body_bytes)

    for blueprint in (install.bp, events.bp, settings.bp, dead_letters.bp, journal_page.bp, dashboard.bp, tabs.bp,
                      health.bp, metrics.bp, alerts_page.bp, catalog_page.bp, exchange.bp,
                      counterparties_page.bp):
        app.register_blueprint(blueprint)
    logging.getLogger("b24app").setLevel(logging.INFO)
    return app
