"""The README's promises, checked against the repo so they cannot rot."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from services.common.paths import REPO_ROOT
from services.common.variables import markdown_table

README = (REPO_ROOT / "README.md").read_text()


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def test_exactly_two_setup_commands_and_ci_runs_the_test_one():
    block = re.search(r"```\n(.*?)```", section("Two commands"), re.DOTALL).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make demo", "make test"]
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.MULTILINE)
    assert re.search(r"^test:", makefile, re.MULTILINE)
    assert "make test" in (REPO_ROOT / ".ci/run").read_text()


def test_demo_knobs_exist_in_the_makefile():
    makefile = (REPO_ROOT / "Makefile").read_text()
    knobs = re.findall(r"^\| `([A-Z_]+)` \|", section("Two commands"), re.MULTILINE)
    assert knobs == ["SCHEMA", "ROWS", "TIME_SCALE", "RATE", "TRIGGER", "FAULTS",
                     "EVENT_FORMAT"]
    for knob in knobs:
        assert f"$({knob})" in makefile


def test_configuration_table_is_the_catalogue_of_settings():
    """Regenerate it with `python -m services.common.variables`."""
    table = [line for line in section("Configuration").splitlines() if line.startswith("|")]
    assert "\n".join(table) == markdown_table()


SCRIPTS = sorted(set(re.findall(r"\.venv/bin/python ((?:services|cleanup)[\w/.-]*\.py)", README)))
MODULES = sorted(set(re.findall(r"\.venv/bin/python -m ([\w.]+)", README)))


def test_the_readme_names_every_script():
    assert len(SCRIPTS) >= 5 and {"dashboard", "streaming_dashboard"} <= set(MODULES)


@pytest.mark.parametrize("target", SCRIPTS + [f"-m {m}" for m in MODULES])
def test_each_documented_command_answers_help(target):
    argv = target.split() if target.startswith("-m") else [str(REPO_ROOT / target)]
    done = subprocess.run([sys.executable, *argv, "--help"], capture_output=True, text=True,
                          timeout=120, cwd=REPO_ROOT)
    assert done.returncode == 0, done.stderr
    assert "usage" in done.stdout.lower()


def test_schema_format_doc_exists_and_ships_with_the_schemas():
    assert (REPO_ROOT / "docs/SCHEMA_FORMAT.md").is_file()
    for name in re.findall(r"`(\w+\.json)`", section("Two commands")):
        assert (REPO_ROOT / "services/batch/schemas" / name).is_file() or name == "schema.json"
