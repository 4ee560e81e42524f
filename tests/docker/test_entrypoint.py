"""The image's entry point for real: containers of the built image, started as root the way
Compose starts them, with bind-mounted temporary folders of different owners. The service
must run as the owner of its mounted folders (files it writes stay theirs), take HOST_UID
and HOST_GID as overrides, and end with one `error:` line, exit 2, where that user cannot
write a mounted folder."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.docker.stacks import IMAGE

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]
# Prints uid:gid, the user's name from id and from passwd, and the owner (uid:gid) of a file
# written in each folder given.
WHO = ("echo $(id -u):$(id -g) $(id -un) $(getent passwd $(id -u) | cut -d: -f1)"
       " && for d in \"$@\"; do touch $d/written && stat -c %u:%g $d/written; done")


def folder(root: Path, name: str, owner: tuple[int, int], mode: int = 0o755) -> Path:
    path = root / name
    path.mkdir()
    os.chown(path, *owner)
    path.chmod(mode)
    return path


def run(mounts: dict[Path, str], *writes: str, env: dict[str, str] | None = None,
        user: str | None = None) -> subprocess.CompletedProcess[str]:
    argv = ["docker", "run", "--rm", "--init"]
    for source, target in mounts.items():
        argv += ["-v", f"{source}:{target}"]
    for key, value in (env or {}).items():
        argv += ["-e", f"{key}={value}"]
    if user is not None:
        argv += ["--user", user]
    argv += [IMAGE, "sh", "-c", WHO, "sh", *writes]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def ran_as(done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.split()


def one_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert done.stdout == ""  # the service never started
    return lines[0]


@pytest.fixture(scope="module", autouse=True)
def image(sdp_image: str) -> str:
    return sdp_image


@pytest.mark.parametrize("owner", [(0, 0), (1234, 2345), (1000, 1000)])
def test_the_service_runs_as_the_owner_of_its_mounted_folder(tmp_path: Path,
                                                              owner: tuple[int, int]) -> None:
    hdfs = folder(tmp_path, "hdfs", owner)
    uid_gid, name, passwd_name, written = ran_as(run({hdfs: "/hdfs"}, "/hdfs"))
    assert uid_gid == written == f"{owner[0]}:{owner[1]}"
    assert name == passwd_name  # the JVM's login finds a name for the uid
    assert (hdfs / "written").stat().st_uid == owner[0]
    assert (hdfs / "written").stat().st_gid == owner[1]


def test_the_first_mounted_folder_decides_and_every_writable_one_is_checked(
        tmp_path: Path) -> None:
    data = folder(tmp_path, "data", (1234, 1234))
    events = folder(tmp_path, "events", (1234, 1234))
    who = ran_as(run({data: "/opt/spark-data", events: "/opt/spark-events"},
                     "/opt/spark-data", "/opt/spark-events"))
    assert who == ["1234:1234", "host1234", "host1234", "1234:1234", "1234:1234"]
    root_owned = folder(tmp_path, "root-owned", (0, 0))
    line = one_error(run({data: "/opt/spark-data", root_owned: "/opt/spark-events"}))
    assert "cannot write /opt/spark-events" in line
    assert "SPARK_EVENTS_DIR" in line and "./spark-events" in line
    assert "uid 1234 gid 1234" in line and "sudo chown -R 1234:1234 ./spark-events" in line


def test_a_folder_its_owner_cannot_write_ends_the_service_with_one_line(
        tmp_path: Path) -> None:
    hdfs = folder(tmp_path, "hdfs", (1234, 1234), mode=0o555)
    line = one_error(run({hdfs: "/hdfs"}))
    assert "cannot write /hdfs" in line and "HDFS_DIR" in line and "uid 1234" in line
    assert line.endswith("which owns it: on the host, let its owner write it "
                         "(chmod -R u+w ./hdfs)")  # chown would change nothing
    assert list(hdfs.iterdir()) == []  # the write check leaves nothing behind


def test_a_read_only_mount_gives_the_owner_and_is_not_written(tmp_path: Path) -> None:
    output = folder(tmp_path, "output", (1234, 2345), mode=0o555)
    assert ran_as(run({output: "/opt/spark-data/output:ro"}))[0] == "1234:2345"


def test_without_a_mounted_folder_the_service_runs_as_uid_1000() -> None:
    assert ran_as(run({}))[0] == "1000:1000"


def test_host_uid_and_gid_override_the_owner(tmp_path: Path) -> None:
    shared = folder(tmp_path, "shared", (1234, 1234), mode=0o777)
    who = ran_as(run({shared: "/hdfs"}, "/hdfs", env={"HOST_UID": "4321", "HOST_GID": "4322"}))
    assert who[0] == who[3] == "4321:4322"
    assert ran_as(run({shared: "/hdfs"}, env={"HOST_UID": "4321", "HOST_GID": ""}))[0] \
        == "4321:1234"  # an empty one keeps the owner's
    owned = folder(tmp_path, "owned", (1234, 1234))
    line = one_error(run({owned: "/hdfs"}, env={"HOST_UID": "4321", "HOST_GID": "4321"}))
    assert "uid 4321 gid 4321 (HOST_UID/HOST_GID in .env)" in line


@pytest.mark.parametrize("uid", ["abc", "-1", "1000:1000", "1 2"])
def test_a_host_uid_that_is_not_a_number_ends_the_service_with_one_line(
        tmp_path: Path, uid: str) -> None:
    hdfs = folder(tmp_path, "hdfs", (1234, 1234))
    line = one_error(run({hdfs: "/hdfs"}, env={"HOST_UID": uid}))
    assert f"HOST_UID={uid} " in line and "must be a number" in line


def test_a_container_started_as_another_user_runs_as_that_user(tmp_path: Path) -> None:
    shared = folder(tmp_path, "shared", (0, 0), mode=0o777)
    uid_gid, name, passwd_name, written = ran_as(run({shared: "/hdfs"}, "/hdfs",
                                                     user="5555:5555"))
    assert uid_gid == written == "5555:5555" and name == passwd_name
    owned = folder(tmp_path, "owned", (1234, 1234))
    line = one_error(run({owned: "/hdfs"}, user="5555:5555"))
    assert "uid 5555 gid 5555" in line and "start the container as its owner" in line
