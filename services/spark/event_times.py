"""Times from text in Spark, by the spellings every reader shares (services.extracts.times).

One column expression: the first spelling whose shape the value has (Java's regular
expressions, the same patterns as Arrow's RE2) and that parses gives the time. Spark's cast
reads ISO-8601 (its zone converted, none meaning the session's zone, UTC in every job) and
trims the value itself; `try_to_timestamp` reads the other spellings strictly (no rollover
of 31/02); an epoch number is bounded before it is converted, which would overflow
otherwise.

Kept cheap for the common case, a time as the generator writes it: the shape allows the
surrounding whitespace (Java's `\\s` is the WHITESPACE the Arrow side trims) so the value is
trimmed only in the branches whose parser needs it, and the years 1 to 9999 are checked only
where a spelling can leave them (an offset moves `9999-12-31T23:30:00-01:00` past the end);
every other shape holds its year to 0001-9999. A value pays for the spellings before its own
only a failed regular expression each.
"""

from __future__ import annotations

from pyspark.sql import Column
from pyspark.sql import functions as F

from services.extracts import EPOCH_UNIT_MS, FIRST_MS, LAST_MS, WHITESPACE, Spelling, spellings_for

FIRST_MICROS, LAST_MICROS = FIRST_MS * 1000, LAST_MS * 1000 + 999


def parse_time(raw: Column, fmt: str | None = None) -> Column:
    """A timestamp from text (or numbers), or null; `fmt` is the field's declared format
    (iso, epoch_s, epoch_ms, a strftime pattern, or None)."""
    text = raw.cast("string")
    return F.coalesce(*[F.when(text.rlike(padded(s.shape)), _parsed(text, s))
                        for s in spellings_for(fmt)])


def padded(shape: str) -> str:
    """The shape with whitespace allowed around the value (`^...\\z` -> `^\\s*...\\s*\\z`)."""
    return r"^\s*" + shape[1:-2] + r"\s*\z"


def in_years(parsed: Column) -> Column:
    return F.when(F.unix_micros(parsed).between(FIRST_MICROS, LAST_MICROS), parsed)


def _parsed(text: Column, spelling: Spelling) -> Column:
    if spelling.spark is None and spelling.epoch is None:  # ISO-8601: the cast trims
        parsed = text.try_cast("timestamp")
        return in_years(parsed) if spelling.zoned else parsed
    trimmed = F.trim(text, F.lit(WHITESPACE))
    if spelling.epoch is not None:
        unit = EPOCH_UNIT_MS[spelling.epoch]
        number = trimmed.try_cast("long")
        number = F.when(number.between(FIRST_MS // unit, LAST_MS // unit), number)
        return F.timestamp_millis(number * unit)
    return F.try_to_timestamp(trimmed, F.lit(spelling.spark))
