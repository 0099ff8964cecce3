"""Card-tab latency under 20 concurrent clients, against the app under gunicorn with the Procfile's workers.

    .venv/bin/python bench/tab_latency.py [--clients 20] [--seconds 10] [--rounds 6] [--workers N]

Starts the sandbox portal and the sandbox 1C as subprocesses, the app with `b24app web --workers N` (N as the
Procfile's `web:` line sets it, `${WEB_CONCURRENCY:-4}`), installs the app into the portal through the real
protocol, configures the sandbox's УТ 11 base, and links deals 1..20 to 1C orders through the mapped deal field.
The clients POST the deal tab as the portal's iframe does (a real AUTH_ID per client, verified by the app).

  (a) warm: every entry fresh in the tab cache; the clients loop back to back for --seconds (the machine
      saturated: latency is then queueing, mean = clients / throughput), and (a') again with each client
      paced to --paced requests/s (20 x 10 = 200 requests/s by default), the load a big sales floor makes.
  (b) 1C answering in 200 ms (sandbox `slow_ms`), in rounds: before each round the 20 entries are deleted
      (cold) or aged past freshness (stale), then each client opens a different deal at once, so every
      request makes the app read 1C.

Load generator: the warm runs use Debian's `wrk` when it is installed (one Lua script the bench writes to a temp
file: the 20 frame bodies, a check of every answer, the app's Server-Timing), since 20 Python client threads
would take a good part of the 2 CPUs the server needs; without wrk (or with --python-client) they fall back to
the Python client and say so. The cold/stale rounds (20 requests released together) always use the Python
client. Each run prints which generator produced it and the CPU the generator and the app spent per request.

Printed per scenario: p50, p95, p99, max and requests/s as the clients saw them, and the worst time the app
itself spent (its Server-Timing header) against the bound "the page never exceeds the 1C timeout plus 100 ms"
(`PortalSettings.tab_timeout_seconds`). The client-side figure also holds time spent queued for a free gunicorn
thread (workers x threads slots for 20 clients), which no deadline inside the app can bound.

Redis: `B24APP_BENCH_REDIS` (default redis://127.0.0.1:6379/1); the bench uses one fresh key prefix and deletes
its keys afterwards. The database is a SQLite file in a temporary directory.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import requests
from redis import Redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from b24app.config import Settings  # noqa: E402
from b24app.demo_links import write_deal_number  # noqa: E402
from b24app.runtime import Runtime  # noqa: E402
from b24app.store.migrate import upgrade  # noqa: E402
from tests.support.processes import Server, start_server  # noqa: E402

LOGIN, PASSWORD = "Администратор", "bench"
DEALS = 20
SLOW_MS = 200


def procfile_workers() -> int:
    """The worker count the Procfile's web line sets: `--workers ${WEB_CONCURRENCY:-4}` -> $WEB_CONCURRENCY or 4."""
    line = next(x for x in (ROOT / "Procfile").read_text().splitlines() if x.startswith("web:"))
    match = re.search(r"--workers\s+\$\{WEB_CONCURRENCY:-(\d+)\}", line)
    if match:
        return int(os.environ.get("WEB_CONCURRENCY") or match.group(1))
    return int(re.search(r"--workers\s+(\d+)", line).group(1))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Answer:
    status_code: int
    headers: dict[str, str]
    text: str


class TabClient:
    """One keep-alive connection POSTing a frame form, as a browser tab would (http.client: the bench's own
    CPU use stays small next to the app's on a 2-core machine)."""

    def __init__(self, app_url: str, params: dict) -> None:
        parts = urlsplit(app_url)
        self.host, self.port = parts.hostname, parts.port
        self.body = urlencode(params).encode()
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)

    def post(self, retry: bool = True) -> Answer:
        try:
            self.conn.request("POST", "/tabs/deal", body=self.body,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
            response = self.conn.getresponse()
        except (http.client.HTTPException, OSError):
            # gunicorn closes a keep-alive connection idle for a few seconds; a browser reconnects, so do we.
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            if not retry:
                raise
            return self.post(retry=False)
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                      response.read().decode("utf-8", "replace"))


@dataclass
class Sample:
    seconds: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    generator: str = "python"
    # wrk keeps its own latency histogram: its percentiles (ms) replace those computed from `seconds`.
    summary: dict[str, float] | None = None
    count: int = 0
    client_cpu: float = 0.0  # CPU seconds the load generator used
    app_cpu: float = 0.0  # CPU seconds the gunicorn processes used

    def add(self, elapsed: float, response: Answer | None, error: str | None = None) -> None:
        with self.lock:
            if error or response is None or response.status_code != 200 or 'class="tab-base"' not in response.text:
                self.errors.append(error or f"HTTP {response.status_code if response is not None else '?'}")
                return
            self.seconds.append(elapsed)
            timing = re.search(r"dur=([\d.]+)", response.headers.get("server-timing", ""))
            if timing:
                self.server_ms.append(float(timing.group(1)))


class Bench:
    def __init__(self, workers: int, threads: int, redis_url: str) -> None:
        self.workers, self.threads = workers, threads
        self.tmp = tempfile.TemporaryDirectory(prefix="b24-tab-bench-")
        self.redis_url = redis_url
        self.prefix = f"bench{uuid.uuid4().hex[:8]}"
        self.servers: list[Server] = []
        self.web: subprocess.Popen | None = None

    # ------------------------------------------------------------------ setup

    def start(self) -> None:
        # The portal's REST limit (limits.md: 2 req/s after a burst of 50) is lifted: the warm-up makes ~60 calls
        # (deal fields, frame checks, deal reads) and the bench measures the tab, not the portal's bucket.
        portal = start_server(["b24sandbox.portal", "--port", "0", "--deals", "60", "--rate", "1000",
                               "--burst", "1000"], "SANDBOX_PORTAL_URL")
        self.servers.append(portal)
        onec = start_server(["b24sandbox.onec", "--port", "0", "--bases", "ut:ut11", "--user", LOGIN,
                             "--password", PASSWORD], "SANDBOX_1C_URL")
        self.servers.append(onec)
        self.portal_url, self.onec_url = portal.url, onec.url
        port = free_port()
        self.app_url = f"http://127.0.0.1:{port}"
        self.client_id = f"local.{secrets.token_hex(7)}.{secrets.token_hex(4)}"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.tmp.name}/bench.sqlite3",
            "REDIS_URL": self.redis_url,
            "B24APP_PUBLIC_URL": self.app_url,
            "B24APP_CLIENT_ID": self.client_id,
            "B24APP_CLIENT_SECRET": secrets.token_urlsafe(24),
            "B24APP_OAUTH_SERVER": self.portal_url,
            "B24APP_SECRET_KEY": secrets.token_urlsafe(32),
            "B24APP_DEV_INSECURE_LOOPBACK": "1",
            "B24APP_BX24_JS_URL": self.portal_url + "/bx24.js",
            "B24APP_QUEUE_PREFIX": self.prefix,
            "B24APP_ONEC_ALLOWED_NETWORKS": "127.0.0.0/8",  # the sandbox 1C is on loopback
        }
        upgrade(self.env["DATABASE_URL"])
        requests.post(self.portal_url + "/_sandbox/apps", json={
            "client_id": self.client_id, "client_secret": self.env["B24APP_CLIENT_SECRET"],
            "install_url": self.app_url + "/install", "handler_url": self.app_url + "/app",
            "scopes": ["crm", "placement", "user", "catalog"], "title": "b24-1c (bench)"},
            timeout=10).raise_for_status()
        self.web = subprocess.Popen(
            [sys.executable, "-m", "b24app.cli", "web", "--bind", f"127.0.0.1:{port}", "--workers", str(self.workers),
             "--threads", str(self.threads)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=open(Path(self.tmp.name) / "web.log", "w"),  # noqa: SIM115
            start_new_session=True)
        self._wait(self.app_url + "/healthz")
        answer = requests.post(f"{self.portal_url}/_sandbox/apps/{self.client_id}/install",
                               json={"finish": True, "lang": "ru"}, timeout=60).json()
        if not answer.get("installed"):
            raise SystemExit(f"install failed: {answer}")
        self.member_id = requests.get(self.portal_url + "/_sandbox/state", timeout=10).json()["member_id"]
        self.ctx = Runtime(Settings.from_env(self.env))
        self.ctx.bases.save(self.member_id, name="ООО «Ромашка» (УТ 11)", url=f"{self.onec_url}/ut/", login=LOGIN,
                            password=PASSWORD, profile="ut11", legal_entity="ООО «Ромашка»")
        client = self.ctx.bitrix(self.member_id)
        field_name = self.ctx.portal_settings.get(self.member_id).deal_fields["order_number"]
        for deal in range(1, DEALS + 1):
            write_deal_number(client, deal, f"ТД00-{deal:06d}", field_name)
        self.timeout = self.ctx.portal_settings.get(self.member_id).tab_timeout_seconds

    def _wait(self, url: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(url, timeout=2).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise SystemExit(f"{url} did not come up; see {self.tmp.name}/web.log")

    def frame(self, deal: int) -> dict:
        """What the portal POSTs into the deal tab, with a fresh user token (widgets/crm/detail-tab.md)."""
        token = requests.post(f"{self.portal_url}/_sandbox/apps/{self.client_id}/tokens", json={"user_id": 1},
                              timeout=10).json()
        domain = requests.get(self.portal_url + "/_sandbox/state", timeout=10).json()["domain"]
        return {"member_id": self.member_id, "DOMAIN": domain, "PLACEMENT": "CRM_DEAL_DETAIL_TAB",
                "PLACEMENT_OPTIONS": json.dumps({"ID": str(deal)}), "LANG": "ru", "AUTH_ID": token["access_token"],
                "PROTOCOL": "0"}

    # ------------------------------------------------------------------ load

    def tab_keys(self) -> list[str]:
        return list(self.ctx.redis.scan_iter(f"{self.prefix}:tab:{self.member_id}:deal:*"))

    def loop(self, frames: list[dict], seconds: float, pace: float = 0.0) -> tuple[Sample, float]:
        """Each client POSTs back to back, or at most `pace` times a second (a manager's clicks, not a flood)."""
        sample = Sample()
        stop = time.monotonic() + seconds

        def client(i: int, params: dict) -> None:
            tab = TabClient(self.app_url, params)
            # Paced clients start staggered across one period, so requests arrive spread out, not in waves.
            due = time.monotonic() + (i / (pace * len(frames)) if pace else 0.0)
            time.sleep(max(0.0, due - time.monotonic()))
            while time.monotonic() < stop:
                if pace:
                    due += 1 / pace
                started = time.perf_counter()
                try:
                    response = tab.post()
                    sample.add(time.perf_counter() - started, response)
                except (http.client.HTTPException, OSError) as exc:
                    sample.add(time.perf_counter() - started, None, type(exc).__name__)
                if pace:
                    time.sleep(max(0.0, due - time.monotonic()))

        began = time.monotonic()
        threads = [threading.Thread(target=client, args=(i, f)) for i, f in enumerate(frames)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sample, time.monotonic() - began

    def warm(self, frames: list[dict], seconds: float, pace: float, wrk: str | None) -> tuple[Sample, float]:
        """A warm run with wrk when given, else the Python client; CPU of generator and app measured either way."""
        app_before = group_cpu_seconds(self.web.pid)
        if wrk:
            sample, elapsed = run_wrk(wrk, self.app_url, frames, seconds, pace, self.tmp.name)
        else:
            cpu_before = time.process_time()
            sample, elapsed = self.loop(frames, seconds, pace)
            sample.client_cpu = time.process_time() - cpu_before
            sample.count = len(sample.seconds) + len(sample.errors)
        sample.app_cpu = group_cpu_seconds(self.web.pid) - app_before
        return sample, elapsed

    def rounds(self, frames: list[dict], rounds: int, mode: str) -> tuple[Sample, float]:
        sample = Sample()
        busy = 0.0
        tabs = [TabClient(self.app_url, f) for f in frames]
        for _ in range(rounds):
            for key in self.tab_keys():
                if mode == "cold":
                    self.ctx.redis.delete(key)
                else:
                    doc = json.loads(self.ctx.redis.get(key))
                    doc["as_of"] = time.time() - 3600
                    self.ctx.redis.set(key, json.dumps(doc, ensure_ascii=False))
            gate = threading.Barrier(len(frames))

            def client(i: int, gate: threading.Barrier = gate) -> None:
                gate.wait()
                started = time.perf_counter()
                try:
                    response = tabs[i].post()
                    sample.add(time.perf_counter() - started, response)
                except (http.client.HTTPException, OSError) as exc:
                    sample.add(time.perf_counter() - started, None, type(exc).__name__)

            began = time.monotonic()
            threads = [threading.Thread(target=client, args=(i,)) for i in range(len(frames))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            busy += time.monotonic() - began
        return sample, busy

    def stop(self) -> None:
        if self.web is not None and self.web.poll() is None:
            self.web.terminate()
            try:
                self.web.wait(10)
            except subprocess.TimeoutExpired:
                self.web.kill()
        for server in reversed(self.servers):
            server.stop()
        try:
            redis = Redis.from_url(self.redis_url)
            for key in redis.scan_iter(f"{self.prefix}*"):
                redis.delete(key)
        finally:
            self.tmp.cleanup()


WRK_SCRIPT = r"""
-- Written by bench/tab_latency.py: POSTs the frame bodies round robin and checks every answer.
local bodies = { %(bodies)s }
local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
local pace_ms = %(pace_ms)s
local threads = {}
local n = 0
bad = 0
timings = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("offset", #threads * 7)
end

function init(args)
  n = offset or 0
end

function request()
  n = n %% #bodies + 1
  return wrk.format("POST", "/tabs/deal", headers, bodies[n])
end

function response(status, hdrs, body)
  if status ~= 200 or not string.find(body, 'class="tab-base"', 1, true) then
    bad = bad + 1
  end
  local timing = hdrs["Server-Timing"] or hdrs["server-timing"]
  local dur = timing and string.match(timing, "dur=([%%d%%.]+)")
  if dur then timings[#timings + 1] = dur end
end

if pace_ms > 0 then
  function delay() return pace_ms end
end

function done(summary, latency, requests)
  local bad_total, all = 0, {}
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    for _, d in ipairs(thread:get("timings")) do all[#all + 1] = d end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%%d duration_us=%%d p50=%%d p95=%%d p99=%%d max=%%d mean=%%.0f bad=%%d connect=%%d read=%%d "
    .. "write=%%d status=%%d timeout=%%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, bad_total, e.connect, e.read, e.write, e.status, e.timeout))
  io.write("TIMINGS " .. table.concat(all, ",") .. "\n")
end
"""


def group_cpu_seconds(pgid: int) -> float:
    """User+system CPU of every live process in a process group (the gunicorn master and its workers)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # stat fields after "(comm)": state ppid pgrp ... utime(12th) stime(13th)
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run_wrk(wrk: str, app_url: str, frames: list[dict], seconds: float, pace: float,
            workdir: str) -> tuple[Sample, float]:
    """The warm run with wrk: len(frames) connections on 2 threads, each answer checked by the script."""
    script = Path(workdir) / f"tabs-{int(pace * 1000)}.lua"
    bodies = ", ".join(f"[==[{urlencode(f)}]==]" for f in frames)
    script.write_text(WRK_SCRIPT % {"bodies": bodies, "pace_ms": int(1000 / pace) if pace else 0})
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([wrk, "-t", "2", "-c", str(len(frames)), "-d", f"{seconds:g}s", "--timeout", "30s",
                          "-s", str(script), app_url + "/tabs/deal"], capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = re.search(r"^BENCH (.*)$", out.stdout, re.M)
    if line is None:
        raise SystemExit(f"wrk printed no summary:\n{out.stdout}\n{out.stderr}")
    stats = {k: float(v) for k, v in (x.split("=") for x in line.group(1).split())}
    timings = re.search(r"^TIMINGS (.*)$", out.stdout, re.M).group(1)
    # wrk's own latency histogram (microseconds) gives the client figures; `seconds` stays empty.
    sample = Sample(generator="wrk", count=int(stats["requests"]))
    sample.summary = {k: stats[k] / 1000 for k in ("p50", "p95", "p99", "max", "mean")}
    sample.server_ms = [float(x) for x in timings.split(",") if x]
    sample.client_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    for kind in ("bad", "connect", "read", "write", "status", "timeout"):
        sample.errors += [f"{kind}"] * int(stats[kind])
    return sample, stats["duration_us"] / 1e6


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def client_figures(sample: Sample) -> dict[str, float]:
    """p50/p95/p99/max/mean in ms as the load generator measured them."""
    if sample.summary is not None:
        return sample.summary
    ms = [s * 1000 for s in sample.seconds]
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99), "max": max(ms),
            "mean": statistics.fmean(ms)}


def report(name: str, sample: Sample, elapsed: float, bound_ms: float | None = None) -> bool:
    ok_count = sample.count - len(sample.errors) if sample.summary is not None else len(sample.seconds)
    if ok_count <= 0:
        print(f"{name}: no successful request; errors: {sample.errors[:5]}")
        return False
    fig = client_figures(sample)
    print(f"{name}   [load generator: {sample.generator}]")
    failed = f"{len(sample.errors)} failed{' ' + str(sample.errors[:3]) if sample.errors else ''}"
    print(f"  requests {ok_count} ok, {failed} in {elapsed:.1f} s -> {ok_count / elapsed:.1f} req/s")
    print(f"  client  p50 {fig['p50']:7.1f} ms   p95 {fig['p95']:7.1f} ms   "
          f"p99 {fig['p99']:7.1f} ms   max {fig['max']:7.1f} ms   (mean {fig['mean']:.1f})")
    if sample.app_cpu:
        total = sample.count or ok_count
        print(f"  cpu     app {sample.app_cpu / total * 1000:.2f} ms/request, load generator "
              f"{sample.client_cpu / total * 1000:.2f} ms/request ({sample.client_cpu:.1f} s of "
              f"{elapsed * (os.cpu_count() or 1):.1f} CPU-s)")
    ok = not sample.errors
    if sample.server_ms:
        server = sample.server_ms
        print(f"  app     p50 {percentile(server, 50):7.1f} ms   p95 {percentile(server, 95):7.1f} ms   "
              f"max {max(server):7.1f} ms   (Server-Timing)")
    if bound_ms is not None:
        worst_app = max(sample.server_ms) if sample.server_ms else float("nan")
        held = worst_app <= bound_ms
        worst = fig["max"]
        print(f"  bound   1C timeout + 100 ms = {bound_ms:.0f} ms: worst app time {worst_app:.1f} ms "
              f"{'<=' if held else '>'} bound ({'held' if held else 'EXCEEDED'}); worst client time {worst:.1f} ms "
              f"({'within' if worst <= bound_ms else 'over, queueing for a gunicorn thread included'})")
        ok = ok and held
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the warm run")
    parser.add_argument("--rounds", type=int, default=6, help="rounds of the cold and of the stale run")
    parser.add_argument("--workers", type=int, default=None, help="default: what the Procfile sets")
    parser.add_argument("--paced", type=float, default=10.0,
                        help="also run the warm case with each client at most this many requests/s (0: skip)")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker (`b24app web` default)")
    parser.add_argument("--python-client", action="store_true", help="warm runs with the Python client, not wrk")
    args = parser.parse_args(argv)
    wrk = None if args.python_client else shutil.which("wrk")
    workers = args.workers or procfile_workers()
    bench = Bench(workers, args.threads, os.environ.get("B24APP_BENCH_REDIS", "redis://127.0.0.1:6379/1"))
    try:
        bench.start()
        frames = [bench.frame(1 + i % DEALS) for i in range(args.clients)]
        print(f"app: gunicorn, {workers} workers x {args.threads} threads; {args.clients} clients; "
              f"tab timeout {bench.timeout:.1f} s; {os.cpu_count()} CPUs")
        for params in frames:  # warm the cache and the app's checks (frame verification, deal facts)
            answer = requests.post(bench.app_url + "/tabs/deal", data=params, timeout=30)
            if answer.status_code != 200:
                raise SystemExit(f"warm-up answered {answer.status_code}: {answer.text[:300]}")
        if not wrk:
            print("note: warm runs use the Python client (wrk " + ("not wanted" if args.python_client else
                  "not installed: apt-get install wrk") + "); its threads share the CPUs with the app")
        bound_ms = bench.timeout * 1000 + 100
        sample, elapsed = bench.warm(frames, args.seconds, 0.0, wrk)
        warm_ok = report("(a) warm cache", sample, elapsed, bound_ms)
        warm_p95 = client_figures(sample)["p95"] if sample.seconds or sample.summary else float("inf")
        print(f"  target  warm p95 < 50 ms: {'met' if warm_p95 < 50 else 'NOT met'} ({warm_p95:.1f} ms)")
        if args.paced:
            paced, elapsed = bench.warm(frames, args.seconds, args.paced, wrk)
            report(f"(a') warm cache, each client at most {args.paced:g} requests/s", paced, elapsed, bound_ms)
            paced_p95 = client_figures(paced)["p95"] if paced.seconds or paced.summary else float("inf")
            print(f"  target  warm p95 < 50 ms: {'met' if paced_p95 < 50 else 'NOT met'} ({paced_p95:.1f} ms)")

        if args.rounds == 0:
            return 0 if (warm_ok and warm_p95 < 50) else 1
        requests.post(f"{bench.onec_url}/_sandbox/ut/fault", json={"slow_ms": SLOW_MS}, timeout=10).raise_for_status()
        distinct = [bench.frame(1 + i % DEALS) for i in range(min(args.clients, DEALS))]
        cold, busy = bench.rounds(distinct, args.rounds, "cold")
        cold_ok = report(f"(b) 1C answering in {SLOW_MS} ms, cold cache ({args.rounds} rounds of {len(distinct)})",
                         cold, busy, bound_ms)
        stale, busy = bench.rounds(distinct, args.rounds, "stale")
        stale_ok = report(f"(b) 1C answering in {SLOW_MS} ms, stale cache ({args.rounds} rounds of {len(distinct)})",
                          stale, busy, bound_ms)
        return 0 if (warm_ok and cold_ok and stale_ok and warm_p95 < 50) else 1
    finally:
        bench.stop()


if __name__ == "__main__":
    sys.exit(main())
