"""Against real containers, where a Docker daemon answers (testcontainers): the apache/kafka
image configured exactly as docker-compose.streaming.yml configures it, fed by the producer
and read by the streaming job; and the project's Python image, built from the repo, running
the generator as compose runs it. Without a daemon the whole module skips, for one reason."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.docker.compose import REPO, env_of, services


def daemon_problem() -> str | None:
    """Why no Docker daemon can be used, or None; asked once, with a short timeout."""
    try:
        import docker

        client = docker.from_env(timeout=5)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # no socket, refused, no permission: all mean the same here
        detail = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
        return f"the docker tests need a Docker daemon and none answers ({detail})"
    return None


# Decided once for the module: without a daemon every test here would skip for this reason.
NO_DAEMON = daemon_problem()
if NO_DAEMON:
    pytest.skip(NO_DAEMON, allow_module_level=True)
pytestmark = pytest.mark.docker

CARD = REPO / "services/batch/schemas/card_transactions.json"
PRODUCER = REPO / "services/event-generator/kafka_event_producer.py"
STREAM_JOB = REPO / "services/streaming/streaming_sales_aggregator.py"
GENERATOR = REPO / "services/batch/generate_synthetic_data.py"
ADVERTISED = "/tmp/advertised-listeners"  # inside the broker container


@pytest.fixture(scope="module")
def kafka() -> Iterator[str]:
    """The streaming stack's broker; yields the bootstrap address for this host."""
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.wait_strategies import LogMessageWaitStrategy

    svc = services("streaming")["kafka"]
    env = env_of(svc)
    host_listener = re.search(r"HOST://:(\d+)", env["KAFKA_LISTENERS"])
    assert host_listener, env["KAFKA_LISTENERS"]
    port = int(host_listener[1])
    broker = (DockerContainer(svc["image"]).with_exposed_ports(port)
              .with_kwargs(hostname=svc["hostname"]))
    for key, value in env.items():
        if key != "KAFKA_ADVERTISED_LISTENERS":
            broker.with_env(key, value)
    # The HOST listener must advertise the port Docker maps, known only once the container
    # runs: the broker waits for it in a file, then starts as the image would.
    broker.with_command(["bash", "-c", f"until [ -s {ADVERTISED} ]; do sleep 0.2; done; "
                         f"export KAFKA_ADVERTISED_LISTENERS=\"$(cat {ADVERTISED})\"; "
                         "exec /etc/kafka/docker/run"])
    broker.start()
    try:
        host, mapped = broker.get_container_host_ip(), broker.get_exposed_port(port)
        listeners = [f"HOST://{host}:{mapped}" if item.startswith("HOST://") else item
                     for item in env["KAFKA_ADVERTISED_LISTENERS"].split(",")]
        result = broker.exec(["bash", "-c", f"printf %s '{','.join(listeners)}' > "
                              f"{ADVERTISED}.new && mv {ADVERTISED}.new {ADVERTISED}"])
        assert result.exit_code == 0, result.output
        (LogMessageWaitStrategy("Kafka Server started").with_startup_timeout(180)
         .wait_until_ready(broker))
        yield f"{host}:{mapped}"
    finally:
        broker.stop()


def write_extracts(folder: Path) -> pd.DataFrame:
    """A small card extract from the generator, and one event a day after it (its own file)
    that moves the watermark past every real window."""
    folder.mkdir()
    subprocess.run([sys.executable, str(GENERATOR), "--config", str(CARD), "--output-dir",
                    str(folder), "--output-name", "cards", "--n", "2000", "--seed", "5",
                    "--no-progress"], check=True, capture_output=True, timeout=120)
    frame = pd.read_csv(folder / "cards.csv")
    latest = frame.loc[[pd.to_datetime(frame["event_time"]).idxmax()]]
    row = json.loads(latest.to_json(orient="records"))[0]
    later = pd.Timestamp(row["event_time"]) + pd.Timedelta(days=1)
    sentinel = {**row, "event_time": later.strftime("%Y-%m-%dT%H:%M:%S"), "city": "~sentinel"}
    (folder / "sentinel.jsonl").write_text(json.dumps(sentinel) + "\n")
    return frame


@pytest.mark.slow
@pytest.mark.spark
@pytest.mark.timeout(1200)  # the first run pulls the Kafka image
def test_producer_and_streaming_job_against_the_kafka_image(kafka: str, tmp_path: Path) -> None:
    producer_then_streaming_job(kafka, tmp_path)


def producer_then_streaming_job(kafka: str, tmp_path: Path) -> None:
    """Replay an extract with the producer, then check every window the job closes."""
    from tests.streaming.conftest import compare, expected_windows, poll, sink_rows, topic_name

    frame = write_extracts(tmp_path / "input")
    topic = topic_name("docker")
    sent = subprocess.run([sys.executable, str(PRODUCER), "--bootstrap-servers", kafka,
                           "--topic", topic, "--input-dir", str(tmp_path / "input"),
                           "--config", str(CARD), "--rate", "0"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert sent.returncode == 0, sent.stdout + sent.stderr

    out = tmp_path / "out" / "streaming_product_revenue"
    log = tmp_path / "stream.log"
    env = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_LOCAL_IP": "127.0.0.1",
           "KAFKA_BOOTSTRAP_SERVERS": kafka, "KAFKA_TOPIC": topic, "OUTPUT_PATH": str(out),
           "CHECKPOINT_DIR": str(tmp_path / "checkpoint"), "STARTING_OFFSETS": "earliest",
           "STREAM_TRIGGER_INTERVAL": "1 second", "SCHEMA_CONFIG_PATH": str(CARD),
           "SPARK_SHUFFLE_PARTITIONS": "2", "STREAM_LIVE_VIEW": "false"}
    with log.open("w") as handle:
        job = subprocess.Popen([sys.executable, str(STREAM_JOB)], env=env, stdout=handle,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        expected = expected_windows(frame, "city", "event_time", "amount")
        poll("every window to close", lambda: len(sink_rows(out)) >= len(expected),
             timeout=300)
        got = sink_rows(out)
        compare(expected, got[got["city"] != "~sentinel"], "city")
        job.send_signal(signal.SIGTERM)
        assert job.wait(timeout=120) == 0, log.read_text()[-3000:]
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)


@pytest.mark.timeout(1800)  # the first build installs the dependencies from PyPI
def test_the_python_image_runs_the_generator_as_compose_does(tmp_path: Path) -> None:
    from testcontainers.core.container import DockerContainer
    from testcontainers.core.image import DockerImage

    svc = services("batch")["data-generator"]
    build = svc["build"]
    out = tmp_path / "input"
    out.mkdir()
    command = [*svc["command"], "--n", "500", "--seed", "9"]
    name = command[command.index("--output-name") + 1]
    with DockerImage(path=str(REPO), dockerfile_path=build["dockerfile"],
                     tag="sdp-python:test", buildargs=build["args"]) as image:
        # The container path compose mounts ./data/input on; the user compose runs it as.
        (target,) = [b["target"] for b in svc["volumes"] if b["source"].endswith("data/input")]
        generator = (DockerContainer(str(image)).with_command(command)
                     .with_volume_mapping(str(out), target, "rw")
                     .with_kwargs(user=f"{os.getuid()}:{os.getgid()}"))
        generator.start()
        try:
            code = generator.wait()
            logs = b"".join(generator.get_logs()).decode(errors="replace")
        finally:
            generator.stop()
    assert code == 0, logs
    lines = (out / f"{name}.csv").read_text().splitlines()
    assert len(lines) == 501
    assert lines[0].split(",")[:2] == ["event_id", "event_time"]
