"""Times and durations as the answer files write them: ISO-8601 UTC to the second with a
trailing Z for window bounds, the same with milliseconds when it has them for other instants
(an answer's complete_until), and Spark's interval words ("1 hour", "15 minutes") for
lengths."""

from __future__ import annotations

import re
from datetime import datetime, timezone

ISO_Z = "%Y-%m-%dT%H:%M:%SZ"
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400}
_DURATION = re.compile(r"\s*(\d+)\s+([a-z]+?)s?\s*")
_INSTANT = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})"
                      r"(?:\.([0-9]{1,3}))?Z")


def iso_of_ms(ms: int) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` of epoch milliseconds (the fraction of a second is dropped)."""
    return datetime.fromtimestamp(ms // 1000, timezone.utc).strftime(ISO_Z)


def ms_of_iso_z(text: str) -> int:
    """Epoch milliseconds of `YYYY-MM-DDTHH:MM:SSZ` exactly; ValueError for anything else."""
    moment = datetime.strptime(text, ISO_Z).replace(tzinfo=timezone.utc)
    return int(moment.timestamp()) * 1000


def instant_text(ms: int) -> str:
    """iso_of_ms, with `.mmm` before the Z when `ms` is not a whole second: exact both ways."""
    if ms % 1000 == 0:
        return iso_of_ms(ms)
    return f"{iso_of_ms(ms)[:-1]}.{ms % 1000:03d}Z"


def ms_of_instant(text: str) -> int:
    """Epoch milliseconds of `YYYY-MM-DDTHH:MM:SS[.f]Z` (up to 3 decimals); ValueError for
    anything else."""
    match = _INSTANT.fullmatch(text) if isinstance(text, str) else None
    try:
        if match is None:
            raise ValueError
        return ms_of_iso_z(match[1] + "Z") + int((match[2] or "0").ljust(3, "0"))
    except ValueError:
        raise ValueError(f"expected a UTC time such as 2025-03-03T08:00:00Z or "
                         f"2025-03-03T08:00:00.250Z, got {text!r}") from None


def duration_text(seconds: int) -> str:
    """The largest whole unit: 3600 -> "1 hour", 900 -> "15 minutes", 90 -> "90 seconds"."""
    if seconds < 0:
        raise ValueError(f"a duration cannot be negative, got {seconds} seconds")
    if seconds == 0:
        return "0 seconds"
    for unit, size in sorted(UNITS.items(), key=lambda item: -item[1]):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable: a second divides every whole number")


def duration_seconds(text: str) -> int:
    """Seconds of "<whole number> <unit>" (second, minute, hour or day, singular or
    plural); ValueError naming what is accepted."""
    match = _DURATION.fullmatch(text.lower()) if isinstance(text, str) else None
    if match is None or match[2] not in UNITS:
        raise ValueError(f"expected a duration such as '1 hour' or '15 minutes' (units: "
                         f"{', '.join(UNITS)}), got {text!r}")
    return int(match[1]) * UNITS[match[2]]
