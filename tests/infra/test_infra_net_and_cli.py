"""Loopback ports and the command line's contract, without engines."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from services.common.cli import run
from services.infra import cli, net
from services.infra.errors import PortInUseError


def test_free_ports_are_distinct_free_and_below_the_ephemeral_range() -> None:
    ports = net.free_ports(5)
    assert len(set(ports)) == 5
    assert all(net.port_is_free(p) for p in ports)
    assert all(net.LOWEST_PORT <= p < net._ephemeral_low() for p in ports)


def test_a_taken_port_is_named_in_the_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        assert not net.port_is_free(port)
        assert net.is_listening(port)
        with pytest.raises(PortInUseError, match=rf"port {port} .*\(kafka broker port\)"):
            net.require_free({"kafka broker port": port})


def test_get_json_is_none_while_nothing_answers() -> None:
    port = net.free_ports(1)[0]
    assert net.get_json(f"http://127.0.0.1:{port}/json/", timeout=0.5) is None


def test_status_of_a_fresh_state_dir_is_not_running(tmp_path: Path, capsys) -> None:
    assert run(cli.main, ["kafka", "status", "--state-dir", str(tmp_path)]) == cli.NOT_RUNNING
    out = json.loads(capsys.readouterr().out)
    assert out == {"engine": "kafka", "running": False, "state_dir": str(tmp_path), "pids": {}}


def test_stop_when_nothing_runs_is_harmless(tmp_path: Path, capsys) -> None:
    assert run(cli.main, ["hdfs", "stop", "--state-dir", str(tmp_path)]) == 0
    assert "was not running" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["kafka", "restart"], ["mongo", "start"],
                                  ["spark", "start", "--port", "70000"]])
def test_bad_arguments_exit_2(args: list[str], capsys) -> None:
    assert run(cli.main, args) == 2
    assert capsys.readouterr().err.startswith("error: ")
