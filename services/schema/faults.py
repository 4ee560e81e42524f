"""Stream faults: what a producer does to a clean stream so that a pipeline can be tested.

A spec is the `faults` section of a schema file, or the same object given to the producer
(`--faults`, EVENT_FAULTS). Every fault is optional; a spec with none sends the clean stream.
Delays are in event time: an event delayed by d is sent among the events d later than its
own. The windows the spec is checked against (the watermark) are the streaming job's, so a
`late` event is one a correct pipeline must still count and a `too_late` one it may drop.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from services.schema.errors import SchemaError
from services.schema.json_text import read_json
from services.schema.reader import Obj, Problems, describe, unknown_value
from services.schema.windows import WATERMARK_S

# Poison messages, and what a streaming job calls each: the first kind that holds is the one
# it records.
#   empty          no value, or 0 bytes
#   oversized      more than MAX_EVENT_BYTES bytes
#   not_json       not one JSON object (a string, an array, a number, broken text)
#   missing_field  no event time: no time field with a value that is not blank
#   bad_time       an event time is there, but none parses (or it is outside the years 1-9999)
#   future_time    the event time is further ahead of the newest plausible time (the clock,
#                  or the end of the schema's time window when that is later) than the
#                  streaming job's horizon (STREAM_FUTURE_HORIZON)
#   text_number    a numeric field holds text that is not a number ("abc"; "12.5" is fine)
MALFORMED_KINDS = ("empty", "oversized", "not_json", "missing_field", "bad_time",
                   "future_time", "text_number")
MAX_EVENT_BYTES = 65536
DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$")
UNITS = {"": 1, "s": 1, "sec": 1, "second": 1, "seconds": 1, "m": 60, "min": 60,
         "minute": 60, "minutes": 60, "h": 3600, "hour": 3600, "hours": 3600}
DURATION_EXAMPLES = '"30 seconds", "10 minutes", "1 hour" or a number of seconds'
DEFAULT_DUPLICATE_DELAY_S = 60.0
DEFAULT_TOO_LATE_MIN_S = WATERMARK_S + 300.0
DEFAULT_TOO_LATE_MAX_S = WATERMARK_S + 3600.0
SAFETY_S = 1.0  # delays that must stay inside the watermark keep this far from it


def parse_duration(value: Any) -> float | None:
    """Seconds from "10 minutes", "90 s", "1.5 hours" or a number; None if it is none."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) and value >= 0 else None
    if not isinstance(value, str):
        return None
    match = DURATION.match(value.lower())
    if not match or match.group(2) not in UNITS:
        return None
    return float(match.group(1)) * UNITS[match.group(2)]


@dataclass(frozen=True)
class Delay:
    """A fraction `p` of events, each delayed by a time drawn uniformly in [low_s, high_s]."""

    p: float
    low_s: float
    high_s: float


@dataclass(frozen=True)
class Period:
    """A stretch of the run (seconds after sending starts), again every `every_s` if set,
    during which the send rate is multiplied by `factor` (0 for a pause)."""

    at_s: float
    for_s: float
    factor: float
    every_s: float | None = None


@dataclass(frozen=True)
class FaultSpec:
    out_of_order_s: float = 0.0  # every event jittered by up to this much
    late: Delay | None = None
    too_late: Delay | None = None
    duplicates: Delay | None = None  # the copy follows its original by up to high_s
    malformed_p: float = 0.0
    malformed_kinds: tuple[str, ...] = MALFORMED_KINDS
    periods: tuple[Period, ...] = ()

    @property
    def moves_events(self) -> bool:
        """Whether any fault changes when an event is sent relative to its event time."""
        return bool(self.out_of_order_s or self.late or self.too_late)

    @property
    def clean(self) -> bool:
        return not (self.moves_events or self.duplicates or self.malformed_p or self.periods)

    @property
    def longest_delay_s(self) -> float:
        """The longest any message can follow its event time (a bound on what is pending)."""
        own = self.out_of_order_s + max(self.late.high_s if self.late else 0.0,
                                        self.too_late.high_s if self.too_late else 0.0)
        return own + (self.duplicates.high_s if self.duplicates else 0.0)

    def describe(self) -> str:
        parts = []
        if self.out_of_order_s:
            parts.append(f"out_of_order {self.out_of_order_s:g}s")
        for name, delay in (("late", self.late), ("too_late", self.too_late),
                            ("duplicates", self.duplicates)):
            if delay:
                parts.append(f"{name} p={delay.p:g}")
        if self.malformed_p:
            parts.append(f"malformed p={self.malformed_p:g} ({', '.join(self.malformed_kinds)})")
        if self.periods:
            parts.append(f"{len(self.periods)} burst/pause period(s)")
        return ", ".join(parts) or "none"


NO_FAULTS = FaultSpec()


def read_faults(top: Obj, key: str = "faults") -> FaultSpec | None:
    """The spec at `top[key]`; problems go to top's list. None when absent."""
    obj = top.obj(key)
    if obj is None:
        return None
    spec = _spec(obj)
    obj.finish(alone=False)  # its faults are independent: a typo in one hides no other
    return spec


def parse_faults(data: Any, source: str = "--faults") -> FaultSpec:
    """A spec given on its own (the producer's --faults / EVENT_FAULTS): a JSON object, or
    JSON text of one. Raises SchemaError naming every problem."""
    if isinstance(data, str):
        data = read_json(data, source)
    problems = Problems()
    top = Obj.of(data, "", problems)
    spec = None
    if top is not None:
        spec = _spec(top)
        top.finish(alone=False)
    if problems or spec is None:
        raise SchemaError(problems.items, source)
    return spec


def _spec(obj: Obj) -> FaultSpec:
    out_of_order = _out_of_order(obj)
    late = _delay(obj, "late", None, None, "max")
    too_late = _delay(obj, "too_late", DEFAULT_TOO_LATE_MIN_S, DEFAULT_TOO_LATE_MAX_S,
                      "min and max")
    duplicates = _delay(obj, "duplicates", 0.0, DEFAULT_DUPLICATE_DELAY_S, "max")
    malformed_p, kinds = _malformed(obj)
    periods = _periods(obj, "bursts", pause=False) + _periods(obj, "pauses", pause=True)
    if too_late is not None and too_late.low_s <= WATERMARK_S:
        obj.error("too_late.min", f"must be longer than the watermark ({WATERMARK_S / 60:g} "
                  f"minutes), got {too_late.low_s:g} seconds: shorter delays are `late`")
    inside = out_of_order + (late.high_s if late else 0.0) + \
        (duplicates.high_s if duplicates else 0.0)
    if inside > WATERMARK_S - SAFETY_S:
        obj.error(None, f"out_of_order + late.max + duplicates.max is {inside:g} seconds: it "
                  f"must stay under the watermark ({WATERMARK_S / 60:g} minutes) so that a "
                  "correct pipeline counts every late event and removes every duplicate; "
                  "use too_late for events past the watermark")
    return FaultSpec(out_of_order, late, too_late, duplicates, malformed_p, kinds, periods)


def _duration(obj: Obj, key: str, default: float | None, required: bool = False) -> float | None:
    if not obj.present(key, required, f"a duration: {DURATION_EXAMPLES}"):
        return default
    seconds = parse_duration(obj.data[key])
    if seconds is None:
        obj.error(key, f"must be a duration ({DURATION_EXAMPLES}), got "
                  f"{describe(obj.data[key])}")
    return seconds


def _out_of_order(obj: Obj) -> float:
    if not obj.has("out_of_order"):
        return 0.0
    value = obj.raw("out_of_order")
    if isinstance(value, dict):
        inner = obj.obj("out_of_order")
        seconds = _duration(inner, "max", None, required=True) if inner else None
        if inner:
            inner.finish()
        return seconds or 0.0
    return _duration(obj, "out_of_order", 0.0) or 0.0


def _probability(obj: Obj, key: str = "p") -> float:
    p = obj.number(key, None, minimum=0, maximum=1, required=True)
    return 0.0 if p is None else float(p)


def _delay(obj: Obj, key: str, low: float | None, high: float | None,
           needed: str) -> Delay | None:
    """{"p": ..., "min": ..., "max": ...}; `low`/`high` None means the key is required."""
    inner = obj.obj(key)
    if inner is None:
        return None
    p = _probability(inner)
    low_s = _duration(inner, "min", low if low is not None else 0.0)
    high_s = _duration(inner, "max", high, required=high is None)
    inner.finish()
    if low_s is None or high_s is None:
        return None
    if high_s < low_s:
        inner.error("max", f"must be at least min ({low_s:g} seconds), got {high_s:g}")
        return None
    if key != "duplicates" and high_s <= 0:
        inner.error("max", f"must be longer than 0 ({needed} of the delay)")
        return None
    return Delay(p, low_s, high_s) if p > 0 else None


def _malformed(obj: Obj) -> tuple[float, tuple[str, ...]]:
    inner = obj.obj("malformed")
    if inner is None:
        return 0.0, MALFORMED_KINDS
    p = _probability(inner)
    kinds = MALFORMED_KINDS
    listed = inner.list("kinds", non_empty=True)
    if listed is not None:
        bad = [k for k in listed if k not in MALFORMED_KINDS]
        for kind in bad:
            inner.error("kinds", unknown_value("kind", kind, MALFORMED_KINDS))
        if len(set(map(str, listed))) != len(listed):
            inner.error("kinds", "lists a kind twice")
        if not bad:
            kinds = tuple(listed)
    inner.finish()
    return p, kinds


def _periods(obj: Obj, key: str, pause: bool) -> tuple[Period, ...]:
    listed = obj.list(key)
    if listed is None:
        return ()
    periods = []
    for index, item in enumerate(listed):
        inner = Obj.of(item, obj.at(f"{key}[{index}]"), obj.problems)
        if inner is None:
            continue
        at_s = _duration(inner, "at", None, required=True)
        for_s = _duration(inner, "for", None, required=True)
        every_s = _duration(inner, "every", None)
        factor = 0.0 if pause else inner.number("x", None, above=1, required=True)
        inner.finish()
        if at_s is None or for_s is None or factor is None:
            continue
        if for_s <= 0:
            inner.error("for", "must be longer than 0")
        elif every_s is not None and every_s <= for_s:
            inner.error("every", f"must be longer than for ({for_s:g} seconds), got "
                        f"{every_s:g}")
        else:
            periods.append(Period(at_s, for_s, float(factor), every_s))
    return tuple(periods)
