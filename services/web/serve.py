"""`python -m dashboard` / `python -m streaming_dashboard`: serve an app with werkzeug,
threaded, on the host and port from its settings unless --host/--port say otherwise."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from flask import Flask
from werkzeug.serving import run_simple

from services.common import settings as s
from services.common.cli import LOG_LEVELS, ArgumentParser, configure_logging


def serve_main(argv: Sequence[str] | None, *, prog: str, description: str,
               create_app: Callable[[], Flask]) -> int:
    parser = ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", type=s.host, help="interface to listen on "
                        "(default: the *_HOST setting, 127.0.0.1; 0.0.0.0 in containers)")
    parser.add_argument("--port", type=s.port, help="port (default: the *_PORT setting)")
    parser.add_argument("--log-level", default="INFO", choices=LOG_LEVELS,
                        help="DEBUG also logs every request")
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    if args.log_level != "DEBUG":  # one line per poll would drown everything else
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app()
    settings = app.config["SETTINGS"]
    host = args.host or settings.host
    port = settings.port if args.port is None else args.port
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    print(f"{description} on http://{shown}:{port}/ (Ctrl-C stops it)", flush=True)
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    return 0

