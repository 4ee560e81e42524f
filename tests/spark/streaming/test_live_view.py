"""The live view against the real broker and real Spark, with either state store: after each
main batch the live file holds exactly the windows the sink does not have yet, with the
values a recomputation from the events gives, so the dashboard (sink, then live) shows every
window once."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from services.outputs import StreamOutputs
from services.spark.streaming_job import StreamJobSettings, start
from tests.polling import poll
from tests.spark.streaming.windows import compare, expected_windows, sink_rows
from tests.topics import send
from tests.topics import unique_topic as topic_name

pytestmark = [pytest.mark.kafka, pytest.mark.spark]
DAY = "2025-05-01T"


def order(at: str, product: str = "Latte", quantity: int = 1) -> dict:
    return {"product": product, "quantity": str(quantity), "unit_price": "2.50",
            "order_time": DAY + at}


def live_document(conf: StreamJobSettings) -> dict:
    try:
        return json.loads(StreamOutputs(Path(conf.output_path)).live_file.read_text())
    except FileNotFoundError:
        return {}


def live_rows(document: dict) -> pd.DataFrame:
    rows = pd.DataFrame(document["windows"])
    for column in ("window_start", "window_end"):
        rows[column] = pd.to_datetime(rows[column]).dt.tz_localize(None)
    return rows


def shown_after_main(pipeline, conf: StreamJobSettings) -> dict:
    """The live file once it shows the main query's last batch, the query idle (its
    watermark's own batch, with no data, may follow the one that read the data)."""
    pipeline.main.processAllAvailable()

    def settled() -> dict:
        doc, main = live_document(conf), pipeline.main
        idle = not main.status["isTriggerActive"]
        return doc if idle and doc.get("batch_id") == main.lastProgress["batchId"] else {}

    return poll("the live file to show the last batch", settled, until=bool, timeout=60)


def check_split(sent: list[dict], sink: pd.DataFrame, live: pd.DataFrame) -> None:
    """Sink and live together are every window of the events, each once, exact."""
    frame = pd.DataFrame(sent)
    frame["line_amount"] = frame["quantity"].astype(int) * 2.50
    expected = expected_windows(frame, "product", "order_time", "line_amount")
    both = pd.concat([sink.assign(window_start=sink["window_start"].astype("datetime64[us]")),
                      live.assign(window_start=live["window_start"].astype("datetime64[us]"))],
                     ignore_index=True)
    expected["window_start"] = expected["window_start"].astype("datetime64[us]")
    compare(expected, both[["product", "window_start", "revenue", "event_count"]], "product")


@pytest.mark.parametrize("store", ["hdfs", "rocksdb"])
def test_live_and_sink_split_the_windows_after_each_batch(spark, kafka_broker, tmp_path,
                                                          store):
    bootstrap, topic = kafka_broker.bootstrap_servers, topic_name(f"live-{store}")
    conf = StreamJobSettings.from_env({
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC": topic,
        "OUTPUT_PATH": str(tmp_path / "out" / "stream"), "CHECKPOINT_DIR": str(tmp_path / "ck"),
        "STREAM_TRIGGER_INTERVAL": "200 milliseconds", "STARTING_OFFSETS": "earliest",
        "STREAM_MODE": "retail", "STREAM_STATE_STORE": store})
    sent = [order(f"10:{m:02d}:00", quantity=m % 3 + 1) for m in range(0, 60, 10)]
    sent += [order("10:20:00", "Mug", 2)]
    send(bootstrap, topic, sent)
    pipeline = start(spark, conf, None)
    try:
        first = shown_after_main(pipeline, conf)
        assert first["provisional"] is True and first["group_field"] == "product"
        assert len(first["windows"]) >= 4
        check_split(sent, sink_rows(Path(conf.output_path)), live_rows(first))
        later = [order("13:00:00"), order("13:10:00", "Mug", 3)]
        send(bootstrap, topic, later)
        sent += later
        now = shown_after_main(pipeline, conf)
        sink = sink_rows(Path(conf.output_path))
        assert not sink.empty, "no window closed: the split was not exercised"
        check_split(sent, sink, live_rows(now))
        assert ("Mug", f"{DAY}13:00:00Z") in {(w["product"], w["window_start"])
                                               for w in now["windows"]}
    finally:
        pipeline.stop()
    assert pipeline.main.exception() is None
