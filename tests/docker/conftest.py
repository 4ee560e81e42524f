"""The `docker` tests need a Docker daemon; without one they skip with one reason. The image
is built once per session (cached layers make it quick after the first build)."""

from __future__ import annotations

import pytest

from tests.docker.stacks import build_image, daemon_problem


@pytest.fixture(scope="session")
def docker_daemon() -> None:
    problem = daemon_problem()
    if problem is not None:
        pytest.skip(problem)


@pytest.fixture(scope="session")
def sdp_image(docker_daemon: None) -> str:
    build_image()
    return "sdp:local"
