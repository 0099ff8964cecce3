"""The CommerceML exchange endpoint (issue 16): the app is the "site" 1C's built-in exchange with a website calls.

Protocol (the site side as 1C-Bitrix implements it in its components catalog.import.1c and sale.export.1c, and
the 1C-Bitrix course "Обмен с 1С", COURSE_ID=42): every call is `GET|POST /exchange/<node token>?type=…&mode=…`.
- `checkauth` with HTTP Basic credentials → `success\\n<cookie name>\\n<cookie value>\\nsessid=<id>\\ntimestamp=<unix>`;
  1C sends the cookie with every later call (and `sessid` as a parameter when it knows the newer protocol).
- `init` → `zip=yes\\nfile_limit=<bytes>`; when 1C names a `version` it is told `sessid=…` and the version we
  follow, 2.09 (what sale.export.1c answers). Every `init` starts a fresh exchange directory; 1C restarts an
  interrupted exchange from checkauth/init, so an upload resumes by being sent again from its start.
- `file&filename=…`: the body is appended to that file (store/exchange_uploads.py) → `success`.
- catalog `import&filename=…`: a zip sent is unpacked first (`progress`); then one job imports every XML file of
  the exchange (jobs/commerceml_exchange.import_catalog) and each call answers `progress` until it is done, then
  `success`, or `failure\\n<reason>`. `complete` and `deactivate` → `success`.
- sale `query` → the orders XML (jobs/commerceml_orders.orders_for_query); `success` → the offered orders are
  marked received; `file` → the orders 1C sends back are applied by a job: at once in the old protocol (no
  version at init), on `import` in the newer one (sale.export.1c: "old version" / "new version").
Answers are text in windows-1251, as 1C-Bitrix sends them. A wrong token gets 404; a wrong password `failure`,
counted per node (store/exchange_sessions.py). Every call is journaled (kind "commerceml").
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Blueprint, Response, current_app, request
from rq.exceptions import NoSuchJobError
from rq.job import Job
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from b24app.runtime import Runtime
from b24app.store.exchange_nodes import ExchangeNodes, ExchangeRun, Node
from b24app.store.exchange_sessions import COOKIE_NAME, ExchangeSession, ExchangeSessions
from b24app.store.exchange_uploads import ExchangeUploads, UploadRefused, safe_name
from b24app.store.journal import JournalEntry
from b24app.web.exchange_texts import et
from b24app.web.limits import for_log
from b24app.web.params import lang_of

log = logging.getLogger(__name__)
bp = Blueprint("exchange", __name__)

CHARSET = "windows-1251"
PROTOCOL_VERSION = "2.09"
RUN_RECORD_DAYS = 30  # how long an exchange's record (files, jobs, status) is kept
GRACE_SECONDS = 3600  # an earlier exchange's files stay this long after their last write (its job may read them)
JOB_TIMEOUT = 6 * 3600
BUSY = ("queued", "started", "deferred", "scheduled")


def _ctx() -> Runtime:
    return current_app.extensions["b24app"]


def nodes_of(ctx: Runtime) -> ExchangeNodes:
    return ExchangeNodes(ctx.db, ctx.box)


def sessions_of(ctx: Runtime) -> ExchangeSessions:
    return ExchangeSessions(ctx.redis, ctx.settings.queue_prefix)


def uploads_of(ctx: Runtime) -> ExchangeUploads:
    return ExchangeUploads(ctx.settings.exchange_root, ctx.settings.exchange_max_bytes)


def file_limit(ctx: Runtime) -> int:
    return max(64 * 1024, int(ctx.settings.exchange_file_limit))


@dataclass
class Call:
    """One request of the exchange: who calls, what it asks, and what the journal will say of it."""

    ctx: Runtime
    node: Node
    kind: str
    mode: str
    started: float
    status: str = "ok"
    error: str | None = None
    items: int | None = None
    detail: str = ""

    @property
    def lang(self) -> str:
        return lang_of(self.node.lang)


class Failure(Exception):
    """Answer `failure` with this reason (already in the portal's language)."""

    def __init__(self, reason: str, log_reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.log_reason = reason, log_reason or reason


def _text(*lines: str) -> Response:
    body = "\n".join(lines) + "\n"
    return Response(body.encode(CHARSET, errors="replace"), content_type=f"text/plain; charset={CHARSET}")


def _journal(call: Call) -> None:
    direction = "b24_to_1c" if (call.kind, call.mode) in {("sale", "query"), ("sale", "success")} else "1c_to_b24"
    entity = f"{call.kind}:{call.mode}" + (f" {call.detail}" if call.detail else "")
    try:
        call.ctx.journal.record(call.node.member_id, JournalEntry(
            kind="commerceml", direction=direction, status=call.status, base_id=call.node.base_id,
            entity=entity[:128], items=call.items, error=(call.error or None) and call.error[:500],
            duration_ms=int((time.monotonic() - call.started) * 1000)))
    except Exception:  # noqa: BLE001 - the answer to 1C must not depend on the journal
        log.exception("exchange node %s: journal row not written", call.node.id)


@bp.route("/exchange/<token>", methods=["GET", "POST"])
def exchange(token: str):
    ctx = _ctx()
    nodes = nodes_of(ctx)
    node = nodes.by_token(token)
    if node is None:
        log.warning("exchange call refused from %s: unknown node token %s (%s)", request.remote_addr,
                    for_log(token[:6] + "…", 12), for_log(request.query_string.decode("latin-1"), 120))
        return Response("not found\n", status=404, content_type="text/plain; charset=utf-8")
    call = Call(ctx, node, (request.args.get("type") or "").strip(), (request.args.get("mode") or "").strip(),
                time.monotonic())
    try:
        answer = _dispatch(call, nodes)
    except Failure as exc:
        call.status, call.error = "error", exc.log_reason
        log.info("exchange node %s (%s): %s:%s failure: %s", node.id, node.member_id, for_log(call.kind),
                 for_log(call.mode), for_log(exc.log_reason, 300))
        answer = _text("failure", exc.reason)
    _journal(call)
    return answer


def _dispatch(call: Call, nodes: ExchangeNodes) -> Response:
    lang = call.lang
    if not call.node.portal_active:
        raise Failure(et("uninstalled", lang), "the portal is not active")
    if not call.node.enabled:
        raise Failure(et("disabled", lang), "the base's exchange is switched off")
    if call.kind not in ("catalog", "sale"):
        raise Failure(et("unknown_type", lang, type=for_log(call.kind, 20)), f"unknown type {call.kind!r}")
    sessions = sessions_of(call.ctx)
    if call.mode == "checkauth":
        return _checkauth(call, nodes, sessions)
    cookie = request.cookies.get(COOKIE_NAME)
    session = sessions.load(cookie)
    if session is None or session.node_id != call.node.id or session.generation != call.node.generation:
        raise Failure(et("no_session", lang), "no valid session cookie")
    sessid = request.args.get("sessid")
    if sessid is not None and sessid != session.sessid:
        raise Failure(et("no_session", lang), "sessid does not match the session")
    if call.mode == "init":
        return _init(call, nodes, sessions, cookie, session)
    if not session.run_id:
        raise Failure(et("no_init", lang), "no init in this session")
    if session.type != call.kind:
        raise Failure(et("wrong_type", lang), f"session of type {session.type} used for {call.kind}")
    run = nodes.run(session.run_id)
    if run is None:
        raise Failure(et("no_init", lang), "the session's exchange is gone")
    handlers = {
        ("catalog", "file"): _file, ("sale", "file"): _file,
        ("catalog", "import"): _catalog_import, ("sale", "import"): _sale_import,
        ("catalog", "complete"): _complete, ("catalog", "deactivate"): _deactivate,
        ("sale", "query"): _sale_query, ("sale", "success"): _sale_success,
    }
    handler = handlers.get((call.kind, call.mode))
    if handler is None:
        raise Failure(et("unknown_mode", lang, mode=for_log(call.mode, 20)), f"unknown mode {call.mode!r}")
    return handler(call, nodes, run)


# -- checkauth, init ----------------------------------------------------------------------------------------

def _checkauth(call: Call, nodes: ExchangeNodes, sessions: ExchangeSessions) -> Response:
    node, lang = call.node, call.lang
    wait = sessions.locked(node.id)
    if wait:
        raise Failure(et("locked", lang, minutes=max(1, (wait + 59) // 60)), "locked after repeated failed logins")
    auth = request.authorization
    login = (auth.username or "") if auth is not None else ""
    password = (auth.password or "") if auth is not None else ""
    if not nodes.check_credentials(node, login, password):
        failures = sessions.failed(node.id)
        log.warning("exchange node %s (%s): checkauth refused for login %s from %s (%d in the window)", node.id,
                    node.member_id, for_log(login, 40), request.remote_addr, failures)
        raise Failure(et("bad_login", lang), f"wrong credentials for login {for_log(login, 40)}")
    sessions.succeeded(node.id)
    cookie, session = sessions.open(node.id, node.generation)
    session.type = call.kind
    sessions.save(cookie, session)
    return _text("success", COOKIE_NAME, cookie, f"sessid={session.sessid}", f"timestamp={int(time.time())}")


def _busy_runs(nodes: ExchangeNodes, call: Call) -> set[str]:
    """The node's exchanges whose jobs are still queued or running (their files must stay)."""
    busy = set()
    for run in nodes.recent_runs(call.node.id):
        for entry in run.jobs:
            if _job_state(call.ctx, entry.get("job_id", ""))[0] in BUSY:
                busy.add(run.id)
    return busy


def _init(call: Call, nodes: ExchangeNodes, sessions: ExchangeSessions, cookie: str,
          session: ExchangeSession) -> Response:
    uploads = uploads_of(call.ctx)
    run_id = uuid.uuid4().hex
    version = (request.args.get("version") or "").strip()[:16]
    uploads.start(call.node.id, run_id)
    nodes.start_run(call.node, run_id, call.kind, PROTOCOL_VERSION if version else None)
    removed = uploads.sweep(call.node.id, {run_id, *_busy_runs(nodes, call)}, GRACE_SECONDS)
    nodes.forget_runs_before(call.node.id, datetime.now(UTC) - timedelta(days=RUN_RECORD_DAYS))
    if removed:
        log.info("exchange node %s: removed %d earlier exchange directories", call.node.id, len(removed))
    session.type, session.run_id, session.version = call.kind, run_id, version
    sessions.save(cookie, session)
    call.detail = run_id
    lines = ["zip=yes", f"file_limit={file_limit(call.ctx)}"]
    if version:
        lines += [f"sessid={session.sessid}", f"version={PROTOCOL_VERSION}"]
    return _text(*lines)


# -- file ---------------------------------------------------------------------------------------------------

def _filename(call: Call) -> str:
    raw = request.args.get("filename") or ""
    if not raw.strip():
        raise Failure(et("no_filename", call.lang))
    try:
        return safe_name(raw)
    except UploadRefused as exc:
        raise Failure(et("refused_file", call.lang, why=exc.reason), exc.reason) from None


def _file(call: Call, nodes: ExchangeNodes, run: ExchangeRun) -> Response:
    name = _filename(call)
    call.detail = name
    uploads = uploads_of(call.ctx)
    run_dir = uploads.run_dir(call.node.id, run.id)
    limit = file_limit(call.ctx)
    # The body is file bytes, read here as a stream: a chunk up to file_limit, whatever the app's form limit.
    request.max_content_length = limit
    last = (run.files.get(name) or {}).get("last")
    try:
        chunk = uploads.append(run_dir, name, request.stream, length=request.content_length, limit=limit,
                               used=run.bytes, last_digest=last)
    except UploadRefused as exc:
        raise Failure(et("refused_file", call.lang, why=exc.reason), exc.reason) from None
    except RequestEntityTooLarge:
        why = f"a chunk of {name} is larger than file_limit ({limit} bytes)"
        raise Failure(et("refused_file", call.lang, why=why), why) from None
    except ClientDisconnected:
        raise Failure(et("refused_file", call.lang, why="connection closed mid-chunk"),
                      "connection closed mid-chunk: nothing appended") from None
    run.files[name] = {"size": chunk.size, "last": chunk.digest}
    run.bytes += chunk.added
    nodes.save_run(run)
    call.items = chunk.added
    if chunk.added == 0 and chunk.digest.split(":")[0] != "0":
        call.detail = f"{name} (repeat ignored)"
    if call.kind == "sale" and not run.version and _document_complete(uploads.path_of(run_dir, name)):
        # The older protocol has no `import` for orders: the document is processed once all of it arrived (its
        # root element closed; a document sent in several chunks is not processed half-way).
        _enqueue_orders(call, nodes, run, name)
    return _text("success")


_ROOT_END = tuple("КоммерческаяИнформация>".encode(enc) for enc in ("utf-8", "windows-1251"))


def _document_complete(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(max(0, path.stat().st_size - 256))
        tail = f.read().rstrip()
    return tail.endswith(_ROOT_END)


# -- catalog import -----------------------------------------------------------------------------------------

def _job_state(ctx: Runtime, job_id: str) -> tuple[str, Job | None]:
    if not job_id:
        return "missing", None
    try:
        job = Job.fetch(job_id, connection=ctx.redis)
    except NoSuchJobError:
        return "missing", None
    status = job.get_status(refresh=True)
    return str(getattr(status, "value", status) or "unknown"), job


def _job_error(job: Job) -> str:
    latest = job.latest_result()
    text = (latest.exc_string or "").strip().splitlines()[-1] if latest and latest.exc_string else "failed"
    return text[:300]


def _unpack(call: Call, nodes: ExchangeNodes, run: ExchangeRun) -> Response | None:
    """Unpack the exchange's zip archives, if any: `progress` (1C calls import again) or None."""
    uploads = uploads_of(call.ctx)
    run_dir = uploads.run_dir(call.node.id, run.id)
    archives = uploads.archives(run_dir)
    if not archives:
        return None
    count = 0
    for archive in archives:
        try:
            written = uploads.unpack(run_dir, archive, run.bytes)
        except UploadRefused as exc:
            run.status, run.error = "failed", exc.reason
            nodes.save_run(run)
            raise Failure(et("refused_file", call.lang, why=exc.reason), exc.reason) from None
        run.files.pop(archive.relative_to(run_dir).as_posix(), None)
        for name, size in written.items():
            run.files[name] = {"size": size, "last": None}
            run.bytes += size
        count += len(written)
    nodes.save_run(run)
    call.items, call.detail = count, "unpacked"
    return _text("progress", et("unpacked", call.lang, count=count))


def _job_answer(call: Call, nodes: ExchangeNodes, run: ExchangeRun, job_id: str, fail_key: str) -> Response:
    """`progress` while the job runs, `success` once it finished, `failure` when it failed."""
    state, job = _job_state(call.ctx, job_id)
    lang = call.lang
    if state in BUSY:
        done, total = (int(job.meta.get("done") or 0), int(job.meta.get("total") or 0)) if job else (0, 0)
        text = et("running", lang, done=done, total=total) if total else (
            et("queued", lang) if state == "queued" else et("running_plain", lang))
        return _text("progress", text)
    if state == "finished":
        if all(_job_state(call.ctx, e.get("job_id", ""))[0] == "finished" for e in run.jobs):
            run.status = "done"
            nodes.save_run(run)
        return _text("success", et("imported", lang))
    why = _job_error(job) if job is not None and state == "failed" else et("job_lost", lang)
    run.status, run.error = "failed", why
    nodes.save_run(run)
    raise Failure(et(fail_key, lang, why=why), f"job {job_id} {state}: {why}")


def _catalog_import(call: Call, nodes: ExchangeNodes, run: ExchangeRun) -> Response:
    name = _filename(call)
    call.detail = name
    unpacked = _unpack(call, nodes, run)
    if unpacked is not None:
        return unpacked
    uploads = uploads_of(call.ctx)
    run_dir = uploads.run_dir(call.node.id, run.id)
    if not uploads.path_of(run_dir, name).is_file():
        raise Failure(et("missing_file", call.lang, name=name))
    for entry in run.jobs:
        if name in entry.get("names", []):
            return _job_answer(call, nodes, run, entry["job_id"], "job_failed")
    # The first import call takes every XML file that arrived (1C uploads all files before importing them), so
    # one job loads import.xml and offers.xml together; a file uploaded after it gets a job of its own.
    covered = {n for entry in run.jobs for n in entry.get("names", [])}
    names = [n for n in uploads.xml_files(run_dir) if n not in covered]
    paths = [str(uploads.path_of(run_dir, n)) for n in names]
    job = call.ctx.queue("default").enqueue(
        "b24app.jobs.commerceml_exchange.import_catalog", call.node.member_id, call.node.base_id, run.id, paths,
        job_timeout=JOB_TIMEOUT, result_ttl=86400, failure_ttl=86400,
        meta={"member_id": call.node.member_id, "base_id": call.node.base_id, "exchange_id": run.id,
              "done": 0, "total": 0},
        description=f"CommerceML catalog of {call.node.member_id} base {call.node.base_id} exchange {run.id}")
    run.jobs.append({"job_id": job.id, "names": names})
    run.status = "importing"
    nodes.save_run(run)
    call.items = len(paths)
    log.info("exchange node %s: catalog import %s enqueued with %d files", call.node.id, job.id, len(paths))
    return _text("progress", et("queued", call.lang))


def _complete(call: Call, nodes: ExchangeNodes, run: ExchangeRun) -> Response:
    return _text("success", et("complete", call.lang))


def _deactivate(call: Call, nodes: ExchangeNodes, run: ExchangeRun) -> Response:
    return _text("success", et("deactivate", call.lang))


# -- sale -----------------------------------------------------------------------------------------------------

_DECLARED = re.compile(rb"""^\s*(?:\xef\xbb\xbf)?<\?xml[^>]*encoding=["']([A-Za-z0-9._-]+)["']""")


def xml_charset(body: bytes) -> str:
    """The encoding an XML document declares (UTF-8 when it declares none, as XML itself says)."""
    found = _DECLARED.match(body[:200])
    return found.group(1).decode("ascii").lower() if found else "utf-8"


def _orders_module():  # noqa: ANN202 - the orders module (M3's), imported when 1C asks for orders
    from b24app.jobs import commerceml_orders

    return commerceml_orders


def _sale_query(call: Call, nodes: ExchangeNodes, run: ExchangeRun) -> Response:
    try:
        orders = _orders_module()
    except ImportError:
        raise Failure(et("orders_unavailable", call.lang), "orders module not available") from None
    try:
        body = orders.orders_for_query(call.ctx, call.node.member_id, call.node.base_id, run.id)
    except Exception as exc:  # noqa: BLE001 - 1C gets a plain reason, the log the whole story
        log.exception("exchange node %s: orders for query failed", call.node.id)
        raise Failure(et("orders_failed", call.lang, why=type(exc).__name__), f"{type(exc).__name__}: {exc}") from None
    call.items = body.count("<Документ>".encode(xml_charset(body), errors="ignore")) or None
    return Response(body, content_type=f"application/xml; charset={xml_charset(body)}")


def _sale_success(call: Call, nodes: ExchangeNodes, run: ExchangeRun) -> Response:
    try:
        orders = _orders_module()
    except ImportError:
        raise Failure(et("orders_unavailable", call.lang), "orders module not available") from None
    count = orders.confirm_offered(call.ctx, call.node.member_id, call.node.base_id, run.id)
    call.items = int(count or 0)
    return _text("success", et("orders_confirmed", call.lang, count=call.items))


def _enqueue_orders(call: Call, nodes: ExchangeNodes, run: ExchangeRun, name: str) -> str:
    uploads = uploads_of(call.ctx)
    path = str(uploads.path_of(uploads.run_dir(call.node.id, run.id), name))
    job = call.ctx.queue("default").enqueue(
        "b24app.jobs.commerceml_exchange.apply_orders", call.node.member_id, call.node.base_id, run.id, path,
        job_timeout=JOB_TIMEOUT, result_ttl=86400, failure_ttl=86400,
        meta={"member_id": call.node.member_id, "base_id": call.node.base_id, "exchange_id": run.id},
        description=f"CommerceML orders from 1C for {call.node.member_id} base {call.node.base_id}")
    run.jobs.append({"job_id": job.id, "names": [name]})
    run.status = "importing"
    nodes.save_run(run)
    return job.id


def _sale_import(call: Call, nodes: ExchangeNodes, run: ExchangeRun) -> Response:
    name = _filename(call)
    call.detail = name
    unpacked = _unpack(call, nodes, run)
    if unpacked is not None:
        return unpacked
    uploads = uploads_of(call.ctx)
    if not uploads.path_of(uploads.run_dir(call.node.id, run.id), name).is_file():
        raise Failure(et("missing_file", call.lang, name=name))
    for entry in run.jobs:
        if name in entry.get("names", []):
            return _job_answer(call, nodes, run, entry["job_id"], "job_failed")
    _enqueue_orders(call, nodes, run, name)
    return _text("progress", et("queued", call.lang))


def exchange_url(public_url: str, token: str) -> str:
    """The address an administrator pastes into 1C's node as «Адрес сайта»."""
    return f"{public_url.rstrip('/')}/exchange/{token}"


def run_dir_of(ctx: Runtime, node_id: int, run_id: str) -> Path:
    return uploads_of(ctx).run_dir(node_id, run_id)
