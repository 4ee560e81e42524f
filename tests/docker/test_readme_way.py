"""The README's two Docker commands, exactly as written, in a fresh clone with the repository's
own folders and .env, once by root and once by a user who is neither root nor the image's uid
1000, each owning the clone: the batch stack shows its KPIs, the streaming stack a closed
window, every file the containers wrote belongs to the owner of the clone, and the clone's
tracked files are as they were."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.infra import net
from tests.docker.readme_way import fresh_clone, git, readme_commands, readme_stack
from tests.docker.stacks import FILES, FOLDER_VARIABLES, OTHER_UID, Stack
from tests.polling import poll

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(1800)]


def test_the_readme_has_one_command_per_stack_each_waiting_for_its_dashboard() -> None:
    commands = readme_commands()
    assert list(commands) == list(FILES)
    for kind, target in (("batch", "dashboard"), ("streaming", "streaming-dashboard")):
        argv = commands[kind]
        assert argv[:2] == ["docker", "compose"] and "up" in argv and "--wait" in argv
        assert argv[-1] == target


@pytest.fixture
def workdir() -> Iterator[Path]:
    """A folder any user can enter (pytest's own are root's alone)."""
    path = Path(tempfile.mkdtemp(prefix="sdp-readme-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def status(clone: Path) -> bytes:
    return git("-c", "safe.directory=*", "-C", str(clone), "status", "--porcelain")


def owners(stack: Stack) -> dict[int, list[str]]:
    """Who owns what the stack wrote in the bind-mounted folders (beside the clone's
    .gitkeep files): uid -> a few paths."""
    found: dict[int, list[str]] = {}
    for variable in FOLDER_VARIABLES:
        for path in stack.folder(variable).rglob("*"):
            if path.name != ".gitkeep":
                found.setdefault(path.lstat().st_uid, []).append(str(path))
    return {uid: paths[:3] for uid, paths in found.items()}


@pytest.mark.parametrize("who", ["root", "another user"])
def test_the_readme_commands_work_for_whoever_owns_the_clone(sdp_image: str, workdir: Path,
                                                              who: str) -> None:
    if os.getuid() != 0 and who == "root":
        pytest.skip("running the commands as root needs a test run as root")
    uid = (0 if who == "root" else OTHER_UID) if os.getuid() == 0 else os.getuid()
    clone = fresh_clone(workdir / "clone", uid)
    tracked = status(clone)
    schema = json.loads((clone / "services/batch/schemas/card_transactions.json").read_text())

    with readme_stack("batch", clone, uid) as batch:
        kpis = net.get_json(batch.url("DASHBOARD_PORT", "/api/kpis"), timeout=30)
        assert kpis is not None and kpis["status"] == "ok", kpis
        assert kpis["data"]["records"] == schema["entity_count"]  # .env's ROWS is empty
        written = owners(batch)
    assert set(written) == {uid}, written
    assert (clone / "data/output/analysis_csv_kpis").is_dir()
    assert any((clone / "hdfs").iterdir()) and any((clone / "spark-events").iterdir())

    with readme_stack("streaming", clone, uid) as streaming:
        windows = streaming.url("STREAMING_DASHBOARD_PORT", "/api/windows")
        poll("a closed window on the streaming dashboard",
             lambda: (net.get_json(windows) or {}).get("data") or {},
             until=lambda data: data.get("closed_windows"), timeout=300, interval=1)
        written = owners(streaming)
    assert set(written) == {uid}, written
    assert any((clone / "checkpoints").iterdir())

    assert status(clone) == tracked  # what the stacks wrote is all git-ignored
