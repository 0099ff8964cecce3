"""Outbound 1C addresses (ARCHITECTURE.md, data flow 6): which hosts the app may call, what a refusal says, and that
the 1C client neither follows redirects nor echoes answers that are not 1C's. The client tests use tiny HTTP servers
on loopback; nothing leaves the machine (the real resolver is asked only about numeric spellings and localhost,
which it answers itself)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from b24app.config import ConfigError, Settings, SyncTuning
from b24app.core.clock import SystemClock
from b24app.jobs.circuit import BaseCircuit
from b24app.jobs.retry import Kind, decide, kind_of, plain_reason
from b24app.onec import cli
from b24app.onec.base import OneCBase
from b24app.onec.egress import AllowedNetwork, EgressPolicy, EgressRefused, ResolvedTarget, UnknownHost
from b24app.onec.errors import OneCAddressRefused, OneCError, OneCNotFound, OneCQueryError
from b24app.onec.odata import ODataClient, RetryPolicy
from b24app.onec.schema import check
from b24app.runtime import Runtime
from b24app.store.keys import RedisKeys

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"
ONE_TRY = RetryPolicy(attempts=1, base_delay=0.0, max_delay=0.0)


def fake_resolver(table: dict[str, list[str]]):
    """A resolver answering from `table`; an unknown name fails as getaddrinfo does."""

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolve


# What getaddrinfo makes of each spelling (checked against the real resolver below).
LOOPBACK_SPELLINGS = ["0x7f000001", "2130706433", "0177.0.0.1", "127.1", "localhost"]
FAKE = fake_resolver({**{h: ["127.0.0.1"] for h in LOOPBACK_SPELLINGS},
                      "onec.example.com": [PUBLIC_V4, PUBLIC_V6],
                      "split.example.com": [PUBLIC_V4, "10.0.0.7"],
                      "metadata.example.com": ["169.254.169.254"],
                      "base.corp.example": ["10.20.3.4"],
                      "mapped.corp.example": ["::ffff:10.20.3.4"],
                      "nothing.example.com": []})
STRICT = EgressPolicy(resolver=FAKE)


def refusal(policy: EgressPolicy, url: str) -> str:
    with pytest.raises(EgressRefused) as info:
        policy.check_url(url)
    assert isinstance(info.value, ValueError)
    return info.value.reason


# ---------------------------------------------------------------------- addresses


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_loopback_spellings_are_refused_with_a_fake_resolver(host):
    reason = refusal(STRICT, f"http://{host}/ut/")
    assert "loopback" in reason and host in reason and "B24APP_ONEC_ALLOWED_NETWORKS" in reason


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_loopback_spellings_are_refused_with_the_real_resolver(host):
    """getaddrinfo reads 2130706433, 0x7f000001, 0177.0.0.1 and 127.1 as 127.0.0.1 — as the connection would."""
    assert "loopback" in refusal(EgressPolicy(), f"http://{host}:8080/ut/")


@pytest.mark.parametrize(("url", "kind"), [
    ("http://127.0.0.1/ut/", "loopback"),
    ("http://127.8.9.10:81/ut/", "loopback"),
    ("http://[::1]/ut/", "loopback"),
    ("http://[::ffff:127.0.0.1]/ut/", "loopback"),
    ("http://[::ffff:7f00:1]/ut/", "loopback"),
    ("http://[64:ff9b::7f00:1]/ut/", "IPv6 form of a loopback"),  # NAT64 of 127.0.0.1
    ("http://[2002:7f00:1::]/ut/", "IPv6 form of a loopback"),  # 6to4 of 127.0.0.1
    ("http://[2002:a00:1::1]/ut/", "IPv6 form of a private"),  # 6to4 of 10.0.0.1
    ("http://[::ffff:10.0.0.1]/ut/", "private"),
    ("http://[::7f00:1]/ut/", "IPv4-compatible"),
    ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/ut/", "Teredo"),
    ("http://[fe80::1]/ut/", "link-local"),
    ("http://[fe80::1%25eth0]/ut/", "link-local"),
    ("http://[fc00::1]/ut/", "private"),
    ("http://[fd12:3456::1]/ut/", "private"),
    ("http://[ff02::1]/ut/", "multicast"),
    ("http://[::]/ut/", "unspecified"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://metadata.example.com/", "link-local"),
    ("http://10.1.2.3/ut/", "private"),
    ("http://172.16.0.1/ut/", "private"),
    ("http://172.31.255.254/ut/", "private"),
    ("http://192.168.1.1/ut/", "private"),
    ("http://100.64.0.1/ut/", "shared"),
    ("http://100.127.255.254/ut/", "shared"),
    ("http://198.18.0.1/ut/", "special-purpose"),  # benchmarking
    ("http://192.0.2.1/ut/", "special-purpose"),  # documentation
    ("http://0.0.0.0/ut/", "unspecified"),
    ("http://224.0.0.1/ut/", "multicast"),
    ("http://240.0.0.1/ut/", "special-purpose"),
    ("http://255.255.255.255/ut/", "special-purpose"),
])
def test_non_public_addresses_are_refused(url, kind):
    assert kind in refusal(STRICT, url)


def test_an_unknown_host_is_its_own_refusal():
    with pytest.raises(UnknownHost) as info:
        STRICT.check_url("http://unknown.example.com/ut/")
    assert info.value.host == "unknown.example.com" and isinstance(info.value, EgressRefused)


def test_every_resolved_address_must_be_public():
    assert "10.0.0.7" not in refusal(STRICT, "http://split.example.com/ut/")  # the kind is named, not the address
    assert "private" in refusal(STRICT, "http://split.example.com/ut/")


@pytest.mark.parametrize("url", [
    f"http://{PUBLIC_V4}/ut/",
    f"https://[{PUBLIC_V6}]:8443/ut/",
    "http://[64:ff9b::5db8:d822]/ut/",  # NAT64 of 93.184.216.34
    "http://[2002:5db8:d822::1]/ut/",  # 6to4 of 93.184.216.34
    "http://[::ffff:93.184.216.34]/ut/",
])
def test_public_addresses_pass(url):
    assert STRICT.check_url(url).addresses


def test_a_public_name_passes_with_what_it_resolved_to():
    target = STRICT.check_url("https://OneC.Example.com/ut/")
    assert target == ResolvedTarget("https", "onec.example.com", 443, (PUBLIC_V4, PUBLIC_V6))
    assert STRICT.check_url("http://onec.example.com:8080/ut/").port == 8080
    assert STRICT.check_host_port("onec.example.com", 80) == (PUBLIC_V4, PUBLIC_V6)


@pytest.mark.parametrize(("url", "words"), [
    ("ftp://onec.example.com/ut/", "only http"),
    ("file:///etc/passwd", "only http"),
    ("gopher://onec.example.com/", "only http"),
    ("onec.example.com/ut/", "only http"),
    ("http://admin:secret@onec.example.com/ut/", "login or password"),
    ("http://admin@onec.example.com/ut/", "login or password"),
    ("http://onec.example.com/ut/?x=1", "query"),
    ("http://onec.example.com/ut/?", "query"),
    ("http://onec.example.com/ut/#top", "fragment"),
    ("http:///ut/", "no host"),
    ("http://onec.example.com:0/ut/", "port"),
    ("http://onec.example.com:99999/ut/", "not a valid URL"),
    ("http://127.0.0.1\\@onec.example.com/", "backslash"),
    ("http://onec.example.com/u t/", "spaces"),
    ("http://onec.example.com/ut/\r\nX-Injected: 1", "control"),
    ("", "empty"),
    ("http://unknown.example.com/ut/", "unknown host unknown.example.com"),
    ("http://nothing.example.com/ut/", "unknown host"),
])
def test_malformed_urls_are_refused_in_plain_words(url, words):
    assert words in refusal(STRICT, url)


# ---------------------------------------------------------------------- the allowlist


@pytest.mark.parametrize(("entry", "network", "port"), [
    ("10.20.0.0/16", "10.20.0.0/16", None),
    ("192.168.5.7/32:8080", "192.168.5.7/32", 8080),
    ("127.0.0.1:8081", "127.0.0.1/32", 8081),
    ("127.0.0.0/8", "127.0.0.0/8", None),
    ("fd00::/8", "fd00::/8", None),
    ("[fd00::1]:443", "fd00::1/128", 443),
    ("[fd00::/16]", "fd00::/16", None),
    (" 10.0.0.1 ", "10.0.0.1/32", None),
])
def test_allowlist_entries_parse(entry, network, port):
    parsed = AllowedNetwork.parse(entry)
    assert (str(parsed.network), parsed.port) == (network, port)


@pytest.mark.parametrize("entry", ["10.20.0.0/33", "10.20.0.5/16", "intranet", "10.0.0.1:99999", "10.0.0.1:http",
                                   "10.0.0.1:0", "[fd00::1", "[fd00::1]443", "1.2.3.4.5", "localhost:8080"])
def test_a_malformed_entry_is_a_config_error_naming_it(entry):
    with pytest.raises(ConfigError) as info:
        EgressPolicy.from_entries(["10.0.0.0/8", entry])
    assert repr(entry.strip()) in str(info.value) and "B24APP_ONEC_ALLOWED_NETWORKS" in str(info.value)


def test_a_malformed_entry_stops_the_runtime_at_start_up():
    with pytest.raises(ConfigError, match="10.0.0.0/33"):
        Runtime(Settings(database_url="sqlite://", onec_allowed_networks=("10.0.0.0/33",)))


def test_the_runtime_builds_the_policy_from_the_environment():
    settings = Settings.from_env({"B24APP_ONEC_ALLOWED_NETWORKS": "10.20.0.0/16, 192.168.5.7/32:8080"})
    egress = Runtime(settings).egress
    assert [str(a) for a in egress.allowed] == ["10.20.0.0/16", "192.168.5.7/32:8080"]
    egress.check_url("http://10.20.3.4:81/ut/")
    with pytest.raises(EgressRefused):
        Runtime(Settings(database_url="sqlite://")).egress.check_url("http://10.20.3.4:81/ut/")


def test_allowed_networks_admit_their_addresses_and_ports_only():
    policy = EgressPolicy.from_entries(["10.20.0.0/16", "192.168.5.7/32:8080", "127.0.0.1:8081", "[fd00::1]:443"],
                                       resolver=FAKE)
    policy.check_url("http://10.20.3.4/ut/")
    policy.check_url("http://base.corp.example:8080/ut/")
    policy.check_url("http://mapped.corp.example/ut/")  # ::ffff:10.20.3.4 is 10.20.3.4 on the wire
    policy.check_url("http://192.168.5.7:8080/ut/")
    policy.check_url("http://127.0.0.1:8081/ut/")
    policy.check_url("https://[fd00::1]/ut/")
    assert "private" in refusal(policy, "http://192.168.5.7/ut/")  # port 80 is not the allowed 8080
    assert "private" in refusal(policy, "http://192.168.5.8:8080/ut/")
    assert "loopback" in refusal(policy, "http://127.0.0.1:8082/ut/")
    policy.check_url("http://localhost:8081/ut/")  # it is the address that is allowed, whatever names it
    assert "loopback" in refusal(policy, "http://localhost:8082/ut/")
    assert "private" in refusal(policy, "http://[fd00::1]:80/ut/")
    assert "link-local" in refusal(policy, "http://169.254.169.254/")
    assert policy.permits("10.20.0.1", 1) and not policy.permits("10.21.0.1", 1)


def test_a_plain_string_reads_as_the_environment_does():
    assert len(EgressPolicy.from_entries("10.0.0.0/8,, 192.168.0.0/16").allowed) == 2


# ---------------------------------------------------------------------- the client on loopback servers


class _Handler(BaseHTTPRequestHandler):
    """Answers by the first path segment: the publication root names what the server does."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    hits: list[str]

    def do_GET(self):  # noqa: N802 - http.server naming
        self.hits.append(self.path)
        mode = self.path.strip("/").split("/", 1)[0]
        status, headers, body = self.routes.get(mode, (404, {}, b"no such route"))
        headers = dict(headers)
        reason = headers.pop("X-Reason", None)
        self.send_response(status, reason)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class Server:
    def __init__(self, routes: dict[str, tuple[int, dict[str, str], bytes]]) -> None:
        self.hits: list[str] = []
        handler = type("Handler", (_Handler,), {"routes": routes, "hits": self.hits})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _json(status: int, body: object, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json", **headers}, json.dumps(body, ensure_ascii=False).encode()


def _text(status: int, body: str, content_type: str = "text/html", **headers: str):
    return status, {"Content-Type": content_type, **headers}, body.encode()


def _odata_error(code: str, text: str) -> dict:
    return {"odata.error": {"code": code, "message": {"lang": "ru", "value": text}}}


@pytest.fixture
def secrets_server() -> Iterator[Server]:
    """What a loopback-only service might hold, and a real 1C answer, side by side."""
    server = Server({
        "ut": _json(200, {"value": [{"Ref_Key": "a"}]}),
        "html500": _text(500, "<html>secret-123</html>"),
        "html404": _text(404, "<html><body>secret-123</body></html>"),
        "plain400": _text(400, "secret-123", "text/plain"),
        "json404": _json(404, {"secret": "x-secret-123"}),
        "json400error": _json(400, {"error": "secret-123", "message": "secret-123"}),
        "fake1c": _json(400, {"odata.error": {"code": {"secret": "secret-123"}, "message": 5}}),
        "xmlother": _text(400, "<error><code>1</code><message>secret-123</message></error>", "application/xml"),
        "reason": _text(404, "", "text/plain", **{"X-Reason": "secret-123"}),
        "notjson": _text(200, "<html>secret-123</html>"),
        "onec404": _json(404, _odata_error("9", "Экземпляр сущности не найден")),
        "onecnoisy": _json(400, _odata_error("14", "Ошибка\x1b[31m разбора\u202e\n" + "я" * 1000)),
    })
    yield server
    server.stop()


def _client(url: str, egress: EgressPolicy, **kwargs) -> ODataClient:
    return ODataClient(OneCBase(url=url, login="Администратор", password="пароль", name="ut"), egress=egress,
                       retry=ONE_TRY, **kwargs)


def test_a_name_that_does_not_resolve_is_an_outage_not_a_refusal():
    """A resolver or DNS outage must delay sync work, not dead-letter it as a settings problem."""
    from b24app.jobs.retry import Kind, kind_of
    from b24app.onec.errors import OneCUnavailable

    client = _client("http://nothing.example.com/ut/", STRICT)
    with pytest.raises(OneCUnavailable) as info:
        client.query("Catalog_Контрагенты")
    assert not isinstance(info.value, OneCAddressRefused) and "unknown host" in str(info.value)
    assert kind_of(info.value) is not Kind.PERMANENT


def test_a_loopback_base_is_refused_without_the_allowlist_and_nothing_is_sent(secrets_server):
    client = _client(f"{secrets_server.url}/ut/", EgressPolicy())
    with pytest.raises(OneCAddressRefused) as info:
        client.query("Catalog_Контрагенты")
    assert "loopback" in info.value.reason and "refused" in str(info.value)
    assert secrets_server.hits == [] and client.requests_made == 0
    elsewhere = EgressPolicy.from_entries([f"127.0.0.1:{secrets_server.port + 1}"])
    with pytest.raises(OneCAddressRefused):
        _client(f"{secrets_server.url}/ut/", elsewhere).query("Catalog_Контрагенты")
    assert secrets_server.hits == []


def test_a_loopback_base_works_when_its_network_is_allowed(secrets_server):
    for entry in ("127.0.0.0/8", f"127.0.0.1:{secrets_server.port}"):
        client = _client(f"{secrets_server.url}/ut/", EgressPolicy.from_entries([entry]))
        assert client.query("Catalog_Контрагенты").rows == [{"Ref_Key": "a"}]


def test_the_verdict_is_kept_a_minute_per_host_and_port(secrets_server):
    asked: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    client = _client(f"http://localhost:{secrets_server.port}/ut/",
                     EgressPolicy.from_entries(["127.0.0.0/8"], resolver=resolver))
    for _ in range(3):
        client.query("Catalog_Контрагенты")
    assert asked == ["localhost"] and len(secrets_server.hits) == 3


def test_a_name_that_resolves_differently_at_connect_time_is_refused_at_the_socket(secrets_server):
    """DNS rebinding: the check is told a public address, the connection reaches 127.0.0.1."""
    rebinding = EgressPolicy(resolver=lambda host, port: [PUBLIC_V4])
    client = _client(f"http://localhost:{secrets_server.port}/ut/", rebinding)
    with pytest.raises(OneCAddressRefused, match="loopback"):
        client.query("Catalog_Контрагенты")
    assert secrets_server.hits == []


def test_a_redirect_is_not_followed(secrets_server):
    other = Server({"secret-path": _text(200, "secret-123")})
    try:
        redirector = Server({"ut": (302, {"Location": f"{other.url}/secret-path/?token=qsecret#frag"}, b"")})
        try:
            client = _client(f"{redirector.url}/ut/", EgressPolicy.from_entries(["127.0.0.0/8"]))
            with pytest.raises(OneCQueryError) as info:
                client.query("Catalog_Контрагенты")
        finally:
            redirector.stop()
    finally:
        other.stop()
    text = str(info.value)
    assert info.value.http_status == 302 and "redirect" in text and "final publication address" in text
    assert f"127.0.0.1:{other.port}/secret-path/" in text
    assert "qsecret" not in text and "token" not in text and "frag" not in text
    assert other.hits == []


@pytest.mark.parametrize(("root", "status", "phrase"), [
    ("html500", 500, "Internal Server Error"),
    ("html404", 404, "Not Found"),
    ("plain400", 400, "Bad Request"),
    ("json404", 404, "Not Found"),
    ("json400error", 400, "Bad Request"),
    ("fake1c", 400, "Bad Request"),
    ("xmlother", 400, "Bad Request"),
    ("reason", 404, "Not Found"),
])
def test_an_error_body_that_is_not_1cs_is_never_echoed(secrets_server, root, status, phrase):
    client = _client(f"{secrets_server.url}/{root}/", EgressPolicy.from_entries(["127.0.0.0/8"]))
    with pytest.raises(OneCError) as info:
        client.query("Catalog_Контрагенты")
    text = str(info.value)
    assert "secret" not in text and "secret" not in info.value.message and "secret" not in info.value.code
    assert f"HTTP {status} {phrase}" in text and info.value.http_status == status


def test_a_2xx_answer_that_is_not_json_is_described_not_quoted(secrets_server):
    client = _client(f"{secrets_server.url}/notjson/", EgressPolicy.from_entries(["127.0.0.0/8"]))
    with pytest.raises(OneCError) as info:
        client.query("Catalog_Контрагенты")
    assert "secret" not in str(info.value) and "not JSON (text/html, 23 bytes)" in str(info.value)


def test_1cs_own_errors_keep_their_code_and_message_cleaned_and_bounded(secrets_server):
    allowed = EgressPolicy.from_entries(["127.0.0.0/8"])
    with pytest.raises(OneCNotFound) as info:
        _client(f"{secrets_server.url}/onec404/", allowed).query("Catalog_Контрагенты")
    assert (info.value.code, info.value.message) == ("9", "Экземпляр сущности не найден")
    with pytest.raises(OneCQueryError) as info:
        _client(f"{secrets_server.url}/onecnoisy/", allowed).query("Catalog_Контрагенты")
    message = info.value.message
    assert info.value.code == "14" and message.startswith("Ошибка[31m разбора я")
    assert len(message) <= 300 and message.endswith("…")
    assert not any(ch in message for ch in "\x1b\u202e\n")


def test_the_schema_check_fails_closed_without_a_policy(secrets_server):
    report = check(OneCBase(url=f"{secrets_server.url}/ut/", login="l", password="p", profile="ut11"))
    assert not report.ok and "refused" in report.error and "loopback" in report.error
    assert secrets_server.hits == []


def test_the_cli_check_obeys_the_environment(monkeypatch, capsys):
    args = ["onec", "check", "--url", "http://127.0.0.1:9/ut/", "--login", "l", "--password", "p"]
    monkeypatch.delenv("B24APP_ONEC_ALLOWED_NETWORKS", raising=False)
    assert cli.main(args) == cli.EXIT_PROBLEMS
    assert "loopback" in capsys.readouterr().out
    monkeypatch.setenv("B24APP_ONEC_ALLOWED_NETWORKS", "127.0.0.0/33")
    assert cli.main(args) == cli.EXIT_PROBLEMS
    assert "configuration error" in capsys.readouterr().err


# ---------------------------------------------------------------------- how the exchange treats a refusal


REFUSED = OneCAddressRefused("127.0.0.1 is a loopback address (this server itself)", "ООО Ромашка (УТ 11)")


def test_a_refused_address_is_a_permanent_failure_with_a_plain_reason():
    assert kind_of(REFUSED) is Kind.PERMANENT
    decision = decide(REFUSED, 1, SyncTuning(), 1_800_000_000.0)
    assert decision.delay is None and decision.counts
    assert "ООО Ромашка" in decision.reason and "loopback" in decision.reason
    assert "fix the base's address in the settings" in plain_reason(REFUSED)


class _Untouchable:
    """A Redis that fails the test if the circuit as much as looks at it."""

    def __getattr__(self, name):
        raise AssertionError(f"the circuit used Redis.{name} for a refused address")


class _ProbeOnly:
    def __init__(self) -> None:
        self.deleted: list[tuple] = []

    def delete(self, *keys) -> None:
        self.deleted.append(keys)

    def __getattr__(self, name):
        raise AssertionError(f"the circuit used Redis.{name} for a refused address")


def _circuit(redis) -> BaseCircuit:
    return BaseCircuit(redis, RedisKeys("t"), "m", 1, SyncTuning(), SystemClock())


def test_a_refused_address_neither_opens_nor_closes_the_circuit():
    circuit = _circuit(_Untouchable())
    with pytest.raises(OneCAddressRefused), circuit.watch():
        raise REFUSED
    probing = _ProbeOnly()
    circuit = _circuit(probing)
    circuit._probing = True  # the job holding the probe's turn after an outage
    with pytest.raises(OneCAddressRefused), circuit.watch():
        raise REFUSED
    assert probing.deleted == [(RedisKeys("t").base_probe("m", 1),)] and not circuit._probing
