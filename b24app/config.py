"""Application configuration, read once from environment variables.

Every process (web, worker, scheduler, CLI) builds its settings through `Settings.from_env`, once, in the
composition root (`b24app/runtime.py`); nothing else reads the environment. The README's table of variables is
the single description of how the app is configured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
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


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def _journal_days(value: str | None) -> int:
    if not (value or "").strip():
        return 90
    try:
        days = int(value)
    except ValueError:
        days = 0
    if days < 1:
        raise ConfigError(f"B24APP_JOURNAL_DAYS must be a whole number of days, 1 or more (got {value!r}).")
    return days


@dataclass(frozen=True)
class SyncTuning:
    """How patient the exchange is: leases, attempts, backoff and the per-base circuit breaker. Defaults suit
    production; tests and benchmarks shorten them (e.g. `B24APP_SYNC_LEASE_SECONDS=3`)."""

    # An item being worked on is hidden from the sweeper this long; a killed worker's item reappears after it.
    lease_seconds: float = 120.0
    # Attempts at a transient failure before an item becomes a dead letter (the first run counts). Waiting for
    # a 1C base that is known to be down spends none.
    max_attempts: int = 6
    # Retry n waits about base * 2**(n-1) seconds (with jitter), capped.
    retry_base_seconds: float = 10.0
    retry_cap_seconds: float = 1800.0
    # After 1C was found down (no connection, or a run of 5xx answers), the base's circuit stays open this long
    # before one probe may try it again; each failed probe doubles it, up to `circuit_cap_seconds`.
    circuit_seconds: float = 30.0
    circuit_cap_seconds: float = 600.0
    # 5xx answers in a row (within `circuit_seconds`) that open the circuit.
    circuit_5xx_run: int = 5

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SyncTuning:
        base = cls()
        return cls(
            lease_seconds=float(env.get("B24APP_SYNC_LEASE_SECONDS") or base.lease_seconds),
            max_attempts=int(env.get("B24APP_SYNC_MAX_ATTEMPTS") or base.max_attempts),
            retry_base_seconds=float(env.get("B24APP_SYNC_RETRY_BASE_SECONDS") or base.retry_base_seconds),
            retry_cap_seconds=float(env.get("B24APP_SYNC_RETRY_CAP_SECONDS") or base.retry_cap_seconds),
            circuit_seconds=float(env.get("B24APP_SYNC_CIRCUIT_SECONDS") or base.circuit_seconds),
            circuit_cap_seconds=float(env.get("B24APP_SYNC_CIRCUIT_CAP_SECONDS") or base.circuit_cap_seconds),
            circuit_5xx_run=int(env.get("B24APP_SYNC_CIRCUIT_5XX_RUN") or base.circuit_5xx_run),
        )


@dataclass(frozen=True)
class SmtpSettings:
    """The deployment's mail server for alert e-mails; no host: e-mail alerts are off (Bitrix24 ones still go)."""

    host: str = ""
    port: int = 587
    user: str = ""
    password: str = field(default="", repr=False)  # never in a log line that prints the settings
    sender: str = ""
    starttls: bool = True

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        host = (env.get("B24APP_SMTP_HOST") or "").strip()
        user = env.get("B24APP_SMTP_USER") or ""
        raw_port = (env.get("B24APP_SMTP_PORT") or "").strip()
        try:
            port = int(raw_port) if raw_port else 587
        except ValueError:
            raise ConfigError(f"B24APP_SMTP_PORT must be a port number (got {raw_port!r}).") from None
        starttls = env.get("B24APP_SMTP_STARTTLS")
        return cls(host=host, port=port, user=user, password=env.get("B24APP_SMTP_PASSWORD") or "",
                   sender=(env.get("B24APP_SMTP_FROM") or user).strip(),
                   starttls=True if starttls is None or not starttls.strip() else _flag(starttls))

    @property
    def configured(self) -> bool:
        return bool(self.host and self.sender)


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
    sync: SyncTuning = field(default_factory=SyncTuning)
    # Directories with 1C profile overrides `<name>.toml`, merged over the shipped profiles.
    onec_profile_path: tuple[str, ...] = ()
    # Earlier values of B24APP_SECRET_KEY: still decrypt what they encrypted and verify what they signed, so a
    # key can be rotated without a reinstall (new writes use `secret_key`; `b24app secrets rotate` re-encrypts).
    old_secret_keys: tuple[str, ...] = ()
    # Networks a 1C base may be on although they are loopback/private/link-local (a closed network's own 1C):
    # CIDR entries, optionally with a port ("10.20.0.0/16", "192.168.5.7/32:8080"). Empty: public addresses only.
    onec_allowed_networks: tuple[str, ...] = ()
    # The largest request body the web app reads (bytes); bigger ones get 413 before anything is parsed.
    max_body_bytes: int = 2 * 1024 * 1024
    # The bearer token Prometheus sends to /metrics; empty: /metrics answers 404 (it names every portal's domain).
    metrics_token: str = ""
    # Journal rows, and outbox rows that are done or discarded, older than this many days are removed daily
    # (jobs/retention.py); /metrics counts exchanges over this window.
    journal_days: int = 90
    # The mail server alert e-mails go through (B24APP_SMTP_*).
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    # CommerceML exchange (issue 16): where 1C's uploads are kept ("" = ./b24app-exchange), the largest chunk 1C
    # may send in one request (answered as `file_limit`; a reverse proxy must let it through), and the most one
    # exchange may upload in all.
    exchange_dir: str = ""
    exchange_file_limit: int = 2 * 1024 * 1024
    exchange_max_bytes: int = 2 * 1024 * 1024 * 1024

    @property
    def exchange_root(self) -> Path:
        return Path(self.exchange_dir) if self.exchange_dir else Path.cwd() / "b24app-exchange"

    @property
    def oauth_token_url(self) -> str:
        # settings/oauth/index.md: refresh at https://oauth.bitrix.info/oauth/token/
        return self.oauth_server.rstrip("/") + "/oauth/token/"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
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
            sync=SyncTuning.from_env(env),
            onec_profile_path=tuple(p for p in (env.get("B24APP_ONEC_PROFILE_PATH") or "").split(os.pathsep) if p),
            old_secret_keys=_csv(env.get("B24APP_OLD_SECRET_KEYS")),
            onec_allowed_networks=_csv(env.get("B24APP_ONEC_ALLOWED_NETWORKS")),
            max_body_bytes=int(env.get("B24APP_MAX_BODY_BYTES") or 2 * 1024 * 1024),
            metrics_token=(env.get("B24APP_METRICS_TOKEN") or "").strip(),
            journal_days=_journal_days(env.get("B24APP_JOURNAL_DAYS")),
            smtp=SmtpSettings.from_env(env),
            exchange_dir=env.get("B24APP_EXCHANGE_DIR") or "",
            exchange_file_limit=int(env.get("B24APP_EXCHANGE_FILE_LIMIT") or 2 * 1024 * 1024),
            exchange_max_bytes=int(env.get("B24APP_EXCHANGE_MAX_BYTES") or 2 * 1024 * 1024 * 1024),
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
        if any(len(key) < 16 for key in self.old_secret_keys):
            # The message never repeats a key: it would end up in the service manager's log.
            raise ConfigError("B24APP_OLD_SECRET_KEYS holds a key shorter than 16 characters: list earlier values of "
                              "B24APP_SECRET_KEY there, comma-separated.")
        if not self.client_id or not self.client_secret:
            raise ConfigError("B24APP_CLIENT_ID and B24APP_CLIENT_SECRET must be set (from the app's registration).")
