"""Building blocks of the fault tests: a private Redis that can be killed and restarted empty, a TCP door in
front of the sandbox 1C that can refuse connections, the app's worker as a process with its log kept, and driving
the exchange (sweeper + a burst of the queues) until a condition holds — always bounded, never a fixed sleep."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from redis import Redis
from sqlalchemy import select

from b24app.bitrix.client import BitrixClient
from b24app.jobs.sync import sweep_outbox
from b24app.onec.odata import ODataClient
from b24app.runtime import Runtime
from b24app.store.models import JournalRow, OutboxRow
from tests.support import sync_data as sd
from tests.support.processes import wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- a Redis of the test's own ---------------------------------------------------------------------------------

class PrivateRedis:
    """`redis-server` on a loopback port of its own, without persistence: killed with SIGKILL it comes back empty."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise RuntimeError("redis-server is not installed")
        self.workdir = workdir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 15) -> None:
        self.starts += 1
        log = open(self.workdir / f"redis-{self.starts}.log", "wb")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--dir", str(self.workdir)], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        wait_until(self._answers, timeout=timeout, interval=0.05, what=f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"redis-server exited with {self.proc.returncode}: "
                               f"{(self.workdir / f'redis-{self.starts}.log').read_text(errors='replace')[-800:]}")
        client = Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        except Exception:  # noqa: BLE001 - not listening yet
            return False
        finally:
            client.close()

    def kill(self) -> None:
        """SIGKILL: no shutdown, no save — what a crashed or OOM-killed Redis does."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def dbsize(self) -> int:
        client = Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        try:
            return int(client.dbsize())
        finally:
            client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


# -- a door in front of the sandbox 1C that can refuse connections ------------------------------------------------

class TcpDoor:
    """A plain TCP forwarder on a port of its own to `target` (host, port). `close()` stops listening and cuts
    every open connection, so the next connect is refused (what a stopped 1C web server does); `open()` listens
    again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        self._stop.clear()
        self._thread = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, self._conns = list(self._conns), set()
        for conn in conns:
            _close(conn)

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                _close(client)
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._conns.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with self._lock:
                    self._conns.discard(s)
                _close(s)


def _close(s: socket.socket) -> None:
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


# -- an HTTP door in front of the sandbox 1C that fails chosen requests ---------------------------------------------

ODATA_500 = {"odata.error": {"code": "-1", "message": {
    "lang": "ru", "value": "Произошла внутренняя ошибка OData сервиса. Дополнительные сведения можно найти в "
                           "технологическом журнале."}}}


class FailingProxy:
    """An HTTP forwarder to the sandbox 1C answering 500 (the body 1C gives for an internal error) to every
    request `fails(method, path)` picks, and passing the rest through — a fault the sandbox cannot aim (its
    `error500` hits whatever request comes next)."""

    def __init__(self, upstream: str, fails: Callable[[str, str], bool]) -> None:
        import requests
        from werkzeug.serving import make_server
        from werkzeug.wrappers import Request, Response

        self.upstream = upstream.rstrip("/")
        self.fails = fails
        self.failed: list[str] = []
        session = requests.Session()

        def app(environ, start_response):
            request = Request(environ)
            path = request.full_path.rstrip("?")
            if self.fails(request.method, request.path):
                self.failed.append(f"{request.method} {request.path}")
                response = Response(json.dumps(ODATA_500, ensure_ascii=False), status=500,
                                    content_type="application/json;charset=utf-8")
                return response(environ, start_response)
            headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
            answer = session.request(request.method, self.upstream + path, data=request.get_data(),
                                     headers=headers, timeout=30, allow_redirects=False)
            passed = {k: v for k, v in answer.headers.items()
                      if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")}
            return Response(answer.content, status=answer.status_code, headers=passed)(environ, start_response)

        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


# -- the app's worker as a process ------------------------------------------------------------------------------

def worker_process(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    """`b24app worker` as its own process, its log kept in `log_path` (sync_data.worker_process discards it)."""
    command = str(Path(sys.executable).with_name("b24app"))
    log = open(log_path, "wb")  # noqa: SIM115 - the child keeps it
    try:
        return subprocess.Popen([command, "worker"], env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
                                stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()


def log_tail(path: Path, chars: int = 3000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


# -- reading the outcome ------------------------------------------------------------------------------------

def statuses(ctx: Runtime) -> dict[str, int]:
    with ctx.db.transaction() as s:
        rows = s.execute(select(OutboxRow.status)).all()
    out: dict[str, int] = {}
    for (status,) in rows:
        out[status] = out.get(status, 0) + 1
    return out


def outbox_rows(ctx: Runtime, deals: Iterable[str] | None = None) -> list[dict]:
    """Every outbox row (of `deals` when given) as a dict of its plain columns."""
    wanted = None if deals is None else {str(d) for d in deals}
    with ctx.db.transaction() as s:
        rows = s.scalars(select(OutboxRow).order_by(OutboxRow.id)).all()
        return [dict(id=r.id, kind=r.kind, entity_id=r.entity_id, status=r.status, attempts=r.attempts,
                     last_error=r.last_error) for r in rows if wanted is None or r.entity_id in wanted]


def failed_tries(ctx: Runtime, deals: Iterable[str]) -> dict[str, int]:
    """Failed or deferred tries of each deal's order, as the journal counts them (one row per try that did not
    end well: a 1C error, or the base's circuit making the job wait)."""
    wanted = {f"deal:{d}": str(d) for d in deals}
    counts = dict.fromkeys(wanted.values(), 0)
    with ctx.db.transaction() as s:
        rows = s.execute(select(JournalRow.entity).where(
            JournalRow.kind == "deal_order", JournalRow.status.in_(("retry", "error")))).all()
    for (entity,) in rows:
        if entity in wanted:
            counts[wanted[entity]] += 1
    return counts


def orders_of(odata: ODataClient, member: str, *, posted: bool = True) -> dict[str, int]:
    """1C orders carrying a key of this portal, counted per key; with `posted`, each must be posted."""
    counts: dict[str, int] = {}
    for row in order_rows(odata, member):
        counts[row["key"]] = counts.get(row["key"], 0) + 1
        assert row["Posted"] or not posted, f"order {row['Ref_Key']} ({row['key']}) is not posted"
    return counts


def order_rows(odata: ODataClient, member: str) -> list[dict]:
    """Every 1C order carrying a key of this portal: Ref_Key, Number, Posted, DeletionMark and its `key`."""
    rows = []
    for page in odata.iter_pages(sd.ORDER_SET, filter=f"substringof('b24:{member}:', Комментарий) eq true",
                                 select=["Ref_Key", "Number", "Комментарий", "Posted", "DeletionMark"]):
        for row in page:
            key = next(t for t in row["Комментарий"].split() if t.startswith(f"b24:{member}:"))
            rows.append({**row, "key": key})
    return rows


def comments_of(client: BitrixClient, deal: str) -> list[str]:
    return [c["COMMENT"] for c in client.list_all("crm.timeline.comment.list", {
        "filter": {"ENTITY_TYPE": "deal", "ENTITY_ID": deal}})]


# -- driving the exchange -------------------------------------------------------------------------------------

def burst(ctx: Runtime, max_jobs: int | None = None) -> None:
    """Run the app's queues until empty (or `max_jobs` jobs ran) in this process."""
    sd.run_burst(ctx, max_jobs=max_jobs)


def drive(ctx: Runtime, until: Callable[[], object], *, timeout: float, what: str,
          interval: float = 0.2, max_jobs: int | None = None) -> object:
    """What the scheduler and a worker do, in this process: sweep the outbox (due rows are enqueued) and run the
    queues until empty (or `max_jobs` jobs ran: `until` is then asked more often), round after round, until
    `until()` is truthy; fails after `timeout` seconds."""

    def round_done() -> object:
        sweep_outbox()
        burst(ctx, max_jobs)
        return until()

    return wait_until(round_done, timeout=timeout, interval=interval, what=what)


def settled(ctx: Runtime) -> bool:
    """No outbox row is waiting: every one is done or dead."""
    return "pending" not in statuses(ctx)


def seconds_since(start: float) -> float:
    return time.monotonic() - start
