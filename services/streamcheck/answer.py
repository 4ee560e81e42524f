"""The expected answer of a stream: what a correct pipeline with our windows, slide and
watermark must output for every window x group, and the ledger of what was sent.

On disk, in one folder (docs/STREAMCHECK.md, "Verifying a pipeline"):
  expected_windows.csv  <group_field>,window_start,window_end,event_count,revenue,
                        event_count_max,revenue_max,exact: one row per window x group, times
                        ISO-8601 UTC (`...Z`), revenue to the cent; event_count and revenue are
                        the lower bounds, the _max columns the upper ones
  ledger.json           {"group_field", "value_field", "window", "slide", "watermark",
                         "expected_rows", "complete_until", "ledger": {...}}; written last.
                        complete_until: the event time (ISO-8601 UTC) up to which the
                        answer is final, or null when all of it is (the stream was sent)
A reader gets an Answer or an AnswerError naming the file, the line or key, and what is wrong.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from services.common.files import write_text_atomic
from services.outputs import EVENT_COUNT, REVENUE, WINDOW_END, WINDOW_START
from services.schema import MALFORMED_KINDS
from services.streamcheck.times import (
    duration_seconds,
    duration_text,
    instant_text,
    iso_of_ms,
    ms_of_instant,
    ms_of_iso_z,
)

EXPECTED_WINDOWS = "expected_windows.csv"
LEDGER_FILE = "ledger.json"
COUNT_MAX, REVENUE_MAX, EXACT = "event_count_max", "revenue_max", "exact"
WINDOW_COLUMNS = (WINDOW_START, WINDOW_END, EVENT_COUNT, REVENUE, COUNT_MAX, REVENUE_MAX, EXACT)
LEDGER_KEYS = ("sent", "events", "duplicates", "malformed", "late", "out_of_order", "too_late")
CENT = Decimal("0.01")
REREADS = 3  # reads of an answer rewritten while it is read, before one last read
_WHOLE = re.compile(r"\d+")
_DECIMAL = re.compile(r"-?\d+(\.\d+)?")


class AnswerError(ValueError):
    """An expected-answer folder cannot be used; the message names the file and the line or
    key that is wrong."""


def money(value: float) -> float:
    """`value` to the cent, half up, from its shortest decimal text: what Spark's
    round(x, 2) gives for a double."""
    return float(Decimal(repr(float(value))).quantize(CENT, ROUND_HALF_UP))


@dataclass(frozen=True)
class WindowAnswer:
    """One window x group: the bounds a correct output's count and revenue lie within."""

    group: str
    start_ms: int  # window start, epoch ms UTC; end = start + window length
    count_min: int
    count_max: int  # == count_min when no too-late event may fall in this window
    sum_min: float  # revenue bounds, each rounded to 2 decimals half-up
    sum_max: float

    def __post_init__(self) -> None:
        if not isinstance(self.group, str) or not self.group:
            raise ValueError(f"a window's group must be non-empty text, got {self.group!r}")
        if not 0 <= self.count_min <= self.count_max:
            raise ValueError(f"window {self.start_ms} x {self.group!r}: counts need "
                             f"0 <= count_min <= count_max, got {self.count_min}, "
                             f"{self.count_max}")
        if not (math.isfinite(self.sum_min) and math.isfinite(self.sum_max)
                and self.sum_min <= self.sum_max):
            raise ValueError(f"window {self.start_ms} x {self.group!r}: sums need finite "
                             f"sum_min <= sum_max, got {self.sum_min}, {self.sum_max}")

    @property
    def exact(self) -> bool:
        """One right answer (no too-late event may fall here), not a range."""
        return self.count_min == self.count_max and self.sum_min == self.sum_max


@dataclass(frozen=True)
class Ledger:
    """What was sent. sent = events + duplicates + every malformed message."""

    sent: int  # messages sent: events + duplicate copies + poison messages
    events: int  # distinct well-formed events sent (incl. late/too-late ones)
    duplicates: int  # extra copies sent
    malformed: dict[str, int]  # poison kind (MALFORMED_KINDS) -> count
    late: int  # held back but inside the watermark: a correct pipeline counts them
    out_of_order: int
    too_late: int  # sent later than the watermark allows: may be dropped (bounds)

    def __post_init__(self) -> None:
        problems = ledger_problems({key: getattr(self, key) for key in LEDGER_KEYS})
        if problems:
            raise ValueError("; ".join(f"{key}: {why}" for key, why in problems))
        # every kind, in MALFORMED_KINDS order: ledgers that count the same are equal
        object.__setattr__(self, "malformed", {kind: self.malformed.get(kind, 0)
                                               for kind in MALFORMED_KINDS})

    @property
    def quarantined(self) -> int:
        """Poison messages of every kind: what a correct pipeline sets aside."""
        return sum(self.malformed.values())

    def to_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "events": self.events, "duplicates": self.duplicates,
                "malformed": dict(self.malformed),
                "late": self.late, "out_of_order": self.out_of_order,
                "too_late": self.too_late}


def ledger_problems(values: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, what is wrong) for a ledger's JSON object; empty when it is consistent."""
    problems: list[tuple[str, str]] = []
    unknown = [k for k in values if k not in LEDGER_KEYS]
    problems += [(f"ledger.{k}", f"unknown key; the ledger has {', '.join(LEDGER_KEYS)}")
                 for k in unknown]
    problems += [(f"ledger.{k}", "missing") for k in LEDGER_KEYS if k not in values]
    counts = {k: v for k, v in values.items() if k in LEDGER_KEYS and k != "malformed"}
    problems += [(f"ledger.{k}", f"expected a whole number >= 0, got {v!r}")
                 for k, v in counts.items() if not _count(v)]
    malformed = values.get("malformed", {})
    if not isinstance(malformed, dict):
        problems.append(("ledger.malformed", "expected an object of kind -> count, got "
                         f"{type(malformed).__name__}"))
        malformed = {}
    for kind, n in malformed.items():
        if kind not in MALFORMED_KINDS:
            problems.append((f"ledger.malformed.{kind}", "unknown kind; the kinds are "
                             + ", ".join(MALFORMED_KINDS)))
        elif not _count(n):
            problems.append((f"ledger.malformed.{kind}", f"expected a whole number >= 0, "
                             f"got {n!r}"))
    if problems:
        return problems
    quarantined = sum(malformed.values())
    if values["sent"] != values["events"] + values["duplicates"] + quarantined:
        problems.append(("ledger.sent", f"{values['sent']} is not events + duplicates + "
                         f"malformed = {values['events']} + {values['duplicates']} + "
                         f"{quarantined}"))
    problems += [(f"ledger.{k}", f"{values[k]} is more than the {values['events']} events")
                 for k in ("late", "out_of_order", "too_late") if values[k] > values["events"]]
    return problems


@dataclass(frozen=True)
class Answer:
    """Every window x group a correct pipeline outputs, sorted by (start_ms, group), and the
    ledger. Windows are Spark's: `window_s` long, starting every `slide_s` from the epoch.

    A producer still sending rewrites its answer as it goes: windows ending after
    `complete_until_ms` may still get events, so only those ending at or before it are
    final (all are, when it is None)."""

    group_field: str  # the group column of the streaming job (e.g. "merchant_category")
    value_field: str
    window_s: int
    slide_s: int
    watermark_s: int
    windows: tuple[WindowAnswer, ...]
    ledger: Ledger
    complete_until_ms: int | None = None  # epoch ms UTC; None: the whole answer is final

    def __post_init__(self) -> None:
        if not isinstance(self.group_field, str) or not self.group_field.strip() \
                or self.group_field in WINDOW_COLUMNS:
            raise ValueError(f"group_field must be a column name other than "
                             f"{', '.join(WINDOW_COLUMNS)}, got {self.group_field!r}")
        if not 0 < self.slide_s <= self.window_s or self.watermark_s < 0:
            raise ValueError(f"windows need 0 < slide <= window and watermark >= 0, got "
                             f"window {self.window_s} s, slide {self.slide_s} s, watermark "
                             f"{self.watermark_s} s")
        if self.complete_until_ms is not None and (
                not isinstance(self.complete_until_ms, int)
                or isinstance(self.complete_until_ms, bool)):
            raise ValueError(f"complete_until_ms must be epoch milliseconds or None, got "
                             f"{self.complete_until_ms!r}")
        ordered = tuple(sorted(self.windows, key=lambda w: (w.start_ms, w.group)))
        for before, after in itertools.pairwise(ordered):
            if (before.start_ms, before.group) == (after.start_ms, after.group):
                raise ValueError(f"window {iso_of_ms(after.start_ms)} x {after.group!r} is "
                                 "given twice")
        for w in ordered:
            if w.start_ms % self.slide_ms:
                raise ValueError(f"window start {w.start_ms} is not a multiple of the "
                                 f"{self.slide_s} s slide (Spark's windows start there)")
        object.__setattr__(self, "windows", ordered)

    @property
    def window_ms(self) -> int:
        return self.window_s * 1000

    @property
    def slide_ms(self) -> int:
        return self.slide_s * 1000

    def end_ms(self, start_ms: int) -> int:
        return start_ms + self.window_ms

    def settings_json(self) -> dict[str, Any]:
        """ledger.json's keys besides the ledger itself."""
        return {"group_field": self.group_field, "value_field": self.value_field,
                "window": duration_text(self.window_s), "slide": duration_text(self.slide_s),
                "watermark": duration_text(self.watermark_s),
                "expected_rows": len(self.windows),
                "complete_until": None if self.complete_until_ms is None
                else instant_text(self.complete_until_ms)}


# ------------------------------------------------------------------ writing
def write_answer(directory: Path, answer: Answer) -> None:
    """Both files, each atomically; ledger.json last, so a reader that finds it finds the
    windows it counts."""
    directory.mkdir(parents=True, exist_ok=True)
    write_text_atomic(directory / EXPECTED_WINDOWS, windows_csv(answer))
    payload = {**answer.settings_json(), "ledger": answer.ledger.to_json()}
    write_text_atomic(directory / LEDGER_FILE, json.dumps(payload, indent=1) + "\n")


def windows_csv(answer: Answer) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((answer.group_field, *WINDOW_COLUMNS))
    for w in answer.windows:
        writer.writerow((w.group, iso_of_ms(w.start_ms), iso_of_ms(answer.end_ms(w.start_ms)),
                         w.count_min, f"{w.sum_min:.2f}", w.count_max, f"{w.sum_max:.2f}",
                         "true" if w.exact else "false"))
    return out.getvalue()


# ------------------------------------------------------------------ reading
def read_answer(directory: Path) -> Answer:
    """The answer in `directory`; AnswerError naming the file and line or key when a file is
    missing or wrong.

    A producer still sending rewrites both files as it goes (windows first, ledger last,
    each by an atomic rename). The ledger is read first and read again with the windows
    when it was replaced meanwhile, so the two always come from the same write."""
    if not directory.is_dir():
        raise AnswerError(f"{directory}: no such folder; an expected answer is a folder "
                          f"holding {EXPECTED_WINDOWS} and {LEDGER_FILE}")
    ledger_path = directory / LEDGER_FILE
    for _ in range(REREADS):
        before = _identity(ledger_path)
        try:
            answer = _read_pair(directory)
        except AnswerError:
            if _identity(ledger_path) == before:
                raise
            continue
        if _identity(ledger_path) == before:
            return answer
    return _read_pair(directory)  # rewritten on every try: a last read, right or located


def _identity(path: Path) -> tuple[int, int, int] | None:
    """Which write of `path` is there: a rewrite by rename is another inode."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _read_pair(directory: Path) -> Answer:
    settings, ledger = _read_ledger_file(directory / LEDGER_FILE)
    windows = _read_windows(directory / EXPECTED_WINDOWS, settings)
    try:
        return Answer(windows=tuple(windows), ledger=ledger, **{
            k: settings[k] for k in ("group_field", "value_field", "window_s", "slide_s",
                                     "watermark_s", "complete_until_ms")})
    except ValueError as exc:  # every check above ran first: a bug if this is reached
        raise AnswerError(f"{directory}: {exc}") from None


def _read_ledger_file(path: Path) -> tuple[dict[str, Any], Ledger]:
    payload = _json_object(path)

    def fail(key: str, why: str) -> AnswerError:
        return AnswerError(f"{path}: key {key}: {why}")

    settings: dict[str, Any] = {}
    for key in ("group_field", "value_field"):
        value = payload.get(key)
        if not isinstance(value, str) or not value.strip():
            raise fail(key, "missing" if value is None else f"expected a column name, "
                       f"got {value!r}")
        settings[key] = value
    if settings["group_field"] in WINDOW_COLUMNS:
        raise fail("group_field", f"{settings['group_field']!r} is one of the window "
                   f"columns ({', '.join(WINDOW_COLUMNS)})")
    for key in ("window", "slide", "watermark"):
        if key not in payload:
            raise fail(key, "missing")
        try:
            settings[f"{key}_s"] = duration_seconds(payload[key])
        except ValueError as exc:
            raise fail(key, str(exc)) from None
    if not 0 < settings["slide_s"] <= settings["window_s"]:
        raise fail("slide", f"must be more than 0 and at most the window "
                   f"({payload['window']}), got {payload['slide']!r}")
    rows = payload.get("expected_rows")
    if rows is not None and not _count(rows):
        raise fail("expected_rows", f"expected a whole number >= 0, got {rows!r}")
    settings["expected_rows"] = rows
    until = payload.get("complete_until")
    try:
        settings["complete_until_ms"] = None if until is None else ms_of_instant(until)
    except ValueError as exc:
        raise fail("complete_until", f"{exc} (or null: the whole answer is final)") from None
    values = payload.get("ledger")
    if not isinstance(values, dict):
        raise fail("ledger", "missing" if values is None else
                   f"expected an object, got {type(values).__name__}")
    problems = ledger_problems(values)
    if problems:
        raise fail(*problems[0])
    return settings, Ledger(**values)


def _json_object(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnswerError(f"{path}: missing; an expected answer folder holds "
                          f"{EXPECTED_WINDOWS} and {LEDGER_FILE}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnswerError(f"{path}: cannot be read ({exc})") from None
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswerError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}, column "
                          f"{exc.colno})") from None
    if not isinstance(payload, dict):
        raise AnswerError(f"{path}: expected a JSON object, got {type(payload).__name__}")
    return payload


def _read_windows(path: Path, settings: dict[str, Any]) -> list[WindowAnswer]:
    header = [settings["group_field"], *WINDOW_COLUMNS]
    window_ms, slide_ms = settings["window_s"] * 1000, settings["slide_s"] * 1000
    windows: list[WindowAnswer] = []
    seen: dict[tuple[int, str], int] = {}
    header_seen, line = False, 1  # line: where the next record starts
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            for record in reader:
                if record and not header_seen:
                    if record != header:
                        raise AnswerError(_header_problem(path, line, record, header))
                    header_seen = True
                elif record:
                    row = _window_row(path, line, record, header, window_ms, slide_ms)
                    key = (row.start_ms, row.group)
                    if key in seen:
                        raise AnswerError(f"{path}:{line}: window {iso_of_ms(row.start_ms)} x "
                                          f"{row.group!r} is already on line {seen[key]}")
                    seen[key] = line
                    windows.append(row)
                line = reader.line_num + 1
    except FileNotFoundError:
        raise AnswerError(f"{path}: missing; an expected answer folder holds "
                          f"{EXPECTED_WINDOWS} and {LEDGER_FILE}") from None
    except UnicodeDecodeError as exc:
        raise AnswerError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") \
            from None
    except csv.Error as exc:
        raise AnswerError(f"{path}:{line}: not readable as CSV ({exc})") from None
    except OSError as exc:
        raise AnswerError(f"{path}: cannot be read ({exc})") from None
    if not header_seen:
        raise AnswerError(f"{path}: empty; the first line should be {','.join(header)}")
    rows = settings["expected_rows"]
    if rows is not None and rows != len(windows):
        raise AnswerError(f"{path}: {len(windows)} window rows, but {LEDGER_FILE}'s "
                          f"expected_rows says {rows} (a file cut short or from another run?)")
    return windows


def _header_problem(path: Path, line: int, record: list[str], header: list[str]) -> str:
    if record[0] != header[0] and record[1:] == header[1:]:
        return (f"{path}:{line}: the group column is {record[0]!r}, but {LEDGER_FILE}'s "
                f"group_field is {header[0]!r}")
    return f"{path}:{line}: the header should be {','.join(header)}, found {','.join(record)}"


def _window_row(path: Path, line: int, record: list[str], header: list[str], window_ms: int,
                slide_ms: int) -> WindowAnswer:
    if len(record) != len(header):
        raise AnswerError(f"{path}:{line}: {len(record)} fields, the header has {len(header)}")
    cells = dict(zip(header, record, strict=True))

    def fail(column: str, why: str) -> AnswerError:
        return AnswerError(f"{path}:{line}: column {column}: {why}, got {cells[column]!r}")

    group = cells[header[0]]
    if not group:
        raise AnswerError(f"{path}:{line}: column {header[0]}: empty; every window has a group")
    times = {}
    for column in (WINDOW_START, WINDOW_END):
        try:
            times[column] = ms_of_iso_z(cells[column])
        except ValueError:
            raise fail(column, "expected a UTC time YYYY-MM-DDTHH:MM:SSZ") from None
    start = times[WINDOW_START]
    if start % slide_ms:
        raise fail(WINDOW_START, f"not a window start (every {slide_ms // 1000} s from the "
                   "epoch)")
    if times[WINDOW_END] != start + window_ms:
        raise fail(WINDOW_END, f"expected {iso_of_ms(start + window_ms)} (start + "
                   f"{duration_text(window_ms // 1000)})")
    counts = {}
    for column in (EVENT_COUNT, COUNT_MAX):
        if not _WHOLE.fullmatch(cells[column]):
            raise fail(column, "expected a whole number >= 0")
        counts[column] = int(cells[column])
    sums = {}
    for column in (REVENUE, REVENUE_MAX):
        try:
            if not _DECIMAL.fullmatch(cells[column]):
                raise InvalidOperation
            sums[column] = float(Decimal(cells[column]))
        except InvalidOperation:
            raise fail(column, "expected a decimal number such as 1234.50") from None
    if counts[COUNT_MAX] < counts[EVENT_COUNT]:
        raise fail(COUNT_MAX, f"less than {EVENT_COUNT} ({counts[EVENT_COUNT]})")
    if sums[REVENUE_MAX] < sums[REVENUE]:
        raise fail(REVENUE_MAX, f"less than {REVENUE} ({cells[REVENUE]})")
    window = WindowAnswer(group, start, counts[EVENT_COUNT], counts[COUNT_MAX], sums[REVENUE],
                          sums[REVENUE_MAX])
    if cells[EXACT] not in ("true", "false"):
        raise fail(EXACT, "expected true or false")
    if (cells[EXACT] == "true") != window.exact:
        raise fail(EXACT, "disagrees with the bounds (exact means event_count == "
                   "event_count_max and revenue == revenue_max)")
    return window


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
