"""Both compose files, checked without a daemon: Compose accepts them with the repo's .env,
and every service is wired as the design says (one network, predictable hostnames, health
checks and start order, restart policies, bind mounts, the design's ports)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.docker.compose import (
    REPO,
    STACKS,
    all_services,
    binds,
    compose,
    config,
    containers,
    dotenv,
    services,
)

# Folders the design bind-mounts (seed section 7); nothing else of the repo is writable.
DATA_FOLDERS = {"data", "hdfs", "checkpoints", "spark-events"}
# Published host ports per stack: the design's (seed section 8, DESIGN.md), plus the
# streaming job's own Spark UI.
PORTS = {"batch": {5000, 8080, 9870, 18081}, "streaming": {5100, 8080, 9092, 4040}}
# Dependencies a service only wants started alongside it, not waited for.
STARTED_ONLY = {("spark-app", "spark-history")}


@pytest.mark.parametrize("stack", STACKS)
def test_compose_accepts_the_file_with_the_repos_env(stack: str) -> None:
    done = compose(stack, "config", "-q")
    assert done.returncode == 0, done.stderr
    # A variable missing from .env would only be a warning: treat it as the error it is.
    assert done.stderr.strip() == "", done.stderr


@pytest.mark.parametrize("stack", STACKS)
def test_every_service_is_on_the_one_named_network_under_its_own_name(stack: str) -> None:
    (network,) = config(stack)["networks"].values()
    assert network["name"] == f"sdp-{stack}"
    for name, svc in services(stack).items():
        assert list(svc["networks"]) == list(config(stack)["networks"]), name
        assert svc.get("hostname") == name, f"{name}: hostname must be the service name"
        assert not svc.get("container_name"), f"{name}: a fixed container name blocks reruns"


def test_each_stack_is_its_own_compose_project() -> None:
    assert {config(stack)["name"] for stack in STACKS} == {"sdp-batch", "sdp-streaming"}


@pytest.mark.parametrize(("stack", "name", "svc"), all_services(),
                         ids=[f"{s}-{n}" for s, n, _ in all_services()])
def test_long_running_services_have_a_healthcheck_and_restart_policy(
        stack: str, name: str, svc: dict) -> None:
    one_shot = svc.get("restart") == "no"
    if one_shot:
        assert "healthcheck" not in svc, f"{name} runs once; a healthcheck would never pass"
    else:
        assert svc.get("restart") == "unless-stopped", name
        test = svc.get("healthcheck", {}).get("test") or ["NONE"]
        assert test[0] in ("CMD", "CMD-SHELL"), f"{name} needs a healthcheck"
        assert svc["healthcheck"].get("start_period"), f"{name}: give it time to start"


@pytest.mark.parametrize("stack", STACKS)
def test_depends_on_waits_for_the_right_condition(stack: str) -> None:
    svcs = services(stack)
    for name, svc in svcs.items():
        for dep, how in (svc.get("depends_on") or {}).items():
            target = svcs[dep]
            if target.get("restart") == "no":
                expected = "service_completed_successfully"
            elif (name, dep) in STARTED_ONLY:
                expected = "service_started"
            else:
                expected = "service_healthy"
            assert how["condition"] == expected, f"{name} -> {dep}"


def reachable(svcs: dict, start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(svcs[name].get("depends_on") or {})
    return seen


@pytest.mark.parametrize(("stack", "target"), [("batch", "dashboard"),
                                               ("streaming", "streaming-dashboard")])
def test_starting_the_dashboard_starts_the_whole_stack(stack: str, target: str) -> None:
    """`docker compose -f ... up dashboard` (seed 8) must bring up every service."""
    assert reachable(services(stack), target) == set(services(stack))


def test_bind_mounts_exist_in_the_repo_and_only_data_folders_are_writable() -> None:
    for c in containers():
        for bind in binds(c.svc):
            source = Path(bind["source"])
            assert source.is_relative_to(REPO), f"{c.name}: {source} is outside the repo"
            # Docker would create a missing source as an empty root-owned folder.
            assert source.exists(), f"{c.name}: bind mount source {source} does not exist"
            top = source.relative_to(REPO).parts[0]
            if not bind.get("read_only"):
                assert top in DATA_FOLDERS, f"{c.name} may write into {source}"


@pytest.mark.parametrize("stack", STACKS)
def test_published_ports_are_the_designs_on_loopback(stack: str) -> None:
    published = set()
    for name, svc in services(stack).items():
        for port in svc.get("ports", []):
            # No authentication anywhere in the demo: keep it off the network.
            assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"
            published.add(int(port["published"]))
    assert published == PORTS[stack]


def test_containers_writing_to_bind_mounts_run_as_the_host_user() -> None:
    host_user = "{HOST_UID}:{HOST_GID}".format(**dotenv())
    for c in containers():
        writes = [b["source"] for b in binds(c.svc) if not b.get("read_only")]
        if writes and not c.base_image.startswith("apache/hadoop"):
            # HDFS keeps the image's own user; start-hdfs.sh makes ./hdfs writable for it.
            assert c.svc.get("user") == host_user, f"{c.name} writes {writes} as another user"


def test_build_contexts_and_dockerfiles_exist() -> None:
    for _, name, svc in all_services():
        if "build" in svc:
            context = Path(svc["build"]["context"])
            # The root: the images need pyproject.toml, package-lock.json and the code.
            assert context == REPO, f"{name}: build context {context}"
            assert (context / svc["build"]["dockerfile"]).is_file(), name


def test_builds_of_the_same_image_agree() -> None:
    """Services sharing an image tag must build it the same way, in both stacks."""
    builds: dict[str, dict] = {}
    for _, name, svc in all_services():
        if "build" in svc:
            first = builds.setdefault(svc["image"], svc["build"])
            assert svc["build"] == first, f"{name} builds {svc['image']} differently"
    assert set(builds) == {"sdp-python:local", "sdp-spark:local", "sdp-event-generator:local"}
