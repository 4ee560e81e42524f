"""The Docker files read without a daemon: Compose resolves both stacks with the repo's
.env, every service runs the one image and never pulls, every published port listens on
BIND_ADDRESS (loopback by default), the streaming stack is the design's product demo in
the right order, the Dockerfile builds with the classic builder from the one base, and no
engine version is written anywhere but in the files `make test` uses."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from services.common.paths import REPO_ROOT
from services.common.variables import CATALOGUE
from services.infra import cli as infra_cli
from services.infra import registry as registry_engine
from tests.docker.stacks import FILES, IMAGE, dotenv

DOCKERFILE = REPO_ROOT / "docker" / "Dockerfile"
ENTRYPOINT = REPO_ROOT / "docker" / "entrypoint.sh"


def resolved(kind: str, env_file: Path | None = None, **env: str) -> dict[str, Any]:
    """The stack as Compose resolves it with the repo's .env (or `env_file`), `env` on top
    (the shell wins in Compose's interpolation)."""
    extra = ["--env-file", str(env_file)] if env_file else []
    done = subprocess.run([str(Path(sys.executable).parent / "docker-compose"),
                           "-f", FILES[kind], "--project-directory", str(REPO_ROOT), *extra,
                           "config", "--format", "json"],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
                          env={**{k: v for k, v in os.environ.items()
                                  if k not in dotenv()}, **env})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module", params=sorted(FILES))
def stack(request: pytest.FixtureRequest) -> dict[str, Any]:
    return resolved(request.param)


def test_every_service_runs_the_one_image_and_never_pulls(stack: dict[str, Any]) -> None:
    for name, svc in stack["services"].items():
        assert svc["image"] == IMAGE, name
        assert svc.get("pull_policy") == "never", name
        assert svc["build"]["dockerfile"] == "docker/Dockerfile", name
        assert svc["build"]["args"]["BASE_IMAGE"] == dotenv()["BASE_IMAGE"], name


def entrypoint_variables() -> set[str]:
    """The variables docker/entrypoint.sh reads (${NAME-...} or ${NAME:-...})."""
    return set(re.findall(r"\$\{([A-Z_]+):?-", ENTRYPOINT.read_text()))


def test_no_service_fixes_its_user_and_each_passes_the_overrides(stack: dict[str, Any]) -> None:
    """The entry point picks the user from the mounted folders; a fixed `user:` would undo
    that. HOST_UID and HOST_GID reach it as .env has them (empty there)."""
    env = dotenv()
    assert env["HOST_UID"] == env["HOST_GID"] == ""
    assert {"HOST_UID", "HOST_GID"} <= entrypoint_variables()
    for name, svc in stack["services"].items():
        assert "user" not in svc, name
        assert svc["environment"]["HOST_UID"] == env["HOST_UID"], name
        assert svc["environment"]["HOST_GID"] == env["HOST_GID"], name
        assert list(svc["networks"]) == [next(iter(stack["networks"]))], name
        assert svc.get("init") is True, name


def published(stack: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(name, port) for name, svc in stack["services"].items()
            for port in svc.get("ports", [])]


def test_ports_are_published_on_loopback_only(stack: dict[str, Any]) -> None:
    assert dotenv()["BIND_ADDRESS"] == "127.0.0.1"
    assert published(stack)
    for name, port in published(stack):
        assert port["host_ip"] == "127.0.0.1", (name, port)


@pytest.mark.parametrize("kind", sorted(FILES))
def test_every_published_port_listens_on_bind_address(kind: str, tmp_path: Path) -> None:
    """BIND_ADDRESS from the environment moves every port; without .env (a setting left
    out) they stay on loopback."""
    for name, port in published(resolved(kind, BIND_ADDRESS="192.0.2.7")):
        assert port["host_ip"] == "192.0.2.7", (name, port)
    empty = tmp_path / "empty.env"
    empty.write_text("")
    ports = published(resolved(kind, env_file=empty))
    assert ports and all(port["host_ip"] == "127.0.0.1" for _, port in ports), ports


def schema_of(svc: dict[str, Any]) -> str:
    return Path(svc["environment"]["SCHEMA_CONFIG_PATH"]).name


def test_the_streaming_stack_replays_the_generated_retail_extract() -> None:
    """The design's product demo: the generator ends before the producer replays its extract,
    and the producer, the job and the dashboard read the retail schema; the job's event log
    is served by a history server that is healthy before the job starts."""
    services = resolved("streaming")["services"]
    generator, producer = services["data-generator"], services["event-generator"]
    assert producer["depends_on"]["data-generator"]["condition"] == \
        "service_completed_successfully"
    assert "--output-dir /opt/spark-data/input" in generator["command"][-1]
    assert "retail_orders.json" in generator["command"][-1]
    assert {schema_of(services[s]) for s in ("event-generator", "spark-stream",
                                             "streaming-dashboard")} == {"retail_orders.json"}
    assert services["spark-stream"]["depends_on"]["spark-history"]["condition"] == \
        "service_healthy"
    mounts = {v["target"]: v["source"] for v in services["spark-stream"]["volumes"]}
    history = services["spark-history"]
    assert {v["target"]: v["source"] for v in history["volumes"]} == {
        "/opt/spark-events": mounts["/opt/spark-events"]}
    assert [(p["target"], p["published"]) for p in history["ports"]] == [
        (18081, dotenv()["SPARK_HISTORY_PORT"])]


def test_the_live_stream_is_one_setting_away() -> None:
    services = resolved("streaming", STREAM_LIVE_SCHEMA="card_transactions")["services"]
    assert {schema_of(services[s]) for s in ("event-generator", "spark-stream",
                                             "streaming-dashboard")} == {
        "card_transactions.json"}
    live = services["event-generator"]["command"][-1]
    assert 'if [ -n "card_transactions" ]' in live and "--generate --time-scale 60" in live


def test_the_producer_and_the_job_use_the_stacks_schema_registry() -> None:
    """EVENT_FORMAT reaches the producer and the job (json by default, .env documents it);
    both name the registry service's API and wait until it is healthy."""
    assert dotenv()["EVENT_FORMAT"] == "json"
    for format_, env in (("json", {}), ("avro", {"EVENT_FORMAT": "avro"})):
        services = resolved("streaming", **env)["services"]
        registry = services["schema-registry"]
        assert registry["command"][3:6] == ["registry", "run", "registry"]
        (port,) = registry["ports"]
        assert (port["target"], port["published"]) == (
            registry_engine.Registry.well_known_ports["http port"],
            dotenv()["SCHEMA_REGISTRY_PORT"])
        url = (f"http://{registry['hostname']}:{port['target']}{registry_engine.CCOMPAT}")
        for name in ("event-generator", "spark-stream"):
            svc = services[name]
            assert svc["environment"]["EVENT_FORMAT"] == format_, name
            assert svc["environment"]["SCHEMA_REGISTRY_URL"] == url, name
            assert svc["depends_on"]["schema-registry"]["condition"] == "service_healthy"


def test_bind_mounts_are_the_data_folders(stack: dict[str, Any]) -> None:
    allowed = {(REPO_ROOT / dotenv()[v]).resolve() for v in
               ("DATA_DIR", "HDFS_DIR", "CHECKPOINTS_DIR", "SPARK_EVENTS_DIR")}
    for name, svc in stack["services"].items():
        for volume in svc.get("volumes", []):
            assert volume["type"] == "bind", (name, volume)
            source = Path(volume["source"]).resolve()
            assert any(source == a or a in source.parents for a in allowed), (name, source)


def test_services_are_configured_only_through_catalogued_settings(
        stack: dict[str, Any]) -> None:
    for name, svc in stack["services"].items():
        unknown = set(svc.get("environment") or {}) - set(CATALOGUE) - entrypoint_variables()
        assert unknown == set(), f"{name} sets variables no code reads: {unknown}"


def test_long_running_services_have_a_healthcheck(stack: dict[str, Any]) -> None:
    for name, svc in stack["services"].items():
        if svc.get("restart") == "unless-stopped":
            assert "healthcheck" in svc, name
        for needed, how in svc.get("depends_on", {}).items():
            if how["condition"] == "service_healthy":
                assert "healthcheck" in stack["services"][needed], (name, needed)


def test_only_engines_restart_by_themselves(stack: dict[str, Any]) -> None:
    """A job, loader, producer or dashboard with a bad setting exits 2 with one error line;
    a restart policy would turn that into a loop that buries the line."""
    for name, svc in stack["services"].items():
        engine = svc["command"][:3] == ["python", "-m", "services.infra"]
        assert svc.get("restart", "no") == ("unless-stopped" if engine else "no"), name


def test_engines_start_through_services_infra(stack: dict[str, Any]) -> None:
    """Each engine container runs `services.infra ENGINE run DAEMON` with a daemon the
    engine has, and probes the same daemon as its healthcheck."""
    engines = {name: factory(Path("/tmp/x")) for name, (factory, _) in infra_cli.ENGINES.items()}
    seen = 0
    for name, svc in stack["services"].items():
        command = svc["command"]
        if command[:3] != ["python", "-m", "services.infra"]:
            continue
        engine, action, daemon = command[3:6]
        assert action == "run" and daemon in engines[engine].daemons, name
        probe = svc["healthcheck"]["test"]
        assert probe[1:] == ["python", "-m", "services.infra", engine, "probe", daemon], name
        seen += 1
    assert seen >= 3


def test_scripts_in_commands_exist(stack: dict[str, Any]) -> None:
    for name, svc in stack["services"].items():
        for part in svc["command"]:
            if part.endswith(".py") and not part.startswith("-"):
                path = Path(part.removeprefix("/opt/"))
                assert (REPO_ROOT / path).is_file(), (name, part)


def test_dockerfile_builds_with_the_classic_builder_from_the_one_base() -> None:
    text = DOCKERFILE.read_text()
    assert not re.search(r"^#\s*syntax", text, re.M)
    assert "--mount" not in text
    stages: list[str] = []
    for source, stage in re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$", text, re.M):
        assert source == "${BASE_IMAGE}" or source in stages, source  # no other image
        stages.append(stage)
    assert stages[0] == "os" and stages[-1] == ""
    assert re.search(r"^ARG BASE_IMAGE=debian:bookworm-slim$", text, re.M)


def test_no_second_list_of_engine_versions() -> None:
    """Versions live in pyproject.toml, jvm/*/pom.xml and package-lock.json only."""
    texts = [DOCKERFILE.read_text(), (REPO_ROOT / ".env").read_text(),
             *((REPO_ROOT / f).read_text() for f in FILES.values())]
    version = re.compile(r"(?<![\d.])\d+\.\d+\.\d+(?![\d.])")  # 4.1.3, not 127.0.0.1
    for text in texts:
        assert not version.search(text), version.findall(text)


def test_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    done = subprocess.run([str(hadolint), "--ignore", "DL3008", str(DOCKERFILE)],
                          capture_output=True, text=True, timeout=60, check=False)
    # DL3008 (pin apt versions): the base's Debian suite pins them.
    assert done.returncode == 0, done.stdout + done.stderr


def test_build_context_holds_what_the_dockerfile_copies() -> None:
    """Every COPY source (outside other stages) is let in by .dockerignore."""
    allowed = [line[1:] for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
               if line.startswith("!")]
    for line in re.findall(r"^COPY\s+(?!--from)(.+)$", DOCKERFILE.read_text(), re.M):
        for source in line.split()[:-1]:
            assert (REPO_ROOT / source).exists(), source
            assert any(source == a or source.startswith(f"{a}/") for a in allowed), source
