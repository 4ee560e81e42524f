"""Reading JSON objects with typed getters that record problems instead of raising.

Validation keeps going after a problem so that one run reports everything wrong with a file.
Each getter returns its default (or None) when the value is bad, and the caller's result is
thrown away at the end if any problem was recorded.
"""

from __future__ import annotations

import difflib
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
        return "a list" if value else "an empty list"
    return repr(value)


def close_match(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate `word` is most likely a misspelling of, if any."""
    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.65)
    return found[0] if found else None


def unknown_value(what: str, value: Any, accepted: Iterable[str]) -> str:
    """`unknown <what> 'x' (did you mean 'y'?); accepted: ...`: the guess only when one is close."""
    accepted = list(accepted)
    guess = close_match(value, accepted) if isinstance(value, str) else None
    hint = f" (did you mean {guess!r}?)" if guess else ""
    return f"unknown {what} {describe(value)}{hint}; accepted: {', '.join(accepted)}"


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

    def add(self, path: str, message: str) -> Problem:
        problem = Problem(path, message)
        self.items.append(problem)
        return problem

    def discard(self, problem: Problem | None) -> None:
        if problem is not None and problem in self.items:
            self.items.remove(problem)

    def drop_within(self, mark: int, path: str) -> None:
        """Forget the problems found at or under `path` since there were `mark` of them."""
        self.items[mark:] = [p for p in self.items[mark:] if not is_within(p.path, path)]

    def __len__(self) -> int:
        return len(self.items)


def is_within(path: str, parent: str) -> bool:
    return not parent or path == parent or path.startswith((f"{parent}.", f"{parent}["))


class Obj:
    """One JSON object at a path in the file; remembers which keys were read."""

    def __init__(self, data: dict[str, Any], path: str, problems: Problems):
        self.data = data
        self.path = path
        self.problems = problems
        self._read: set[str] = set(DOC_KEYS)
        self._mark = len(problems)  # problems before this object was read
        self._missing: dict[str, Problem] = {}  # required keys reported absent

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
            self._missing[key] = self.problems.add(self.at(key), f"is required ({what})")
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
            self.error(key, unknown_value("value", value, choices))
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

    def misspelt(self) -> dict[str, str]:
        """Unread keys that look like a misspelling of a key looked for here but not given."""
        absent = sorted(k for k in self._read - DOC_KEYS if k not in self.data)
        guesses = {k: close_match(k, absent) for k in self.data if k not in self._read}
        return {key: guess for key, guess in guesses.items() if guess}

    def waive_rest(self) -> None:
        """Mark every key read but misspellings: used when the rest cannot be judged (an
        unknown type or mode decides which keys belong here)."""
        misspelt = self.misspelt()
        self._read.update(k for k in self.data if k not in misspelt)

    def finish(self, *, alone: bool = True) -> None:
        """Refuse keys nobody read: a typo must not be silently ignored. A misspelling is
        named with its guess and replaces the "is required" of the key it misspells; with
        `alone` it is the object's only problem, as the others may come from the default
        that stood in for the key (the file's top level passes False: its sections are
        independent)."""
        misspelt = self.misspelt()
        if misspelt and alone:
            self.problems.drop_within(self._mark, self.path)
        for guess in misspelt.values():
            self.problems.discard(self._missing.get(guess))
        accepted = ", ".join(sorted(self._read - DOC_KEYS)) or "none"
        for key in self.data:
            if key in misspelt:
                self.error(key, f"unknown key; did you mean {misspelt[key]!r}?")
            elif key not in self._read and not (misspelt and alone):
                self.error(key, f"unknown key; accepted here: {accepted}")
