"""The building blocks of field parameters: value kinds, weighted choices, string patterns
and seasonality profiles, each parsed with its problems reported in place."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from services.schema.reader import Obj, describe, is_int, is_number, is_scalar

# Value kinds, which decide the column type downstream (CSV readers, Spark, Parquet).
STRING, INTEGER, FLOAT, BOOLEAN, DATETIME, GEO = (
    "string", "integer", "float", "boolean", "datetime", "geo",
)


def kind_of_values(values: list[Any]) -> str:
    """The kind a column of these JSON scalars has: the narrowest that holds them all."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return BOOLEAN
    if present and all(is_int(v) for v in present):
        return INTEGER
    if present and all(is_number(v) for v in present):
        return FLOAT
    return STRING


def mixed_kinds(values: list[Any]) -> str | None:
    """Why these JSON scalars cannot share a column, or None. A column has one type and
    numbers and booleans keep theirs, so text, numbers and booleans do not mix (integers
    and decimals do: a float column)."""
    examples: dict[str, Any] = {}
    for value in values:
        if value is not None:
            word = "booleans" if isinstance(value, bool) else \
                "numbers" if is_number(value) else "text"
            examples.setdefault(word, value)
    if len(examples) < 2:
        return None
    mix = " and ".join(f"{word} ({describe(value)})" for word, value in examples.items())
    return (f"mixes {mix}; a column holds one type: give all text, all numbers or all "
            'booleans (a value in quotes, such as "true", is text)')


@dataclass(frozen=True)
class Choice:
    value: str | int | float | bool
    weight: float


def parse_choices(raw: Any, path: str, obj: Obj) -> tuple[Choice, ...]:
    """A list of plain values (weight 1) or {value, weight} objects; weights are relative."""
    if not isinstance(raw, list):
        obj.problems.add(path, f"must be a list of values, got {describe(raw)}")
        return ()
    if not raw:
        obj.problems.add(path, "is empty; give at least one value to pick")
        return ()
    choices = []
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        if isinstance(item, dict):
            sub = Obj(item, where, obj.problems)
            present = sub.present("value", True, "the value to pick")
            value = sub.data.get("value") if present else None
            weight = sub.number("weight", 1.0, minimum=0)
            sub.finish()
            if value is not None and not is_scalar(value):
                obj.problems.add(f"{where}.value", "must be a string, number or boolean")
                continue
            if value is not None and weight is not None:
                choices.append(Choice(value, float(weight)))
        elif is_scalar(item):
            choices.append(Choice(item, 1.0))
        else:
            obj.problems.add(where, f"must be a value or a {{value, weight}} object, got "
                                    f"{describe(item)}")
    if choices and len(choices) == len(raw) and sum(c.weight for c in choices) <= 0:
        obj.problems.add(path, "weights are all zero; at least one must be > 0")
    return tuple(choices)


def text_of(value: Any) -> str:
    """A scalar as it appears in CSV text and as a lookup key (true/false, not True/False)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


PATTERN_TOKEN = re.compile(r"\{([^{}]*)\}")
DIGIT_RANGE = re.compile(r"^(\d+)-(\d+)$")


@dataclass(frozen=True)
class PatternPart:
    """One piece of a string pattern: literal text, a letter class, or a digit range."""

    literal: str = ""
    letters: str = ""  # "upper" or "lower"
    low: int = 0
    high: int = 0
    width: int = 0  # digits of a zero-padded range; 0 when not a range


def parse_pattern(pattern: str) -> tuple[tuple[PatternPart, ...], str | None]:
    """Split a pattern into parts, or return an error message."""
    parts: list[PatternPart] = []
    pos = 0
    for match in PATTERN_TOKEN.finditer(pattern):
        if match.start() > pos:
            parts.append(PatternPart(literal=pattern[pos:match.start()]))
        body = match.group(1)
        digits = DIGIT_RANGE.match(body)
        if body == "A-Z":
            parts.append(PatternPart(letters="upper"))
        elif body == "a-z":
            parts.append(PatternPart(letters="lower"))
        elif digits:
            lo_text, hi_text = digits.groups()
            lo, hi = int(lo_text), int(hi_text)
            if lo > hi:
                return (), f"range {{{body}}}: low ({lo}) must be <= high ({hi})"
            if max(len(lo_text), len(hi_text)) > 18:
                return (), f"range {{{body}}}: at most 18 digits are supported"
            parts.append(PatternPart(low=lo, high=hi, width=max(len(lo_text), len(hi_text))))
        else:
            parts.append(PatternPart(literal=match.group(0)))
        pos = match.end()
    if pos < len(pattern):
        parts.append(PatternPart(literal=pattern[pos:]))
    return tuple(parts), None


@dataclass(frozen=True)
class Profile:
    """Relative weights per hour of day (0-23) and per weekday (0 = Monday .. 6)."""

    hour_of_day: tuple[float, ...] = (1.0,) * 24
    day_of_week: tuple[float, ...] = (1.0,) * 7

    def weighs_any(self, start: datetime, end: datetime) -> bool:
        """Whether some clock hour touching [start, end] (naive UTC) has weight > 0. A week
        or more touches every (weekday, hour), and each table has a weight > 0."""
        first = start.replace(minute=0, second=0, microsecond=0)
        if end - first >= timedelta(days=7):
            return True
        hours = int((end - first).total_seconds() // 3600) + 1
        return any(self.hour_of_day[moment.hour] * self.day_of_week[moment.weekday()] > 0
                   for moment in (first + timedelta(hours=h) for h in range(hours)))


def parse_weights(obj: Obj, key: str, size: int) -> tuple[float, ...]:
    table = obj.obj(key)
    if table is None:
        return (1.0,) * size
    default = table.number("_default", 1.0, minimum=0)
    weights = [default if default is not None else 1.0] * size
    for raw_key in table.data:
        if raw_key in ("_default", "description", "comment"):
            continue
        if not (raw_key.isdigit() and 0 <= int(raw_key) < size):
            table.raw(raw_key)
            table.error(raw_key, f"unknown key; accepted: \"0\"..\"{size - 1}\" and \"_default\"")
            continue
        value = table.number(raw_key, None, minimum=0)
        if value is not None:
            weights[int(raw_key)] = float(value)
    if sum(weights) <= 0:
        table.error(None, "weights are all zero; at least one must be > 0")
    table.finish()
    return tuple(weights)


def check_strftime(fmt: str) -> str | None:
    if "%" not in fmt:
        return (f"{fmt!r} is not iso, epoch_ms, epoch_s or a strftime pattern "
                "(it has no % directive)")
    try:
        datetime(2025, 1, 2, 3, 4, 5).strftime(fmt)
    except ValueError as exc:
        return f"{fmt!r} is not a valid strftime pattern ({exc})"
    return None
