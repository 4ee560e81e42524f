"""Whether synthetic rows copy real ones, judged against what a holdout of the real data
shows by chance (a fresh sample of the same population is as close as any good copy-free
synthetic data should be).

The real rows are split in two halves, seeded: the reference, and the holdout. Two checks:
- copies: the share of synthetic rows equal, in every column used, to a reference row,
  against the share of holdout rows that are; all rows, by 64-bit row hashes.
- closest record (DCR): each row's Gower distance to the nearest reference row (numbers as
  the difference over the reference's 1st-99th percentile range, capped at 1; labels 0 or 1;
  null against a value 1), for DCR_ROWS synthetic and DCR_ROWS holdout rows against
  REFERENCE_ROWS reference rows (seeded samples: the cost is bounded). Synthetic rows
  should not be closer than the holdout's are: the share of them nearer than the holdout's
  5th percentile (5% by chance) is judged against DCR_SHARE_TARGET.
Columns whose real text values are nearly all distinct (identifiers: uuids, codes) are left
out: they name a row rather than describe it, and a copy that renamed it is still a copy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from services.infer.samples import Text

DCR_ROWS = 1000  # synthetic rows, and holdout rows, whose closest record is found...
REFERENCE_ROWS = 10_000  # ...among this many reference rows
DCR_QUANTILE = 0.05  # the holdout's DCR quantile synthetic rows are compared with...
DCR_SHARE_TARGET = 0.10  # ...and the share of them below it that passes (chance: 5%)
COPY_Z = 3.0  # copies pass within this many standard errors of the holdout's share...
COPY_SLACK = 0.001  # ...plus this
IDENTIFIER_SHARE = 0.9  # text with this share of distinct values names rows
CHUNK = 128  # query rows per block of distances


@dataclass(frozen=True)
class Side:
    """One column of both sides: numbers (float64, NaN missing) or labels (int64 codes
    shared by both sides, -1 missing)."""

    real: np.ndarray
    synth: np.ndarray
    numeric: bool


def number_side(real: np.ndarray, synth: np.ndarray) -> Side:
    return Side(real, synth, True)


def label_side(real: Text, synth: Text) -> Side | None:
    """Codes of the text of both sides; None for an identifier column."""
    present = real.drop_null()
    if len(present) >= 20 and len(pc.unique(present)) >= IDENTIFIER_SHARE * len(present):
        return None
    both = pa.chunked_array([*_chunks(real), *_chunks(synth)], pa.string())
    codes = pc.fill_null(pc.dictionary_encode(both.combine_chunks()).indices, -1)
    codes = codes.to_numpy(zero_copy_only=False).astype(np.int64)
    return Side(codes[:len(real)], codes[len(real):], False)


def _chunks(values: Text) -> list[pa.Array]:
    return values.chunks if isinstance(values, pa.ChunkedArray) else [values]


def privacy(columns: dict[str, Side], real_rows: int, synth_rows: int, seed: int = 0) -> dict:
    """The copies and closest-record checks, each with its figures, target and verdict."""
    if not columns or real_rows < 4 or synth_rows < 1:
        return {"columns": sorted(columns), "copies": None, "dcr": None, "ok": True,
                "note": "too few rows or columns to judge"}
    order = np.random.default_rng(seed).permutation(real_rows)
    reference, holdout = order[:real_rows // 2], order[real_rows // 2:]
    copies = _copies(columns, reference, holdout)
    dcr = _dcr(columns, reference, holdout, synth_rows, seed)
    return {"columns": sorted(columns), "copies": copies, "dcr": dcr,
            "ok": copies["ok"] and dcr["ok"]}


def _row_hashes(codes: list[np.ndarray]) -> np.ndarray:
    """A 64-bit hash of each row's codes (splitmix64 steps, wrapping)."""
    h = np.zeros(len(codes[0]), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in codes:
            h = (h ^ column.astype(np.uint64)) * np.uint64(0x9E3779B97F4A7C15)
            h ^= h >> np.uint64(31)
    return h


def _as_codes(side: Side) -> tuple[np.ndarray, np.ndarray]:
    """Both sides as int64 codes: a number's bits (NaN one code, -0.0 as 0.0)."""
    if not side.numeric:
        return side.real, side.synth
    def bits(x: np.ndarray) -> np.ndarray:
        clean = np.where(np.isnan(x), np.nan, x + 0.0)
        return clean.view(np.int64)
    return bits(side.real), bits(side.synth)


def _copies(columns: dict[str, Side], reference: np.ndarray, holdout: np.ndarray) -> dict:
    codes = [_as_codes(side) for side in columns.values()]
    real = _row_hashes([r for r, _ in codes])
    synth = _row_hashes([s for _, s in codes])
    known = np.unique(real[reference])
    synth_share = float(np.isin(synth, known).mean())
    holdout_share = float(np.isin(real[holdout], known).mean())
    p = holdout_share
    allowance = COPY_Z * math.sqrt(p * (1 - p) * (1 / len(synth) + 1 / len(holdout))) + \
        COPY_SLACK
    return {"synthetic_share": synth_share, "holdout_share": holdout_share,
            "target": holdout_share + allowance, "ok": synth_share <= holdout_share + allowance}


def _dcr(columns: dict[str, Side], reference: np.ndarray, holdout: np.ndarray,
         synth_rows: int, seed: int) -> dict:
    rng = np.random.default_rng(seed + 1)
    ref = _pick(reference, REFERENCE_ROWS, rng)
    hold = _pick(holdout, DCR_ROWS, rng)
    syn = _pick(np.arange(synth_rows), DCR_ROWS, rng)
    sides = list(columns.values())
    scales = [_scale(side.real[ref]) if side.numeric else 1.0 for side in sides]
    ref_cols = [side.real[ref] for side in sides]
    holdout_dcr = _closest([side.real[hold] for side in sides], ref_cols, sides, scales)
    synth_dcr = _closest([side.synth[syn] for side in sides], ref_cols, sides, scales)
    threshold = float(np.quantile(holdout_dcr, DCR_QUANTILE))
    closer = float((synth_dcr < threshold).mean())
    return {"synthetic_rows": len(syn), "holdout_rows": len(hold), "reference_rows": len(ref),
            "synthetic_median": float(np.median(synth_dcr)),
            "holdout_median": float(np.median(holdout_dcr)),
            "holdout_p5": threshold, "closer_share": closer, "target": DCR_SHARE_TARGET,
            "ok": closer <= DCR_SHARE_TARGET}


def _pick(rows: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    return rows if len(rows) <= limit else rng.choice(rows, limit, replace=False)


def _scale(values: np.ndarray) -> float:
    present = values[~np.isnan(values)]
    if not len(present):
        return 1.0
    low, high = np.quantile(present, [0.01, 0.99])
    span = float(high - low) or float(present.max() - present.min())
    return span or 1.0


def _closest(queries: list[np.ndarray], refs: list[np.ndarray], sides: list[Side],
             scales: list[float]) -> np.ndarray:
    """Each query row's smallest mean per-column distance to a reference row."""
    rows = len(queries[0])
    out = np.empty(rows, dtype=np.float64)
    for start in range(0, rows, CHUNK):
        part = slice(start, start + CHUNK)
        total = np.zeros((len(queries[0][part]), len(refs[0])), dtype=np.float32)
        for query, ref, side, scale in zip(queries, refs, sides, scales, strict=True):
            q = query[part]
            if side.numeric:
                qn, rn = np.isnan(q)[:, None], np.isnan(ref)[None, :]
                gap = np.abs(q[:, None] - ref[None, :]).astype(np.float32) / np.float32(scale)
                gap = np.minimum(np.nan_to_num(gap, nan=1.0), 1.0)
                gap[qn & rn] = 0.0
                total += gap
            else:
                total += (q[:, None] != ref[None, :])
        out[part] = total.min(axis=1) / len(sides)
    return out
