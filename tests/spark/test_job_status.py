"""The jobs' status files without Spark: the shell both jobs share records how a run ended
(failed with a one-line reason, stopped, done), and the container probe tells a running run
of this container from a file an earlier run left."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from services.common.cli import UsageError
from services.outputs import JOB_KEYS, PROGRESS_KEYS, job_summary
from services.schema import Problem, SchemaError
from services.spark import job_shell
from services.spark.job_status import JobStatus, main, one_line, probe


def read(path: Path) -> dict:
    return json.loads(path.read_text())


def run_shell(tmp_path: Path, job, returns_in: str = "done") -> tuple[int, dict]:
    status_file = tmp_path / "out_status.json"
    code = job_shell.job_main([], prog="job", title="test job", description="", log_name="t",
                              settings=lambda env: {"status": status_file},
                              run_job=job, status_file=lambda s: s["status"],
                              returns_in=returns_in, stop_spark_on_signal=False)
    return code, read(status_file)


def test_a_job_that_raises_fails_with_its_reason_on_one_line(tmp_path):
    def job(settings, stop, status):
        assert read(settings["status"])["state"] == "starting"
        status.set("running")
        raise RuntimeError("chmod: cannot access '/opt/spark-events/x': No such file\n  at x")

    code, document = run_shell(tmp_path, job)
    assert code == 1
    assert set(JOB_KEYS) <= set(document)
    assert document["state"] == "failed"
    assert document["error"] == "chmod: cannot access '/opt/spark-events/x': No such file"
    assert document["ended_at"] is not None and document["started_at"] <= document["ended_at"]


@pytest.mark.parametrize("error", [UsageError("STREAM_MODE: bad"),
                                   SchemaError([Problem("schema.fields", "none declared")])])
def test_bad_settings_or_schema_are_recorded_and_still_reach_the_shell(tmp_path, error):
    def job(settings, stop, status):
        raise error

    with pytest.raises(type(error)):
        run_shell(tmp_path, job)
    document = read(tmp_path / "out_status.json")
    assert document["state"] == "failed" and document["error"] == one_line(str(error))
    assert "STREAM_MODE: bad" in document["error"] or "none declared" in document["error"]


@pytest.mark.parametrize("returns_in", ["done", "stopped"])
def test_a_run_that_returns_ends_in_the_jobs_own_state(tmp_path, returns_in):
    code, document = run_shell(tmp_path, lambda settings, stop, status: 0, returns_in)
    assert code == 0
    assert document["state"] == returns_in and document["error"] is None
    assert document["ended_at"] is not None


def test_progress_merges_and_an_ended_run_stays_ended(tmp_path):
    path = tmp_path / "status.json"
    status = JobStatus(path)
    status.set("running", batch_id=1, watermark="w1")
    status.set("running", batch_id=2)
    assert read(path)["batch_id"] == 2 and read(path)["watermark"] == "w1"
    status.set("failed", "boom")
    status.set("running", batch_id=3)  # a last progress report after the failure
    document = read(path)
    assert document["state"] == "failed" and document["batch_id"] == 2
    with pytest.raises(ValueError, match="unknown job state"):
        status.set("exploded")


def test_without_a_path_nothing_is_written_and_an_unwritable_one_only_warns(tmp_path, caplog):
    JobStatus(None).set("failed", "x")
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    status = JobStatus(blocked / "status.json")
    status.set("running")
    status.set("failed", "y")
    assert caplog.text.count("cannot write the status file") == 1


def test_one_line_squeezes_and_cuts():
    assert one_line("a\n  b\tc ") == "a b c"
    assert one_line("") == "no reason given"
    cut = one_line("x" * 600, limit=50)
    assert len(cut) == 50 and cut.endswith("...")
    assert one_line("x" * 50, limit=50) == "x" * 50


def test_job_summary_takes_the_job_keys_of_a_known_state():
    document = {"state": "running", "started_at": "s", "batch_id": 3}
    assert job_summary(document) == {"state": "running", "started_at": "s", "ended_at": None,
                                     "error": None, "generated_at": None}
    assert job_summary({"batch_id": 3}) is None  # a status file of an older job
    assert not set(PROGRESS_KEYS) & set(JOB_KEYS)


def iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_the_probe_wants_this_containers_run_running(tmp_path):
    path = tmp_path / "status.json"
    since = time.time() - 60
    assert "does not exist" in probe(path, since)
    path.write_text('{"state": ')
    assert "cannot be read" in probe(path, since)
    path.write_text("[]")
    assert "no JSON object" in probe(path, since)
    for state, started, verdict in [
            ("running", since + 1, None),
            ("running", since - 1, None),  # within the slack
            ("running", since - 10, "earlier run"),
            ("starting", since + 1, "the job is starting"),
            ("failed", since + 1, "the job failed: boom"),
            ("stopped", since + 1, "the job is stopped")]:
        path.write_text(json.dumps({"state": state, "started_at": iso(started), "error": "boom"}))
        problem = probe(path, since)
        assert (problem is None) if verdict is None else (verdict in problem), (state, problem)


def test_the_probe_command(tmp_path, capsys):
    path = tmp_path / "status.json"
    path.write_text(json.dumps({"state": "running", "started_at": iso(time.time())}))
    assert main([str(path)]) == 0
    path.write_text(json.dumps({"state": "failed", "started_at": iso(time.time()),
                                "error": "boom"}))
    assert main([str(path)]) == 1
    assert "the job failed: boom" in capsys.readouterr().err
    assert main([]) == 2
