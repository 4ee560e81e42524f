"""TEMPORARY stand-in for helper C's answer.py (replaced at merge)."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path


@dataclass(frozen=True)
class WindowAnswer:
    group: str
    start_ms: int
    count_min: int
    count_max: int
    sum_min: float
    sum_max: float

    @property
    def exact(self) -> bool:
        return self.count_min == self.count_max and self.sum_min == self.sum_max


@dataclass(frozen=True)
class Ledger:
    sent: int
    events: int
    duplicates: int
    malformed: dict
    late: int
    out_of_order: int
    too_late: int

    @property
    def quarantined(self) -> int:
        return sum(self.malformed.values())


@dataclass(frozen=True)
class Answer:
    group_field: str
    value_field: str
    window_s: int
    slide_s: int
    watermark_s: int
    windows: tuple
    ledger: Ledger
    complete_until_ms: int | None = None


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_answer(directory: Path, answer: Answer) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "expected_windows.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([answer.group_field, "window_start", "window_end", "event_count", "revenue",
                    "event_count_max", "revenue_max", "exact"])
        for r in answer.windows:
            w.writerow([r.group, _iso(r.start_ms), _iso(r.start_ms + answer.window_s * 1000),
                        r.count_min, f"{r.sum_min:.2f}", r.count_max, f"{r.sum_max:.2f}",
                        str(r.exact).lower()])
    (directory / "ledger.json").write_text(json.dumps({"ledger": asdict(answer.ledger)}))
