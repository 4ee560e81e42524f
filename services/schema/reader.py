"""Reading JSON objects with typed getters that record problems instead of raising.

Validation keeps going after a problem so that one run reports everything wrong with a file.
Each getter returns its default (or None) when the value is bad, and the caller's result is
thrown away at the end if any problem was recorded.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from services.schema.errors import Problem

# Keys allowed on every object so that files can document themselves.
DOC_KEYS = frozenset({"description", "comment"})


def describe(value: Any) -> str:
    """A short rendering of a JSON value for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


class Problems:
    """The problems found so far in one file."""

    def __init__(self) -> None:
        self.items: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(Problem(path, message))

    def __len__(self) -> int:
        return len(self.items)


class Obj:
    """One JSON object at a path in the file; remembers which keys were read."""

    def __init__(self, data: dict[str, Any], path: str, problems: Problems):
        self.data = data
        self.path = path
        self.problems = problems
        self._read: set[str] = set(DOC_KEYS)

    @classmethod
    def of(cls, value: Any, path: str, problems: Problems) -> Obj | None:
        if isinstance(value, dict):
            return cls(value, path, problems)
        problems.add(path, f"must be an object, got {describe(value)}")
        return None

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def has(self, key: str) -> bool:
        return key in self.data

    def error(self, key: str | None, message: str) -> None:
        self.problems.add(self.at(key) if key else self.path, message)

    def raw(self, key: str, default: Any = None) -> Any:
        self._read.add(key)
        return self.data.get(key, default)

    def present(self, key: str, required: bool, what: str) -> bool:
        """Mark the key as read; report it when required and absent."""
        self._read.add(key)
        if key in self.data:
            return True
        if required:
            self.error(key, f"is required ({what})")
        return False

    def int(
        self, key: str, default: int | None = None, *, minimum: int | None = None,
        maximum: int | None = None, required: bool = False,
    ) -> int | None:
        if not self.present(key, required, "an integer"):
            return default
        value = self.data[key]
        if not is_int(value):
            self.error(key, f"must be an integer, got {describe(value)}")
            return None
        return self._bounded(key, value, minimum, maximum)

    def number(
        self, key: str, default: float | None = None, *, minimum: float | None = None,
        maximum: float | None = None, above: float | None = None, required: bool = False,
    ) -> float | None:
        if not self.present(key, required, "a number"):
            return default
        value = self.data[key]
        if not is_number(value):
            self.error(key, f"must be a number, got {describe(value)}")
            return None
        if above is not None and not value > above:
            self.error(key, f"must be > {above}, got {describe(value)}")
            return None
        return self._bounded(key, value, minimum, maximum)

    def _bounded(self, key: str, value: Any, minimum: Any, maximum: Any) -> Any:
        if minimum is not None and maximum is not None and not minimum <= value <= maximum:
            self.error(key, f"must be between {minimum} and {maximum}, got {describe(value)}")
            return None
        if minimum is not None and value < minimum:
            self.error(key, f"must be >= {minimum}, got {describe(value)}")
            return None
        if maximum is not None and value > maximum:
            self.error(key, f"must be <= {maximum}, got {describe(value)}")
            return None
        return value

    def bool(self, key: str, default: bool) -> bool:
        if not self.present(key, False, "true or false"):
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            self.error(key, f"must be true or false, got {describe(value)}")
            return default
        return value

    def str(
        self, key: str, default: str | None = None, *, choices: Iterable[str] | None = None,
        required: bool = False,
    ) -> str | None:
        if not self.present(key, required, "a string"):
            return default
        value = self.data[key]
        if not isinstance(value, str):
            self.error(key, f"must be a string, got {describe(value)}")
            return None
        if choices is not None and value not in choices:
            self.error(key, f"unknown value {describe(value)}; accepted: {', '.join(choices)}")
            return None
        return value

    def list(self, key: str, *, required: bool = False, non_empty: bool = False) -> list | None:
        if not self.present(key, required, "a list"):
            return None
        value = self.data[key]
        if not isinstance(value, list):
            self.error(key, f"must be a list, got {describe(value)}")
            return None
        if non_empty and not value:
            self.error(key, "must not be empty")
            return None
        return value

    def obj(self, key: str, *, required: bool = False) -> Obj | None:
        if not self.present(key, required, "an object"):
            return None
        return Obj.of(self.data[key], self.at(key), self.problems)

    def finish(self) -> None:
        """Refuse keys nobody read: a typo must not be silently ignored."""
        unknown = [k for k in self.data if k not in self._read]
        if unknown:
            accepted = ", ".join(sorted(self._read - DOC_KEYS)) or "none"
            for key in unknown:
                self.error(key, f"unknown key; accepted here: {accepted}")
