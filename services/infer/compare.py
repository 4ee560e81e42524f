"""How close a synthetic extract comes to a real one: column by column (total variation for
labels, Kolmogorov-Smirnov for numbers, hour-of-day and weekday profiles for times, the
null-rate difference), pair by pair (services.infer.pairs), whether it copies real rows
(services.infer.privacy), and over time when rows are episodes' steps
(services.infer.temporal); and a summary against the targets."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.infer import pairs, privacy, temporal
from services.infer.detect import BOOL_PAIRS, DECIMAL, INTEGER
from services.infer.samples import Sample, Text
from services.infer.stats import chance_tv, ks_two_samples, total_variation
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
    tv_target: float | None = None  # TV_TARGET and what chance gives for the two sizes
    ks: float | None = None
    hour_r: float | None = None
    hour_error: float | None = None  # largest difference of an hour's share
    weekday_error: float | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class View:
    """One column of both samples aligned by row, for the pair and privacy checks: numbers
    (float64, NaN where missing) or labels (text, null where missing)."""

    numeric: bool
    real: np.ndarray | Text
    synth: np.ndarray | Text
    label: bool = True  # a label the pair checks use (not a many-valued text)
    time: bool = False  # numbers that are times: no mean per level


def compare(real: Sample, synthetic: Sample) -> dict:
    reports, views = [], {}
    for name, text in real.columns.items():
        report, view = _column(name, text, synthetic.columns.get(name), real.rows,
                               synthetic.rows)
        reports.append(report)
        if view is not None:
            views[name] = view
    pair_report = _pairs(views, real.rows, synthetic.rows)
    privacy_report = privacy.privacy(_privacy_sides(views), real.rows, synthetic.rows)
    time_report = temporal.temporal(real, synthetic)
    summary = _summary(reports, pair_report, privacy_report)
    summary["temporal_ok"] = time_report["ok"]
    summary["ok"] = summary["ok"] and time_report["ok"]
    summary["targets"].update(gap_ks=temporal.GAP_KS_TARGET,
                              length_tv=temporal.LENGTH_TV_TARGET,
                              transition_tv=temporal.TRANSITION_TV_TARGET,
                              daily_tv=temporal.DAILY_TV_TARGET)
    return {"real_rows": real.rows, "synthetic_rows": synthetic.rows,
            "columns": [{**asdict(r), "ok": r.ok} for r in reports],
            "pairs": pair_report, "privacy": privacy_report, "temporal": time_report,
            "summary": summary}


def _column(name: str, real: Text, synth: Text | None, real_rows: int,
            synth_rows: int) -> tuple[ColumnReport, View | None]:
    if synth is None:
        return ColumnReport(name, "missing", 1.0, problems=["not in the synthetic data"]), None
    null_diff = abs(real.null_count / max(real_rows, 1) - synth.null_count / max(synth_rows, 1))
    report, view = _distance(name, real, synth, null_diff)
    if null_diff > NULL_TARGET:
        report.problems.append(f"null rate differs by {null_diff:.4f} (> {NULL_TARGET})")
    return report, view


def _distance(name: str, real: Text, synth: Text,
              null_diff: float) -> tuple[ColumnReport, View]:
    """The column's distance, and its values as the pair checks read them."""
    a, b = real.drop_null(), synth.drop_null()
    distinct = pc.unique(a)
    if _bool_pair(distinct) is not None:
        view = View(False, _canonical_bool(real), _canonical_bool(synth))
        return _labels(name, view.real.drop_null(), view.synth.drop_null(), null_diff), view
    numeric = len(distinct) and pc.all(pc.match_substring_regex(distinct, DECIMAL)).as_py()
    integers = numeric and pc.all(pc.match_substring_regex(distinct, INTEGER)).as_py()
    times_a = parse_times(a, a.cast(pa.int64()).to_numpy() if integers else None) \
        if len(distinct) > 1 and (integers or not numeric) else None
    if times_a is not None:
        report, times_b = _times(name, times_a, b, null_diff)
        return report, View(True, _scatter(real, times_a.seconds),
                             _scatter(synth, times_b.seconds if times_b else None), time=True)
    if numeric and len(distinct) > 50:
        report = ColumnReport(name, "number", null_diff)
        report.ks = ks_two_samples(a.cast(pa.float64()).to_numpy(), _floats(b))
        if report.ks > KS_TARGET:
            report.problems.append(f"KS {report.ks:.4f} (> {KS_TARGET})")
        return report, View(True, _numbers_or_nan(real), _numbers_or_nan(synth))
    if numeric:
        view = View(False, _number_text(real), _number_text(synth))
        return _labels(name, view.real.drop_null(), view.synth.drop_null(), null_diff), view
    if len(distinct) > MANY_VALUES:
        report = _labels(name, _shape(a), _shape(b), null_diff)
        report.kind = "shape"
        return report, View(False, real, synth, label=False)
    return _labels(name, a, b, null_diff), View(False, real, synth)


def _scatter(text: Text, seconds: np.ndarray | None) -> np.ndarray:
    """Seconds of the present values put back in their rows, NaN in the others."""
    out = np.full(len(text), np.nan)
    if seconds is not None:
        out[pc.is_valid(text).to_numpy(zero_copy_only=False)] = seconds
    return out


def _numbers_or_nan(text: Text) -> np.ndarray:
    """Each value as a number, NaN where missing or not a number."""
    ok = pc.fill_null(pc.match_substring_regex(text, DECIMAL), False)
    kept = pc.if_else(ok, text, pa.scalar(None, pa.string()))
    return pc.cast(kept, pa.float64()).to_numpy(zero_copy_only=False)


def _pairs(views: dict[str, View], real_rows: int, synth_rows: int) -> dict:
    """The pair checks on a seeded sample of at most pairs.PAIR_ROWS rows of each side."""
    real_pick = pairs.sample_rows(real_rows, seed=1)
    synth_pick = pairs.sample_rows(synth_rows, seed=2)

    def rows(values, pick):
        if pick is None:
            return values
        return values[pick] if isinstance(values, np.ndarray) else values.take(pa.array(pick))

    numbers = {n: (rows(v.real, real_pick), rows(v.synth, synth_pick))
               for n, v in views.items() if v.numeric}
    labels = {n: (rows(v.real, real_pick), rows(v.synth, synth_pick))
              for n, v in views.items() if not v.numeric and v.label}
    rhos = pairs.rank_correlations({n: r for n, (r, _) in numbers.items()},
                                   {n: s for n, (_, s) in numbers.items()})
    tables = pairs.contingency({n: r for n, (r, _) in labels.items()},
                               {n: s for n, (_, s) in labels.items()})
    means = pairs.level_means(labels, {n: v for n, v in numbers.items() if not views[n].time})
    return {"rows": {"real": real_rows if real_pick is None else len(real_pick),
                     "synthetic": synth_rows if synth_pick is None else len(synth_pick)},
            "rank_correlations": rhos, "contingency": tables, "level_means": means,
            "ok": all(r["ok"] for r in rhos + tables + means)}


def _privacy_sides(views: dict[str, View]) -> dict[str, privacy.Side]:
    sides = {}
    for name, view in views.items():
        side = privacy.number_side(view.real, view.synth) if view.numeric else \
            privacy.label_side(view.real, view.synth)
        if side is not None:
            sides[name] = side
    return sides


def _labels(name: str, a: Text, b: Text, null_diff: float) -> ColumnReport:
    """TV of the values' shares, judged against TV_TARGET beyond what chance gives for
    these sizes (as pairs and the temporal checks are)."""
    real = _shares(a)
    report = ColumnReport(name, "label", null_diff, tv=total_variation(real, _shares(b)))
    report.tv_target = TV_TARGET + chance_tv(np.array(list(real.values())), len(a), len(b))
    if report.tv > report.tv_target:
        report.problems.append(f"total variation {report.tv:.4f} (> {TV_TARGET} + chance "
                               f"{report.tv_target - TV_TARGET:.4f})")
    return report


def _times(name: str, real, b: Text, null_diff: float) -> tuple[ColumnReport, object]:
    """The report, and the synthetic times (None when they are not in the real format)."""
    report = ColumnReport(name, "datetime", null_diff)
    ints = _ints(b) if real.format.startswith("epoch") else None
    synth = parse_times(b, ints) if ints is not None or not real.format.startswith("epoch") \
        else None
    if synth is None or (real.format != synth.format):
        report.problems.append(f"synthetic values are not all in the format {real.format!r}")
        return report, None
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
    return report, synth


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
    """true/false for any spelling of the pair (the generator writes true/false); null
    stays null."""
    lower = pc.utf8_lower(values)
    truthy = pc.is_in(lower, value_set=pa.array(["true", "yes", "y", "t"]))
    text = pc.if_else(truthy, "true", "false")
    return pc.if_else(pc.is_null(values), pa.scalar(None, pa.string()), text)


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


def _summary(reports: list[ColumnReport], pair_report: dict, privacy_report: dict) -> dict:
    def worst(key: str, pick=max):
        values = [getattr(r, key) for r in reports if getattr(r, key) is not None]
        return pick(values) if values else None

    judged = [r for r in pair_report["rank_correlations"] if r["judged"]]
    columns_ok = all(r.ok for r in reports)
    copies, dcr = privacy_report["copies"], privacy_report["dcr"]
    return {"columns": len(reports), "within_targets": sum(r.ok for r in reports),
            "max_tv": worst("tv"), "max_ks": worst("ks"), "min_hour_r": worst("hour_r", min),
            "max_null_diff": worst("null_diff"),
            "max_rank_correlation_diff": max((r["diff"] for r in judged), default=None),
            "rank_correlation_pairs": len(judged),
            "rank_correlation_pairs_within": sum(r["ok"] for r in judged),
            "max_contingency_tv": max((r["tv"] for r in pair_report["contingency"]),
                                      default=None),
            "max_level_mean_error": max((r["error"] for r in pair_report["level_means"]
                                         if r["error"] is not None), default=None),
            "copies_share": copies["synthetic_share"] if copies else None,
            "dcr_closer_share": dcr["closer_share"] if dcr else None,
            "targets": {"tv": TV_TARGET, "ks": KS_TARGET, "hour_r": HOUR_R_TARGET,
                        "null_diff": NULL_TARGET, "rank_correlation_min": pairs.RHO_MIN,
                        "rank_correlation_diff": pairs.RHO_TARGET,
                        "contingency_tv": pairs.PAIR_TV_TARGET,
                        "level_share": pairs.LEVEL_SHARE,
                        "level_mean_error": pairs.LEVEL_MEAN_TARGET,
                        "level_mean_z": pairs.LEVEL_MEAN_Z,
                        "dcr_closer_share": privacy.DCR_SHARE_TARGET},
            "columns_ok": columns_ok, "pairs_ok": pair_report["ok"],
            "privacy_ok": privacy_report["ok"],
            "ok": columns_ok and pair_report["ok"] and privacy_report["ok"]}


WORST = 5  # pairs shown in the text report per check (the JSON has them all)


def format_report(report: dict) -> str:
    """The report as a table a person reads, one column a line, then the pairs, the
    privacy check and the verdict."""
    lines = [f"{'column':<22} {'kind':<9} {'distance':<36} {'null diff':>9}  ok"]
    for c in report["columns"]:
        verdict = "yes" if c["ok"] else "NO: " + "; ".join(c["problems"])
        lines.append(f"{c['name']:<22} {c['kind']:<9} {_distance_text(c):<36} "
                     f"{c['null_diff']:>9.4f}  {verdict}")
    s = report["summary"]
    lines.append(f"{s['within_targets']} of {s['columns']} columns within the targets "
                 f"(TV <= {TV_TARGET} + chance, KS <= {KS_TARGET}, hour r >= {HOUR_R_TARGET}, "
                 f"null diff <= {NULL_TARGET}); "
                 f"real {report['real_rows']:,} rows, synthetic {report['synthetic_rows']:,}")
    lines += _pair_lines(report["pairs"]) + _privacy_lines(report["privacy"])
    lines += temporal.format_lines(report["temporal"])
    lines.append("all within the targets" if s["ok"] else "NOT within the targets: " + ", ".join(
        part for part, ok in (("columns", s["columns_ok"]), ("pairs", s["pairs_ok"]),
                              ("privacy", s["privacy_ok"]), ("over time", s["temporal_ok"]))
        if not ok))
    return "\n".join(lines)


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def _pair_lines(p: dict) -> list[str]:
    rows = p["rows"]
    lines = [f"pairs, on {rows['real']:,} real and {rows['synthetic']:,} synthetic rows:"]
    judged = [r for r in p["rank_correlations"] if r["judged"]]
    lines.append(f"  rank correlation: {sum(r['ok'] for r in judged)} of {len(judged)} number "
                 f"pairs with real |rho| >= {pairs.RHO_MIN} within {pairs.RHO_TARGET}")
    for r in p["rank_correlations"][:WORST]:
        synth = f"{r['synthetic']:.3f}" if r["synthetic"] is not None else "-"
        lines.append(f"    {' ~ '.join(r['columns']):<40} real {r['real']:.3f}  synthetic "
                     f"{synth}  diff {r['diff']:.3f}  "
                     f"{_yes(r['ok']) if r['judged'] else 'not judged'}")
    tables = p["contingency"]
    lines.append(f"  contingency: {sum(r['ok'] for r in tables)} of {len(tables)} label pairs "
                 f"within TV {pairs.PAIR_TV_TARGET} + chance")
    for r in tables[:WORST]:
        lines.append(f"    {' ~ '.join(r['columns']):<40} TV {r['tv']:.4f} (chance "
                     f"{r['chance']:.4f})  {_yes(r['ok'])}")
    means = p["level_means"]
    lines.append(f"  level means: {sum(r['ok'] for r in means)} of {len(means)} (label, number) "
                 f"pairs within {pairs.LEVEL_MEAN_TARGET:.0%} (or {pairs.LEVEL_MEAN_Z:g} "
                 f"standard errors) at every level with >= {pairs.LEVEL_SHARE:.0%} of the rows")
    for r in means[:WORST]:
        synth = f"{r['synthetic_mean']:.6g}" if r["synthetic_mean"] is not None else "-"
        error = f"{r['error']:.1%}" if r["error"] is not None else "-"
        z = f"{r['z']:.1f}" if r["z"] is not None else "-"
        where = f"{r['number']} where {r['label']} = {r['level']}"
        lines.append(f"    {where:<40} real {r['real_mean']:.6g}  synthetic {synth}  "
                     f"({error}, z {z})  {_yes(r['ok'])}")
    return lines


def _privacy_lines(p: dict) -> list[str]:
    copies, dcr = p["copies"], p["dcr"]
    if copies is None or dcr is None:
        return [f"privacy: not judged ({p.get('note', '')})"]
    return [
        f"privacy, over {', '.join(p['columns'])}:",
        f"  copies: {copies['synthetic_share']:.2%} of synthetic rows equal a real row, "
        f"{copies['holdout_share']:.2%} of holdout rows do; target <= "
        f"{copies['target']:.2%}  {_yes(copies['ok'])}",
        f"  closest record: {dcr['closer_share']:.1%} of {dcr['synthetic_rows']:,} synthetic "
        f"rows are closer to one of {dcr['reference_rows']:,} real rows than 95% of "
        f"{dcr['holdout_rows']:,} holdout rows are ({dcr['holdout_p5']:.4f}); target <= "
        f"{dcr['target']:.0%}; median distance synthetic {dcr['synthetic_median']:.4f}, "
        f"holdout {dcr['holdout_median']:.4f}  {_yes(dcr['ok'])}"]


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
