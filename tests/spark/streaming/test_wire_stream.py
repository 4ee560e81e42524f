"""The streaming job decodes Avro and JSON Schema events by the schema id in each message,
against the real registry, broker and Spark: the same extract (with the same poison) sent
as JSON and as Avro gives the same closed windows and the same ledger; a message whose
schema id the registry does not know is quarantined as unknown_schema, and the job goes on;
a field added with a default mid-stream is a second version the job decodes beside the
first, and a field without one is refused by the registry, its reason in the one error."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from services.common.schema_registry import SchemaRegistry
from services.common.wire_format import header, read_header
from services.kafka.cli import main as producer_main
from services.outputs import StreamOutputs, quarantine_location
from services.schema import load_schema
from services.spark.streaming_job import StreamJobSettings, start
from tests.kafka.producer_script import totals_of
from tests.polling import poll
from tests.schemas import CARD, generate
from tests.spark.streaming.windows import sink_rows
from tests.topics import read_topic, send_keyed, unique_topic

pytestmark = [pytest.mark.kafka, pytest.mark.spark, pytest.mark.registry, pytest.mark.slow]
ROWS = 1500
FAULTS = json.dumps({"malformed": {"p": 0.03}})
UNKNOWN_ID = 999_999


def extract_with_sentinel(folder: Path, schema: Path = CARD, seed: int = 21) -> int:
    """The card extract, and one event a day after the rest in a second file: it moves the
    watermark past every real window. Returns how many windows that closes, at least."""
    path = generate(schema, folder, ROWS, seed=seed)
    rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    last = rows.sort_values("event_time").iloc[[-1]].copy()
    last["event_time"] = (pd.Timestamp(last["event_time"].iloc[0])
                          + pd.Timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    last["city"] = "~sentinel"
    last.to_csv(folder / "sentinel.csv", index=False)
    return rows["city"].nunique()


def produce(bootstrap: str, topic: str, folder: Path, *args: str,
            config: Path = CARD) -> dict[str, float]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = producer_main(["--bootstrap-servers", bootstrap, "--topic", topic,
                              "--input-dir", str(folder), "--rate", "0", "--config",
                              str(config), "--faults", FAULTS, "--seed", "5", *args])
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


def with_fields(folder: Path, **added: float) -> Path:
    """The card schema with more fields, by name and null_prob: nullable (a version
    BACKWARD accepts: its default is null) or not (one it refuses: old events have no value
    for it)."""
    data = json.loads(CARD.read_text())
    data["schema"]["fields"] += [{"name": name, "type": "category",
                                  "choices": ["gold", "silver"], "null_prob": null_prob}
                                 for name, null_prob in added.items()]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "card_transactions.json"
    path.write_text(json.dumps(data))
    return path


def test_a_field_added_mid_stream_is_a_second_version_the_job_counts_with_the_first(
        spark, kafka_broker, schema_registry, tmp_path) -> None:
    bootstrap, url = kafka_broker.bootstrap_servers, schema_registry.url
    v2 = with_fields(tmp_path / "v2", loyalty=0.2)
    generate(CARD, tmp_path / "in-v1", ROWS, seed=31)
    minimum = extract_with_sentinel(tmp_path / "in-v2", v2, seed=32)
    topics = {fmt: unique_topic(f"evolve-{fmt}") for fmt in ("json", "avro")}
    for fmt, topic in topics.items():
        produce(bootstrap, topic, tmp_path / "in-v1", "--format", fmt, "--registry-url", url)
        produce(bootstrap, topic, tmp_path / "in-v2", "--format", fmt, "--registry-url", url,
                config=v2)
    registry = SchemaRegistry(url)
    assert registry.versions(f"{topics['avro']}-value") == [1, 2]
    ids = {read_header(r.value) for r in read_topic(bootstrap, topics["avro"])} - {None}
    assert len(ids) == 2  # both versions in one topic

    json_windows, json_ledger, _ = run_job(spark, tmp_path / "json", bootstrap,
                                           topics["json"], minimum)
    windows, ledger, _ = run_job(spark, tmp_path / "avro", bootstrap, topics["avro"], minimum,
                                 EVENT_FORMAT="avro", SCHEMA_REGISTRY_URL=url)
    pd.testing.assert_frame_equal(windows, json_windows)
    assert ledger["quarantined_by_reason"] == json_ledger["quarantined_by_reason"]
    assert ledger["counted"] == json_ledger["counted"] > ROWS  # events of both versions

    # A field old events cannot fill is refused with the registry's reason; nothing is sent.
    v3 = with_fields(tmp_path / "v3", loyalty=0.2, segment=0.0)
    before = len(read_topic(bootstrap, topics["avro"]))
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = producer_main(["--bootstrap-servers", bootstrap, "--topic", topics["avro"],
                              "--input-dir", str(tmp_path / "in-v1"), "--config", str(v3),
                              "--format", "avro", "--registry-url", url])
    line = err.getvalue().strip().splitlines()[-1]
    assert code == 1 and "(HTTP 409)" in line and "Incompatible artifact" in line, line
    assert "/fields/16" in line  # the registry's reason names the field: segment, the 17th
    assert line.endswith("nothing was sent")
    assert len(read_topic(bootstrap, topics["avro"])) == before
    assert registry.versions(f"{topics['avro']}-value") == [1, 2]
