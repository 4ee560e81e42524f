"""The compose files against the code the containers run: each service runs files that
exist and sets only variables that its code (or its image) reads, and hostnames, ports and
shared folders agree with the code's defaults and between the writer and the reader."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.docker.compose import (
    DOCKERFILES,
    REPO,
    STACKS,
    Container,
    container,
    containers,
    dockerfile,
    env_of,
    services,
)
from tests.docker.envscan import closure, python_reads, shell_reads

# Variables the public images consume themselves; the project's code never sees them.
IMAGE_SETTINGS = {
    "apache/spark": {"SPARK_DAEMON_MEMORY", "SPARK_WORKER_CORES", "SPARK_WORKER_MEMORY",
                     "SPARK_WORKER_DIR", "SPARK_HISTORY_OPTS",
                     "HADOOP_CONF_DIR"},  # Spark's launcher puts it on the classpath
    "apache/hadoop": {"HADOOP_CONF_DIR", "HADOOP_HEAPSIZE_MAX"},
    "apache/kafka": {"CLUSTER_ID"},  # and KAFKA_*: every one becomes a broker property
}
# Set by the project's Dockerfiles for Python itself, pip and the shell.
RUNTIME_SETTINGS = {"PYTHONPATH", "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED",
                    "PIP_DISABLE_PIP_VERSION_CHECK", "HOME"}


def image_reads(c: Container, name: str) -> bool:
    family = c.base_image.rpartition(":")[0]
    if family == "apache/kafka" and name.startswith("KAFKA_"):
        return True
    return name in IMAGE_SETTINGS.get(family, set())


def entry_files(c: Container) -> tuple[set[Path], set[Path]]:
    """The repo's Python files and shell scripts the container runs (its commands and
    healthchecks); each must exist."""
    python, shell = set(), set()
    for line in c.commands():
        for i, word in enumerate(line):
            if i and line[i - 1] == "-m":
                package = c.repo_path(word.replace(".", "/"))
                path = package / "__main__.py" if package else None
            elif word.startswith("/") or word.endswith((".py", ".sh")):
                path = c.repo_path(word)
            else:
                continue
            if path is None:
                continue  # a path of the base image (/opt/spark/bin/..., /dev/null)
            assert path.exists(), f"{c.stack}/{c.name} runs {word}, but {path} does not exist"
            if path.suffix == ".py":
                python.add(path)
            elif path.suffix == ".sh":
                shell.add(path)
    return python, shell


def reads(c: Container) -> set[str]:
    python, shell = entry_files(c)
    names = python_reads(closure(python))
    for script in shell:
        names |= shell_reads(script)
    return names


@pytest.mark.parametrize("c", containers(), ids=lambda c: f"{c.stack}-{c.name}")
def test_the_files_a_service_runs_exist(c: Container) -> None:
    python, shell = entry_files(c)
    if c.built is not None or c.base_image.startswith("apache/hadoop"):
        assert python or shell, f"{c.name} runs nothing of the repo: check its command"


def test_the_scanner_sees_every_way_the_code_reads_a_variable() -> None:
    producer = reads(container("streaming", "event-generator"))
    assert {"KAFKA_TOPIC", "EVENTS_PER_SECOND", "LOG_LEVEL"} <= producer
    assert {"DASHBOARD_PORT", "OUT_LOCAL_CSV"} <= reads(container("batch", "dashboard"))
    assert {"USE_HDFS", "OUT_LOCAL_CSV"} <= reads(container("batch", "spark-app"))
    assert {"LOCAL_INPUT_DIR"} <= reads(container("batch", "hdfs-init"))


@pytest.mark.parametrize("c", containers(), ids=lambda c: f"{c.stack}-{c.name}")
def test_a_service_sets_only_variables_that_its_code_or_image_reads(c: Container) -> None:
    known = reads(c)
    for name in env_of(c.svc):
        assert name in known or image_reads(c, name), (
            f"{c.stack}/{c.name} sets {name}, which neither its code nor its image reads")


@pytest.mark.parametrize("path", DOCKERFILES)
def test_an_image_sets_only_variables_that_the_code_it_carries_reads(path: str) -> None:
    users = [c for c in containers() if c.built is not None and c.built.path == REPO / path]
    assert users, f"no service is built from {path}"
    known = set().union(*map(reads, users)) | RUNTIME_SETTINGS
    for keyword, rest in dockerfile(path).final.instructions:
        if keyword == "ENV":
            for name in re.findall(r"(\w+)=", rest):
                assert name in known, f"{path}: ENV {name} is read by none of its services"


# --- hostnames and ports ---------------------------------------------------------------------

def published(svc: dict, target: int) -> int:
    (port,) = [p for p in svc.get("ports", []) if p["target"] == target]
    return int(port["published"])


def test_kafka_is_where_the_code_looks_for_it() -> None:
    from services.kafka.settings import DEFAULT_BOOTSTRAP
    from services.spark.streaming_job import StreamSettings

    default = StreamSettings.from_env({}).bootstrap_servers
    assert default == DEFAULT_BOOTSTRAP == "kafka:9092"
    host, _, port = default.partition(":")
    svcs = services("streaming")
    kafka = env_of(svcs[host])
    assert f"PLAINTEXT://:{port}" in kafka["KAFKA_LISTENERS"].split(",")
    assert f"PLAINTEXT://{default}" in kafka["KAFKA_ADVERTISED_LISTENERS"].split(",")
    # The host's localhost:9092 reaches the HOST listener, which advertises that address.
    host_listener = re.search(r"HOST://:(\d+)", kafka["KAFKA_LISTENERS"])
    assert host_listener and published(svcs[host], int(host_listener[1])) == int(port)
    assert f"HOST://localhost:{port}" in kafka["KAFKA_ADVERTISED_LISTENERS"].split(",")
    clients = [env_of(svc) for svc in svcs.values() if "KAFKA_BOOTSTRAP_SERVERS" in env_of(svc)]
    assert len(clients) == 2
    assert {c["KAFKA_BOOTSTRAP_SERVERS"] for c in clients} == {default}
    assert len({c["KAFKA_TOPIC"] for c in clients}) == 1


def test_hdfs_is_where_the_code_looks_for_it() -> None:
    from services.spark.batch_job import BatchSettings

    on_hdfs = BatchSettings.from_env({"USE_HDFS": "true"})
    core = ET.parse(REPO / "docker/hadoop/core-site.xml").getroot()
    default_fs = core.findtext("property[name='fs.defaultFS']/value")
    assert default_fs == "hdfs://namenode:8020"
    assert on_hdfs.input_path == f"{default_fs}/data/input"
    assert on_hdfs.out_parquet == f"{default_fs}/data/output/analysis_parquet"
    assert env_of(services("batch")["spark-app"])["HDFS_NAMENODE_URI"] == default_fs
    assert urlparse(default_fs).hostname in services("batch")
    init = (REPO / "docker/hadoop/hdfs-init.sh").read_text()
    for folder in ("/data/input", "/data/output", "/spark-events"):
        assert folder in init
    hdfs = ET.parse(REPO / "docker/hadoop/hdfs-site.xml").getroot()
    ui = hdfs.findtext("property[name='dfs.namenode.http-address']/value") or ""
    assert published(services("batch")["namenode"], int(ui.rpartition(":")[2])) == 9870


@pytest.mark.parametrize("stack", STACKS)
def test_spark_master_url_is_the_masters_address(stack: str) -> None:
    svcs = services(stack)
    command = svcs["spark-master"]["command"]
    option = dict(zip(command[2::2], command[3::2], strict=False))
    url = f"spark://{option['--host']}:{option['--port']}"
    assert option["--host"] == "spark-master"
    assert published(svcs["spark-master"], int(option["--webui-port"])) == 8080
    for name, svc in svcs.items():
        if name.startswith("spark-worker"):
            assert url in svc["command"], name
        if "SPARK_MASTER" in env_of(svc):
            assert env_of(svc)["SPARK_MASTER"] == url, name


@pytest.mark.parametrize(("stack", "name", "prefix"), [
    ("batch", "dashboard", "DASHBOARD"), ("streaming", "streaming-dashboard",
                                          "STREAMING_DASHBOARD")])
def test_dashboards_listen_on_every_interface_on_their_default_port(
        stack: str, name: str, prefix: str) -> None:
    from dashboard.settings import OPTIONS as BATCH
    from streaming_dashboard.settings import OPTIONS as STREAMING

    defaults = {o.env: o.default for o in (*BATCH, *STREAMING)}
    port = defaults[f"{prefix}_PORT"]
    assert port == {"DASHBOARD": 5000, "STREAMING_DASHBOARD": 5100}[prefix]
    svc = services(stack)[name]
    env = env_of(svc)
    assert env[f"{prefix}_HOST"] == "0.0.0.0"  # inside the container; published on loopback
    assert int(env[f"{prefix}_PORT"]) == port
    assert published(svc, port) == port
    assert svc["healthcheck"]["test"][-1] == f"http://localhost:{port}/healthz"


# --- folders shared between containers ---------------------------------------------------------

def shared(stack: str, variable: str, *names: str) -> Path:
    """The host folder behind `variable`, which every named service must see at the same
    container path and the same host folder (writers, readers, executors)."""
    values = {env_of(services(stack)[n]).get(variable) for n in names}
    values.discard(None)
    assert len(values) == 1, f"{variable} differs between {names}"
    (path,) = values
    hosts = {container(stack, n).host_folder(path) for n in names}
    assert len(hosts) == 1 and None not in hosts, f"{path} is not one folder for {names}"
    return hosts.pop()


def workers(stack: str) -> list[str]:
    return [n for n in services(stack) if n.startswith("spark-worker")]


def test_the_batch_job_writes_where_the_dashboard_reads() -> None:
    from services.spark.batch_job import BatchSettings

    host = shared("batch", "OUT_LOCAL_CSV", "spark-app", "dashboard")
    # Executors write the CSV parts, so the workers need the same folder too.
    csv = env_of(services("batch")["spark-app"])["OUT_LOCAL_CSV"]
    assert csv == BatchSettings.from_env({}).out_local_csv
    for worker in workers("batch"):
        assert container("batch", worker).host_folder(csv) == host
    assert host == REPO / "data/output/analysis_csv"


def test_the_streaming_job_writes_where_the_dashboard_reads() -> None:
    from services.spark.streaming_job import StreamSettings

    host = shared("streaming", "OUTPUT_PATH", "spark-stream", "streaming-dashboard")
    assert host == REPO / "data/output/streaming_product_revenue"
    env = env_of(services("streaming")["spark-stream"])
    assert env["CHECKPOINT_DIR"] == StreamSettings.from_env({}).checkpoint_dir
    checkpoint = container("streaming", "spark-stream").host_folder(env["CHECKPOINT_DIR"])
    assert checkpoint is not None and checkpoint.is_relative_to(REPO / "checkpoints")
    # Executors write the sink's files and the state store.
    for worker in workers("streaming"):
        for path, expected in ((env["OUTPUT_PATH"], host), (env["CHECKPOINT_DIR"], checkpoint)):
            assert container("streaming", worker).host_folder(path) == expected, worker


def test_extracts_go_from_the_generator_to_hdfs_init_and_the_producer() -> None:
    from services.kafka.settings import DEFAULT_INPUT_DIR

    generator = services("batch")["data-generator"]["command"]
    out = generator[generator.index("--output-dir") + 1]
    folder = container("batch", "data-generator").host_folder(out)
    assert folder == REPO / "data/input"
    init_default = re.search(r"LOCAL_INPUT_DIR:-([^}]+)\}",
                             (REPO / "docker/hadoop/hdfs-init.sh").read_text())
    assert init_default and container("batch", "hdfs-init").host_folder(init_default[1]) == folder
    producer = env_of(services("streaming")["event-generator"])["EVENT_INPUT_DIR"]
    assert producer == DEFAULT_INPUT_DIR
    assert container("streaming", "event-generator").host_folder(producer) == folder


def test_event_logs_go_where_the_history_server_reads() -> None:
    conf = dict(line.split(None, 1) for line in
                (REPO / "docker/spark/spark-defaults.conf").read_text().splitlines()
                if line.strip() and not line.startswith("#"))
    logs = urlparse(conf["spark.eventLog.dir"].strip()).path
    for stack, job in (("batch", "spark-app"), ("streaming", "spark-stream")):
        assert container(stack, job).host_folder(logs) == REPO / "spark-events", job
    options = env_of(services("batch")["spark-history"])["SPARK_HISTORY_OPTS"]
    read = re.search(r"-Dspark\.history\.fs\.logDirectory=(\S+)", options)
    assert read and container("batch", "spark-history").host_folder(
        urlparse(read[1]).path) == REPO / "spark-events"
    ui = re.search(r"-Dspark\.history\.ui\.port=(\d+)", options)
    assert ui and published(services("batch")["spark-history"], int(ui[1])) == 18081
