"""Checking a stream's output: the expected answer of a faulted stream (`answer`: per window
x group bounds and the ledger of what was sent, and their files), a pipeline's output read as
window x group rows (`output`, `values`), the verdict on one against the other (`verdicts`)
and the `sdp-verify` command (`cli`, `report`). No Spark: the producer writes answers, the
streaming dashboard and the verifier read them. See docs/STREAMCHECK.md.
"""

from services.streamcheck.answer import (
    EXPECTED_WINDOWS,
    LEDGER_FILE,
    MALFORMED_KINDS,
    Answer,
    AnswerError,
    Ledger,
    WindowAnswer,
    money,
    read_answer,
    write_answer,
)
from services.streamcheck.output import (
    FORMATS,
    OutputColumns,
    OutputError,
    OutputRows,
    output_files,
    read_output,
)
from services.streamcheck.times import (
    duration_seconds,
    duration_text,
    instant_text,
    iso_of_ms,
    ms_of_instant,
)
from services.streamcheck.verdicts import KINDS, Difference, Verdict, newest_end_ms, verify

__all__ = [
    "EXPECTED_WINDOWS",
    "FORMATS",
    "KINDS",
    "LEDGER_FILE",
    "MALFORMED_KINDS",
    "Answer",
    "AnswerError",
    "Difference",
    "Ledger",
    "OutputColumns",
    "OutputError",
    "OutputRows",
    "Verdict",
    "WindowAnswer",
    "duration_seconds",
    "duration_text",
    "instant_text",
    "iso_of_ms",
    "money",
    "ms_of_instant",
    "newest_end_ms",
    "output_files",
    "read_answer",
    "read_output",
    "verify",
    "write_answer",
]
