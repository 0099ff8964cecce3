"""The app served for real over loopback (werkzeug, threaded), so the sandbox portal can POST to it."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


class _LateApp:
    """WSGI callable whose target is set after the socket is bound (the app needs to know its own URL)."""

    def __init__(self) -> None:
        self.target = None

    def __call__(self, environ, start_response):
        return self.target(environ, start_response)


class AppServer:
    def __init__(self) -> None:
        self._late = _LateApp()
        self._server = make_server("127.0.0.1", 0, self._late, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # A short poll: shutdown() waits up to one poll interval, once per test that serves the app.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def serve(self, app) -> AppServer:
        self._late.target = app
        self._thread.start()
        return self

    def replace(self, app) -> None:
        """Serve another app from now on (the server keeps its address)."""
        self._late.target = app

    def stop(self) -> None:
        # shutdown() waits for serve_forever to notice; a server that never started serving would wait forever.
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
