"""A real generator process and real signals: SIGTERM and Ctrl-C stop a run and remove its
temporary files; after SIGKILL the next run removes what the dead one left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from services.common.paths import REPO_ROOT
from tests.polling import poll
from tests.schemas import CARD

SCRIPT = REPO_ROOT / "services/batch/generate_synthetic_data.py"
BIG = "5000000"  # minutes of work: a signal always finds the run writing


def start(out: Path, workers: int, rows: str = BIG) -> subprocess.Popen:
    """The generator in a session of its own (as a terminal runs it), SIGINT not ignored
    even when the tests run in the background."""
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), "--config", str(CARD), "--out", str(out), "--n", rows,
         "--workers", str(workers), "--no-progress", "--seed", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def writing(run: subprocess.Popen, folder: Path) -> list[Path]:
    """Wait until the run's temporary file holds data (its workers started, if any)."""
    def temporaries() -> list[Path]:
        assert run.poll() is None, run.communicate()
        return [p for p in folder.glob(f".*-{run.pid}@*") if p.is_file() and p.stat().st_size]
    return poll("the run's temporary file to fill", temporaries, timeout=120)


def workers_of(run: subprocess.Popen, count: int) -> list[psutil.Process]:
    """The worker processes the pool started (and the resource tracker, if any)."""
    def children() -> list[psutil.Process]:
        return psutil.Process(run.pid).children(recursive=True)
    return poll(f"{count} worker(s) to start", children,
                until=lambda found: len(found) >= count) if count else []


def assert_all_ended(processes: list[psutil.Process]) -> None:
    _, alive = psutil.wait_procs(processes, timeout=30)
    for process in alive:
        process.kill()
    assert not alive, f"survived the run: {alive}"


@pytest.mark.slow
@pytest.mark.parametrize("how,workers", [("SIGTERM", 1), ("SIGTERM", 2), ("Ctrl-C", 2)])
def test_a_stop_signal_ends_the_run_cleanly_and_removes_its_temporary_files(
        tmp_path, how, workers):
    out = tmp_path / "out" / "cards.csv"
    out.parent.mkdir()
    (out.parent / "earlier.csv").write_text("a\n1\n")
    run = start(out, workers)
    try:
        writing(run, out.parent)
        children = workers_of(run, workers if workers > 1 else 0)
        if how == "SIGTERM":
            run.send_signal(signal.SIGTERM)  # kill PID, docker stop
        else:
            os.killpg(run.pid, signal.SIGINT)  # a terminal's Ctrl-C reaches the whole group
        _, err = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, err
    assert err.strip() == "interrupted"
    assert sorted(p.name for p in out.parent.iterdir()) == ["earlier.csv"]
    assert_all_ended(children)


@pytest.mark.slow
def test_after_sigkill_the_next_run_removes_what_the_dead_run_left(tmp_path):
    out = tmp_path / "cards.csv"
    run = start(out, workers=2)
    try:
        writing(run, tmp_path)
        children = workers_of(run, 2)
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert_all_ended(children)  # the workers see their parent gone and end
    left = sorted(p.name for p in tmp_path.iterdir())
    assert {n.split("-")[0] for n in left} == {".cards.csv.tmp", ".cards.csv.scratch"}, left
    again = start(out, workers=1, rows="100")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_entities", "cards.csv"]
