"""`sdp-verify --expected DIR OUTPUT`: a pipeline's windows against the expected answer.

Judged: the windows closed in the output (all of them, or those ending by --closed-only's or
--closed-before's cut-off) that end by the answer's complete_until, when it has one.
Exit 0 when every judged window is right, 1 when some differ (or nothing could be judged
yet), 2 when the answer, the output or an option cannot be used.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa

from services.common import settings
from services.common.cli import LOG_LEVELS, ArgumentParser, UsageError, configure_logging
from services.outputs import EVENT_COUNT, REVENUE, WINDOW_START
from services.streamcheck.answer import AnswerError, read_answer
from services.streamcheck.output import AUTO, FORMATS, OutputColumns, OutputError, read_output
from services.streamcheck.report import report
from services.streamcheck.values import TIMES, parse_times_ms
from services.streamcheck.verdicts import newest_end_ms, verify

MAX_DIFFERENCES = 20


def build_parser() -> ArgumentParser:
    defaults = settings.resolve((settings.LOG_LEVEL,), os.environ)
    parser = ArgumentParser(
        prog="sdp-verify",
        description="Compare a streaming pipeline's windows with the expected answer of the "
                    "stream it read, window x group by window x group. Exit 0 right, 1 "
                    "wrong, 2 unusable input.")
    parser.add_argument("output", metavar="OUTPUT",
                        help="the pipeline's output: our Parquet sink folder (its committed "
                             "files), or a CSV, JSONL or Parquet file or folder")
    parser.add_argument("--expected", required=True, metavar="DIR",
                        help="the expected answer (expected_windows.csv and ledger.json); "
                             "windows ending after its complete_until are not judged")
    parser.add_argument("--format", choices=FORMATS, default=AUTO,
                        help="how to read OUTPUT (auto: by the file names)")
    parser.add_argument("--group-column", metavar="NAME",
                        help="the group column (default: the answer's group field)")
    parser.add_argument("--start-column", metavar="NAME", default=WINDOW_START,
                        help=f"the window start: {TIMES} (default: %(default)s)")
    parser.add_argument("--count-column", metavar="NAME", default=EVENT_COUNT,
                        help="the event count (default: %(default)s)")
    parser.add_argument("--sum-column", metavar="NAME", default=REVENUE,
                        help="the summed value (default: %(default)s)")
    cut = parser.add_mutually_exclusive_group()
    cut.add_argument("--closed-only", action="store_true",
                     help="judge only windows ending by the newest window end in OUTPUT "
                          "(a stream still running: later windows have not closed)")
    cut.add_argument("--closed-before", metavar="TIME",
                     help="judge only windows ending at or before TIME (the job's watermark)")
    parser.add_argument("--max-differences", type=int, default=MAX_DIFFERENCES, metavar="N",
                        help="differences to list (default: %(default)s); all are counted")
    parser.add_argument("--log-level", default=defaults["log_level"], choices=LOG_LEVELS)
    return parser


def parse_args(argv: Sequence[str] | None):
    args = build_parser().parse_args(argv)
    if args.max_differences < 0:
        raise UsageError(f"--max-differences must be >= 0, got {args.max_differences}")
    for option in ("group_column", "start_column", "count_column", "sum_column"):
        name = getattr(args, option)
        if name is not None and not name.strip():
            raise UsageError(f"--{option.replace('_', '-')} needs a column name")
    if args.closed_before is not None:
        parsed = parse_times_ms(pa.array([args.closed_before.strip()], pa.string()))
        if len(parsed.bad):
            raise UsageError(f"--closed-before {args.closed_before!r}: expected {TIMES}")
        args.closed_before = int(parsed.values[0])
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.log_level)
    expected, output = Path(args.expected), Path(args.output)
    try:
        answer = read_answer(expected)
        columns = OutputColumns(args.group_column or answer.group_field, args.start_column,
                                args.count_column, args.sum_column)
        rows = read_output(output, columns, args.format)
    except (AnswerError, OutputError) as exc:
        raise UsageError(str(exc)) from None
    cut = args.closed_before
    if args.closed_only:
        cut = newest_end_ms(answer, rows)
        if cut is None:
            print(f"NOT VERIFIED: {output} holds no window yet; nothing to judge")
            return 1
    verdict = verify(answer, rows, cut)
    print(report(answer, expected, rows, output, verdict, args.max_differences))
    return 0 if verdict.right else 1
