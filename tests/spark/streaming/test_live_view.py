"""The live view against the real broker and real Spark: a window the live query has closed
stays in the live file until the main query's sink has it, however far ahead the live
query runs, so the dashboard (sink, then live) never loses a window in between."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.outputs import StreamOutputs
from services.spark.streaming_job import StreamJobSettings, start
from tests.spark.streaming.windows import sink_rows
from tests.topics import send
from tests.topics import unique_topic as topic_name

pytestmark = [pytest.mark.kafka, pytest.mark.spark]
DAY = "2025-05-01T"


def order(at: str, product: str = "Latte") -> dict:
    return {"product": product, "quantity": "1", "unit_price": "2.50", "order_time": DAY + at}


def live_windows(conf: StreamJobSettings) -> set[tuple[str, str]]:
    live = json.loads(StreamOutputs(Path(conf.output_path)).live_file.read_text())
    return {(w["product"], w["window_start"]) for w in live["windows"]}


def sink_windows(conf: StreamJobSettings) -> set[tuple[str, str]]:
    rows = sink_rows(Path(conf.output_path))
    if rows.empty:
        return set()
    starts = rows["window_start"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    return set(zip(rows["product"], starts, strict=True))


def test_a_closed_window_stays_live_until_the_sink_has_it(spark, kafka_broker, tmp_path):
    bootstrap, topic = kafka_broker.bootstrap_servers, topic_name("live-edge")
    conf = StreamJobSettings.from_env({
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC": topic,
        "OUTPUT_PATH": str(tmp_path / "out" / "stream"), "CHECKPOINT_DIR": str(tmp_path / "ck"),
        "STREAM_TRIGGER_INTERVAL": "200 milliseconds", "STARTING_OFFSETS": "earliest",
        "STREAM_MODE": "retail"})
    send(bootstrap, topic, [order(f"10:{m:02d}:00") for m in range(0, 60, 10)])
    pipeline = start(spark, conf, None)
    try:
        for query in pipeline.queries:
            query.processAllAvailable()
        shown = live_windows(conf)
        assert len(shown) >= 4
        # The main query falls behind (here: stops); the live one reads on, far ahead.
        pipeline.main.stop()
        in_sink = sink_windows(conf)
        send(bootstrap, topic, [order("14:00:00"), order("14:10:00", "Mug")])
        pipeline.live.processAllAvailable()
        pipeline.live.processAllAvailable()  # and once more, past its new watermark
        now_live = live_windows(conf)
        assert pipeline.live.exception() is None
    finally:
        pipeline.stop()
    assert shown - in_sink, "every window reached the sink: the edge was not exercised"
    vanished = shown - now_live - in_sink
    assert not vanished, f"left the live view before the sink had them: {sorted(vanished)}"
    assert ("Mug", f"{DAY}14:00:00Z") in now_live  # the live view did move on
