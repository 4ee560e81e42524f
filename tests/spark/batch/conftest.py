"""Fixtures of the batch tests (their helpers are in recompute.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    inputs = tmp_path / "input"
    inputs.mkdir()
    return tmp_path, inputs
