"""Testing a stream: what its windows group and total (`shape`), each event's group and value
by the streaming job's rules (`facts`), the expected answer accumulated from what is sent
(`expected`) and its files (`answer`: per window x group bounds and the ledger of what was
sent), a pipeline's output read as window x group rows (`output`, `values`), the verdict on
one against the other (`verdicts`) and the `sdp-verify` command (`cli`, `report`). No Spark:
the producer writes answers, the streaming dashboard and the verifier read them, the
streaming job takes its shape from here. See docs/STREAMCHECK.md.
"""

from services.streamcheck.answer import (
    EXPECTED_WINDOWS,
    LEDGER_FILE,
    Answer,
    AnswerError,
    Ledger,
    WindowAnswer,
    money,
    read_answer,
    write_answer,
)
from services.streamcheck.expected import AnswerBook, window_starts
from services.streamcheck.facts import Facts, concat_facts, event_facts, round_half_up
from services.streamcheck.output import (
    FORMATS,
    OutputColumns,
    OutputError,
    OutputRows,
    output_files,
    read_output,
)
from services.streamcheck.shape import EVENTS, RETAIL, RETAIL_NUMBERS, StreamShape, schema_shape
from services.streamcheck.times import (
    duration_seconds,
    duration_text,
    instant_text,
    iso_of_ms,
    ms_of_instant,
)
from services.streamcheck.verdicts import KINDS, Difference, Verdict, newest_end_ms, verify

__all__ = [
    "EVENTS",
    "EXPECTED_WINDOWS",
    "FORMATS",
    "KINDS",
    "LEDGER_FILE",
    "RETAIL",
    "RETAIL_NUMBERS",
    "Answer",
    "AnswerBook",
    "AnswerError",
    "Difference",
    "Facts",
    "Ledger",
    "OutputColumns",
    "OutputError",
    "OutputRows",
    "StreamShape",
    "Verdict",
    "WindowAnswer",
    "concat_facts",
    "duration_seconds",
    "duration_text",
    "event_facts",
    "instant_text",
    "iso_of_ms",
    "money",
    "ms_of_instant",
    "newest_end_ms",
    "output_files",
    "read_answer",
    "read_output",
    "round_half_up",
    "schema_shape",
    "verify",
    "window_starts",
    "write_answer",
]
