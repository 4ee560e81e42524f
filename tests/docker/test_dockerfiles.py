"""The Dockerfiles, checked without a daemon: hadolint passes them, their bases are the
versions .env pins (which agree with the Python and JVM pins), everything they copy is in the
build context, and the dependency layers come from pyproject.toml."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from importlib.metadata import version

import pytest
from docker.utils.build import exclude_paths

from tests.docker.compose import (
    DOCKERFILES,
    REPO,
    all_services,
    copy_parts,
    dockerfile,
    dotenv,
    tool,
)

POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}
# Heavy or private folders that must never reach a build context.
NEVER_SENT = (".git", ".venv", ".cache", "node_modules", "data", "hdfs", "checkpoints",
              "spark-events", "tests", "benchmarks", "test-artifacts", ".env")


def pom_version(pom: str, name: str) -> str:
    root = ET.parse(REPO / "jvm" / pom / "pom.xml").getroot()
    return root.findtext(f"m:properties/m:{name}", namespaces=POM_NS) or ""


def test_the_list_of_dockerfiles_is_complete() -> None:
    found = {str(p.relative_to(REPO)) for top in ("docker", "services", "dashboard",
                                                  "streaming_dashboard", "jvm")
             for p in (REPO / top).rglob("*Dockerfile*")}
    found |= {p.name for p in REPO.glob("*Dockerfile*")}
    assert found == set(DOCKERFILES)


@pytest.mark.parametrize("path", DOCKERFILES)
def test_hadolint_passes_at_error_level(path: str) -> None:
    done = subprocess.run([str(tool("hadolint")), "--no-color", "--failure-threshold", "error",
                           path], cwd=REPO, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", DOCKERFILES)
def test_every_base_image_is_a_build_arg_pinned_in_env(path: str) -> None:
    parsed = dockerfile(path)
    stage_names = {s.name for s in parsed.stages}
    pins = dotenv()
    for stage in parsed.stages:
        if stage.base in stage_names:
            continue
        match = re.fullmatch(r"\$\{(\w+)\}", stage.base)
        assert match, f"{path}: FROM {stage.base} is not pinned through .env"
        # The default serves a plain `docker build`; it must be the version .env pins.
        assert parsed.args[match[1]] == pins[match[1]], f"{path}: ARG {match[1]}"


def test_compose_passes_every_base_image_arg_from_env() -> None:
    pins = dotenv()
    for _, name, svc in all_services():
        if "build" in svc:
            args = svc["build"].get("args", {})
            for arg in dockerfile(svc["build"]["dockerfile"]).args:
                assert args.get(arg) == pins[arg], f"{name}: build arg {arg}"


def test_image_versions_agree_with_the_python_and_jvm_pins() -> None:
    pins = dotenv()
    spark = version("pyspark")
    assert pom_version("spark-kafka", "spark.version") == spark
    # apache/spark's tag scheme: <spark>-scala<2.x>-java<n>-python3-<os>.
    assert re.fullmatch(rf"apache/spark:{re.escape(spark)}-scala2\.13-java17-python3-ubuntu",
                        pins["SPARK_IMAGE"])
    assert pins["KAFKA_IMAGE"] == f"apache/kafka:{pom_version('kafka', 'kafka.version')}"
    assert pins["KAFKA_IMAGE"].startswith("apache/kafka:4.")
    # HDFS speaks the protocol of Spark's Hadoop client: the same 3.x minor line.
    hadoop_line = pom_version("hadoop", "hadoop.version").rpartition(".")[0]
    assert hadoop_line.startswith("3.")
    assert pins["HADOOP_IMAGE"].startswith(f"apache/hadoop:{hadoop_line}.")
    for name in ("SPARK_IMAGE", "KAFKA_IMAGE", "HADOOP_IMAGE", "PYTHON_IMAGE", "NODE_IMAGE",
                 "MAVEN_IMAGE"):
        tag = pins[name].rpartition(":")[2]
        assert re.match(r"\d+\.\d+\.\d+", tag), f"{name}={pins[name]}: pin a full version"


def context_files() -> set[str]:
    """The build context as docker sends it (docker-py's reading of .dockerignore)."""
    lines = (REPO / ".dockerignore").read_text().splitlines()
    patterns = [p.strip() for p in lines if p.strip() and not p.startswith("#")]
    return set(exclude_paths(str(REPO), patterns))


def test_build_context_holds_what_the_dockerfiles_copy_and_nothing_heavy() -> None:
    sent = context_files()
    for path in DOCKERFILES:
        for stage in dockerfile(path).stages:
            for keyword, rest in stage.instructions:
                if keyword not in ("COPY", "ADD"):
                    continue
                flags, sources, _ = copy_parts(rest)
                for source in [] if "from" in flags else sources:
                    assert (REPO / source).exists(), f"{path}: COPY {source}: no such file"
                    inside = source in sent or any(f.startswith(f"{source}/") for f in sent)
                    assert inside, f"{path}: COPY {source}: excluded by .dockerignore"
    for name in NEVER_SENT:
        assert not any(f == name or f.startswith(f"{name}/") for f in sent), name
    assert not any("__pycache__" in f for f in sent)


def test_the_producer_image_shares_the_dependency_layers_of_the_python_image() -> None:
    """Same instructions up to the dependency install, so the build cache holds them once."""
    base, producer = dockerfile("docker/python/Dockerfile"), dockerfile(
        "services/event-generator/Dockerfile")
    assert base.stages[-2].instructions == producer.stages[-2].instructions  # requirements

    def through_install(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
        end = next(i for i, (kw, rest) in enumerate(instructions)
                   if kw == "RUN" and "pip install" in rest)
        return instructions[:end + 1]

    assert through_install(base.final.instructions) == through_install(
        producer.final.instructions)
    assert base.args["PYTHON_IMAGE"] == producer.args["PYTHON_IMAGE"]


def test_images_install_pyprojects_dependencies_without_pyspark() -> None:
    done = subprocess.run([sys.executable, "docker/requirements.py", "pyproject.toml",
                           "--exclude", "pyspark"], cwd=REPO, capture_output=True, text=True,
                          timeout=60, check=True)
    listed = done.stdout.splitlines()
    assert listed and not any(line.lower().startswith("pyspark") for line in listed)
    pyproject = (REPO / "pyproject.toml").read_text()
    for line in listed:
        assert f'"{line}"' in pyproject, line
    for path in DOCKERFILES:
        assert "requirements.py pyproject.toml --exclude pyspark" in (REPO / path).read_text()
