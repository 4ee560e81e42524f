"""Dashboard apps built with no setting from the shell, and where browser tests leave what
they saw."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from services.common.paths import REPO_ROOT
from services.common.variables import CATALOGUE

ARTIFACTS = REPO_ROOT / "test-artifacts"


def build_isolated(factory: Callable[[dict[str, Any]], Flask], config: dict[str, Any]) -> Flask:
    """An app built with no setting from the shell (for module-scoped servers, which the
    function-scoped isolation in tests/conftest.py does not reach)."""
    with pytest.MonkeyPatch.context() as patch:
        for name in CATALOGUE:
            patch.delenv(name, raising=False)
        return factory(config)
