"""What relates two columns, real against synthetic: rank correlations of numbers, the
contingency table of two labels, and a number's mean per level of a label. Each measure is
vectorised over the columns' arrays, on at most PAIR_ROWS rows of each side (a seeded
sample), so its cost is bounded whatever the extract's size.

Arrays come aligned by row: numbers as float64 with NaN for a missing value, labels as text
with null for one (services.infer.compare makes them)."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.infer.ranks import rank_shares
from services.infer.samples import Text
from services.infer.stats import chance_tv

PAIR_ROWS = 200_000  # rows of each side the pairs are measured on (a seeded sample)
RHO_MIN = 0.3  # pairs whose real |rank correlation| is at least this are judged...
RHO_TARGET = 0.05  # ...and pass within this of it
PAIR_LEVELS = 10  # levels of a label kept by name in a contingency table; the rest as one
PAIR_TV_TARGET = 0.03  # contingency TV beyond what chance gives between two samples
LEVEL_SHARE = 0.01  # levels with at least this share of the rows have their means judged
LEVEL_MEAN_TARGET = 0.10  # relative difference of a level's mean...
LEVEL_MEAN_Z = 3.0  # ...unless the difference is within this many standard errors


def sample_rows(rows: int, seed: int = 0, limit: int | None = None) -> np.ndarray | None:
    """The rows to measure on: None for all of them, else PAIR_ROWS of them, seeded."""
    limit = PAIR_ROWS if limit is None else limit
    if rows <= limit:
        return None
    return np.sort(np.random.default_rng(seed).choice(rows, limit, replace=False))


def spearman(x: np.ndarray, y: np.ndarray, ranks: tuple | None = None) -> float | None:
    """Spearman's rho over the rows where both are numbers; None when fewer than 3 such
    rows or one side is constant there. `ranks`: both columns' ranks (any affine scale, such
    as services.infer.ranks' shares), when neither has NaN."""
    if ranks is None:
        both = ~(np.isnan(x) | np.isnan(y))
        if both.sum() < 3:
            return None
        ranks = (rank_shares(x[both])[0], rank_shares(y[both])[0])
    a, b = ranks[0] - ranks[0].mean(), ranks[1] - ranks[1].mean()
    scale = math.sqrt(float(a @ a) * float(b @ b))
    return float(a @ b) / scale if scale > 0 else None


def _rhos(numbers: dict[str, np.ndarray]) -> dict[tuple[str, str], float | None]:
    whole = {n: rank_shares(v)[0] for n, v in numbers.items()
             if len(v) >= 3 and not np.isnan(v).any()}
    return {(p, q): spearman(numbers[p], numbers[q],
                             (whole[p], whole[q]) if p in whole and q in whole else None)
            for p, q in combinations(numbers, 2)}


def rank_correlations(real: dict[str, np.ndarray], synth: dict[str, np.ndarray]) -> list[dict]:
    """Every pair of number columns: real and synthetic rho, their difference, and whether it
    is judged (real |rho| >= RHO_MIN) and within RHO_TARGET; worst first."""
    real_rho, synth_rho = _rhos(real), _rhos(synth)
    out = []
    for pair, rho in real_rho.items():
        if rho is None:
            continue
        other = synth_rho.get(pair)
        diff = abs(rho - (other if other is not None else 0.0))
        judged = abs(rho) >= RHO_MIN
        out.append({"columns": list(pair), "real": rho, "synthetic": other, "diff": diff,
                    "judged": judged, "ok": not judged or (other is not None
                                                             and diff <= RHO_TARGET)})
    return sorted(out, key=lambda r: (r["ok"], -r["diff"]))


def _codes(real: Text, synth: Text, levels: int | None) -> tuple[np.ndarray, np.ndarray, list]:
    """Codes of both sides' labels over the real side's most common `levels` (all when None):
    0..k-1 those levels, k any other value, k+1 null."""
    counts = pc.value_counts(real.drop_null())
    order = np.argsort(-counts.field("counts").to_numpy(), kind="stable")
    keep = counts.field("values").take(pa.array(order[:levels] if levels else order))
    k = len(keep)

    def code(values: Text) -> np.ndarray:
        index = pc.index_in(values, value_set=keep)
        out = pc.fill_null(index, k).to_numpy(zero_copy_only=False).astype(np.int64)
        out[pc.is_null(values).to_numpy(zero_copy_only=False)] = k + 1
        return out

    return code(real), code(synth), keep.to_pylist()


def contingency(real: dict[str, Text], synth: dict[str, Text]) -> list[dict]:
    """Every pair of label columns: the total variation between the real and synthetic joint
    shares (each label's PAIR_LEVELS most common real values, the rest as one, null as one),
    and the TV two samples of these sizes from the real shares would show by chance;
    within target when TV <= PAIR_TV_TARGET + that chance. Worst first."""
    coded = {n: _codes(real[n], synth[n], PAIR_LEVELS) for n in real if n in synth}
    out = []
    for p, q in combinations(coded, 2):
        (ra, sa, la), (rb, sb, lb) = coded[p], coded[q]
        size = len(lb) + 2
        cells = (len(la) + 2) * size
        pr = np.bincount(ra * size + rb, minlength=cells) / max(len(ra), 1)
        ps = np.bincount(sa * size + sb, minlength=cells) / max(len(sa), 1)
        tv = 0.5 * float(np.abs(pr - ps).sum())
        chance = chance_tv(pr, len(ra), len(sa))
        target = PAIR_TV_TARGET + chance
        out.append({"columns": [p, q], "tv": tv, "chance": chance, "target": target,
                    "ok": tv <= target})
    return sorted(out, key=lambda r: (r["ok"], -(r["tv"] - r["target"])))


def level_means(labels: dict[str, tuple[Text, Text]],
                numbers: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[dict]:
    """Each (label, number) pair: the number's mean in each level holding LEVEL_SHARE of the
    real rows or more, real against synthetic; a level passes within LEVEL_MEAN_TARGET of
    the real mean, or when the difference is within LEVEL_MEAN_Z standard errors (small
    levels of spread-out numbers). The pair's worst level is reported; worst pair first."""
    out = []
    for label, (real_text, synth_text) in labels.items():
        ra, sa, levels = _codes(real_text, synth_text, None)
        shares = np.bincount(ra, minlength=len(levels) + 2)[:len(levels)] / max(len(ra), 1)
        judged = np.flatnonzero(shares >= LEVEL_SHARE)
        if not len(judged):
            continue
        for number, (rx, sx) in numbers.items():
            real_stats = _moments(ra, rx, len(levels))
            synth_stats = _moments(sa, sx, len(levels))
            worst = _worst_level(judged, real_stats, synth_stats)
            if worst is None:
                continue
            level, row = worst
            out.append({"label": label, "number": number, "level": str(levels[level]),
                        **row, "levels": len(judged)})
    return sorted(out, key=lambda r: (r["ok"], -(math.inf if r["error"] is None
                                                  else r["error"])))


def _moments(codes: np.ndarray, x: np.ndarray, k: int) -> tuple[np.ndarray, ...]:
    """Per level: count, mean and variance of the number where it is present."""
    present = ~np.isnan(x)
    c, v = codes[present], x[present]
    n = np.bincount(c, minlength=k + 2)[:k].astype(np.float64)
    total = np.bincount(c, weights=v, minlength=k + 2)[:k]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n
        square = np.bincount(c, weights=v * v, minlength=k + 2)[:k] / n
    return n, mean, np.maximum(square - mean * mean, 0.0)


def _worst_level(judged: np.ndarray, real: tuple, synth: tuple) -> tuple[int, dict] | None:
    (nr, mr, vr), (ns, ms, vs) = real, synth
    rows = []
    for level in judged:
        if nr[level] == 0:
            continue  # the number is never present in this level of the real data
        if ns[level] == 0:
            rows.append((math.inf, level, {"real_mean": float(mr[level]),
                                           "synthetic_mean": None, "error": math.inf,
                                           "z": math.inf, "ok": False}))
            continue
        diff = abs(float(ms[level] - mr[level]))
        error = diff / abs(float(mr[level])) if mr[level] != 0 else \
            (0.0 if diff == 0 else math.inf)
        se = math.sqrt(float(vr[level] / nr[level] + vs[level] / ns[level]))
        z = diff / se if se > 0 else (0.0 if diff == 0 else math.inf)
        ok = error <= LEVEL_MEAN_TARGET or z <= LEVEL_MEAN_Z
        rows.append((error if not ok else -1 / (1 + error), level, {
            "real_mean": float(mr[level]), "synthetic_mean": float(ms[level]),
            "error": error, "z": z, "ok": ok}))
    if not rows:
        return None
    _, level, row = max(rows, key=lambda r: r[0])
    return int(level), {k: (None if isinstance(v, float) and math.isinf(v) else v)
                        for k, v in row.items()}  # JSON has no infinity
