"""gunicorn entry point: `gunicorn b24app.web.wsgi:app`. Refuses to start without a secret key."""

from b24app.config import Settings
from b24app.web import create_app

_settings = Settings.from_env()
_settings.require_production_ready()
app = create_app(_settings)
