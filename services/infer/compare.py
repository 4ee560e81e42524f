"""How close a synthetic extract comes to a real one, column by column: total variation
for labels, Kolmogorov-Smirnov for numbers, hour-of-day and weekday profiles for times,
the null-rate difference; and a summary against the targets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.infer.detect import BOOL_PAIRS, DECIMAL, INTEGER
from services.infer.samples import Sample, Text
from services.infer.stats import ks_two_samples, total_variation
from services.infer.times import DAY, EPOCH_WEEKDAY, HOUR, parse_times

TV_TARGET, KS_TARGET, HOUR_R_TARGET, NULL_TARGET = 0.02, 0.05, 0.95, 0.005
FLAT_HOURS = 0.005  # real hour shares this close to 1/24 are a flat profile
MANY_VALUES = 1000  # more distinct values than this: compared by shape, not by value


@dataclass
class ColumnReport:
    name: str
    kind: str  # label, number, datetime, shape, missing
    null_diff: float
    tv: float | None = None
    ks: float | None = None
    hour_r: float | None = None
    hour_error: float | None = None  # largest difference of an hour's share
    weekday_error: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def compare(real: Sample, synthetic: Sample) -> dict:
    reports = [_column(name, text, synthetic.columns.get(name), real.rows, synthetic.rows)
               for name, text in real.columns.items()]
    return {"real_rows": real.rows, "synthetic_rows": synthetic.rows,
            "columns": [{**asdict(r), "ok": r.ok} for r in reports],
            "summary": _summary(reports)}


def _column(name: str, real: Text, synth: Text | None, real_rows: int,
            synth_rows: int) -> ColumnReport:
    if synth is None:
        return ColumnReport(name, "missing", 1.0, problems=["not in the synthetic data"])
    null_diff = abs(real.null_count / max(real_rows, 1) - synth.null_count / max(synth_rows, 1))
    a, b = real.drop_null(), synth.drop_null()
    report = _distance(name, a, b, null_diff)
    if null_diff > NULL_TARGET:
        report.problems.append(f"null rate differs by {null_diff:.4f} (> {NULL_TARGET})")
    return report


def _distance(name: str, a: Text, b: Text, null_diff: float) -> ColumnReport:
    distinct = pc.unique(a)
    if _bool_pair(distinct) is not None:
        return _labels(name, _canonical_bool(a), _canonical_bool(b), null_diff)
    numeric = len(distinct) and pc.all(pc.match_substring_regex(distinct, DECIMAL)).as_py()
    integers = numeric and pc.all(pc.match_substring_regex(distinct, INTEGER)).as_py()
    times_a = parse_times(a, a.cast(pa.int64()).to_numpy() if integers else None) \
        if len(distinct) > 1 and (integers or not numeric) else None
    if times_a is not None:
        return _times(name, times_a, b, null_diff)
    if numeric and len(distinct) > 50:
        report = ColumnReport(name, "number", null_diff)
        report.ks = ks_two_samples(a.cast(pa.float64()).to_numpy(), _floats(b))
        if report.ks > KS_TARGET:
            report.problems.append(f"KS {report.ks:.4f} (> {KS_TARGET})")
        return report
    if numeric:
        return _labels(name, _number_text(a), _number_text(b), null_diff)
    if len(distinct) > MANY_VALUES:
        report = _labels(name, _shape(a), _shape(b), null_diff)
        report.kind = "shape"
        return report
    return _labels(name, a, b, null_diff)


def _labels(name: str, a: Text, b: Text, null_diff: float) -> ColumnReport:
    report = ColumnReport(name, "label", null_diff, tv=total_variation(_shares(a), _shares(b)))
    if report.tv > TV_TARGET:
        report.problems.append(f"total variation {report.tv:.4f} (> {TV_TARGET})")
    return report


def _times(name: str, real, b: Text, null_diff: float) -> ColumnReport:
    report = ColumnReport(name, "datetime", null_diff)
    ints = _ints(b) if real.format.startswith("epoch") else None
    synth = parse_times(b, ints) if ints is not None or not real.format.startswith("epoch") \
        else None
    if synth is None or (real.format != synth.format):
        report.problems.append(f"synthetic values are not all in the format {real.format!r}")
        return report
    report.ks = ks_two_samples(real.seconds.astype(np.float64), synth.seconds.astype(np.float64))
    day_a, day_b = _profile(real.seconds, DAY, 7, EPOCH_WEEKDAY), \
        _profile(synth.seconds, DAY, 7, EPOCH_WEEKDAY)
    report.weekday_error = float(np.max(np.abs(day_a - day_b)))
    if real.has_clock:
        hour_a, hour_b = _profile(real.seconds, HOUR, 24), _profile(synth.seconds, HOUR, 24)
        report.hour_error = float(np.max(np.abs(hour_a - hour_b)))
        # A flat profile correlates by chance only: it is judged by the largest difference.
        if np.max(np.abs(hour_a - 1 / 24)) <= FLAT_HOURS:
            if report.hour_error > FLAT_HOURS:
                report.problems.append(f"hour-of-day shares differ by up to "
                                       f"{report.hour_error:.4f} from the real, flat ones "
                                       f"(> {FLAT_HOURS})")
        else:
            report.hour_r = float(np.corrcoef(hour_a, hour_b)[0, 1]) \
                if np.std(hour_b) > 0 else 0.0
            if report.hour_r < HOUR_R_TARGET:
                report.problems.append(f"hour-of-day profile correlation "
                                       f"{report.hour_r:.3f} (< {HOUR_R_TARGET})")
    if report.ks > KS_TARGET:
        report.problems.append(f"KS {report.ks:.4f} over the window (> {KS_TARGET})")
    return report


def _profile(seconds: np.ndarray, unit: int, size: int, shift: int = 0) -> np.ndarray:
    """Share of the values in each hour of the day (unit HOUR) or weekday (unit DAY)."""
    slots = ((seconds // unit) + shift) % size if unit == DAY else (seconds % DAY) // unit
    counts = np.bincount(slots.astype(np.int64), minlength=size).astype(np.float64)
    return counts / max(counts.sum(), 1.0)


def _shares(values: Text) -> dict[str, float]:
    counts = pc.value_counts(values)
    total = max(len(values), 1)
    return {str(v): c / total for v, c in zip(counts.field("values").to_pylist(),
                                              counts.field("counts").to_pylist(), strict=True)}


def _bool_pair(distinct: Text) -> tuple[str, str] | None:
    if not 0 < len(distinct) <= 2:
        return None
    lower = {str(v).lower() for v in distinct.to_pylist()}
    return next((p for p in BOOL_PAIRS if lower <= set(p) and p[0] != "1"), None)


def _canonical_bool(values: Text) -> Text:
    """true/false for any spelling of the pair (the generator writes true/false)."""
    lower = pc.utf8_lower(values)
    truthy = pc.is_in(lower, value_set=pa.array(["true", "yes", "y", "t"]))
    return pc.if_else(truthy, "true", "false")


def _floats(values: Text) -> np.ndarray:
    return values.cast(pa.float64()).to_numpy() if _all_numbers(values) else np.zeros(0)


def _ints(values: Text) -> np.ndarray | None:
    if not len(values) or not pc.all(pc.match_substring_regex(values, INTEGER)).as_py():
        return None
    return values.cast(pa.int64()).to_numpy()


def _all_numbers(values: Text) -> bool:
    return bool(len(values)) and pc.all(pc.match_substring_regex(values, DECIMAL)).as_py()


def _number_text(values: Text) -> Text:
    """Numbers as one text per value (2.50 and 2.5 alike)."""
    if not _all_numbers(values):
        return values
    return pc.cast(values.cast(pa.float64()), pa.string())


def _shape(values: Text) -> Text:
    """The punctuation skeleton of each value, letter and digit runs collapsed to 'w'."""
    return pc.replace_substring_regex(values, "[0-9A-Za-z]+", "w")


def _summary(reports: list[ColumnReport]) -> dict:
    def worst(key: str, pick=max):
        values = [getattr(r, key) for r in reports if getattr(r, key) is not None]
        return pick(values) if values else None

    return {"columns": len(reports), "within_targets": sum(r.ok for r in reports),
            "max_tv": worst("tv"), "max_ks": worst("ks"), "min_hour_r": worst("hour_r", min),
            "max_null_diff": worst("null_diff"),
            "targets": {"tv": TV_TARGET, "ks": KS_TARGET, "hour_r": HOUR_R_TARGET,
                        "null_diff": NULL_TARGET},
            "ok": all(r.ok for r in reports)}


def format_report(report: dict) -> str:
    """The report as a table a person reads, one column a line, then the summary."""
    lines = [f"{'column':<22} {'kind':<9} {'distance':<36} {'null diff':>9}  ok"]
    for c in report["columns"]:
        verdict = "yes" if c["ok"] else "NO: " + "; ".join(c["problems"])
        lines.append(f"{c['name']:<22} {c['kind']:<9} {_distance_text(c):<36} "
                     f"{c['null_diff']:>9.4f}  {verdict}")
    s = report["summary"]
    lines.append(f"{s['within_targets']} of {s['columns']} columns within the targets "
                 f"(TV <= {TV_TARGET}, KS <= {KS_TARGET}, hour r >= {HOUR_R_TARGET}, "
                 f"null diff <= {NULL_TARGET}); "
                 f"real {report['real_rows']:,} rows, synthetic {report['synthetic_rows']:,}")
    return "\n".join(lines)


def _distance_text(c: dict) -> str:
    if c["kind"] == "datetime" and c["ks"] is not None:
        hour = f"hour r {c['hour_r']:.3f}, " if c["hour_r"] is not None else \
            f"hour err {c['hour_error']:.4f}, " if c["hour_error"] is not None else ""
        return f"{hour}weekday err {c['weekday_error']:.4f}, KS {c['ks']:.4f}"
    if c["tv"] is not None:
        return f"TV {c['tv']:.4f}" + (" (of shapes)" if c["kind"] == "shape" else "")
    if c["ks"] is not None:
        return f"KS {c['ks']:.4f}"
    return "-"
