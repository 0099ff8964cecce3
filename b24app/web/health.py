"""Liveness for load balancers and the demo: the database and Redis answer."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    ctx = current_app.extensions["b24app"]
    checks = {}
    try:
        with ctx.db.transaction() as s:
            s.execute(text("select 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
        checks["database"] = type(exc).__name__
    try:
        ctx.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = type(exc).__name__
    ok = all(v == "ok" for v in checks.values())
    return jsonify(ok=ok, **checks), (200 if ok else 503)
