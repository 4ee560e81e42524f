"""Settings from the environment, one way for every service.

A service declares a table of `Option`s (its dataclass field, the variable, a parser and
the default) and `resolve`s it once, in `main` or an app factory: the default, then the
environment, then a test mapping. A bad value names its variable and what is accepted. Every
variable must be in the catalogue (`services.common.variables`), checked when the option is
declared, so the README's table, the tests' isolation and the Compose checks all read the
same list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.common.cli import LOG_LEVELS, UsageError
from services.common.paths import SPARK_EVENTS, local_path
from services.common.variables import CATALOGUE

DECLARED: set[str] = set()  # variables some option reads (checked against the catalogue)


class SettingsError(UsageError):
    """A setting has a value the service cannot use; the message names the variable."""


@dataclass(frozen=True)
class Option:
    """One setting: the dataclass field, its environment variable, parser and default.
    A blank value counts as unset."""

    field: str
    env: str
    parse: Callable[[str], Any]
    default: Any = None

    def __post_init__(self) -> None:
        if self.env not in CATALOGUE:
            raise KeyError(f"{self.env} is not in services.common.variables.CATALOGUE")
        DECLARED.add(self.env)


def resolve(options: Iterable[Option], environ: Mapping[str, str],
            overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Values by field name: the default, then the environment, then the overrides.

    Overrides are keyed by the variable name (as in the environment) and may already be
    typed; strings go through the same parser as the environment.
    """
    overrides = overrides or {}
    values: dict[str, Any] = {}
    for option in options:
        raw: Any = option.default
        if (environ.get(option.env) or "").strip():
            raw = _parsed(option, environ[option.env])
        if option.env in overrides:
            raw = overrides[option.env]
            raw = _parsed(option, raw) if isinstance(raw, str) else raw
        values[option.field] = raw
    return values


def value(option: Option, environ: Mapping[str, str]) -> Any:
    """One option's value (the default when unset)."""
    return resolve((option,), environ)[option.field]


def _parsed(option: Option, raw: str) -> Any:
    try:
        return option.parse(raw)
    except ValueError as exc:
        raise SettingsError(f"{option.env}={raw!r} is not usable: {exc}") from None


# Parsers: text in, a typed value out, or ValueError("expected ...").

def text(raw: str) -> str:
    return raw.strip()


def boolean(raw: str) -> bool:
    word = raw.strip().lower()
    if word in ("1", "true", "yes", "y", "on"):
        return True
    if word in ("0", "false", "no", "n", "off"):
        return False
    raise ValueError("expected a boolean: true/false, yes/no, 1/0")


def number(low: float = -float("inf"), high: float = float("inf"),
           what: str = "a number") -> Callable[[str], float]:
    def parse(raw: str) -> float:
        return _bounded(raw, float, low, high, what)
    return parse


def integer(low: int, high: float, what: str = "a whole number") -> Callable[[str], int]:
    def parse(raw: str) -> int:
        return _bounded(raw, int, low, high, what)
    return parse


def _bounded(raw: str, kind: type[int] | type[float], low: float, high: float,
             what: str) -> Any:
    accepted = f"expected {what}{_range(low, high)}"
    try:
        parsed = kind(raw.strip())
    except ValueError:
        raise ValueError(accepted) from None
    if not low <= parsed <= high:  # also refuses nan
        raise ValueError(accepted)
    return parsed


def _range(low: float, high: float) -> str:
    if high == float("inf"):
        return "" if low == -high else f" >= {low:g}"
    return f" between {low:g} and {high:g}"


port = integer(0, 65535, "a port number")
interval_seconds = number(0.05, 3600, "a number of seconds")
wait_seconds = number(0, float("inf"), "a number of seconds")
small_count = integer(1, 1000)
count = integer(1, float("inf"))


def path(raw: str) -> Path:
    return Path(raw.strip()).expanduser()


def local_folder(raw: str) -> Path:
    """A local folder from a path or file:// URI (the jobs' settings may use either)."""
    try:
        return path(str(local_path(raw.strip())))
    except ValueError as exc:
        message = str(exc) if str(exc).startswith("expected") else \
            f"expected a local folder or file:// URI, not {raw!r}"
        raise ValueError(message) from None


def host(raw: str) -> str:
    if any(c.isspace() for c in raw.strip()):
        raise ValueError("expected a host name or IP address such as 127.0.0.1")
    return raw.strip()


def log_level(raw: str) -> str:
    level = raw.strip().upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"expected one of {', '.join(LOG_LEVELS)}")
    return level


def choice(*accepted: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        word = raw.strip().lower()
        if word not in accepted:
            raise ValueError(f"expected one of {', '.join(accepted)}")
        return word
    return parse


LOG_LEVEL = Option("log_level", "LOG_LEVEL", log_level, "INFO")
SCHEMA_CONFIG_PATH = Option("schema_path", "SCHEMA_CONFIG_PATH", path)
# Every Spark session's event logs (a folder or URI; `none`: none); see services.spark.session.
SPARK_EVENT_LOG_DIR = Option("event_log_dir", "SPARK_EVENT_LOG_DIR", text, str(SPARK_EVENTS))
