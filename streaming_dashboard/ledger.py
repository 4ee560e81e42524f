"""The streaming job's ledger as the health card shows it: read from the status file and
checked here, not taken on trust (read = counted + duplicates + late + quarantined).

Pure: the status file's `ledger` object in, the card's payload (or a note saying why there
is none) out.
"""

from __future__ import annotations

from typing import Any

from services.schema import MALFORMED_KINDS

COUNTS = ("read", "counted", "duplicates", "late", "quarantined", "missed_batches")
NO_LEDGER = ("The status file holds no ledger: the streaming job that wrote it does not keep "
             "one.")


def _count(value: Any) -> int | None:
    """A count as the job writes it: a whole number, zero or more (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def ledger_view(raw: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(the card's ledger, None), or (None, why there is none)."""
    if raw is None:
        return None, NO_LEDGER
    if not isinstance(raw, dict):
        return None, f"The status file's ledger is not a JSON object ({type(raw).__name__})."
    counts: dict[str, int] = {}
    for key in COUNTS:
        value = _count(raw.get(key))
        if value is None:
            return None, (f"The status file's ledger has no valid `{key}` (a whole number, "
                          f"zero or more): {raw.get(key)!r}.")
        counts[key] = value
    reasons = raw.get("quarantined_by_reason")
    if not isinstance(reasons, dict) or any(_count(v) is None for v in reasons.values()):
        return None, ("The status file's ledger has no valid `quarantined_by_reason` (an "
                      "object of whole numbers).")
    order = [*MALFORMED_KINDS, *sorted(set(reasons) - set(MALFORMED_KINDS))]
    by_reason = [{"reason": r, "count": int(reasons[r])} for r in order if reasons.get(r)]
    unaccounted = counts["read"] - (counts["counted"] + counts["duplicates"] + counts["late"]
                                    + counts["quarantined"])
    adds_up = (unaccounted == 0 and counts["missed_batches"] == 0
               and counts["quarantined"] == sum(r["count"] for r in by_reason))
    return {**counts, "quarantined_by_reason": by_reason, "unaccounted": unaccounted,
            "balanced": raw.get("balanced") is True and adds_up}, None
