"""The verifier's printout: what was compared, the differences as a table (capped), which
windows were not yet judged and why, and the one-line verdict last, so `| tail -1` gives it."""

from __future__ import annotations

from pathlib import Path

from services.streamcheck.answer import Answer
from services.streamcheck.output import OutputRows
from services.streamcheck.times import duration_text, instant_text, iso_of_ms
from services.streamcheck.verdicts import MISSING, Verdict

HEADINGS = ("window_start", "group", "difference", "expected", "found", "where")
CELL = 48  # characters a cell shows before it is cut with "…"


def report(answer: Answer, expected: Path, rows: OutputRows, output: Path, verdict: Verdict,
           limit: int) -> str:
    files = len(set(rows.files)) if rows.files else 0
    until = "" if answer.complete_until_ms is None else \
        f"; final up to {instant_text(answer.complete_until_ms)}"
    lines = [
        f"expected: {expected} ({len(answer.windows):,} window x group rows by "
        f"{answer.group_field}; {duration_text(answer.window_s)} windows sliding "
        f"{duration_text(answer.slide_s)}{until})",
        f"output:   {output} ({len(rows):,} rows" + (f" from {files:,} files)" if files > 1
                                                     else ")"),
    ]
    shown = verdict.differences[:limit]
    if shown:
        lines += ["", *table(verdict, limit)]
    more = len(verdict.differences) - len(shown)
    if more:
        lines.append(f"... and {more:,} more differences (--max-differences shows more)")
    lines.append("")
    if verdict.not_judged:
        lines.append(verdict.not_judged_text())
    if answer.complete_until_ms is not None and verdict.closed_before_ms is None \
            and verdict.counts().get(MISSING):
        lines.append("note: the expected answer is not final, so the stream is still being "
                     "sent; if the pipeline is still running too, --closed-only judges only "
                     "the windows it has closed")
    lines.append(verdict.summary())
    return "\n".join(lines)


def table(verdict: Verdict, limit: int) -> list[str]:
    """The first `limit` differences, one a line, in aligned columns."""
    cells = [[iso_of_ms(d.start_ms), d.group, d.kind, d.expected, d.found, d.where]
             for d in verdict.differences[:limit]]
    cells = [[*map(_cut, row[:-1]), row[-1]] for row in cells]  # `where` whole: its line
    widths = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(HEADINGS)]

    def line(values: list[str] | tuple[str, ...]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    return [line(HEADINGS), line(["-" * w for w in widths]), *map(line, cells)]


def _cut(text: str) -> str:
    text = " ".join(text.split())  # a group name's line breaks would break the table
    return text if len(text) <= CELL else text[:CELL - 1] + "…"
