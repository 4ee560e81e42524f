"""The spellings of a time that every reader accepts: one list for the producer's replay
(Arrow, services.extracts.arrow_times), the batch and streaming jobs (Spark,
services.spark.event_times) and, for its candidate formats, the schema inference.

A value, trimmed (spaces, tabs, line breaks), is a time when it has the shape of a spelling
(an anchored regular expression, the same in RE2 and Java) and parses by that spelling's
format to a time in the years 1 to 9999 UTC; the first spelling in order that does both
gives the instant. The shape comes first because each engine's own parser takes more than
the other's (Spark casts `2025` to a time, Arrow's strptime reads `3/3/2025` and rolls
`31/02` over into March): with the shape, both take the same values and nothing else.

- Without a zone a time is UTC; `Z` or an offset (`+01`, `+0100`, `+01:00`) converts to UTC.
- A fraction of a second may have up to 9 digits; Spark keeps microseconds, the producer
  milliseconds (cut, never rounded).
- Day and month: a slashed date is read day first (`03/04/2025` is 3 April, as most of
  the world writes it) and month first only when it cannot be day first (`04/13/2025` is
  13 April). Each value on its own: declare the field's format for a column written month
  first.
- A bare number is a time only where the field's format says `epoch_s` or `epoch_ms`
  (elsewhere an id or an amount would silently become a time in 1970).
- A field's declared format is tried first (epoch, or a strftime pattern whose directives
  both engines read: `DECLARED`), then this list, so a value in another spelling still
  reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.schema import EPOCH_FORMATS, EPOCH_MS, EPOCH_S

FIRST_MS, LAST_MS = -62_135_596_800_000, 253_402_300_799_999  # 0001-01-01, 9999-12-31 end
WHITESPACE = " \t\n\r\x0b\x0c"  # trimmed around a value before its shape is matched

# Years 0001 to 9999 (no year 0000: every shape keeps a time inside the years a reader holds,
# but for an offset that moves one across an edge).
YEAR = r"(?:[1-9]\d{3}|0[1-9]\d\d|00[1-9]\d|000[1-9])"
MONTH, DAY = r"(?:0[1-9]|1[0-2])", r"(?:0[1-9]|[12]\d|3[01])"
HOUR, MINUTE = r"(?:[01]\d|2[0-3])", r"[0-5]\d"
CLOCK = rf"{HOUR}:{MINUTE}:{MINUTE}"
# ISO-8601 by the place of its digits: both engines' casts check the ranges themselves (month
# 13, 31 February, hour 24), and a shorter pattern is a faster one. Offsets up to 18:00, the
# most either engine takes.
ZONE = r"(?:Z|[+-](?:(?:0\d|1[0-7])(?::?[0-5]\d)?|18(?::?00)?))"
ISO_DATE = rf"{YEAR}-\d\d-\d\d"
ISO_TIME = r"[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?"
SLASHED = rf"\d{{2}}/\d{{2}}/{YEAR}"  # day first or month first: the parse tells
EPOCH_SHAPE = r"^-?\d{1,18}\z"
EPOCH_UNIT_MS = {EPOCH_S: 1000, EPOCH_MS: 1}


@dataclass(frozen=True)
class Spelling:
    """One way a time is written."""

    example: str
    shape: str  # anchored regular expression for the trimmed value
    strptime: str | None  # Arrow's strptime format; None: ISO-8601, read by a cast
    spark: str | None  # Spark's datetime pattern; None: ISO-8601, read by a cast
    zoned: bool = False  # ISO-8601 with a zone (Arrow casts it to a zoned timestamp)
    epoch: str | None = None  # epoch_s or epoch_ms: a whole number


def _spelling(example: str, shape: str, strptime: str, spark: str) -> Spelling:
    return Spelling(example, f"^{shape}\\z", strptime, spark)


SPELLINGS = (
    Spelling("2025-03-03T10:10:00", rf"^{ISO_DATE}(?:{ISO_TIME})?\z", None, None),
    Spelling("2025-03-03T10:10:00.5+01:00", rf"^{ISO_DATE}{ISO_TIME}{ZONE}\z", None, None,
             zoned=True),
    _spelling("2025/03/03 10:10:00", rf"{YEAR}/\d{{2}}/\d{{2}} {CLOCK}", "%Y/%m/%d %H:%M:%S",
              "yyyy/MM/dd HH:mm:ss"),
    _spelling("2025/03/03 10:10", rf"{YEAR}/\d{{2}}/\d{{2}} {HOUR}:{MINUTE}", "%Y/%m/%d %H:%M",
              "yyyy/MM/dd HH:mm"),
    _spelling("2025/03/03", rf"{YEAR}/\d{{2}}/\d{{2}}", "%Y/%m/%d", "yyyy/MM/dd"),
    _spelling("03/03/2025 10:10:00", f"{SLASHED} {CLOCK}", "%d/%m/%Y %H:%M:%S",
              "dd/MM/yyyy HH:mm:ss"),
    _spelling("03/13/2025 10:10:00", f"{SLASHED} {CLOCK}", "%m/%d/%Y %H:%M:%S",
              "MM/dd/yyyy HH:mm:ss"),
    _spelling("03/03/2025 10:10", f"{SLASHED} {HOUR}:{MINUTE}", "%d/%m/%Y %H:%M",
              "dd/MM/yyyy HH:mm"),
    _spelling("03/13/2025 10:10", f"{SLASHED} {HOUR}:{MINUTE}", "%m/%d/%Y %H:%M",
              "MM/dd/yyyy HH:mm"),
    _spelling("03/03/2025", SLASHED, "%d/%m/%Y", "dd/MM/yyyy"),
    _spelling("03/13/2025", SLASHED, "%m/%d/%Y", "MM/dd/yyyy"),
    _spelling("03-03-2025 10:10:00", rf"\d{{2}}-\d{{2}}-{YEAR} {CLOCK}", "%d-%m-%Y %H:%M:%S",
              "dd-MM-yyyy HH:mm:ss"),
    _spelling("03.03.2025", rf"\d{{2}}\.\d{{2}}\.{YEAR}", "%d.%m.%Y", "dd.MM.yyyy"),
    _spelling("20250303101000", rf"{YEAR}{MONTH}{DAY}{HOUR}{MINUTE}{MINUTE}", "%Y%m%d%H%M%S",
              "yyyyMMddHHmmss"),
)

# strftime directives both engines read the same way: (shape, Spark pattern letters). Left
# out: %y (the two engines put 69 in different centuries), %a/%A (Spark does not parse
# weekdays), %f and %z (Arrow's strptime has no %f; %z is ISO-8601's job).
DECLARED = {
    "Y": (YEAR, "yyyy"), "m": (r"\d{2}", "MM"), "d": (r"\d{2}", "dd"),
    "H": (HOUR, "HH"), "I": (r"(?:0[1-9]|1[0-2])", "hh"), "M": (MINUTE, "mm"),
    "S": (MINUTE, "ss"), "p": (r"(?:AM|PM)", "a"), "b": (r"[A-Z][a-z]{2}", "MMM"),
    "B": (r"[A-Z][a-z]+", "MMMM"), "j": (r"\d{3}", "DDD"),
}


def declared(fmt: str | None) -> Spelling | None:
    """The spelling a field's declared format stands for; None for `iso` (the list reads
    it), no format, or a strftime pattern with a directive outside DECLARED (then the list
    alone is used, by every reader alike)."""
    if fmt in EPOCH_FORMATS:
        return Spelling("1741000000" if fmt == EPOCH_S else "1741000000000", EPOCH_SHAPE,
                        None, None, epoch=fmt)
    if not fmt or fmt == "iso":
        return None
    shape, spark, literal = [], [], ""
    for piece in re.split(r"(%.)", fmt):
        if len(piece) != 2 or not piece.startswith("%") or piece == "%%":
            literal += piece[:1] if piece == "%%" else piece
            continue
        if piece[1] not in DECLARED:
            return None
        pattern, letters = DECLARED[piece[1]]
        if literal:
            shape.append(_escape(literal))
            spark.append("'" + literal.replace("'", "''") + "'")
        shape.append(pattern)
        spark.append(letters)
        literal = ""
    if literal:
        shape.append(_escape(literal))
        spark.append("'" + literal.replace("'", "''") + "'")
    if ("%I" in fmt) != ("%p" in fmt):  # a 12-hour clock needs its AM/PM, and only it
        return None
    return Spelling(fmt, "^" + "".join(shape) + r"\z", fmt, "".join(spark))


def _escape(literal: str) -> str:
    """Literal text in a shape: only the characters that mean something in RE2 and Java
    regular expressions are escaped (RE2 refuses an escaped space)."""
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", literal)


def spellings_for(fmt: str | None) -> tuple[Spelling, ...]:
    """What a field of this declared format accepts, in the order they are tried."""
    first = declared(fmt)
    return SPELLINGS if first is None else (first, *SPELLINGS)

