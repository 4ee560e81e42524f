"""The streaming job against the real broker and real Spark: exact windows for both kinds of
events, exactly once across restarts (including kill -9). Late, duplicate and poison events:
test_faults.py."""

from __future__ import annotations

import contextlib
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
from services.generator import generate_table
from services.infra import process
from services.outputs import StreamOutputs
from services.schema import load_schema
from services.spark.streaming_job import StreamJobSettings, start
from tests.polling import poll
from tests.schemas import CARD as CARD_PATH
from tests.schemas import RETAIL as RETAIL_PATH
from tests.spark.streaming.windows import compare, expected_windows, sink_rows
from tests.topics import send
from tests.topics import unique_topic as topic_name

pytestmark = [pytest.mark.kafka, pytest.mark.spark]
SCRIPT = REPO_ROOT / "services/streaming/streaming_sales_aggregator.py"


def events_of(schema: Path, rows: int, seed: int) -> pd.DataFrame:
    """Generated rows as the producer would send them (ISO times), in event-time order."""
    dataset = load_schema(schema)
    frame = generate_table(dataset, seed, rows).to_pandas()
    ts = dataset.analysis.timestamp_field
    frame[ts] = frame[ts].dt.strftime("%Y-%m-%dT%H:%M:%S")
    return frame.sort_values(ts, kind="stable").reset_index(drop=True)


def sentinel(frame: pd.DataFrame, ts: str, group: str) -> dict:
    """One event a day after the rest: it moves the watermark past every real window."""
    last = frame.iloc[-1].to_dict()
    later = pd.Timestamp(last[ts]) + pd.Timedelta(days=1)
    return {**last, ts: later.strftime("%Y-%m-%dT%H:%M:%S"), group: "~sentinel"}


def read_status(path: Path) -> dict:
    """The status file's content; empty until the first batch has written it."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return {}


def settings(tmp: Path, bootstrap: str, topic: str, **extra: str) -> StreamJobSettings:
    return StreamJobSettings.from_env({
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC": topic,
        "OUTPUT_PATH": str(tmp / "out" / "stream"), "CHECKPOINT_DIR": str(tmp / "ckpt"),
        "STREAM_TRIGGER_INTERVAL": "1 second", "STARTING_OFFSETS": "earliest", **extra})


def records(frame: pd.DataFrame) -> list[dict]:
    return json.loads(frame.to_json(orient="records"))


def run_until_closed(spark, conf: StreamJobSettings, dataset, expected: pd.DataFrame,
                     group: str) -> pd.DataFrame:
    pipeline = start(spark, conf, dataset)
    try:
        out = Path(conf.output_path)
        poll("every window to close", lambda: len(sink_rows(out)),
             until=lambda rows: rows >= len(expected), timeout=180)
        pipeline.main.processAllAvailable()
        got = sink_rows(out)
        assert pipeline.main.exception() is None
        return got[got[group] != "~sentinel"]
    finally:
        pipeline.stop()


def test_card_events_match_batch_windows_exactly(spark, kafka_broker, tmp_path):
    frame = events_of(CARD_PATH, 4000, seed=11)
    topic = topic_name("cards")
    send(kafka_broker.bootstrap_servers, topic,
         [*records(frame), sentinel(frame, "event_time", "city")])
    conf = settings(tmp_path, kafka_broker.bootstrap_servers, topic,
                    SCHEMA_CONFIG_PATH=str(CARD_PATH))
    expected = expected_windows(frame, "city", "event_time", "amount")
    got = run_until_closed(spark, conf, load_schema(CARD_PATH), expected, "city")
    compare(expected, got, "city")
    status = json.loads(StreamOutputs(Path(conf.output_path)).status_file.read_text())
    assert status["mode"] == "schema" and status["group_field"] == "city"
    live = json.loads(StreamOutputs(Path(conf.output_path)).live_file.read_text())
    assert live["provisional"] is True
    assert {w["city"] for w in live["windows"]} <= {"~sentinel"}


def test_retail_orders_match_batch_windows_exactly(spark, kafka_broker, tmp_path):
    frame = events_of(RETAIL_PATH, 3000, seed=12)
    topic = topic_name("orders")
    send(kafka_broker.bootstrap_servers, topic,
         [*records(frame), sentinel(frame, "order_time", "product")])
    conf = settings(tmp_path, kafka_broker.bootstrap_servers, topic)
    assert conf.mode == "retail"
    frame["line_amount"] = (frame["quantity"] * frame["unit_price"]).round(2)
    expected = expected_windows(frame, "product", "order_time", "line_amount")
    got = run_until_closed(spark, conf, None, expected, "product")
    compare(expected, got, "product")


def kill_9(pid: int) -> list[psutil.Process]:
    """SIGKILL a session leader and everything it spawned (the driver's JVM, Python workers)
    as a crash would: the whole group at once, then each descendant seen before (in case one
    left the group). Any of them may exit on its own meanwhile. Returns the descendants."""
    driver = psutil.Process(pid)
    family = [driver]
    with contextlib.suppress(psutil.NoSuchProcess):
        family += driver.children(recursive=True)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    for proc in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    return family


def launch(env: dict[str, str], log: Path) -> subprocess.Popen:
    handle = log.open("a")
    return subprocess.Popen([sys.executable, str(SCRIPT)], env={
        **os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1", **env},
        stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.mark.slow
def test_exactly_once_across_kill_9_and_restart(kafka_broker, tmp_path):
    frame = events_of(CARD_PATH, 3000, seed=13)
    topic = topic_name("restart")
    send(kafka_broker.bootstrap_servers, topic,
         [*records(frame), sentinel(frame, "event_time", "city")])
    out = tmp_path / "out" / "stream"
    env = {"KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap_servers, "KAFKA_TOPIC": topic,
           "OUTPUT_PATH": str(out), "CHECKPOINT_DIR": str(tmp_path / "ckpt"),
           "STREAM_TRIGGER_INTERVAL": "1 second", "STARTING_OFFSETS": "earliest",
           "STREAM_MAX_OFFSETS_PER_TRIGGER": "500", "SCHEMA_CONFIG_PATH": str(CARD_PATH),
           "SPARK_SHUFFLE_PARTITIONS": "2", "STREAM_LIVE_VIEW": "false"}
    status = StreamOutputs(out).status_file
    log = tmp_path / "stream.log"
    first = launch(env, log)
    try:
        poll("a few micro-batches", lambda: read_status(status).get("batch_id"),
             until=lambda batch: (batch or 0) >= 2, timeout=240)
        family = kill_9(first.pid)
        first.wait(timeout=30)
        survivors = process.wait_gone(family, timeout=60)
        assert not survivors, f"still running after SIGKILL: {survivors}"
        partial = sink_rows(out)
        assert len(partial) < len(expected_windows(frame, "city", "event_time", "amount"))
    finally:
        if first.poll() is None:
            first.kill()
    second = launch(env, log)
    try:
        expected = expected_windows(frame, "city", "event_time", "amount")
        poll("the restarted job to finish", lambda: len(sink_rows(out)),
             until=lambda rows: rows >= len(expected), timeout=300)
        got = sink_rows(out)
        compare(expected, got[got["city"] != "~sentinel"], "city")
        os.kill(second.pid, signal.SIGTERM)
        assert second.wait(timeout=120) == 0, log.read_text()[-3000:]
    finally:
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)


@pytest.mark.slow
def test_a_failing_query_exits_1_with_its_cause(kafka_broker, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    log = tmp_path / "fail.log"
    job = launch({"KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap_servers,
                  "KAFKA_TOPIC": topic_name("fail"), "OUTPUT_PATH": str(blocker / "out"),
                  "CHECKPOINT_DIR": str(tmp_path / "ckpt"),
                  "STREAM_TRIGGER_INTERVAL": "1 second"}, log)
    try:
        assert job.wait(timeout=240) == 1
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
    text = log.read_text()
    assert "streaming job failed" in text and "Traceback" not in text
