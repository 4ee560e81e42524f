"""What the built image holds, read from a container of it: a Java runtime of the modules the
Dockerfile names and nothing else, no build tools, no pip, no packages' test suites, one copy
of each jar. The stacks (test_batch_stack, test_streaming_stack) show the engines run on it."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.docker.stacks import IMAGE
from tests.docker.test_static import DOCKERFILE

pytestmark = [pytest.mark.docker, pytest.mark.timeout(300)]
SITE = "/opt/venv/lib/python3.11/site-packages"
JARS = f"{SITE}/pyspark/jars/*.jar /opt/.cache/jvm/*/*.jar /opt/.cache/jvm/*/lib/*.jar"


def in_image(script: str) -> str:
    done = subprocess.run(["docker", "run", "--rm", IMAGE, "sh", "-c", script],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module", autouse=True)
def image(sdp_image: str) -> str:
    return sdp_image


def test_the_java_runtime_has_the_modules_the_dockerfile_names() -> None:
    named = {m for group in re.findall(r"--add-modules (\S+)", DOCKERFILE.read_text())
             for m in group.split(",")}
    assert "jdk.incubator.vector" in named  # Spark's launcher adds it to every JVM
    listed = {line.split("@")[0] for line in in_image("java --list-modules").split()}
    # jlink adds what the named modules require (java.desktop needs java.prefs, ...).
    assert named <= listed and len(listed - named) <= 3, listed - named
    assert "jdk.compiler" not in listed and "jdk.jshell" not in listed
    assert in_image("echo $JAVA_HOME; command -v java") == "/opt/java\n/opt/java/bin/java\n"


def test_no_build_tools_and_no_pip() -> None:
    found = in_image("for t in pip pip3 mvn npm node javac jlink gcc; do "
                     "command -v $t || true; done; python -c 'import pip' 2>/dev/null "
                     "&& echo pip-module || true")
    assert found == ""


def test_no_test_suites_or_pip_caches() -> None:
    assert in_image(f"find {SITE} -type d -name tests; "
                    "find / -xdev -type d -path '*/.cache/pip' 2>/dev/null || true") == ""


def test_each_jar_is_stored_once() -> None:
    """A jar of the Hadoop, Kafka or registry sets (the registry's under lib/) that pyspark
    or another set ships byte for byte is a link to that copy, and every link leads to a
    jar."""
    listing = in_image(f"for j in {JARS}; do [ -L $j ] && echo link $j $(readlink -e $j) "
                       f"|| echo file $(sha256sum $j); done")
    links = [line.split()[1:] for line in listing.splitlines() if line.startswith("link ")]
    files = [line.split()[1:] for line in listing.splitlines() if line.startswith("file ")]
    assert len(files) > 300 and links  # some jars are shared
    for link, target in links:
        assert target.endswith(".jar") and target != link, link
    paths: dict[str, list[str]] = {}
    for digest, path in files:
        paths.setdefault(digest, []).append(path)
    shared = [same for same in paths.values()
              if len(same) > 1 and any(p.startswith("/opt/.cache/") for p in same)]
    assert shared == []
