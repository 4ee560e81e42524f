"""TEMPORARY facade (merged with helper C's at merge)."""

from services.streamcheck.answer import Answer, Ledger, WindowAnswer, write_answer
from services.streamcheck.expected import AnswerBook, window_starts
from services.streamcheck.facts import Facts, concat_facts, event_facts, round_half_up
from services.streamcheck.shape import EVENTS, RETAIL, StreamShape, schema_shape

__all__ = ["EVENTS", "RETAIL", "Answer", "AnswerBook", "Facts", "Ledger", "StreamShape",
           "WindowAnswer", "concat_facts", "event_facts", "round_half_up", "schema_shape",
           "window_starts", "write_answer"]
