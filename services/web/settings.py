"""Settings read once from the environment into a frozen dataclass, then test overrides.

Each option names its environment variable, so a bad value can say exactly which variable
to fix and what is accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.common.cli import UsageError
from services.outputs import local_path

REPO_ROOT = Path(__file__).resolve().parents[2]
CHARTJS_DEFAULT = REPO_ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"


class SettingsError(UsageError):
    """A setting has a value the app cannot use; the message names the variable."""


@dataclass(frozen=True)
class Option:
    """One setting: the dataclass field, its environment variable, parser and default."""

    field: str
    env: str
    parse: Callable[[str], Any]
    default: Any


def _bounded(text: str, kind: type[int] | type[float], low: float, high: float,
             accepted: str) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise ValueError(f"expected {accepted}") from None
    if not low <= value <= high:
        raise ValueError(f"expected {accepted}")
    return value


def parse_port(text: str) -> int:
    return _bounded(text, int, 0, 65535, "a port number between 0 and 65535")


def parse_seconds(text: str) -> float:
    return _bounded(text, float, 0.05, 3600, "a number of seconds between 0.05 and 3600")


def parse_count(text: str) -> int:
    return _bounded(text, int, 1, 1000, "a whole number between 1 and 1000")


def parse_path(text: str) -> Path:
    if not text.strip():
        raise ValueError("expected a path, got an empty value")
    return Path(text).expanduser()


def parse_local_path(text: str) -> Path:
    """A local folder from a path or file:// URI (the jobs' settings may use either)."""
    if not text.strip():
        raise ValueError("expected a path, got an empty value")
    try:
        return parse_path(str(local_path(text)))
    except ValueError as exc:
        message = str(exc) if str(exc).startswith("expected") else \
            f"expected a local folder or file:// URI, not {text!r}"
        raise ValueError(message) from None


def parse_optional_path(text: str) -> Path | None:
    return Path(text).expanduser() if text.strip() else None


def parse_host(text: str) -> str:
    if not text.strip() or any(c.isspace() for c in text):
        raise ValueError("expected a host name or IP address such as 127.0.0.1")
    return text


def resolve(options: tuple[Option, ...], environ: Mapping[str, str],
            overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Values by field name: the default, then the environment, then the overrides.

    Overrides are keyed by the variable name (as in the environment) and may already be typed;
    strings go through the same parser as the environment.
    """
    overrides = overrides or {}
    values: dict[str, Any] = {}
    for option in options:
        raw: Any = option.default
        source = None
        if option.env in environ:
            raw, source = environ[option.env], "environment"
        if option.env in overrides:
            raw, source = overrides[option.env], "test config"
        if isinstance(raw, str) and source is not None:
            try:
                raw = option.parse(raw)
            except ValueError as exc:
                raise SettingsError(f"{option.env}={raw!r} is not usable: {exc}") from None
        values[option.field] = raw
    return values

