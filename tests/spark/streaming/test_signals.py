"""Ctrl-C and `timeout` on the streaming job, for real: SIGINT then SIGTERM sent to the whole
process group (the JVM included, as a terminal does), a clean exit without a traceback, no
process left behind, and a restart on the same checkpoint that goes on: every window exactly
once, with the events of both runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import psutil
import pytest

from services.common.paths import REPO_ROOT
from services.outputs import StreamOutputs
from tests.polling import poll
from tests.spark.streaming.windows import compare, expected_windows, sink_rows
from tests.topics import send
from tests.topics import unique_topic as topic_name

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.slow]
SCRIPT = REPO_ROOT / "services/streaming/streaming_sales_aggregator.py"
PRODUCTS = ("Latte", "Mug", "Bagel")


def orders(start: str, hours: int) -> pd.DataFrame:
    """An order every 5 minutes, products and amounts cycling, in event-time order."""
    times = pd.date_range(start, periods=hours * 12, freq="5min")
    return pd.DataFrame({
        "product": [PRODUCTS[i % 3] for i in range(len(times))],
        "quantity": [1 + i % 4 for i in range(len(times))],
        "unit_price": [round(1.25 + (i % 7) * 0.5, 2) for i in range(len(times))],
        "order_time": times.strftime("%Y-%m-%dT%H:%M:%S"),
    })


def payloads(frame: pd.DataFrame) -> list[dict]:
    return [{**row, "quantity": str(row["quantity"]), "unit_price": str(row["unit_price"])}
            for row in frame.to_dict(orient="records")]


def status(outputs: StreamOutputs) -> dict:
    try:
        return json.loads(outputs.status_file.read_text())
    except (OSError, ValueError):
        return {}


class Job:
    """The job as a terminal runs it: its own process group, output to a log file."""

    def __init__(self, env: dict[str, str], log: Path):
        self.log = log
        with log.open("w") as handle:
            self.process = subprocess.Popen(
                [sys.executable, str(SCRIPT)], stdout=handle, stderr=subprocess.STDOUT,
                env={**os.environ, "PYSPARK_PYTHON": sys.executable,
                     "SPARK_LOCAL_IP": "127.0.0.1", **env},
                start_new_session=True)
        self.family: list[psutil.Process] = []

    def stop(self, sig: signal.Signals) -> str:
        """Signal the whole group, as Ctrl-C or `timeout` does; the exit code and the log."""
        driver = psutil.Process(self.process.pid)
        self.family = [driver, *driver.children(recursive=True)]
        assert any("java" in p.name() for p in self.family[1:]), "no JVM under the driver"
        os.killpg(self.process.pid, sig)
        code = self.process.wait(timeout=120)
        _, alive = psutil.wait_procs(self.family, timeout=60)
        assert not alive, f"left running after {sig.name}: {alive}"
        assert code == 0, self.log.read_text()[-3000:]
        return self.log.read_text()

    def kill(self) -> None:
        """After a failed test: nothing of ours keeps running."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        for proc in self.family:
            if proc.is_running():
                proc.kill()


def assert_clean(text: str, sig: signal.Signals) -> None:
    assert f"stopped by signal ({sig.name})" in text, text[-3000:]
    for noise in ("Traceback", "Py4J", "py4j", "Answer from Java side", "Exception in thread"):
        assert noise not in text, f"{noise!r} in the job's output:\n{text[-5000:]}"


def test_sigint_then_sigterm_stop_cleanly_and_the_restart_goes_on(kafka_broker, tmp_path):
    first, second = orders("2025-05-01T10:00:00", 3), orders("2025-05-01T13:00:00", 3)
    sentinel = {"product": "~sentinel", "quantity": "1", "unit_price": "1",
                "order_time": "2025-05-02T13:00:00"}  # moves the watermark past every window
    topic = topic_name("signals")
    out = tmp_path / "out" / "stream"
    outputs = StreamOutputs(out)
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap_servers, "KAFKA_TOPIC": topic,
           "OUTPUT_PATH": str(out), "CHECKPOINT_DIR": str(tmp_path / "ckpt"),
           "STREAM_TRIGGER_INTERVAL": "1 second", "STARTING_OFFSETS": "earliest",
           "SPARK_SHUFFLE_PARTITIONS": "2"}
    send(kafka_broker.bootstrap_servers, topic, payloads(first))

    job = Job(env, tmp_path / "first.log")
    try:
        poll("a micro-batch with closed windows (batch id, windows in the sink)",
             lambda: (status(outputs).get("batch_id", -1), len(sink_rows(out))),
             until=lambda seen: seen[0] >= 1 and seen[1] > 0, timeout=240)
        run_id = status(outputs)["run_id"]
        assert_clean(job.stop(signal.SIGINT), signal.SIGINT)
    finally:
        job.kill()
    before = sink_rows(out)

    send(kafka_broker.bootstrap_servers, topic, [*payloads(second), sentinel])
    both = pd.concat([first, second], ignore_index=True)
    both["line_amount"] = (both["quantity"] * both["unit_price"]).round(2)
    expected = expected_windows(both, "product", "order_time", "line_amount")
    job = Job(env, tmp_path / "second.log")
    try:
        poll(f"the restarted job to close all {len(expected)} windows (new run, windows)",
             lambda: (status(outputs).get("run_id") not in (None, run_id),
                      len(sink_rows(out).query("product != '~sentinel'"))),
             until=lambda seen: seen[0] and seen[1] >= len(expected), timeout=240)
        assert_clean(job.stop(signal.SIGTERM), signal.SIGTERM)
    finally:
        job.kill()

    after = sink_rows(out)
    got = after[after["product"] != "~sentinel"]
    compare(expected, got, "product")  # every window once, events of both runs counted once
    assert 0 < len(before) < len(got)
    ledger = status(outputs)["ledger"]  # every event of both runs, each counted once
    assert (ledger["read"], ledger["counted"], ledger["balanced"]) == (
        len(first) + len(second) + 1, len(first) + len(second) + 1, True)
