"""What every request and answer of the web app goes through: size and shape limits before anything is parsed,
security headers on the way out, and error pages that say what happened without internals.

Framing: our pages live in the portal's iframes. `Content-Security-Policy: frame-ancestors` names the one portal a
page was served for (set by the frame checks through `allow_framing_by`), or nobody when the request proved no
portal — so a page can't be framed by a third site to trick an admin into clicking.
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlsplit

from flask import Flask, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from b24app.store.crypto import SecretDecryptError
from b24app.web.i18n import t
from b24app.web.limits import RequestTooComplex, check_form_keys, for_log
from b24app.web.params import lang_of

log = logging.getLogger("b24app.web")

_JSON_PATHS = ("/events", "/healthz")


def allow_framing_by(endpoint_url: str) -> None:
    """Let this answer be framed by the portal whose REST endpoint (or any URL on it) is given."""
    parts = urlsplit(endpoint_url)
    if parts.scheme in ("http", "https") and parts.netloc:
        g.frame_origin = f"{parts.scheme}://{parts.netloc}"


def install_guards(app: Flask, max_body_bytes: int) -> None:
    """Wire the limits, headers and error handlers into `app`."""
    # Flask refuses a bigger body with 413 as soon as anything reads it (form, JSON, stream) — before parsing.
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    app.config["MAX_FORM_MEMORY_SIZE"] = max_body_bytes
    app.config["MAX_FORM_PARTS"] = 1000
    app.before_request(_check_shape)
    app.after_request(_security_headers)
    app.register_error_handler(RequestEntityTooLarge, _too_large)
    app.register_error_handler(RequestTooComplex, _too_complex)
    app.register_error_handler(SecretDecryptError, _secrets_unreadable)
    app.register_error_handler(Exception, _unhandled)


def _check_shape() -> None:
    # 1C's exchange posts file bytes (web/exchange.py reads them as a stream), not a form to be parsed.
    if request.method == "POST" and not request.path.startswith("/exchange/"):
        check_form_keys(request.form.keys())


def _security_headers(response):  # noqa: ANN001, ANN202 - flask.Response in and out
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    origin = g.get("frame_origin")
    response.headers["Content-Security-Policy"] = f"frame-ancestors {origin}" if origin else "frame-ancestors 'none'"
    return response


def _lang() -> str:
    # Only the query string: the body may be what failed to be read.
    return lang_of(request.args.get("LANG"))


def _answer(status: int, message: str):  # noqa: ANN202
    if request.path in _JSON_PATHS or request.path.startswith("/events"):
        return jsonify(ok=False, error=message), status
    return render_template("error.html", lang=_lang(), message=message), status


def _too_large(exc: RequestEntityTooLarge):  # noqa: ANN202
    limit_kb = max(1, (request.max_content_length or 0) // 1024)
    log.warning("refused %s %s from %s: body over %d bytes", request.method, for_log(request.path),
                request.remote_addr, request.max_content_length or 0)
    return _answer(413, t("error_413", _lang()).format(limit=limit_kb))


def _too_complex(exc: RequestTooComplex):  # noqa: ANN202
    log.warning("refused %s %s from %s: %s", request.method, for_log(request.path), request.remote_addr, exc)
    return _answer(400, t("error_400", _lang()).format(why=str(exc)))


def _secrets_unreadable(exc: SecretDecryptError):  # noqa: ANN202
    log.error("%s %s: stored secrets cannot be decrypted (%s)", request.method, for_log(request.path), exc)
    return _answer(503, t("error_secrets", _lang()))


def _unhandled(exc: Exception):  # noqa: ANN202
    if isinstance(exc, HTTPException):
        return exc
    ref = secrets.token_hex(4)
    log.exception("unhandled error %s in %s %s", ref, request.method, for_log(request.path))
    return _answer(500, t("error_500", _lang()).format(ref=ref))
