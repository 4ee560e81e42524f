"""The processing-time trigger interval, read as Spark reads it, without Spark.

Why not our own syntax: STREAM_TRIGGER_INTERVAL is Spark's setting, so it takes exactly the
strings `Trigger.ProcessingTime` takes, and a bad one is refused when settings are read (one
line, exit 2) instead of by the JVM after the session has started. This mirrors
SparkIntervalUtils.stringToInterval and Triggers.convert (spark-sql-api 4.1): an optional
`interval` prefix, then one or more `[+|-]number unit` pairs, case-insensitive, units
microsecond, millisecond, second, minute, hour, day, week (also month and year, which the
trigger refuses), singular or plural; only seconds take a fraction (at most 9 digits); the
sum must be zero or more (zero: micro-batches back to back) and is truncated to whole
milliseconds. Java's 64-bit (and, for days and months, 32-bit) overflow refuses the value
as Spark does. tests/spark/streaming/test_settings.py holds the table of accepted and refused
values, and checks it against Spark's own parser where a JVM is at hand.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from services.common.cli import UsageError

JAVA_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "  # Character.isWhitespace on ASCII
TRIMMED = "".join(map(chr, range(33))) + "\x7f"  # UTF8String.trimAll: space or ISO control
LONG = (-(2**63), 2**63 - 1)
INT = (-(2**31), 2**31 - 1)
MICROS = {"hour": 3_600_000_000, "minute": 60_000_000, "second": 1_000_000,
          "millisecond": 1_000, "microsecond": 1}
MICROS_PER_DAY = 86_400_000_000
DAY_UNITS = {"week": 7, "day": 1}
MONTH_UNITS = {"year": 12, "month": 1}
_S = f"[{re.escape(JAVA_SPACE)}]"
# One pair: a sign (spaces may follow it) or none, digits with an optional fraction (a
# leading "." needs a digit unless signed), whitespace, the unit, an optional plural "s",
# then whitespace or the end.
PAIR = re.compile(
    rf"(?:(?P<sign>[+-]){_S}*(?P<signed>\d+(?:\.\d*)?|\.\d*)|(?P<plain>\d+(?:\.\d*)?|\.\d+))"
    rf"{_S}+(?P<unit>{'|'.join((*MICROS, *DAY_UNITS, *MONTH_UNITS))})s?(?={_S}|\Z)",
    re.ASCII)
EXAMPLES = "'10 seconds', '1 hour', '500 milliseconds', 'interval 1 minute 30 seconds'"


class IntervalError(ValueError):
    """Not an interval Spark's processing-time trigger takes; the message says why."""


def interval_ms(text: str) -> int:
    """Milliseconds of a trigger interval, as Trigger.ProcessingTime computes them."""
    months = days = micros = 0
    for sign, number, unit in _pairs(_body(text)):
        whole, _, fraction = number.partition(".")
        value = sign * _exact(int(whole or "0"), LONG)
        if unit in MONTH_UNITS:
            months = _exact(months + _scaled(value, MONTH_UNITS[unit]), INT)
        elif unit in DAY_UNITS:
            days = _exact(days + _scaled(value, DAY_UNITS[unit]), INT)
        else:
            micros = _exact(micros + _exact(value * MICROS[unit], LONG), LONG)
            if fraction:  # nanoseconds truncated to microseconds
                micros = _exact(micros + sign * (int(fraction.ljust(9, "0")) // 1000), LONG)
    if months:
        raise IntervalError("the trigger takes no months or years")
    total = _exact(micros + _exact(days * MICROS_PER_DAY, LONG), LONG) // 1000
    if total < 0:
        raise IntervalError("it is negative")
    return total


def _body(text: str) -> str:
    """The pairs: trimmed, lower-cased, without the optional `interval` prefix."""
    body = text.strip(TRIMMED).lower()
    if body.startswith("interval"):
        if body == "interval":
            raise IntervalError("nothing follows 'interval'")
        if body[8] not in JAVA_SPACE:
            raise IntervalError(f"{body.split()[0]!r} is not the prefix 'interval'")
        body = body[9:]
    if not body.strip(JAVA_SPACE):
        raise IntervalError("it is empty")
    return body


def _pairs(body: str) -> Iterator[tuple[int, str, str]]:
    """(sign, number, unit) of each pair, checked as Spark checks them."""
    rest = body.lstrip(JAVA_SPACE)
    while rest:
        match = PAIR.match(rest)
        if match is None:
            raise IntervalError(_why(rest))
        number, unit = match["signed"] or match["plain"], match["unit"]
        if "." in number and unit != "second":
            raise IntervalError(f"only seconds take a fraction, not {unit}s")
        if len(number.partition(".")[2]) > 9:
            raise IntervalError(f"{number!r} has more than 9 decimals")
        yield -1 if match["sign"] == "-" else 1, number, unit
        rest = rest[match.end():].lstrip(JAVA_SPACE)


def _scaled(value: int, per: int) -> int:
    """Days or months in a pair: Spark multiplies weeks and years as longs and takes days
    and months as ints."""
    return _exact(value, INT) if per == 1 else _exact(value * per, LONG)


def _exact(value: int, bounds: tuple[int, int]) -> int:
    """Java's Math.*Exact: a result outside the type's range is an error, not a wrap."""
    if not bounds[0] <= value <= bounds[1]:
        raise IntervalError("it is too large")
    return value


def _why(rest: str) -> str:
    """The reason the next pair does not read, for the message."""
    words = rest.split()
    number = re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", words[0], re.ASCII)
    if number is None:
        return f"{words[0]!r} is not a number followed by a unit"
    if len(words) == 1:
        return f"{words[0]!r} has no unit"
    return f"{words[1]!r} is not a unit"


def trigger_ms(name: str, raw: str) -> int:
    """A setting's trigger interval in milliseconds; a bad one is a UsageError naming the
    setting, the value, why, and what is accepted."""
    try:
        return interval_ms(raw)
    except IntervalError as exc:
        raise UsageError(
            f"{name}={raw!r} is not a trigger interval Spark accepts ({exc}); write numbers "
            f"with units (week, day, hour, minute, second, millisecond, microsecond, or "
            f"their plurals), e.g. {EXAMPLES}") from None


def interval_setting(raw: str) -> int:
    """Milliseconds of an interval setting other than the trigger (a settings parser: a
    ValueError says what is accepted)."""
    try:
        return interval_ms(raw)
    except IntervalError as exc:
        raise ValueError(f"{exc}; expected an interval as Spark writes it, in weeks, days, "
                         "hours, minutes or seconds, e.g. '1 day', '12 hours'") from None
