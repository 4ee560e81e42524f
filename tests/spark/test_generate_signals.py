"""The generator's Spark engine and real signals: after SIGKILL the next run removes the
temporary folder and scratch the dead run left; Ctrl-C ends a run with "interrupted" (not a
Py4J error), exit 130, and nothing left behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from services.common.paths import REPO_ROOT
from services.spark.generate import SCRATCH
from tests.polling import poll
from tests.schemas import CARD

SCRIPT = REPO_ROOT / "services/batch/generate_synthetic_data.py"


def start(out: Path) -> subprocess.Popen:
    """A run of minutes (12 parts), in a session of its own as a terminal runs it."""
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), "--config", str(CARD), "--engine", "spark",
         "--spark-master", "local[1]", "--out", str(out), "--n", "3000000", "--part-blocks",
         "4", "--seed", "1", "--no-progress"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        env={**os.environ, "PYSPARK_PYTHON": sys.executable})


def writing_parts(run: subprocess.Popen, folder: Path) -> Path:
    """The run's temporary folder, once its tasks write parts into it."""
    def temporary() -> list[Path]:
        assert run.poll() is None, run.communicate()
        return [p for p in folder.glob(f".*-{run.pid}@*") if any(p.glob(".part-*"))]
    return poll("a task to write a part", temporary, timeout=240)[0]


def ended(run: subprocess.Popen, sig: int) -> str:
    try:
        os.killpg(run.pid, sig)
        return run.communicate(timeout=120)[1]
    finally:
        if run.poll() is None:
            run.kill()


@pytest.mark.spark
@pytest.mark.slow
def test_a_killed_runs_leftovers_go_and_ctrl_c_says_interrupted(tmp_path):
    out = tmp_path / "cards"
    killed = start(out)
    left = writing_parts(killed, tmp_path)
    ended(killed, signal.SIGKILL)
    scratch = list(SCRATCH.parent.glob(f".{SCRATCH.name}.scratch-{killed.pid}@*"))
    assert left.exists() and scratch  # what SIGKILL leaves: nothing could run

    again = start(out)
    writing_parts(again, tmp_path)
    assert not left.exists() and not any(p.exists() for p in scratch)
    err = ended(again, signal.SIGINT)
    assert again.returncode == 130, err
    assert err.rstrip().splitlines()[-1] == "interrupted"
    assert "Py4J" not in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
    assert not list(SCRATCH.parent.glob(f".{SCRATCH.name}.scratch-{again.pid}@*"))
