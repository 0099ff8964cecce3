"""Small HTTP listeners on loopback for the hostile-portal tests: an "internal" service that must never be reached
through the app, and an "attacker" server that records what the app sends it and answers as told."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Listener:
    """One loopback HTTP server. `answer` is (status, headers, body) for every request; `seen` what arrived."""

    answer: tuple[int, dict[str, str], bytes] = (200, {}, b"ok")
    seen: list[Seen] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Listener:
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                listener.seen.append(Seen(self.command, self.path, {k: v for k, v in self.headers.items()}))
                status, headers, body = listener.answer
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any  # noqa: N815

            def log_message(self, *args) -> None:  # noqa: ANN002 - quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
