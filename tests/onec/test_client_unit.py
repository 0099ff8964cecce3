"""Unit tests of the client's error mapping, retries and Basic auth (the auth one on a loopback server)."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from b24app.onec.base import OneCBase
from b24app.onec.egress import EgressPolicy
from b24app.onec.errors import OneCAuthError, OneCError, OneCNotFound, OneCQueryError, OneCUnavailable
from b24app.onec.odata import ODataClient, RetryPolicy, Utf8BasicAuth, minimum_requests

BASE = OneCBase(url="http://127.0.0.1:9/ut/", login="Администратор", password="пароль", name="ut")
FAST = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0)
LOOPBACK = EgressPolicy.from_entries(["127.0.0.0/8"])


class FakeSession(requests.Session):
    """Answers from a script of (status, body) or exceptions; records what was sent."""

    def __init__(self, script):
        super().__init__()
        self.script = list(script)
        self.sent = []

    def request(self, method, url, **kwargs):
        self.sent.append((method, url))
        step = self.script.pop(0)
        if isinstance(step, Exception):
            raise step
        status, body = step
        response = requests.Response()
        response.status_code = status
        response.reason = "X"
        response._content = body.encode("utf-8") if isinstance(body, str) else json.dumps(body).encode("utf-8")
        return response


def error_body(code, text):
    return {"odata.error": {"code": code, "message": {"lang": "ru", "value": text}}}


def client(script):
    session = FakeSession(script)
    return ODataClient(BASE, egress=LOOPBACK, retry=FAST, session=session), session


@pytest.mark.parametrize(
    ("status", "cls"),
    [(401, OneCAuthError), (403, OneCAuthError), (404, OneCNotFound), (400, OneCQueryError)],
)
def test_4xx_map_to_typed_errors_without_retry(status, cls):
    c, session = client([(status, error_body("10", "Запрошенное свойство не найдено"))])
    with pytest.raises(cls) as info:
        c.query("Catalog_Контрагенты")
    assert info.value.code == "10"
    assert info.value.message == "Запрошенное свойство не найдено"
    assert info.value.http_status == status
    assert "ut" in str(info.value)
    assert len(session.sent) == 1


def test_5xx_is_retried_then_succeeds():
    c, session = client([(500, error_body("-1", "boom")), (503, "busy"), (200, {"value": [{"Ref_Key": "a"}]})])
    assert c.query("Catalog_Контрагенты").rows == [{"Ref_Key": "a"}]
    assert len(session.sent) == 3
    assert c.requests_made == 3


def test_5xx_every_time_raises_after_the_attempts():
    c, session = client([(503, "busy")] * 3)
    with pytest.raises(OneCUnavailable):
        c.query("Catalog_Контрагенты")
    assert len(session.sent) == 3
    c, _ = client([(500, error_body("-1", "Не удалось провести документ"))] * 3)
    with pytest.raises(OneCError) as info:
        c.post_document("Document_ЗаказКлиента", "8d04ce3c-6360-11e9-dd92-fa163e8ba11d")
    assert not isinstance(info.value, OneCUnavailable)
    assert info.value.message == "Не удалось провести документ"


def test_network_errors_are_retried_for_reads():
    c, session = client([requests.exceptions.ConnectionError("reset"), (200, {"value": []})])
    assert c.query("Catalog_Контрагенты").rows == []
    assert len(session.sent) == 2


def test_create_is_not_resent_after_a_lost_answer():
    c, session = client([requests.exceptions.ReadTimeout("slow"), (201, {"Ref_Key": "x"})])
    with pytest.raises(OneCUnavailable, match="read timeout"):
        c.create("Document_ЗаказКлиента", {"Комментарий": "x"})
    assert len(session.sent) == 1
    assert session.sent[0][0] == "POST"


def test_xml_error_body_is_read():
    xml = (
        '<m:error xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">'
        "<m:code>9</m:code><m:message>Экземпляр сущности не найден</m:message></m:error>"
    )
    c, _ = client([(404, xml)])
    with pytest.raises(OneCNotFound) as info:
        c.get("Catalog_Контрагенты", "8d04ce3c-6360-11e9-dd92-fa163e8ba11d")
    assert (info.value.code, info.value.message) == ("9", "Экземпляр сущности не найден")


def test_minimum_requests():
    assert minimum_requests(10_000, 1000) == 11
    assert minimum_requests(10_001, 1000) == 11
    assert minimum_requests(0, 1000) == 1


class _AuthEcho(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server naming
        header = self.headers.get("Authorization", "")
        login, _, password = base64.b64decode(header.removeprefix("Basic ")).decode("utf-8").partition(":")
        ok = (login, password) == ("Администратор", "пароль")
        body = json.dumps({"value": [{"login": login}]} if ok else error_body("", "401")).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_cyrillic_login_is_sent_as_utf8_basic():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AuthEcho)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/ut/"
        good = ODataClient(OneCBase(url=url, login="Администратор", password="пароль"), egress=LOOPBACK,
                           retry=FAST)
        assert good.query("Catalog_Контрагенты").rows == [{"login": "Администратор"}]
        bad = ODataClient(OneCBase(url=url, login="Администратор", password="не тот"), egress=LOOPBACK,
                          retry=FAST)
        with pytest.raises(OneCAuthError):
            bad.query("Catalog_Контрагенты")
        # What requests would do by itself: latin-1 cannot carry Cyrillic.
        with pytest.raises(UnicodeEncodeError):
            requests.get(url, auth=("Администратор", "пароль"), timeout=5)
    finally:
        server.shutdown()
        server.server_close()


def test_auth_header_is_utf8():
    prepared = requests.Request("GET", "http://x/").prepare()
    Utf8BasicAuth("Администратор", "секрет")(prepared)
    token = prepared.headers["Authorization"].removeprefix("Basic ")
    assert base64.b64decode(token).decode("utf-8") == "Администратор:секрет"
