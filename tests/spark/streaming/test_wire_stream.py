"""The streaming job decodes Avro and JSON Schema events by the schema id in each message,
against the real registry, broker and Spark: the same extract (with the same poison) sent
as JSON and as Avro gives the same closed windows and the same ledger; a message whose
schema id the registry does not know is quarantined as unknown_schema, and the job goes on."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from services.common.wire_format import header
from services.kafka.cli import main as producer_main
from services.outputs import StreamOutputs, quarantine_location
from services.schema import load_schema
from services.spark.streaming_job import StreamJobSettings, start
from tests.kafka.producer_script import totals_of
from tests.polling import poll
from tests.schemas import CARD, generate
from tests.spark.streaming.windows import sink_rows
from tests.topics import send_keyed, unique_topic

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.registry, pytest.mark.slow]
ROWS = 1500
FAULTS = json.dumps({"malformed": {"p": 0.03}})
UNKNOWN_ID = 999_999


def extract_with_sentinel(folder: Path) -> int:
    """The card extract, and one event a day after the rest in a second file: it moves the
    watermark past every real window. Returns how many windows that closes, at least."""
    path = generate(CARD, folder, ROWS, seed=21)
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    last = rows.sort_values("event_time").iloc[[-1]].copy()
    last["event_time"] = (pd.Timestamp(last["event_time"].iloc[0])
                          + pd.Timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    last["city"] = "~sentinel"
    last.to_csv(folder / "sentinel.csv", index=False)
    return rows["city"].nunique()


def produce(bootstrap: str, topic: str, folder: Path, *args: str) -> dict[str, float]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = producer_main(["--bootstrap-servers", bootstrap, "--topic", topic,
                              "--input-dir", str(folder), "--rate", "0", "--config", str(CARD),
                              "--faults", FAULTS, "--seed", "5", *args])
    assert code == 0, out.getvalue()
    return totals_of(out.getvalue())


def run_job(spark, tmp: Path, bootstrap: str, topic: str, minimum: int,
            **env: str) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """(closed windows, the ledger, the quarantine) once the job has read the whole topic."""
    conf = StreamJobSettings.from_env({
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC": topic,
        "OUTPUT_PATH": str(tmp / "out" / "stream"), "CHECKPOINT_DIR": str(tmp / "ckpt"),
        "STREAM_TRIGGER_INTERVAL": "1 second", "STARTING_OFFSETS": "earliest",
        "SCHEMA_CONFIG_PATH": str(CARD), "STREAM_LIVE_VIEW": "false", **env})
    out = Path(conf.output_path)
    pipeline = start(spark, conf, load_schema(CARD))
    try:
        poll("windows to close", lambda: len(sink_rows(out)),
             until=lambda rows: rows >= minimum, timeout=240)
        for query in pipeline.queries:
            query.processAllAvailable()
            assert query.exception() is None
    finally:
        pipeline.stop()
    windows = sink_rows(out)
    windows = windows[windows["city"] != "~sentinel"].sort_values(
        ["city", "window_start"]).reset_index(drop=True)
    ledger = json.loads(StreamOutputs(out).status_file.read_text())["ledger"]
    return windows, ledger, sink_rows(Path(quarantine_location(str(out))))


def test_avro_and_json_schema_give_the_windows_and_ledger_of_json(
        spark, kafka_broker, schema_registry, tmp_path) -> None:
    bootstrap = kafka_broker.bootstrap_servers
    minimum = extract_with_sentinel(tmp_path / "in")
    topics = {fmt: unique_topic(f"stream-{fmt}") for fmt in ("json", "avro", "json-schema")}
    for fmt, topic in topics.items():
        produce(bootstrap, topic, tmp_path / "in", "--format", fmt,
                "--registry-url", schema_registry.url)
    # A message in the wire format whose id the registry never gave: quarantined, not fatal.
    send_keyed(bootstrap, topics["avro"], [(b"stranger", header(UNKNOWN_ID) + b"\x02\x04")])

    results = {fmt: run_job(spark, tmp_path / fmt, bootstrap, topic, minimum,
                            EVENT_FORMAT=fmt, SCHEMA_REGISTRY_URL=schema_registry.url)
               for fmt, topic in topics.items()}
    windows, ledger, quarantine = results["json"]
    assert len(windows) > minimum and ledger["quarantined"] > 10
    for fmt in ("avro", "json-schema"):
        got_windows, got_ledger, got_quarantine = results[fmt]
        pd.testing.assert_frame_equal(got_windows, windows)
        unknown = 1 if fmt == "avro" else 0
        assert got_ledger["quarantined_by_reason"] == {
            **ledger["quarantined_by_reason"], **({"unknown_schema": 1} if unknown else {})}
        assert got_ledger["counted"] == ledger["counted"]
        assert len(got_quarantine) == len(quarantine) + unknown
    stranger = results["avro"][2]
    stranger = stranger[stranger["reason"] == "unknown_schema"]
    assert stranger["value"].tolist() == [header(UNKNOWN_ID) + b"\x02\x04"]  # as it was read
