"""The verifier's printout: aligned columns, long or multi-line group names cut to one line,
the place of a row never cut, the verdict last."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from services.streamcheck import Answer, Ledger, OutputRows, WindowAnswer, verify
from services.streamcheck.report import CELL, report

LEDGER = Ledger(sent=1, events=1, duplicates=0, malformed={}, late=0, out_of_order=0,
                too_late=0)


def test_long_names_are_cut_and_places_kept():
    name = "Line one\nline two " + "x" * 80
    answer = Answer("product", "revenue", 3600, 900, 900, (WindowAnswer(name, 0, 1, 1, 1, 1),),
                    LEDGER)
    place = "/a/very/long/path/" + "d" * 60 + "/out.csv"
    base = OutputRows.of([name], [0], [2], [1.0])
    rows = OutputRows(base.groups, base.start_ms, base.counts, base.sums, files=(place,),
                      units=("line",), file_of=np.zeros(1, np.int64), place=np.array([7]))
    verdict = verify(answer, rows)
    lines = report(answer, Path("exp"), rows, Path("out"), verdict, 10).splitlines()
    heading = lines.index(next(line for line in lines if line.startswith("window_start")))
    row = lines[heading + 2]
    assert "Line one line two xxx" in row and "\n" not in row
    assert f"{'Line one line two ' + 'x' * 80}"[:CELL - 1] + "…" in row
    assert row.endswith(f"{place}:7")
    assert lines[heading].index("group") == row.index("Line one")  # aligned
    assert lines[-1] == verdict.summary() and lines[-1].startswith("WRONG")
    none = report(answer, Path("exp"), rows, Path("out"), verdict, 0).splitlines()
    assert "... and 1 more differences (--max-differences shows more)" in none
