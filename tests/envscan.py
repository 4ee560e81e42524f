"""Which environment variables the project's Python code reads: the ways the code reads a
variable (`env.get("X")`, `os.environ["X"]`, `getenv("X")`, `helper(env, "X", ...)`, and
the dashboards' `Option("field", "X", ...)` declarations)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

NAME = r"""["']([A-Z][A-Z0-9_]*)["']"""
PYTHON_READS = tuple(re.compile(pattern) for pattern in (
    rf"\b(?:environ|env|environment)\s*(?:\.get\(\s*|\[\s*){NAME}",
    rf"\bgetenv\(\s*{NAME}",
    rf"\(\s*(?:os\.)?(?:environ|env)\s*,\s*{NAME}",
    rf"\bOption\(\s*[\"']\w+[\"']\s*,\s*{NAME}",
))


def python_reads(files: Iterable[Path]) -> set[str]:
    names = set()
    for path in files:
        text = path.read_text()
        for pattern in PYTHON_READS:
            names.update(pattern.findall(text))
    return names
