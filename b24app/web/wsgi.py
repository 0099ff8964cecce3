"""gunicorn entry point: `gunicorn b24app.web.wsgi:app`. Refuses to start without a secret key.

On start the web asks for the offline events the portal kept while it was away (`jobs/startup.py`).
"""

from b24app.config import Settings
from b24app.jobs.startup import on_web_start
from b24app.runtime import Runtime
from b24app.web import create_app

_settings = Settings.from_env()
_settings.require_production_ready()
_runtime = Runtime(_settings)
app = create_app(context=_runtime)
on_web_start(_runtime)
