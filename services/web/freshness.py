"""Does the job look alive? Stale after N intervals without a change to its output."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from services.web.envelope import iso_z


@dataclass(frozen=True)
class Freshness:
    updated_at: float | None
    age_seconds: float | None
    alive: bool
    stale_after_seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "updated_at": None if self.updated_at is None
            else iso_z(datetime.fromtimestamp(self.updated_at, timezone.utc)),
            "age_seconds": None if self.age_seconds is None else round(self.age_seconds, 1),
            "alive": self.alive,
            "stale_after_seconds": self.stale_after_seconds,
        }


def assess(updated_at: float | None, interval_seconds: float, stale_after: int,
           now: float | None = None) -> Freshness:
    """Alive while the newest change is younger than `stale_after` intervals."""
    limit = round(interval_seconds * stale_after, 3)
    if updated_at is None:
        return Freshness(None, None, False, limit)
    age = max(0.0, (time.time() if now is None else now) - updated_at)
    return Freshness(updated_at, age, age <= limit, limit)
