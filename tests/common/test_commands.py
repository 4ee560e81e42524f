"""Every command is a console script once installed, and each answers --help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from services import commands
from services.common.paths import REPO_ROOT

SCRIPTS = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]


def test_every_command_is_installed_as_a_console_script():
    declared = {target.split(":")[1] for target in SCRIPTS.values()}
    defined = {name for name, value in vars(commands).items()
               if isinstance(value, commands.Command)}
    assert declared == defined
    assert all(target.startswith("services.commands:") for target in SCRIPTS.values())


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_each_console_script_answers_help(script):
    installed = Path(sys.executable).parent / script
    assert installed.exists(), f"{script} is not installed: run `make setup`"
    done = subprocess.run([str(installed), "--help"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: {script} "), done.stdout[:200]


def test_a_script_path_keeps_its_own_name_in_help():
    script = REPO_ROOT / "services/batch/generate_synthetic_data.py"
    done = subprocess.run([sys.executable, str(script), "--help"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.stdout.startswith("usage: generate_synthetic_data.py ")


def test_a_usage_error_names_the_command_typed():
    installed = Path(sys.executable).parent / "sdp-generate"
    done = subprocess.run([str(installed), "--n", "ten"], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("error: sdp-generate: argument --n: invalid int value")
