"""The quantile table of an `empirical` int or float field: evenly spaced quantiles of the
data, from its minimum to its maximum, drawn by interpolation (the inference writes them)."""

from __future__ import annotations

from services.schema.reader import Obj, describe, is_number

MIN_QUANTILES = 2  # the minimum and the maximum
MAX_QUANTILES = 10_001


def parse_quantiles(obj: Obj) -> tuple[float, ...]:
    """`quantiles`: at least two numbers that never decrease; every problem located."""
    raw = obj.list("quantiles", required=True)
    if raw is None:
        return ()
    if not MIN_QUANTILES <= len(raw) <= MAX_QUANTILES:
        obj.error("quantiles", f"needs {MIN_QUANTILES} to {MAX_QUANTILES} numbers (the "
                               f"minimum, evenly spaced quantiles, the maximum), got {len(raw)}")
        return ()
    bad = next((i for i, v in enumerate(raw) if not is_number(v)), None)
    if bad is not None:
        obj.error(f"quantiles[{bad}]", f"must be a number, got {describe(raw[bad])}")
        return ()
    drop = next((i for i in range(1, len(raw)) if raw[i] < raw[i - 1]), None)
    if drop is not None:
        obj.error(f"quantiles[{drop}]", f"{raw[drop]} is less than the quantile before it "
                                        f"({raw[drop - 1]}); quantiles must never decrease")
        return ()
    return tuple(float(v) for v in raw)
