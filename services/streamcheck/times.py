"""Times and durations as the answer files write them: ISO-8601 UTC to the second with a
trailing Z for instants, and Spark's interval words ("1 hour", "15 minutes") for lengths."""

from __future__ import annotations

import re
from datetime import datetime, timezone

ISO_Z = "%Y-%m-%dT%H:%M:%SZ"
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400}
_DURATION = re.compile(r"\s*(\d+)\s+([a-z]+?)s?\s*")


def iso_of_ms(ms: int) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` of epoch milliseconds (the fraction of a second is dropped)."""
    return datetime.fromtimestamp(ms // 1000, timezone.utc).strftime(ISO_Z)


def ms_of_iso_z(text: str) -> int:
    """Epoch milliseconds of `YYYY-MM-DDTHH:MM:SSZ` exactly; ValueError for anything else."""
    moment = datetime.strptime(text, ISO_Z).replace(tzinfo=timezone.utc)
    return int(moment.timestamp()) * 1000


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
