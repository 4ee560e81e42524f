"""Fidelity over time, for extracts whose rows are episodes' steps (services.infer.episodes:
an id that repeats, a status, a time), judged on the roles found in the real extract:

- gaps: Kolmogorov-Smirnov distance between the seconds from one row of an id to its next;
- lengths: total variation between the shares of ids with 1, 2, 3... rows;
- transitions: total variation over (from, to) pairs of consecutive states of an id, each
  pair's share of all such pairs (the transition matrix read as one distribution);
- daily volume: total variation over UTC days, each day's share of the rows.

A TV is within its target when at most the target plus the TV two samples of these sizes
drawn from the real shares would show by chance (as services.infer.pairs judges its tables):
many-valued lengths of a few thousand sessions differ by chance alone. The days' chance
counts the ids, not the rows: rows come in whole episodes, so the independent draws are
the episodes (a day with one more session of 50 page views has 50 more rows).
"""

from __future__ import annotations

import numpy as np

from services.infer.episodes import Episodes, episodes, find_roles
from services.infer.samples import Sample
from services.infer.stats import chance_tv, ks_two_samples
from services.infer.times import DAY

GAP_KS_TARGET = 0.05
LENGTH_TV_TARGET = 0.02  # each TV target is beyond chance
TRANSITION_TV_TARGET = 0.02
DAILY_TV_TARGET = 0.02


def temporal(real: Sample, synthetic: Sample) -> dict:
    """The four distances with their targets, or a note saying why there are none."""
    roles = find_roles(real.columns, real.rows)
    if roles is None:
        return {"judged": False, "ok": True,
                "note": "the real extract has no id that repeats with a status and a time"}
    a = episodes(real.columns, roles)
    b = episodes(synthetic.columns, roles)
    base = {"id": roles.id, "state": roles.state, "time": roles.time,
            "warnings": list(roles.warnings)}
    if a is None or b is None:
        return {**base, "judged": False, "ok": False,
                "note": f"the synthetic extract lacks {roles.id}, {roles.state} or "
                        f"{roles.time}, or its times do not parse"}
    checks = [
        _check("gaps", "KS", (gap_ks(a, b), 0.0), GAP_KS_TARGET),
        _check("lengths", "TV", length_tv(a, b), LENGTH_TV_TARGET),
        _check("transitions", "TV", transition_tv(a, b), TRANSITION_TV_TARGET),
        _check("daily_volume", "TV", daily_tv(a, b), DAILY_TV_TARGET)]
    return {**base, "judged": True, "checks": checks, "ok": all(c["ok"] for c in checks)}


def _check(name: str, measure: str, value: tuple[float, float], target: float) -> dict:
    distance, chance = value
    return {"name": name, "measure": measure, "value": distance, "chance": chance,
            "target": target + chance, "ok": distance <= target + chance}


def gap_ks(a: Episodes, b: Episodes) -> float:
    return ks_two_samples(a.gaps().astype(np.float64), b.gaps().astype(np.float64))


def length_tv(a: Episodes, b: Episodes) -> tuple[float, float]:
    """TV of the shares of ids by their number of rows, and its chance part."""
    return _tv(a.lengths(), b.lengths())


def transition_tv(a: Episodes, b: Episodes) -> tuple[float, float]:
    """TV over the (from, to) pairs, each pair's share of all consecutive pairs."""
    return _tv(_pair_keys(a, b.names), _pair_keys(b, a.names))


def daily_tv(a: Episodes, b: Episodes) -> tuple[float, float]:
    """TV over UTC days, each day's share of the rows."""
    return _tv(a.seconds // DAY, b.seconds // DAY, (int(a.first.sum()), int(b.first.sum())))


def _pair_keys(ep: Episodes, other: tuple[str, ...]) -> np.ndarray:
    """Each consecutive pair as one number, from state names shared by both sides: the
    names of both in one sorted list, so that a pair means the same on each side."""
    names = sorted(set(ep.names) | set(other))
    recode = np.array([names.index(n) for n in ep.names], dtype=np.int64)
    src, dst = ep.moves()
    return recode[src] * len(names) + recode[dst]


def _tv(real: np.ndarray, synth: np.ndarray, draws: tuple[int, int] | None = None
        ) -> tuple[float, float]:
    """Total variation between the values' shares, and what chance gives for these sizes
    (`draws`: the independent draws behind each side, by default its values): the sum over
    values of E|difference| = sqrt(2/pi) sd, halved."""
    keys = np.union1d(real, synth)
    p = np.bincount(np.searchsorted(keys, real), minlength=len(keys)) / max(len(real), 1)
    q = np.bincount(np.searchsorted(keys, synth), minlength=len(keys)) / max(len(synth), 1)
    tv = 0.5 * float(np.abs(p - q).sum())
    n_real, n_synth = draws or (len(real), len(synth))
    return tv, chance_tv(p, n_real, n_synth)


def format_lines(report: dict) -> list[str]:
    """The temporal part of the text report."""
    if not report.get("judged"):
        return [f"over time: not judged ({report['note']})"]
    lines = [f"over time, episodes of {report['id']} moving by {report['state']} at "
             f"{report['time']}:"]
    lines += [f"  warning: {w}" for w in report["warnings"]]
    for c in report["checks"]:
        chance = f" = {c['target'] - c['chance']:g} + chance {c['chance']:.4f}" \
            if c["chance"] else ""
        lines.append(f"  {c['name']:<13} {c['measure']} {c['value']:.4f} (target <= "
                     f"{c['target']:.4f}{chance})  {'yes' if c['ok'] else 'NO'}")
    return lines

