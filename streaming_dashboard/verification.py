"""The "closed windows verified" card: the sink's closed windows against the expected answer,
judged by services.streamcheck as `sdp-verify --closed-only` judges them.

A window is judged once it has closed (it ends by the newest window end in the sink: the
watermark emits every window ending by then together) and its expected answer is final (it
ends by the answer's complete_until, when the producer is still sending). The others are
counted, by reason, as not yet judged.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from services.outputs import EVENT_COUNT, REVENUE, WINDOW_START
from services.streamcheck import (
    Answer,
    OutputRows,
    instant_text,
    iso_of_ms,
    newest_end_ms,
    verify,
)
from services.web.envelope import BadData
from streaming_dashboard.data import Windows

SHOWN = 5  # differences the card lists; all are counted
EPOCH = pd.Timestamp(0, tz="UTC")


def closed_rows(w: Windows) -> OutputRows:
    """The sink's closed windows as rows for the verifier."""
    frame = w.closed
    if frame is None or frame.empty:
        return OutputRows.of([], [], [], [])
    start_ms = (frame[WINDOW_START] - EPOCH) // pd.Timedelta(milliseconds=1)
    return OutputRows.of(frame[w.group].to_numpy(dtype=object), start_ms.to_numpy(),
                         frame[EVENT_COUNT].to_numpy(), frame[REVENUE].to_numpy())


def payload(w: Windows, answer: Answer, shown: int = SHOWN) -> dict[str, Any]:
    """How many closed windows match the answer, the first differences, and the ledger of
    what the stream was sent."""
    if w.closed is not None and w.group != answer.group_field:
        raise BadData(f"The sink's windows are grouped by {w.group!r}, the expected answer's "
                      f"by {answer.group_field!r}: the answer is of another stream.")
    rows = closed_rows(w)
    cut = newest_end_ms(answer, rows)
    base = {"configured": True, "ledger": answer.ledger.to_json(),
            "expected": answer.settings_json()}
    if cut is None:
        return {**base, "verified": 0, "total": 0, "right": False, "rows": 0,
                "rows_verified": 0, "closed_before": None, "judged_until": None,
                "differences": [],
                "differences_total": 0, "kinds": {},
                "not_judged": {"not_closed": len({w.start_ms for w in answer.windows}),
                               "not_final": 0},
                "summary": "No window has closed yet: nothing to verify."}
    verdict = verify(answer, rows, cut)
    return {**base, "verified": verdict.verified, "total": verdict.windows,
            "right": verdict.right, "rows": verdict.rows,
            "rows_verified": verdict.rows_verified, "closed_before": iso_of_ms(cut),
            "judged_until": instant_text(verdict.cut_ms or cut),
            "differences": [d.to_json(answer.window_ms)
                            for d in verdict.differences[:shown]],
            "differences_total": len(verdict.differences), "kinds": verdict.counts(),
            "not_judged": {"not_closed": verdict.not_closed, "not_final": verdict.not_final},
            "summary": verdict.summary()}
