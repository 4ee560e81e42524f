"""Which environment variables a piece of the repo reads.

Python: the modules a service runs, followed through its imports of the project's own
packages, scanned for the ways the code reads a variable (`env.get("X")`,
`os.environ["X"]`, `getenv("X")`, `helper(env, "X", ...)`, and the dashboards'
`Option("field", "X", ...)` declarations). Shell: `$X` and `${X...}` in a script.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

from tests.docker.compose import REPO

PACKAGES = ("services", "dashboard", "streaming_dashboard")
NAME = r"""["']([A-Z][A-Z0-9_]*)["']"""
PYTHON_READS = tuple(re.compile(pattern) for pattern in (
    rf"\b(?:environ|env|environment)\s*(?:\.get\(\s*|\[\s*){NAME}",
    rf"\bgetenv\(\s*{NAME}",
    rf"\(\s*(?:os\.)?(?:environ|env)\s*,\s*{NAME}",
    rf"\bOption\(\s*[\"']\w+[\"']\s*,\s*{NAME}",
))
SHELL_READS = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def module_file(module: str) -> Path | None:
    base = REPO.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """The project modules `path` imports, anywhere in the file (lazy imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {m for m in found if m.split(".")[0] in PACKAGES}


def closure(entries: Iterable[Path]) -> set[Path]:
    """The entry files and every project module they import, with their packages'
    __init__ files (importing a.b runs a/__init__.py first)."""
    todo, seen = list(entries), set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        modules = set(imported_modules(path))
        modules.update(".".join(m.split(".")[:i]) for m in set(modules)
                       for i in range(1, m.count(".") + 1))
        todo.extend(f for f in map(module_file, modules) if f is not None)
    return seen


def python_reads(files: Iterable[Path]) -> set[str]:
    names = set()
    for path in files:
        text = path.read_text()
        for pattern in PYTHON_READS:
            names.update(pattern.findall(text))
    return names


def shell_reads(script: Path) -> set[str]:
    return set(SHELL_READS.findall(script.read_text()))
