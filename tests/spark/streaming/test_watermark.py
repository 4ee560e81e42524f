"""The watermark is 15 minutes of event time behind the newest event, as the README and the
dashboards promise: pinned against the real broker and real Spark, so a shorter one (which
every other streaming test tolerates) fails here.

The newest event is at 12:08, off the 15-minute grid on purpose: an event 10 or 14 minutes
behind it (11:58, 11:54) falls in the window 11:00-12:00, which a 15-minute watermark (11:53)
keeps open but a 5-minute one (12:03) has already closed, dropping the event from it.
"""

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

NEWEST = pd.Timestamp("2025-05-01T12:08:00")
WATERMARK_DELAY = pd.Timedelta(minutes=15)
MINUTES_BEHIND = (6, 10, 14)
EPOCH = pd.Timestamp(0, tz="UTC")


def order(at: pd.Timestamp, price: float, product: str = "A") -> dict:
    return {"product": product, "quantity": "1", "unit_price": str(price),
            "order_time": at.strftime("%Y-%m-%dT%H:%M:%S")}


def watermark_of(status_file: Path) -> pd.Timestamp:
    """The watermark in the status file (UTC); the epoch until the query has one."""
    try:
        mark = json.loads(status_file.read_text()).get("watermark")
    except FileNotFoundError:
        mark = None
    return pd.Timestamp(mark) if mark else EPOCH


def test_events_up_to_15_minutes_behind_the_newest_still_count(spark, kafka_broker, tmp_path):
    bootstrap, topic = kafka_broker.bootstrap_servers, topic_name("watermark")
    # Every 8 minutes from 10:00 to the newest event at 12:08, all there before the query
    # starts: its first batch reads them all, so its first watermark is the final one.
    on_time = [order(NEWEST - pd.Timedelta(minutes=m), 2.5) for m in range(128, -1, -8)]
    late = [order(NEWEST - pd.Timedelta(minutes=m), 10.0 ** i)
            for i, m in enumerate(MINUTES_BEHIND)]
    send(bootstrap, topic, on_time)
    conf = StreamJobSettings.from_env({
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap, "KAFKA_TOPIC": topic,
        "OUTPUT_PATH": str(tmp_path / "out"), "CHECKPOINT_DIR": str(tmp_path / "ckpt"),
        "STREAM_TRIGGER_INTERVAL": "1 second", "STARTING_OFFSETS": "earliest",
        "STREAM_LIVE_VIEW": "false"})
    out = Path(conf.output_path)
    status_file = StreamOutputs(out).status_file
    pipeline = start(spark, conf, None)
    try:
        watermark = poll("the query's first watermark", lambda: watermark_of(status_file),
                         until=lambda mark: mark > EPOCH, timeout=180)
        # Behind the newest by 6-14 minutes, then one a day later that closes every window.
        send(bootstrap, topic, [*late, order(NEWEST + pd.Timedelta(days=1), 1.0, "~sentinel")])
        poll("the windows holding the newest event to be written", lambda: sink_rows(out),
             until=lambda rows: not rows.empty and bool((rows["window_end"] > NEWEST).any()),
             timeout=180, describe=lambda rows: f"{len(rows)} windows")
        pipeline.main.processAllAvailable()
        assert pipeline.main.exception() is None
        got = sink_rows(out)
    finally:
        pipeline.stop()
    late_dropped = pipeline.monitor.ledger.late

    events = pd.DataFrame(on_time + late)
    events["line_amount"] = events["unit_price"].astype(float)
    expected = expected_windows(events, "product", "order_time", "line_amount")
    problems = []  # all of them at once: a wrong watermark shows in each
    try:
        compare(expected, got[got["product"] != "~sentinel"], "product")
    except AssertionError as exc:
        problems.append(f"the windows differ from the events':\n{exc}")
    if late_dropped:
        problems.append(f"{late_dropped} events dropped as late, expected none")
    if watermark != (NEWEST - WATERMARK_DELAY).tz_localize("UTC"):
        problems.append(f"watermark {watermark}, expected 15 minutes before the newest "
                        f"event ({NEWEST})")
    assert not problems, "\n".join(problems)
