"""The shells' log handler: one line per message, no library traceback chatter."""

from __future__ import annotations

import logging
import os

import pytest

from services.common.cli import configure_logging


def py4j_record(level: int) -> logging.LogRecord:
    path = os.sep.join(["", "venv", "site-packages", "py4j", "java_gateway.py"])
    try:
        raise ConnectionResetError(104, "Connection reset by peer")
    except ConnectionResetError as exc:
        info = (type(exc), exc, exc.__traceback__)
    return logging.LogRecord("root", level, path, 1056, "Exception while sending command.",
                             None, info)


@pytest.fixture
def restore_root():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_py4j_connection_chatter_stays_off_stderr(restore_root, capsys):
    configure_logging("INFO")
    logging.getLogger().handle(py4j_record(logging.INFO))
    logging.getLogger("services.x").info("kept")
    err = capsys.readouterr().err
    assert "Traceback" not in err and "Exception while sending" not in err
    assert err.count("\n") == 1 and "kept" in err


def test_py4j_warnings_and_debug_runs_keep_it(restore_root, capsys):
    configure_logging("INFO")
    logging.getLogger().handle(py4j_record(logging.WARNING))
    assert "Exception while sending command." in capsys.readouterr().err
    configure_logging("DEBUG")
    logging.getLogger().handle(py4j_record(logging.INFO))
    assert "ConnectionResetError" in capsys.readouterr().err
