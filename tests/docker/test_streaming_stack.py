"""The streaming stack for real, with its default settings: the design's product demo.
Its generator writes the retail orders extract into data/input, the producer replays it
(with faults: late, copies, poison) into Kafka, the streaming job on Spark standalone totals
product revenue, the dashboard shows it, the history server lists the job; meanwhile the
job's container is killed and started again and the broker restarted. Every closed window
must equal a recomputation from the replayed extract, exactly once."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from services.common.paths import REPO_ROOT
from services.common.schema_registry import SchemaRegistry
from services.infra.registry import CCOMPAT
from services.schema.event_schema import avro_schema
from services.schema.loader import load_schema
from tests.docker.stacks import Stack, running
from tests.kafka.test_wire_broker import decode_avro
from tests.polling import poll
from tests.spark.streaming.windows import compare, expected_windows, in_utc, sink_rows
from tests.topics import read_topic

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1500)]
TOPIC = "sales"
GROUP, TIME, VALUE = "product", "order_time", "revenue"
APP_NAME = "stream.retail_sales_aggregator"
SINK = "streaming_product_revenue"  # in data/output, the job's status file beside it
WATERMARK_DELAY = pd.Timedelta(minutes=15)
# A replay of ROWS rows at RATE a second lasts near 3 minutes: longer than the stack takes
# to come up, the job's kill and restart and the broker's restart.
ROWS, RATE = 4000, 25
# Late events (inside the watermark), copies and poison: a correct job counts each event once.
FAULTS = json.dumps({"out_of_order": "1 minute", "late": {"p": 0.05, "max": "5 minutes"},
                     "duplicates": {"p": 0.05}, "malformed": {"p": 0.02}},
                    separators=(",", ":"))
TOTALS = re.compile(r"^totals: sent=(\d+) delivered=(\d+) failed=(\d+)", re.MULTILINE)


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


def closed_windows(stack: Stack, sink: str = SINK) -> pd.DataFrame:
    rows = sink_rows(stack.folder("DATA_DIR") / "output" / sink)
    return in_utc(rows, "window_start") if len(rows) else rows


def status(stack: Stack, sink: str = SINK) -> dict[str, Any]:
    path = stack.folder("DATA_DIR") / "output" / f"{sink}_status.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def docker(*args: str) -> None:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr


def replayed_extract(stack: Stack) -> pd.DataFrame:
    """The one extract the stack's generator wrote, with each order's revenue."""
    extracts = sorted((stack.folder("DATA_DIR") / "input").iterdir())
    assert [p.name for p in extracts] == ["retail_orders.csv"], extracts
    orders = in_utc(pd.read_csv(extracts[0]), TIME)
    return orders.assign(**{VALUE: orders["quantity"] * orders["unit_price"]})


def windows_closed_by_the_final_watermark(stack: Stack, orders: pd.DataFrame,
                                          sink: str = SINK) -> pd.DataFrame:
    """Once the job has read everything, its watermark reaches the extract's newest order
    time less the delay (a batch without data applies it), and every window that watermark
    closed is in the sink exactly once, equal to the recomputation from the extract: those
    windows."""
    expected = expected_windows(orders, GROUP, TIME, VALUE)
    final = orders[TIME].max() - WATERMARK_DELAY

    def caught_up() -> pd.DataFrame | None:
        state = status(stack, sink)
        if not state.get("watermark"):
            return None
        watermark = pd.Timestamp(state["watermark"])
        watermark = watermark.tz_convert(None) if watermark.tzinfo else watermark
        if watermark < final.floor("ms"):
            return None
        due = expected[expected["window_end"] <= watermark]
        got = closed_windows(stack, sink)
        return due if len(got) == len(due) else None

    due = poll("the final watermark and every window it closed in the sink", caught_up,
               until=lambda found: found is not None, timeout=300, interval=2)
    assert len(due) > 0.9 * len(expected)  # all but the last hour's windows
    assert status(stack, sink)["rows_dropped_late"] == 0
    got = closed_windows(stack, sink)
    assert {GROUP, "revenue", "window_start", "window_end"} <= set(got.columns)
    compare(due, got, GROUP)
    return due


@pytest.fixture(scope="module")
def streaming(sdp_image: str, tmp_path_factory: pytest.TempPathFactory) -> Stack:
    with running("streaming", tmp_path_factory.mktemp("streaming-stack"),
                 "streaming-dashboard", STREAM_ROWS=ROWS, EVENTS_PER_SECOND=RATE,
                 STREAM_TRIGGER_INTERVAL="3 seconds", EVENT_FAULTS=FAULTS) as stack:
        yield stack


def test_product_windows_equal_the_replayed_extract_across_a_killed_job_and_broker(
        streaming: Stack) -> None:
    assert streaming.settings["STREAM_LIVE_SCHEMA"] == ""  # .env's default: the replay
    assert streaming.exit_code("data-generator") == 0
    orders = replayed_extract(streaming)
    assert len(orders) == ROWS and not orders["order_id"].duplicated().any()

    windows_url = streaming.url("STREAMING_DASHBOARD_PORT", "/api/windows")
    poll("a closed window on the dashboard",
         lambda: (get_json(windows_url).get("data") or {}).get("closed_windows"),
         timeout=300, interval=2, ignoring=(OSError, ValueError))

    # The job dies without a chance to clean up, then starts again on its checkpoint.
    assert streaming.exit_code("event-generator") is None, "the replay ended too soon"
    job = streaming.container_id("spark-stream")
    docker("kill", job)
    before = len(closed_windows(streaming))
    docker("start", job)
    poll("new closed windows after the job's restart",
         lambda: len(closed_windows(streaming)) > before, timeout=300, interval=2)

    # The broker restarts under the producer and the job.
    docker("restart", "--time", "10", streaming.container_id("kafka"))
    restarted = status(streaming).get("batch_id", -1)
    poll("batches after the broker's restart",
         lambda: (status(streaming).get("batch_id") or -1) > restarted + 2, timeout=300,
         interval=2)

    # The replay ends by itself, every message delivered; nothing more enters the topic.
    poll("the end of the replay", lambda: streaming.exit_code("event-generator"),
         until=lambda code: code is not None, timeout=600, interval=2)
    assert streaming.exit_code("event-generator") == 0, streaming.logs("event-generator")[-2000:]
    totals = TOTALS.findall(streaming.logs("event-generator"))
    assert totals, streaming.logs("event-generator")[-2000:]
    sent, delivered, failed = map(int, totals[-1])
    assert failed == 0 and sent == delivered

    bootstrap = f"127.0.0.1:{streaming.port('KAFKA_PORT')}"
    records = read_topic(bootstrap, TOPIC)
    assert len(records) == delivered
    # as a correct job counts them: no poison (keyed poison:...), each copy (same key and
    # bytes) once; what is left is the extract, each order once
    kept = {(r.key, r.value): r for r in records if not r.key.startswith(b"poison:")}
    assert len(records) > len(kept)  # the faults were on
    for partition in {r.partition for r in records}:  # no gap in any partition
        offsets = sorted(r.offset for r in records if r.partition == partition)
        assert offsets == list(range(offsets[0], offsets[0] + len(offsets)))
    sent_ids = sorted(int(json.loads(value)["order_id"]) for _, value in kept)
    assert sent_ids == sorted(orders["order_id"])

    due = windows_closed_by_the_final_watermark(streaming, orders)

    health = get_json(windows_url)["data"]
    assert health["rows"] == len(due)
    assert health["closed_windows"] == due["window_start"].nunique()

    # The dashboard checks the same windows against the producer's answer, and the job's
    # ledger, kept across its kill, accounts for every message.
    verification = get_json(streaming.url("STREAMING_DASHBOARD_PORT",
                                          "/api/verification"))["data"]
    assert verification["configured"] is True and verification["right"] is True, verification
    assert verification["verified"] == verification["total"] > 0
    ledger = status(streaming)["ledger"]
    assert ledger["duplicates"] > 0 and ledger["quarantined"] > 0
    # a kill between a batch's commit and its report loses that batch's counts, and says so
    if ledger["missed_batches"] == 0:
        assert ledger["read"] == delivered and ledger["balanced"] is True, ledger
    else:
        assert ledger["read"] < delivered and ledger["balanced"] is False, ledger


def test_the_history_server_lists_the_streaming_job(streaming: Stack) -> None:
    """The job's event log, in spark-events/, served on the published history port: the
    killed run and the one after it."""
    apps = poll("the streaming job at the history server",
                lambda: get_json(streaming.url("SPARK_HISTORY_PORT", "/api/v1/applications")),
                until=lambda found: sum(a["name"] == APP_NAME for a in found) >= 2,
                timeout=120, interval=2, ignoring=(OSError, ValueError))
    assert {app["name"] for app in apps} == {APP_NAME}
    assert any(streaming.folder("SPARK_EVENTS_DIR").iterdir())


def test_the_live_card_stream_is_one_setting_away(streaming: Stack) -> None:
    """STREAM_LIVE_SCHEMA=card_transactions: the generator writes nothing and the producer
    sends fresh card payments (here to a topic and an answer folder of their own, beside the
    replay's)."""
    live = {"STREAM_LIVE_SCHEMA": "card_transactions"}
    extracts = sorted((streaming.folder("DATA_DIR") / "input").iterdir())
    done = streaming.run("run", "--rm", "--no-deps", "-T", "data-generator", env=live)
    assert done.returncode == 0 and "no extract to write" in done.stdout, done.stderr
    assert sorted((streaming.folder("DATA_DIR") / "input").iterdir()) == extracts

    name = f"{streaming.settings['COMPOSE_PROJECT_NAME']}-live-check"
    done = streaming.run("run", "-d", "--no-deps", "--name", name, "-e", "KAFKA_TOPIC=live",
                         "-e", "EVENT_EXPECT_DIR=/tmp/expected", "event-generator", env=live)
    assert done.returncode == 0, done.stderr
    try:
        bootstrap = f"127.0.0.1:{streaming.port('KAFKA_PORT')}"
        records = poll("live card events", lambda: read_topic(bootstrap, "live", timeout=10),
                       until=lambda found: len(found) >= 20, timeout=120, interval=1,
                       ignoring=(AssertionError,))
    finally:
        docker("rm", "--force", name)
    events = [json.loads(r.value) for r in records if not r.key.startswith(b"poison:")]
    assert {"city", "amount", "card_id"} <= set(events[0])
    assert len({e["event_id"] for e in events}) > 10


@pytest.mark.parametrize(("variable", "service"), [
    ("STREAM_SCHEMA", "data-generator"), ("STREAM_SCHEMA", "event-generator"),
    ("STREAM_SCHEMA", "streaming-dashboard"), ("STREAM_LIVE_SCHEMA", "event-generator"),
    ("STREAM_LIVE_SCHEMA", "spark-stream")])
def test_a_bad_schema_setting_ends_a_service_with_one_clear_line(streaming: Stack,
                                                                 variable: str,
                                                                 service: str) -> None:
    extracts = sorted((streaming.folder("DATA_DIR") / "input").iterdir())
    done = streaming.run("run", "--rm", "--no-deps", "-T", service,
                         env={variable: "no_such_schema"}, timeout=120)
    output = done.stdout + done.stderr
    assert done.returncode == 2, output
    errors = [line for line in output.splitlines() if "error:" in line]
    assert len(errors) == 1 and "no_such_schema" in errors[0], output
    assert "Traceback" not in output
    assert Path(streaming.folder("CHECKPOINTS_DIR")).is_dir()
    assert sorted((streaming.folder("DATA_DIR") / "input").iterdir()) == extracts



def restart_job(stack: Stack, *files: Path) -> subprocess.CompletedProcess[str]:
    """Remove the job and the dashboard, then `up --wait` the dashboard again (with Compose
    files `files` on top of the stack's)."""
    assert stack.run("rm", "--stop", "--force", "spark-stream",
                     "streaming-dashboard").returncode == 0
    extra = [arg for file in files for arg in ("-f", str(file))]
    return stack.run(*extra, "up", "-d", "--wait", "--wait-timeout", "240",
                     "streaming-dashboard", timeout=300)


def test_up_wait_fails_when_the_job_cannot_start(streaming: Stack) -> None:
    """The job's event-log folder belongs to someone else: the job exits at once, `up --wait`
    fails naming it, and its log holds the one line that says why."""
    events = streaming.folder("SPARK_EVENTS_DIR")
    owner = events.stat()
    os.chown(events, 0, 0)
    try:
        done = restart_job(streaming)
    finally:
        os.chown(events, owner.st_uid, owner.st_gid)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "spark-stream" in output.splitlines()[-1], output
    assert streaming.exit_code("spark-stream") == 2
    lines = [line for line in streaming.logs("spark-stream").splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: cannot write /opt/spark-events")


def test_up_wait_fails_when_the_job_fails_after_it_started(streaming: Stack) -> None:
    """Spark refuses the query well after the container started (the case where a stack used
    to come up healthy around a dead job): `up --wait` waits for the job's first micro-batch,
    so it fails, and the status file and the dashboard say why."""
    override = streaming.root / "bad-offsets.yml"
    override.write_text("services:\n  spark-stream:\n    environment:\n"
                        "      STARTING_OFFSETS: '{\"sales\": not json'\n")
    done = restart_job(streaming, override)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "spark-stream" in output.splitlines()[-1], output
    assert streaming.exit_code("spark-stream") == 1
    state = status(streaming)
    assert state["state"] == "failed" and state["error"], state
    assert "Traceback" not in streaming.logs("spark-stream")
    meta = streaming.url("STREAMING_DASHBOARD_PORT", "/api/meta")
    job = poll("the failed job on the dashboard", lambda: get_json(meta)["data"]["job"],
               until=lambda found: found and found["state"] == "failed", timeout=120,
               interval=1, ignoring=(OSError, ValueError))
    assert job["error"] == state["error"], job


def test_avro_events_through_the_stacks_registry_give_the_same_windows(
        streaming: Stack) -> None:
    """EVENT_FORMAT=avro, the one setting: the producer registers the extract's Avro schema
    in the stack's schema registry and sends Confluent's wire format (a zero byte, the
    schema's id, the Avro body), and the job decodes it by that id into the same windows
    as a recomputation from the extract. Its own topic, sink and checkpoint, on the stack's
    broker, registry and Spark (the JSON job removed first: it holds the worker's cores)."""
    avro = {"EVENT_FORMAT": "avro"}
    topic, sink = "sales-avro", "avro_product_revenue"
    orders = replayed_extract(streaming)
    assert streaming.run("rm", "--stop", "--force", "spark-stream",
                         "streaming-dashboard").returncode == 0
    done = streaming.run("run", "--rm", "--no-deps", "-T", "-e", f"KAFKA_TOPIC={topic}",
                         "-e", "EVENTS_PER_SECOND=2000", "-e", "EVENT_FAULTS=",
                         "-e", "EVENT_EXPECT_DIR=/tmp/expected", "event-generator",
                         env=avro, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]

    records = read_topic(f"127.0.0.1:{streaming.port('KAFKA_PORT')}", topic)
    assert len(records) == len(orders)
    (magic, schema_id), = {struct.unpack(">bI", r.value[:5]) for r in records}
    url = streaming.url("SCHEMA_REGISTRY_PORT", CCOMPAT)
    registered = SchemaRegistry(url).schema(schema_id)  # an id the registry knows: ours
    dataset = load_schema(REPO_ROOT / "services" / "batch" / "schemas" / "retail_orders.json")
    assert magic == 0 and registered.schema_type == "AVRO"
    assert json.loads(registered.text) == avro_schema(dataset)
    events = decode_avro(url, [r.value for r in records])
    assert sorted(e["order_id"] for e in events) == sorted(orders["order_id"])

    name = f"{streaming.settings['COMPOSE_PROJECT_NAME']}-avro-job"
    done = streaming.run("run", "-d", "--no-deps", "--name", name,
                         "-e", f"KAFKA_TOPIC={topic}",
                         "-e", f"OUTPUT_PATH=/opt/spark-data/output/{sink}",
                         "-e", f"CHECKPOINT_DIR=/opt/spark-checkpoints/{sink}",
                         "spark-stream", env=avro)
    assert done.returncode == 0, done.stderr
    try:
        windows_closed_by_the_final_watermark(streaming, orders, sink)
        ledger = status(streaming, sink)["ledger"]
        assert ledger["quarantined"] == 0 and ledger["read"] == len(orders), ledger
    finally:
        docker("rm", "--force", name)
