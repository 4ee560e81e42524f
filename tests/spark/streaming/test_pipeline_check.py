"""The three halves of "test a pipeline" agree on a real broker and real Spark: the producer
sends a seeded stream with every fault and records the answer, our streaming job reads it in
many small micro-batches (stopped and restarted half-way), and sdp-verify finds every closed
window right; the job's ledger accounts for what the producer's ledger says it sent."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest

from services.common.cli import run as run_cli
from services.outputs import StreamOutputs
from services.schema import MALFORMED_KINDS, load_schema
from services.spark.streaming_job import STATE_STORE_CONF, STATE_STORES, StreamJobSettings, start
from services.streamcheck.cli import main as verify_main
from tests.kafka.test_broker import produce
from tests.polling import poll
from tests.schemas import CARD, RETAIL, generate
from tests.topics import unique_topic

pytestmark = [pytest.mark.kafka, pytest.mark.spark]

FAULTS = json.dumps({"out_of_order": "2 minutes", "late": {"p": 0.05, "max": "10 minutes"},
                     "too_late": {"p": 0.02}, "duplicates": {"p": 0.05, "max": "2 minutes"},
                     "malformed": {"p": 0.03}})
ROWS = 1500


def verify(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = run_cli(verify_main, list(args))
    return code, out.getvalue()


def job_status(conf: StreamJobSettings) -> dict:
    return json.loads(StreamOutputs(Path(conf.output_path)).status_file.read_text())


@pytest.mark.parametrize(("mode", "store"), [("schema", "hdfs"), ("retail", "rocksdb")])
def test_a_faulty_stream_through_our_job_verifies(spark, kafka_broker, tmp_path, mode, store):
    bootstrap, topic = kafka_broker.bootstrap_servers, unique_topic(f"check-{mode}")
    schema = CARD if mode == "schema" else RETAIL
    extract = generate(schema, tmp_path / "input", ROWS, seed=11)
    config = ["--config", str(schema)] if mode == "schema" else []
    code, totals, _ = produce(bootstrap, topic, "--input-dir", str(extract), "--rate", "0",
                              *config, "--seed", "5", "--faults", FAULTS,
                              "--expect", str(tmp_path / "expected"))
    assert code == 0, totals
    sent = json.loads((tmp_path / "expected" / "ledger.json").read_text())["ledger"]
    assert sent["duplicates"] > 0 and sent["too_late"] > 0
    assert set(sent["malformed"]) == set(MALFORMED_KINDS)

    env = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC": topic,
           "OUTPUT_PATH": str(tmp_path / "out" / "stream"), "CHECKPOINT_DIR": str(tmp_path / "ck"),
           "STREAM_TRIGGER_INTERVAL": "100 milliseconds", "STARTING_OFFSETS": "earliest",
           "STREAM_LIVE_VIEW": "false", "STREAM_MAX_OFFSETS_PER_TRIGGER": "300",
           "STREAM_MODE": mode, "STREAM_STATE_STORE": store}
    if mode == "schema":
        env["SCHEMA_CONFIG_PATH"] = str(schema)
    conf = StreamJobSettings.from_env(env)
    dataset = load_schema(schema) if mode == "schema" else None
    pipeline = start(spark, conf, dataset)
    assert spark.conf.get(STATE_STORE_CONF) == STATE_STORES[store]
    try:
        poll("a few micro-batches", lambda: job_status(conf)["batch_id"],
             until=lambda batch: batch >= 2, timeout=120, ignoring=(OSError, ValueError))
    finally:
        pipeline.stop()
    assert 0 < job_status(conf)["ledger"]["read"] < sent["sent"]
    pipeline = start(spark, conf, dataset)
    try:
        for query in pipeline.queries:
            query.processAllAvailable()
            assert query.exception() is None
    finally:
        pipeline.stop()

    ledger = job_status(conf)["ledger"]
    assert ledger["balanced"] is True and ledger["missed_batches"] == 0
    assert ledger["read"] == sent["sent"]
    assert ledger["quarantined_by_reason"] == sent["malformed"]
    assert ledger["counted"] + ledger["duplicates"] + ledger["late"] == sent["sent"] - sum(
        sent["malformed"].values())
    assert sent["events"] - sent["too_late"] <= ledger["counted"] <= sent["events"]

    # what the job has closed: every window ending by its watermark (the rest are open)
    code, report = verify(str(conf.output_path), "--expected", str(tmp_path / "expected"),
                          "--closed-before", job_status(conf)["watermark"])
    assert code == 0, report
    verified = re.search(r"RIGHT: verified (\d+) of (\d+) windows", report)
    assert verified, report
    assert int(verified[1]) == int(verified[2]) > 10
