"""`/metrics` for Prometheus, behind a bearer token.

The figures name every portal's domain and the exchange's health, so the endpoint is not public: without
`B24APP_METRICS_TOKEN` configured it answers 404 as if it did not exist, and with it a scrape must send
`Authorization: Bearer <token>` (compared in constant time), else 401 with the `WWW-Authenticate` challenge
of RFC 6750.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, current_app, request

from b24app.ops.exposition import CONTENT_TYPE, render
from b24app.ops.metrics import families, read
from b24app.runtime import QUEUES

bp = Blueprint("metrics", __name__)


def _authorised(expected: str) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), expected.encode())


@bp.get("/metrics")
def metrics() -> Response:
    ctx = current_app.extensions["b24app"]
    expected = ctx.settings.metrics_token
    if not expected:
        abort(404)
    if not _authorised(expected):
        return Response("unauthorised\n", status=401, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="b24app metrics"'})
    snapshot = read(ctx.db, ctx.redis, ctx.keys, {name: ctx.queue(name) for name in QUEUES},
                    ctx.settings.journal_days)
    return Response(render(families(snapshot)), status=200, content_type=CONTENT_TYPE,
                    headers={"Cache-Control": "no-store"})
