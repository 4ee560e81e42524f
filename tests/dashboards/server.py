"""An app served for real on 127.0.0.1 and a free port, for browser tests and benchmarks."""

from __future__ import annotations

import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: object, **kwargs: object) -> None:
        """Polling would flood the output."""


class LiveServer:
    """werkzeug's threaded server in a daemon thread; a context manager that stops it."""

    def __init__(self, app: Flask):
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True,
                                                  request_handler=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
