"""Health for load balancers and the demo: the database takes a write, Redis answers, and the stored secrets can
be decrypted with the configured keys.

`select 1` kept saying "ok" while the database was read-only, locked or moved away, so the probe writes: it
rewrites this host's heartbeat row in a transaction that waits at most `HEALTH_TIMEOUT` for locks. The answer
names what failed in plain words (read-only, locked, unreachable, …) and never the error text, which may carry
the host, the user or SQL; the details go to the log.

A wrong B24APP_SECRET_KEY left every page answering 500 while this said "ok": so it also decrypts a sample of the
stored secrets (`store/rekey.probe`: two rows found through the primary key) and fails when the configured keys
cannot read them.
"""

from __future__ import annotations

import logging
import socket

from flask import Blueprint, current_app, jsonify
from redis.exceptions import AuthenticationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from b24app.store.crypto import SecretDecryptError
from b24app.store.db import describe_failure
from b24app.store.rekey import probe

bp = Blueprint("health", __name__)
log = logging.getLogger("b24app.health")


def heartbeat_name() -> str:
    """One row per web host: gunicorn's workers on one machine share it, restarts do not add rows."""
    return f"web@{socket.gethostname()}"[:128]


SECRETS_FAILED = "cannot decrypt stored secrets: check B24APP_SECRET_KEY"


def _secrets_check(ctx) -> str:  # noqa: ANN001 - the Runtime
    try:
        probe(ctx.db, ctx.box)
        return "ok"
    except SecretDecryptError:
        # Nothing of the value or the keys: the operator's next step is in `b24app secrets check`.
        log.error("healthz: stored secrets cannot be decrypted with the configured keys; run `b24app secrets "
                  "check` with the same environment")
        return SECRETS_FAILED
    except ValueError:  # SecretBox: no key configured at all
        log.error("healthz: B24APP_SECRET_KEY is not set")
        return SECRETS_FAILED
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        failure = describe_failure(exc)
        log.warning("healthz: secrets not checked, database %s: %s", failure, getattr(exc, "orig", None) or exc)
        return "not checked: database " + failure


def _redis_failure(exc: Exception) -> str:
    if isinstance(exc, AuthenticationError):
        return "login refused"
    if isinstance(exc, RedisTimeoutError):
        return "timed out"
    if isinstance(exc, RedisConnectionError):
        return "unreachable"
    return "error " + type(exc).__name__


@bp.get("/healthz")
def healthz():
    ctx = current_app.extensions["b24app"]
    checks = {}
    try:
        ctx.db.heartbeat(heartbeat_name())
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        checks["database"] = describe_failure(exc)
        log.warning("healthz: database %s: %s", checks["database"], getattr(exc, "orig", None) or exc)
    try:
        ctx.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = _redis_failure(exc)
        log.warning("healthz: redis %s: %s", checks["redis"], exc)
    # The sample is read from the database: when that already failed, its answer says what to fix first, and
    # an unreachable database would make the probe wait out a second connect timeout.
    checks["secrets"] = _secrets_check(ctx) if checks["database"] == "ok" else "not checked"
    ok = all(v == "ok" for v in checks.values())
    return jsonify(ok=ok, **checks), (200 if ok else 503)
