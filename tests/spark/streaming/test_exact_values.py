"""Hostile values through generator -> Kafka producer -> streaming job -> Parquet sink, live
view and the streaming dashboard's API, against the real broker: every value exact (trimmed
where the cleansing trims), every window's totals equal to a pandas recomputation of the
extract. The events span six hours with nothing after them, so the early windows close
(Parquet) and the last hour's stay open (live view): both outputs carry hostile values."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from services.generator import write_dataset
from services.kafka.cli import main as producer_main
from services.outputs import StreamOutputs
from services.schema import load_schema
from services.spark.streaming_job import StreamJobSettings, start
from streaming_dashboard import create_app
from tests.hostile_values import ALL, DIMENSION, cleansed, write_schema
from tests.kafka.producer_script import totals_of
from tests.polling import poll
from tests.spark.streaming.windows import compare, expected_windows, sink_rows
from tests.topics import read_topic
from tests.topics import unique_topic as topic_name

pytestmark = [pytest.mark.kafka, pytest.mark.spark]
ROWS = 400
WATERMARK_DELAY = pd.Timedelta(minutes=15)


def replay(bootstrap: str, topic: str, folder: Path, schema: Path) -> dict[str, float]:
    """The producer as `kafka_event_producer.py` runs it, in this process: its totals."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = producer_main(["--bootstrap-servers", bootstrap, "--topic", topic,
                              "--input-dir", str(folder), "--rate", "0",
                              "--config", str(schema)])
    assert code == 0, out.getvalue()
    return totals_of(out.getvalue())


def live_windows(path: Path) -> pd.DataFrame:
    """The live file's open windows, typed like the sink's rows (naive UTC times)."""
    frame = pd.DataFrame(json.loads(path.read_text(encoding="utf-8"))["windows"])
    for column in ("window_start", "window_end"):
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_localize(None)
    return frame


def test_every_value_is_exact_through_the_stream(spark, kafka_broker, tmp_path):
    schema = write_schema(tmp_path / "schema", ALL, "2025-01-01T00:00:00",
                          "2025-01-01T05:59:59")
    dataset = load_schema(schema)
    extract = tmp_path / "input" / "hostile.csv"
    write_dataset(dataset.with_overrides(entity_count=ROWS), extract, seed=5)
    rows = pd.read_csv(extract, dtype=str, keep_default_na=False)
    events = pd.DataFrame({DIMENSION: rows[DIMENSION].map(cleansed),
                           "event_time": rows["event_time"],
                           "amount": rows["amount"].astype(float)})
    published = {cleansed(v) for v in ALL}
    assert set(events[DIMENSION]) == published  # the extract draws every value

    bootstrap, topic = kafka_broker.bootstrap_servers, topic_name("hostile")
    totals = replay(bootstrap, topic, extract.parent, schema)
    assert (totals["delivered"], totals["failed"], totals["bad_rows"]) == (ROWS, 0, 0)
    sent = [json.loads(record.value) for record in read_topic(bootstrap, topic)]
    assert sorted(m[DIMENSION] for m in sent) == sorted(events[DIMENSION])

    expected = expected_windows(events, DIMENSION, "event_time", "amount")
    watermark = pd.to_datetime(events["event_time"]).max() - WATERMARK_DELAY
    assert not (expected["window_end"] == watermark).any()  # no window on the edge
    closed = expected[expected["window_end"] <= watermark]
    still_open = expected[expected["window_end"] > watermark]
    assert set(closed[DIMENSION]) == set(still_open[DIMENSION]) == published

    conf = StreamJobSettings.from_env({
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC": topic,
        "OUTPUT_PATH": str(tmp_path / "out" / "stream"), "CHECKPOINT_DIR": str(tmp_path / "ckpt"),
        "STREAM_TRIGGER_INTERVAL": "1 second", "STARTING_OFFSETS": "earliest",
        "SCHEMA_CONFIG_PATH": str(schema)})
    sink = Path(conf.output_path)
    pipeline = start(spark, conf, dataset)
    try:
        poll("the closed windows in the sink", lambda: len(sink_rows(sink)),
             until=lambda count: count >= len(closed), timeout=180)
        for query in pipeline.queries:
            query.processAllAvailable()
            assert query.exception() is None
    finally:
        pipeline.stop()

    # Parquet: exactly the closed windows, each value exact with its totals.
    compare(closed, sink_rows(sink), DIMENSION)
    # Live view: every open window, with its totals.
    live = live_windows(StreamOutputs(sink).live_file)
    shown = live.merge(expected, on=[DIMENSION, "window_start"], how="left",
                       suffixes=("", "_expected"), indicator=True)
    assert (shown["_merge"] == "both").all(), shown[shown["_merge"] != "both"]
    compare(still_open, live[live["window_end"] > watermark], DIMENSION)

    # The streaming dashboard's API: every value, every window's revenue, closed or open.
    client = create_app({"OUTPUT_PATH": str(sink), "SCHEMA_CONFIG_PATH": str(schema),
                         "STREAM_TOP_N": len(published), "TESTING": True}).test_client()

    def get(url: str) -> dict:
        body = client.get(url).get_json()
        assert body["status"] == "ok", body
        return body["data"]

    timeline = get("/api/timeline?windows=1000")
    assert timeline["group_field"] == DIMENSION
    assert timeline["groups_total"] == len(published)
    starts = pd.to_datetime(timeline["labels"], utc=True).tz_localize(None)
    revenue = expected.pivot_table(index="window_start", columns=DIMENSION, values="revenue",
                                   aggfunc="sum").reindex(starts).fillna(0.0)
    assert {s["group"] for s in timeline["series"]} == published
    for series in timeline["series"]:
        assert series["values"] == pytest.approx(list(revenue[series["group"]]), abs=0.006)
    assert timeline["provisional"] == [s > watermark - pd.Timedelta(hours=1) for s in starts]

    board = get("/api/leaderboard?limit=100")
    newest = closed[closed["window_start"] == closed["window_start"].max()]
    assert board["provisional"] is False
    assert {r["group"]: (r["event_count"], r["revenue"]) for r in board["rows"]} == {
        g: (n, pytest.approx(v, abs=0.006)) for g, n, v in
        newest[[DIMENSION, "event_count", "revenue"]].itertuples(index=False)}
    assert get("/api/windows")["groups"] == len(published)
