"""Loopback networking for local engines: free ports, taken ports, JSON over HTTP.

Everything binds 127.0.0.1 so a demo never exposes an engine to the network.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from services.infra.errors import PortInUseError

HOST = "127.0.0.1"

# Proxies from the environment must never see loopback requests.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


# Free ports are picked below the kernel's ephemeral range: a JVM takes seconds to bind its
# ports, and in that time an outgoing connection could be given an ephemeral one.
LOWEST_PORT = 20000


def _ephemeral_low(path: Path = Path("/proc/sys/net/ipv4/ip_local_port_range")) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_ports(count: int, rng: random.Random | None = None) -> list[int]:
    """`count` distinct ports that are free right now, below the ephemeral range when it
    leaves room (else any the kernel offers). Sockets stay bound until all are picked."""
    rng = rng or random.Random()
    high = _ephemeral_low()
    sockets: list[socket.socket] = []
    try:
        for _ in range(count * 50):
            if len(sockets) == count:
                break
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                sock.bind((HOST, rng.randrange(LOWEST_PORT, high) if high - LOWEST_PORT > 999
                           else 0))
            except OSError:
                sock.close()
                continue
            sockets.append(sock)
        if len(sockets) < count:
            raise OSError(f"could not find {count} free ports on {HOST}")
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_is_free(port: int) -> bool:
    """True when nothing holds `port` on 127.0.0.1 (a listener on 0.0.0.0 counts as holding)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def require_free(ports: Mapping[str, int]) -> None:
    """Fail before launching anything if a port is taken, naming the port and its purpose."""
    for purpose, port in ports.items():
        if not port_is_free(port):
            raise PortInUseError(port, purpose)


def is_listening(port: int, timeout: float = 0.5, host: str = HOST) -> bool:
    """True when something accepts TCP connections on `host`:`port` (loopback by default)."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def get_json(url: str, timeout: float = 2.0) -> Any | None:
    """The JSON body at `url`, or None while the server is not (yet) answering with JSON."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return json.loads(response.read().decode("utf-8"))
    except (OSError, urllib.error.URLError, ValueError):
        return None
