"""The streaming stack for real: Kafka (KRaft), Spark standalone, the live producer, the
streaming job on the cluster and the dashboard, with the faults users meet: the job's
container killed mid-run and started again, the broker restarted mid-run. Every closed
window must equal a recomputation from the events in the topic, read from the host through
the published port, exactly once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.docker.stacks import Stack, running
from tests.polling import poll
from tests.spark.streaming.windows import compare, expected_windows, in_utc, sink_rows
from tests.topics import read_topic

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1500)]
TOPIC = "sales"
GROUP, TIME, VALUE = "city", "event_time", "amount"
WATERMARK_DELAY = pd.Timedelta(minutes=15)
# Late events (inside the watermark), copies and poison: a correct job counts each event once.
FAULTS = json.dumps({"out_of_order": "1 minute", "late": {"p": 0.05, "max": "5 minutes"},
                     "duplicates": {"p": 0.05}, "malformed": {"p": 0.02}},
                    separators=(",", ":"))
TOTALS = re.compile(r"^totals: sent=(\d+) delivered=(\d+) failed=(\d+)", re.MULTILINE)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


def closed_windows(stack: Stack) -> pd.DataFrame:
    rows = sink_rows(stack.folder("DATA_DIR") / "output" / "streaming_product_revenue")
    return in_utc(rows, "window_start") if len(rows) else rows


def status(stack: Stack) -> dict[str, Any]:
    path = stack.folder("DATA_DIR") / "output" / "streaming_product_revenue_status.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def docker(*args: str) -> None:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def streaming(sdp_image: str, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    with running("streaming", tmp_path_factory.mktemp("streaming-stack"),
                 "streaming-dashboard", EVENTS_PER_SECOND=40,
                 STREAM_TRIGGER_INTERVAL="3 seconds", EVENT_FAULTS=FAULTS) as stack:
        yield stack


def test_windows_survive_a_killed_job_and_a_restarted_broker(streaming: Stack) -> None:
    windows_url = streaming.url("STREAMING_DASHBOARD_PORT", "/api/windows")
    poll("a closed window on the dashboard",
         lambda: (get_json(windows_url).get("data") or {}).get("closed_windows"),
         timeout=300, interval=2, ignoring=(OSError, ValueError))

    # The job dies without a chance to clean up, then starts again on its checkpoint.
    job = streaming.container_id("spark-stream")
    docker("kill", job)
    before = len(closed_windows(streaming))
    docker("start", job)
    poll("new closed windows after the job's restart",
         lambda: len(closed_windows(streaming)) > before, timeout=300, interval=2)

    # The broker restarts under the producer and the job.
    docker("restart", "--time", "10", streaming.container_id("kafka"))
    restarted = status(streaming).get("batch_id", -1)
    poll("batches after the broker's restart",
         lambda: (status(streaming).get("batch_id") or -1) > restarted + 2, timeout=300,
         interval=2)

    # The producer stops (SIGTERM) and prints its final totals; nothing more enters the topic.
    assert streaming.run("stop", "--timeout", "30", "event-generator").returncode == 0
    totals = TOTALS.findall(streaming.logs("event-generator"))
    assert totals, streaming.logs("event-generator")[-2000:]
    sent, delivered, failed = map(int, totals[-1])
    assert failed == 0 and sent == delivered

    bootstrap = f"127.0.0.1:{streaming.port('KAFKA_PORT')}"
    records = read_topic(bootstrap, TOPIC)
    assert len(records) == delivered
    # as a correct job counts them: no poison (keyed poison:...), each copy (same key and
    # bytes) once
    kept = {(r.key, r.value): r for r in records if not r.key.startswith(b"poison:")}
    assert len(records) > len(kept)  # the faults were on
    for partition in {r.partition for r in records}:  # no gap in any partition
        offsets = sorted(r.offset for r in records if r.partition == partition)
        assert offsets == list(range(offsets[0], offsets[0] + len(offsets)))
    events = pd.DataFrame([json.loads(value) for _, value in kept])
    assert not events["event_id"].duplicated().any()

    # Once the job has read everything, its watermark reaches the newest event time less the
    # delay (a batch without data applies it), and every window that watermark closed is in
    # the sink exactly once, equal to the recomputation from the topic.
    events = in_utc(events, TIME)
    expected = expected_windows(events, GROUP, TIME, VALUE)
    final = events[TIME].max() - WATERMARK_DELAY

    def caught_up() -> pd.DataFrame | None:
        state = status(streaming)
        if not state.get("watermark"):
            return None
        watermark = pd.Timestamp(state["watermark"])
        watermark = watermark.tz_convert(None) if watermark.tzinfo else watermark
        if watermark < final.floor("ms"):
            return None
        due = expected[expected["window_end"] <= watermark]
        got = closed_windows(streaming)
        return due if len(got) == len(due) else None

    due = poll("the final watermark and every window it closed in the sink", caught_up,
               until=lambda found: found is not None, timeout=300, interval=2)
    assert status(streaming)["rows_dropped_late"] == 0
    compare(due, closed_windows(streaming), GROUP)

    health = get_json(windows_url)["data"]
    assert health["rows"] == len(due)
    assert health["closed_windows"] == due["window_start"].nunique()

    # The dashboard checks the same windows against the producer's answer, and the job's
    # ledger, kept across its kill, accounts for every message.
    verification = get_json(streaming.url("STREAMING_DASHBOARD_PORT",
                                          "/api/verification"))["data"]
    assert verification["configured"] is True and verification["right"] is True, verification
    assert verification["verified"] == verification["total"] > 0
    ledger = status(streaming)["ledger"]
    assert ledger["duplicates"] > 0 and ledger["quarantined"] > 0
    # a kill between a batch's commit and its report loses that batch's counts, and says so
    if ledger["missed_batches"] == 0:
        assert ledger["read"] == delivered and ledger["balanced"] is True, ledger
    else:
        assert ledger["read"] < delivered and ledger["balanced"] is False, ledger


@pytest.mark.parametrize("service", ["event-generator", "spark-stream", "streaming-dashboard"])
def test_a_bad_dataset_schema_ends_a_service_with_one_clear_line(streaming: Stack,
                                                                 service: str) -> None:
    done = streaming.run("run", "--rm", "--no-deps", "-T", service,
                         env={"DATASET_SCHEMA": "no_such_schema"}, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    errors = [line for line in output.splitlines() if "error:" in line]
    assert len(errors) == 1 and "no_such_schema" in errors[0], output
    assert "Traceback" not in output
    assert Path(streaming.folder("CHECKPOINTS_DIR")).is_dir()



def restart_job(stack: Stack, *files: Path) -> subprocess.CompletedProcess[str]:
    """Remove the job and the dashboard, then `up --wait` the dashboard again (with Compose
    files `files` on top of the stack's)."""
    assert stack.run("rm", "--stop", "--force", "spark-stream",
                     "streaming-dashboard").returncode == 0
    extra = [arg for file in files for arg in ("-f", str(file))]
    return stack.run(*extra, "up", "-d", "--wait", "--wait-timeout", "240",
                     "streaming-dashboard", timeout=300)


def test_up_wait_fails_when_the_job_cannot_start(streaming: Stack) -> None:
    """The job's event-log folder belongs to someone else: the job exits at once, `up --wait`
    fails naming it, and its log holds the one line that says why."""
    events = streaming.folder("SPARK_EVENTS_DIR")
    owner = events.stat()
    os.chown(events, 0, 0)
    try:
        done = restart_job(streaming)
    finally:
        os.chown(events, owner.st_uid, owner.st_gid)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "spark-stream" in output.splitlines()[-1], output
    assert streaming.exit_code("spark-stream") == 2
    lines = [line for line in streaming.logs("spark-stream").splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: cannot write /opt/spark-events")


def test_up_wait_fails_when_the_job_fails_after_it_started(streaming: Stack) -> None:
    """Spark refuses the query well after the container started (the case where a stack used
    to come up healthy around a dead job): `up --wait` waits for the job's first micro-batch,
    so it fails, and the status file and the dashboard say why."""
    override = streaming.root / "bad-offsets.yml"
    override.write_text("services:\n  spark-stream:\n    environment:\n"
                        "      STARTING_OFFSETS: '{\"sales\": not json'\n")
    done = restart_job(streaming, override)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "spark-stream" in output.splitlines()[-1], output
    assert streaming.exit_code("spark-stream") == 1
    state = status(streaming)
    assert state["state"] == "failed" and state["error"], state
    assert "Traceback" not in streaming.logs("spark-stream")
    meta = streaming.url("STREAMING_DASHBOARD_PORT", "/api/meta")
    job = poll("the failed job on the dashboard", lambda: get_json(meta)["data"]["job"],
               until=lambda found: found and found["state"] == "failed", timeout=120,
               interval=1, ignoring=(OSError, ValueError))
    assert job["error"] == state["error"], job
