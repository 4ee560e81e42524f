"""Container healthcheck for the Python images, which have no curl or wget.

    healthcheck.py http://localhost:5000/healthz   healthy when the URL answers 2xx
    healthcheck.py tcp://kafka:9092                 healthy when the port accepts a connection

Exit code 0 healthy, 1 not (the reason goes to stderr, which `docker inspect` shows).
"""

from __future__ import annotations

import socket
import sys
import urllib.request
from collections.abc import Sequence
from urllib.parse import urlparse

TIMEOUT = 5.0


def probe(target: str) -> str | None:
    """None when healthy, else why not."""
    url = urlparse(target)
    try:
        if url.scheme in ("http", "https"):
            with urllib.request.urlopen(target, timeout=TIMEOUT) as response:
                return None if 200 <= response.status < 300 else f"HTTP {response.status}"
        if url.scheme == "tcp" and url.hostname and url.port:
            socket.create_connection((url.hostname, url.port), timeout=TIMEOUT).close()
            return None
    except OSError as exc:
        return f"{target}: {exc}"
    return f"unsupported target {target!r}: use http(s)://host:port/path or tcp://host:port"


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    problem = probe(args[0])
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
