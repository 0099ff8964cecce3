"""Health for load balancers and the demo: the database takes a write and Redis answers.

`select 1` kept saying "ok" while the database was read-only, locked or moved away, so the probe writes: it
rewrites this host's heartbeat row in a transaction that waits at most `HEALTH_TIMEOUT` for locks. The answer
names what failed in plain words (read-only, locked, unreachable, …) and never the error text, which may carry
the host, the user or SQL; the details go to the log.
"""

from __future__ import annotations

import logging
import socket

from flask import Blueprint, current_app, jsonify
from redis.exceptions import AuthenticationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from b24app.store.db import describe_failure

bp = Blueprint("health", __name__)
log = logging.getLogger("b24app.health")


def heartbeat_name() -> str:
    """One row per web host: gunicorn's workers on one machine share it, restarts do not add rows."""
    return f"web@{socket.gethostname()}"[:128]


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
    ok = all(v == "ok" for v in checks.values())
    return jsonify(ok=ok, **checks), (200 if ok else 503)
