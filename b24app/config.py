"""Application configuration, read once from environment variables.

Every process (web, worker, scheduler, CLI) builds its settings through `Settings.from_env`, so the README's
table of variables is the single description of how the app is configured.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_OAUTH_SERVER = "https://oauth.bitrix.info"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# The library's published address (sdk/bx24-js-sdk pages of the REST docs).
DEFAULT_BX24_JS_URL = "https://api.bitrix24.com/api/v1/"


class ConfigError(RuntimeError):
    """The environment does not describe a usable configuration; the message says which variable to set."""


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str = DEFAULT_REDIS_URL
    public_url: str = "http://127.0.0.1:8000"
    client_id: str = ""
    client_secret: str = ""
    oauth_server: str = DEFAULT_OAUTH_SERVER
    secret_key: str = ""
    # Development only: accept portals and OAuth servers on plain-HTTP loopback addresses (the sandboxes).
    allow_insecure_loopback: bool = False
    # Refresh access tokens this many seconds before they expire (Bitrix24 access tokens live an hour).
    refresh_ahead_seconds: int = 600
    queue_prefix: str = "b24app"
    # Where pages load the BX24 JS library from; `{domain}` is replaced by the portal's domain (the sandbox
    # portal serves its own stand-in at http://{domain}/bx24.js).
    bx24_js_url: str = DEFAULT_BX24_JS_URL
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def oauth_token_url(self) -> str:
        # settings/oauth/index.md: refresh at https://oauth.bitrix.info/oauth/token/
        return self.oauth_server.rstrip("/") + "/oauth/token/"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        default_db = "sqlite:///" + str(Path.cwd() / "b24app.sqlite3")
        return cls(
            database_url=env.get("DATABASE_URL") or default_db,
            redis_url=env.get("REDIS_URL") or DEFAULT_REDIS_URL,
            public_url=(env.get("B24APP_PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/"),
            client_id=env.get("B24APP_CLIENT_ID", ""),
            client_secret=env.get("B24APP_CLIENT_SECRET", ""),
            oauth_server=env.get("B24APP_OAUTH_SERVER") or DEFAULT_OAUTH_SERVER,
            secret_key=env.get("B24APP_SECRET_KEY", ""),
            allow_insecure_loopback=_flag(env.get("B24APP_DEV_INSECURE_LOOPBACK")),
            refresh_ahead_seconds=int(env.get("B24APP_REFRESH_AHEAD_SECONDS") or 600),
            queue_prefix=env.get("B24APP_QUEUE_PREFIX") or "b24app",
            bx24_js_url=env.get("B24APP_BX24_JS_URL") or DEFAULT_BX24_JS_URL,
        )

    def bx24_js_url_for(self, domain: str) -> str:
        return self.bx24_js_url.replace("{domain}", domain)

    def require_production_ready(self) -> None:
        """Refuse to run a serving process with settings that would leak or lose secrets."""
        if not self.secret_key:
            raise ConfigError(
                "B24APP_SECRET_KEY is not set: it signs sessions and encrypts tokens and 1C passwords at rest. "
                "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
            )
        if len(self.secret_key) < 16:
            raise ConfigError("B24APP_SECRET_KEY is too short: use at least 16 random characters.")
        if not self.client_id or not self.client_secret:
            raise ConfigError("B24APP_CLIENT_ID and B24APP_CLIENT_SECRET must be set (from the app's registration).")
