"""`make demo` end to end: everything starts, the dashboards serve real numbers, a demo
killed with SIGKILL is cleaned up by the next one, and Ctrl-C stops every process."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from services.infra import process
from tests.polling import poll
from tests.schemas import RETAIL
from tests.spark.streaming.windows import compare, expected_windows, in_utc, sink_rows
from tests.topics import read_topic

pytestmark = [pytest.mark.slow, pytest.mark.kafka, pytest.mark.spark]
READY = "The platform is running."


def start_demo(workdir: Path, out: Path, *options: str) -> subprocess.Popen:
    handle = out.open("a")
    return subprocess.Popen(
        [sys.executable, "-m", "services.demo", "--workdir", str(workdir), "--rows", "3000",
         "--rate", "50", "--trigger", "2 seconds", "--status-every", "0", "--any-ports",
         *options],
        stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


def urls(text: str) -> dict[str, str]:
    found = re.findall(r"^\s+(Batch dashboard|Streaming dashboard)\s+(http://\S+)$", text,
                       re.MULTILINE)
    return dict(found[-2:])


def recorded(workdir: Path) -> list[process.PidRecord]:
    files = [*(workdir / "data/.demo/run").glob("*.pid"),
             *(workdir / "data/.engines/kafka/run").glob("*.pid")]
    return [r for r in map(process.read_pid_file, files) if r is not None]


def test_demo_runs_survives_a_crash_and_stops_cleanly(tmp_path):
    out = tmp_path / "demo.out"
    first = start_demo(tmp_path, out)
    try:
        poll("the first demo to be ready", lambda: READY in out.read_text(), timeout=400)
        links = urls(out.read_text())
        kpis = get(links["Batch dashboard"] + "/api/kpis")
        assert kpis["status"] == "ok", kpis
        assert "3,000" in json.dumps(kpis) or "3000" in json.dumps(kpis)
        assert get(links["Streaming dashboard"] + "/api/meta")["status"] in ("ok", "no_data")
        survivors = recorded(tmp_path)
        assert len(survivors) >= 5  # stream, producer, two dashboards, the broker
        busy = subprocess.run(
            [sys.executable, "-m", "services.demo", "--workdir", str(tmp_path)],
            capture_output=True, text=True, timeout=60)
        assert busy.returncode == 2 and "a demo is already running" in busy.stderr
        os.kill(first.pid, signal.SIGKILL)  # a crash: the children keep running
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    second = start_demo(tmp_path, out)
    try:
        poll("the second demo to be ready",
             lambda: out.read_text().count(READY) == 2, timeout=400)
        text = out.read_text()
        assert "stopped what an earlier demo left running" in text
        assert not any(process.is_alive(r) for r in survivors
                       if r.command and "kafka.Kafka" not in r.command)
        os.kill(second.pid, signal.SIGINT)
        assert second.wait(timeout=120) == 0, out.read_text()[-3000:]
    finally:
        if second.poll() is None:
            os.killpg(second.pid, signal.SIGKILL)
    assert not any(process.is_alive(r) for r in recorded(tmp_path) + survivors)
    assert "demo: stopped" in out.read_text()


FAULTS = json.dumps({"out_of_order": "1 minute", "late": {"p": 0.1, "max": "5 minutes"},
                     "duplicates": {"p": 0.05, "max": "1 minute"}, "malformed": {"p": 0.05}})


def sent_events(bootstrap: str, topic: str) -> pd.DataFrame:
    """The topic's events as a correct job counts them: poison left out (the producer keys it
    `poison:...`), each copy (the same key and bytes) once."""
    records = read_topic(bootstrap, topic)
    events = {(r.key, r.value): r for r in records if not r.key.startswith(b"poison:")}
    assert len(events) < len(records)  # the faults were on
    return pd.DataFrame([json.loads(value) for _, value in events])


def test_the_retail_demo_shows_revenue_as_quantity_times_unit_price(tmp_path):
    """The documented retail path (make demo SCHEMA=.../retail_orders.json), with faults on:
    the batch headline and every closed streaming window total quantity x unit price, never
    units, each order once however often it was sent and however late (inside the
    watermark); the dashboard verifies the closed windows against the producer's answer and
    its ledger balances."""
    out = tmp_path / "demo.out"
    demo = start_demo(tmp_path, out, "--schema", str(RETAIL), "--time-scale", "600",
                      "--faults", FAULTS)
    try:
        poll("the retail demo to be ready", lambda: READY in out.read_text(), timeout=400)
        text = out.read_text()
        assert " kafka." not in text  # the Kafka client's chatter stays out of the demo's screen
        links = urls(text)
        orders = pd.concat([pd.read_csv(f) for f in (tmp_path / "data/input").glob("*.csv*")])
        assert len(orders) == 3000
        metric = get(links["Batch dashboard"] + "/api/kpis")["data"]["metric"]
        assert metric["name"] == "revenue" and metric["money"] is True
        assert metric["sum"] == pytest.approx((orders["quantity"] * orders["unit_price"]).sum(),
                                              abs=0.01)

        stream = links["Streaming dashboard"]
        meta = get(stream + "/api/meta")["data"]
        assert (meta["value_label"], meta["money"]) == ("Revenue", True)
        checked = poll("three closed windows verified on the dashboard",
                       lambda: get(stream + "/api/verification")["data"],
                       until=lambda v: (v or {}).get("verified", 0) >= 3, timeout=300)
        assert checked["configured"] is True and checked["right"] is True, checked
        assert checked["verified"] == checked["total"]
        sink = tmp_path / "data/output/streaming_product_revenue"
        got = in_utc(sink_rows(sink), "window_start")
        bootstrap = re.search(r"^\s+Kafka\s+(\S+), topic", text, re.MULTILINE).group(1)
        events = in_utc(sent_events(bootstrap, "sales"), "order_time")
        events["line"] = events["quantity"].astype(float) * events["unit_price"].astype(float)
        expected = expected_windows(events, "product", "order_time", "line")
        keys = ["product", "window_start"]
        compare(expected.merge(got[keys], on=keys), got, "product")
        units = expected_windows(events.assign(line=events["quantity"].astype(float)),
                                 "product", "order_time", "line")
        assert not np.allclose(units.merge(got[keys], on=keys)["revenue"].sort_values(),
                               got["revenue"].sort_values())
        ledger = get(stream + "/api/stream")["data"]["ledger"]
        assert ledger["balanced"] is True
        assert ledger["duplicates"] > 0 and ledger["quarantined"] > 0
    finally:
        if demo.poll() is None:
            os.kill(demo.pid, signal.SIGINT)
            demo.wait(timeout=120)
    assert not any(process.is_alive(r) for r in recorded(tmp_path))


@pytest.mark.registry
def test_an_avro_demo_starts_a_registry_and_its_windows_verify(tmp_path):
    """make demo EVENT_FORMAT=avro: a schema registry beside Kafka, the live events in
    Confluent's wire format, the streaming job decoding them into windows the dashboard
    verifies against the producer's answer; Ctrl-C stops the registry too."""
    out = tmp_path / "demo.out"
    demo = start_demo(tmp_path, out, "--time-scale", "600", "--format", "avro")
    try:
        poll("the avro demo to be ready", lambda: READY in out.read_text(), timeout=400)
        text = out.read_text()
        url = re.search(r"^\s+Schema registry\s+(\S+) \(events: avro\)$", text,
                        re.MULTILINE).group(1)
        bootstrap = re.search(r"^\s+Kafka\s+(\S+), topic", text, re.MULTILINE).group(1)
        stream = urls(text)["Streaming dashboard"]
        checked = poll("two closed windows verified on the dashboard",
                       lambda: get(stream + "/api/verification")["data"],
                       until=lambda v: (v or {}).get("verified", 0) >= 2, timeout=300)
        assert checked["right"] is True and checked["verified"] == checked["total"], checked
        values = [r.value for r in read_topic(bootstrap, "sales")]
        assert values and all(v[0] == 0 for v in values)  # the wire format's magic byte
        assert get(f"{url}/subjects") == ["sales-value"]
        engines = [*(tmp_path / "data/.engines/registry/run").glob("*.pid")]
        registry = [r for r in map(process.read_pid_file, engines) if r is not None]
        assert registry
    finally:
        if demo.poll() is None:
            os.kill(demo.pid, signal.SIGINT)
            demo.wait(timeout=120)
    assert not any(process.is_alive(r) for r in recorded(tmp_path) + registry)
