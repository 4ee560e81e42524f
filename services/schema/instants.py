"""Instants as the schema file writes them: ISO-8601 dates or date-times, read as naive UTC."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any

LAST_SECOND = time(23, 59, 59)
INSTANT_EXAMPLES = "2025-01-07, 2025-01-07T23:59:59 or 2025-01-07T23:59:59+01:00"


def parse_instant(value: Any, *, end: bool = False) -> datetime | None:
    """ISO-8601 date or date-time as naive UTC: an offset (+01:00, Z) is converted, no offset
    means UTC. A date alone is its first second, or as an `end` its last, so that the whole
    day is inside (both ends of a window are included)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        return datetime.combine(date.fromisoformat(text), LAST_SECOND if end else time())
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment
