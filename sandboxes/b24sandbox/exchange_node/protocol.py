"""The calls of 1C's exchange with a website, as 1C makes them.

Facts (1C-Bitrix course "Обмен с 1С", COURSE_ID=42, "Протокол обмена"; the site side in 1C-Bitrix's
catalog.import.1c and sale.export.1c components):
- every call is `<site URL>?type=catalog|sale&mode=…`; answers are text lines, the first being `success`,
  `progress` or `failure` (a reason follows on the next line);
- `checkauth` carries HTTP Basic credentials and is answered `success`, a cookie name and a cookie value (newer
  sites add `sessid=…` and `timestamp=…`); every later call sends that cookie, and `sessid` when given;
- `init` is answered `zip=yes|no` and `file_limit=<bytes>` (plus `sessid=`/`version=` when 1C named a version);
- `file&filename=<name>` posts the file's bytes, a file larger than `file_limit` in several calls whose bodies the
  site appends in order; with `zip=yes` 1C sends one archive of all files instead;
- `import&filename=<name>` is called for each exchange file, again after every `progress`, until `success`;
- for orders: `query` answers the site's orders XML, `success` confirms 1C took them, then `file` (and `import`
  in the newer protocol) sends 1C's orders back.
"""

from __future__ import annotations

import io
import socket
import time
import zipfile
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

import requests

TIMEOUT = 30.0


class ExchangeFailure(RuntimeError):
    """The site answered `failure` (or something 1C cannot read); `reason` is its second line."""

    def __init__(self, mode: str, reason: str, status: int = 200) -> None:
        super().__init__(f"{mode}: {reason}")
        self.mode, self.reason, self.status = mode, reason, status


@dataclass
class InitAnswer:
    zip: bool
    file_limit: int
    sessid: str = ""
    version: str = ""


@dataclass
class Transcript:
    """What happened, call by call (mode, filename, first answer line)."""

    calls: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, mode: str, filename: str, first: str) -> None:
        self.calls.append((mode, filename, first))


def decode_answer(response: requests.Response) -> list[str]:
    """The answer's lines: 1C-Bitrix answers in windows-1251 and says so; UTF-8 when the site declares it."""
    charset = (response.encoding or "windows-1251").lower()
    try:
        text = response.content.decode(charset)
    except (LookupError, UnicodeDecodeError):
        text = response.content.decode("windows-1251", errors="replace")
    return [line.rstrip("\r") for line in text.split("\n")]


class NodeSession:
    """One exchange session with a site, as 1C's node runs it."""

    def __init__(self, url: str, login: str, password: str, *, timeout: float = TIMEOUT,
                 transcript: Transcript | None = None) -> None:
        self.url = url
        self.login, self.password = login, password
        self.timeout = timeout
        self.http = requests.Session()
        self.cookie: tuple[str, str] | None = None
        self.sessid = ""
        self.transcript = transcript or Transcript()

    def close(self) -> None:
        self.http.close()

    def _params(self, kind: str, mode: str, **extra: str) -> dict:
        params = {"type": kind, "mode": mode, **extra}
        if self.sessid and mode != "checkauth":
            params["sessid"] = self.sessid
        return params

    def _cookies(self) -> dict:
        return {self.cookie[0]: self.cookie[1]} if self.cookie else {}

    def _lines(self, response: requests.Response, mode: str, filename: str = "") -> list[str]:
        if response.status_code != 200:
            self.transcript.add(mode, filename, f"HTTP {response.status_code}")
            raise ExchangeFailure(mode, f"HTTP {response.status_code}", response.status_code)
        lines = decode_answer(response)
        self.transcript.add(mode, filename, lines[0] if lines else "")
        if not lines or lines[0] == "failure":
            raise ExchangeFailure(mode, lines[1] if len(lines) > 1 else "")
        return lines

    def checkauth(self, kind: str) -> None:
        response = self.http.get(self.url, params=self._params(kind, "checkauth"), auth=(self.login, self.password),
                                 timeout=self.timeout)
        lines = self._lines(response, "checkauth")
        if lines[0] != "success" or len(lines) < 3:
            raise ExchangeFailure("checkauth", "unexpected answer: " + " | ".join(lines[:3]))
        self.cookie = (lines[1], lines[2])
        for line in lines[3:]:
            if line.startswith("sessid="):
                self.sessid = line.split("=", 1)[1]

    def init(self, kind: str, version: str = "") -> InitAnswer:
        extra = {"version": version} if version else {}
        response = self.http.get(self.url, params=self._params(kind, "init", **extra), cookies=self._cookies(),
                                 timeout=self.timeout)
        values = {}
        for line in self._lines(response, "init"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
        if "sessid" in values:
            self.sessid = values["sessid"]
        return InitAnswer(zip=values.get("zip") == "yes", file_limit=int(values.get("file_limit") or 0),
                          sessid=values.get("sessid", ""), version=values.get("version", ""))

    def send_chunk(self, kind: str, filename: str, data: bytes) -> None:
        response = self.http.post(self.url, params=self._params(kind, "file", filename=filename), data=data,
                                  cookies=self._cookies(), timeout=self.timeout,
                                  headers={"Content-Type": "application/octet-stream"})
        lines = self._lines(response, "file", filename)
        if lines[0] != "success":
            raise ExchangeFailure("file", "unexpected answer: " + lines[0])

    def drop_chunk(self, kind: str, filename: str, data: bytes) -> None:
        """Send a chunk's headers and half of its body, then close the connection: what a line that breaks
        mid-request leaves the site (plain HTTP only)."""
        parts = urlsplit(self.url)
        query = urlencode(self._params(kind, "file", filename=filename))
        cookie = f"Cookie: {self.cookie[0]}={self.cookie[1]}\r\n" if self.cookie else ""
        head = (f"POST {parts.path}?{query} HTTP/1.1\r\nHost: {parts.netloc}\r\n{cookie}"
                f"Content-Type: application/octet-stream\r\nContent-Length: {len(data)}\r\n\r\n")
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=self.timeout) as sock:
            sock.sendall(head.encode("latin-1") + data[: max(1, len(data) // 2)])
        self.transcript.add("file", filename, "dropped")
        time.sleep(0.2)  # the site notices the closed connection

    def send_file(self, kind: str, filename: str, data: bytes, chunk: int) -> int:
        """The file in chunks of at most `chunk` bytes; returns the number of calls."""
        calls = 0
        for start in range(0, max(len(data), 1), chunk):
            self.send_chunk(kind, filename, data[start:start + chunk])
            calls += 1
        return calls

    def import_file(self, kind: str, filename: str, *, poll: float = 0.2, timeout: float = 120.0) -> list[str]:
        """`import` for one file until `success`; every `progress` line seen is returned."""
        seen = []
        deadline = time.monotonic() + timeout
        while True:
            response = self.http.get(self.url, params=self._params(kind, "import", filename=filename),
                                     cookies=self._cookies(), timeout=self.timeout)
            lines = self._lines(response, "import", filename)
            if lines[0] == "success":
                return seen
            if lines[0] != "progress":
                raise ExchangeFailure("import", "unexpected answer: " + lines[0])
            seen.append(lines[1] if len(lines) > 1 else "")
            if time.monotonic() > deadline:
                raise ExchangeFailure("import", f"still in progress after {timeout:.0f} s")
            time.sleep(poll)

    def command(self, kind: str, mode: str) -> list[str]:
        response = self.http.get(self.url, params=self._params(kind, mode), cookies=self._cookies(),
                                 timeout=self.timeout)
        return self._lines(response, mode)

    def query(self) -> bytes:
        response = self.http.get(self.url, params=self._params("sale", "query"), cookies=self._cookies(),
                                 timeout=self.timeout)
        if response.status_code != 200:
            raise ExchangeFailure("query", f"HTTP {response.status_code}", response.status_code)
        if response.content.lstrip().startswith(b"failure"):
            lines = decode_answer(response)
            self.transcript.add("query", "", "failure")
            raise ExchangeFailure("query", lines[1] if len(lines) > 1 else "")
        self.transcript.add("query", "", "xml")
        return response.content


def zip_files(files: dict[str, bytes]) -> bytes:
    """One archive of the exchange's files, as 1C packs them when the site answered zip=yes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()
