"""Poison messages: one of each malformed kind, made from a real event's payload so that it
looks like the stream around it. Each kind breaks one rule of the streaming job's event
contract (docs/STREAMCHECK.md), the one its quarantine reason of the same name names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from services.extracts import SECONDS
from services.generator import json_values
from services.kafka.timestamps import EVENT_TIME, SEED_CANDIDATES
from services.schema import MALFORMED_KINDS, MAX_EVENT_BYTES, Dataset, DatetimeField, Field
from services.streamcheck import RETAIL_NUMBERS

OVERSIZED_BYTES = MAX_EVENT_BYTES + 4096  # over the job's limit, well under Kafka's 1 MB
NOT_A_TIME = "not a time"
NOT_A_NUMBER = "twelve"
FUTURE = "9999-12-31T23:59:59"  # the last second of the years every reader holds
FUTURE_S = 253_402_300_799  # the same, in epoch seconds
UNSUPPORTED = {"text_number": "needs a numeric field in the schema",
               "future_time": "needs a timestamp field whose format has a year"}


@dataclass(frozen=True)
class PoisonShape:
    """Which keys of a payload carry its event time and which its numbers; the schema's
    timestamp field, if any, with FUTURE in its own format (None: the format has no year)."""

    time_keys: tuple[str, ...]
    number_keys: tuple[str, ...]
    own_time: tuple[str, Any] | None = None
    future_in_own_format: bool = True

    @classmethod
    def of(cls, dataset: Dataset | None) -> PoisonShape:
        times = [EVENT_TIME, *SEED_CANDIDATES]
        if dataset is None:
            return cls(tuple(times), RETAIL_NUMBERS)
        analysis = dataset.analysis
        own_time, has_year = None, True
        if analysis.timestamp_field:
            times.insert(0, analysis.timestamp_field)
            field = next(f for f in dataset.fields if f.name == analysis.timestamp_field)
            own_time, has_year = future_value(field)
        numbers = list(analysis.numeric_fields)
        for measure in analysis.measures:
            numbers += [name for name in measure.inputs if name not in numbers]
        return cls(tuple(dict.fromkeys(times)), tuple(dict.fromkeys(numbers)), own_time,
                   has_year)


def future_value(field: Field) -> tuple[tuple[str, Any] | None, bool]:
    """(field name, FUTURE as the field writes it), and whether that text keeps its year."""
    rendered = json.loads(json_values(field, pa.array([FUTURE_S], SECONDS))[0].as_py())
    renders = field.renders_as
    fmt = renders.format if isinstance(renders, DatetimeField) else "iso"
    has_year = not (isinstance(renders, DatetimeField) and renders.is_strftime
                    and "%Y" not in fmt and "%y" not in fmt)
    return (field.name, rendered), has_year


def unsupported_kinds(kinds: Sequence[str], shape: PoisonShape) -> list[str]:
    """Kinds the stream cannot carry (UNSUPPORTED says why)."""
    return [kind for kind in kinds
            if (kind == "text_number" and not shape.number_keys)
            or (kind == "future_time" and not shape.future_in_own_format)]


def make_poison(kind: str, template: bytes, shape: PoisonShape) -> bytes:
    """A message of `kind` (MALFORMED_KINDS) built from the payload `template`."""
    if kind not in MALFORMED_KINDS:
        raise ValueError(f"unknown malformed kind {kind!r}")
    if kind == "empty":
        return b""
    if kind == "not_json":
        return template[: max(1, len(template) // 2)].rstrip(b"}") or b"{"
    event = json.loads(template)
    if kind == "oversized":
        event["padding"] = "x" * OVERSIZED_BYTES
    elif kind == "missing_field":
        for key in shape.time_keys:
            event.pop(key, None)
    elif kind == "bad_time":
        for key in shape.time_keys:
            if key in event:
                event[key] = NOT_A_TIME
        event[EVENT_TIME] = NOT_A_TIME
    elif kind == "future_time":
        for key in shape.time_keys:
            if key in event:
                event[key] = FUTURE
        event[EVENT_TIME] = FUTURE
        if shape.own_time is not None:  # the time the job reads first, in its own format
            event[shape.own_time[0]] = shape.own_time[1]
    elif kind == "text_number":
        present = [k for k in shape.number_keys if event.get(k) is not None]
        event[(present or shape.number_keys)[0]] = NOT_A_NUMBER
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
