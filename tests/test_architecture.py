"""The layers hold: `lint-imports` keeps the contracts in pyproject.toml, and
docs/ARCHITECTURE.md's table of packages says what the layers contract says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import tomllib

from services.common.paths import REPO_ROOT

CONTRACTS = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
    "contracts"]
PAGE = (REPO_ROOT / "docs/ARCHITECTURE.md").read_text()


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in done.stdout


def contract_layers() -> list[set[str]]:
    """The layers contract's packages, bottom layer first."""
    [layers] = [c["layers"] for c in CONTRACTS if c["type"] == "layers"]
    return [{name.strip() for name in re.split(r"[|:]", layer)} for layer in reversed(layers)]


def page_layers() -> list[set[str]]:
    """The page's table: its rows' layer numbers and packages, bottom layer first."""
    section = PAGE.split("## Packages, bottom to top", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (\d+) \| `([\w.]+)` \|", section, flags=re.MULTILINE)
    layers: dict[int, set[str]] = {}
    for number, package in rows:
        layers.setdefault(int(number), set()).add(package)
    assert sorted(layers) == list(range(1, len(layers) + 1)), "layers are numbered 1, 2, ..."
    return [layers[n] for n in sorted(layers)]


def test_the_architecture_page_lists_the_contracts_layers():
    assert page_layers() == contract_layers()


def test_the_page_names_every_other_contract_and_every_package_has_a_layer():
    for contract in CONTRACTS:
        if contract["type"] != "layers":
            assert f"`{contract['id']}`" in PAGE, contract["id"]
    layered = set().union(*contract_layers())
    top = REPO_ROOT / "services"
    packages = {f"services.{p.name}" for p in top.iterdir() if (p / "__init__.py").exists()}
    packages |= {f"services.{p.stem}" for p in top.glob("*.py") if p.stem != "__init__"}
    assert packages == layered - {"dashboard", "streaming_dashboard"}
