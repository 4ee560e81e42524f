"""Poison messages: one of each malformed kind, made from a real event's payload so that it
looks like the stream around it. Each kind breaks one rule of the streaming job's event
contract (docs/STREAMCHECK.md), the one its quarantine reason of the same name names.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from services.kafka.timestamps import EVENT_TIME, SEED_CANDIDATES
from services.schema import MALFORMED_KINDS, MAX_EVENT_BYTES, Dataset
from services.streamcheck import RETAIL_NUMBERS

OVERSIZED_BYTES = MAX_EVENT_BYTES + 4096  # over the job's limit, well under Kafka's 1 MB
NOT_A_TIME = "not a time"
NOT_A_NUMBER = "twelve"


@dataclass(frozen=True)
class PoisonShape:
    """Which keys of a payload carry its event time and which its numbers."""

    time_keys: tuple[str, ...]
    number_keys: tuple[str, ...]

    @classmethod
    def of(cls, dataset: Dataset | None) -> PoisonShape:
        times = [EVENT_TIME, *SEED_CANDIDATES]
        if dataset is None:
            return cls(tuple(times), RETAIL_NUMBERS)
        analysis = dataset.analysis
        if analysis.timestamp_field:
            times.insert(0, analysis.timestamp_field)
        numbers = list(analysis.numeric_fields)
        for measure in analysis.measures:
            numbers += [name for name in measure.inputs if name not in numbers]
        return cls(tuple(dict.fromkeys(times)), tuple(dict.fromkeys(numbers)))


def unsupported_kinds(kinds: Sequence[str], shape: PoisonShape) -> list[str]:
    """Kinds the stream cannot carry: text_number needs a numeric field."""
    return ["text_number"] if "text_number" in kinds and not shape.number_keys else []


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
    elif kind == "text_number":
        present = [k for k in shape.number_keys if event.get(k) is not None]
        event[(present or shape.number_keys)[0]] = NOT_A_NUMBER
    return json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
