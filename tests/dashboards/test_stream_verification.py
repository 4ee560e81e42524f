"""/api/verification: the sink's closed windows against STREAM_EXPECTED_DIR's answer, as
`sdp-verify --closed-only` judges them (and only those the answer is final for); hidden when
no answer is set, located messages when the answer cannot be read, refreshed when the sink or
the answer changes."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from flask.testing import FlaskClient

from services.common.files import write_json_atomic
from services.outputs import StreamOutputs
from services.streamcheck import EXPECTED_WINDOWS, LEDGER_FILE, Answer, write_answer
from streaming_dashboard import create_app
from tests.dashboards.fixtures import (
    PRODUCTS,
    STREAM_START,
    answer_of,
    get,
    iso,
    live_payload,
    window_frame,
    write_sink,
    write_stream_outputs,
)

CLOSED = 12


@pytest.fixture
def closed() -> pd.DataFrame:
    return window_frame(PRODUCTS[:4], CLOSED)


@pytest.fixture
def expected_dir(tmp_path: Path) -> Path:
    return tmp_path / "expected"


@pytest.fixture
def client(stream_dir: Path, expected_dir: Path) -> FlaskClient:
    return create_app({"OUTPUT_PATH": str(stream_dir),
                       "STREAM_EXPECTED_DIR": str(expected_dir)}).test_client()


def later(frame: pd.DataFrame, windows: int) -> pd.DataFrame:
    """`windows` more windows after the frame's, as a stream that ran on would close them."""
    return window_frame(PRODUCTS[:4], windows, seed=11,
                        start=STREAM_START + timedelta(minutes=15 * CLOSED))


def test_without_an_answer_the_card_is_off(stream_client: FlaskClient, stream_dir: Path,
                                           closed: pd.DataFrame) -> None:
    write_stream_outputs(stream_dir, closed, None)
    assert get(stream_client, "/api/verification") == {"configured": False}
    assert get(stream_client, "/api/meta")["sources"]["expected"] is None


def test_right_windows_are_all_verified(client: FlaskClient, stream_dir: Path,
                                        expected_dir: Path, closed: pd.DataFrame) -> None:
    write_stream_outputs(stream_dir, closed, None, files=3)
    answer = answer_of(closed)
    write_answer(expected_dir, answer)
    data = get(client, "/api/verification")
    assert data["configured"] and data["right"]
    assert (data["verified"], data["total"]) == (CLOSED, CLOSED)
    assert (data["rows"], data["rows_verified"]) == (len(closed), len(closed))
    assert data["differences"] == [] and data["differences_total"] == 0
    assert data["not_judged"] == {"not_closed": 0, "not_final": 0}
    assert data["closed_before"] == data["judged_until"] == iso(closed["window_end"].max())
    assert data["expected"]["complete_until"] is None
    assert data["ledger"] == answer.ledger.to_json()
    assert data["expected"]["window"] == "1 hour" and data["expected"]["group_field"] == "product"
    assert data["summary"].startswith(f"RIGHT: verified {CLOSED} of {CLOSED} windows")
    assert get(client, "/api/meta")["sources"]["expected"] == str(expected_dir)


def test_wrong_windows_are_listed_first_few_and_counted_all(
        client: FlaskClient, stream_dir: Path, expected_dir: Path,
        closed: pd.DataFrame) -> None:
    write_answer(expected_dir, answer_of(closed))
    wrong = closed.copy()
    wrong.loc[3, "event_count"] += 1  # double counted
    wrong.loc[7, "revenue"] += 0.02  # a sum off by more than a cent
    wrong = wrong.drop(index=list(range(20, 27)))  # dropped rows
    write_stream_outputs(stream_dir, wrong, None)
    data = get(client, "/api/verification")
    assert not data["right"] and data["differences_total"] == 9
    assert data["kinds"] == {"missing": 7, "count": 1, "sum": 1}
    assert len(data["differences"]) == 5
    first = data["differences"][0]
    row = closed.loc[3]
    assert first == {"kind": "count", "group": row["product"],
                     "window_start": iso(row["window_start"]),
                     "window_end": iso(row["window_end"]),
                     "expected": str(row["event_count"]),
                     "found": str(row["event_count"] + 1), "where": ""}
    assert data["differences"][1]["kind"] == "sum"
    broken_windows = {closed.loc[i, "window_start"] for i in (3, 7, *range(20, 27))}
    assert data["verified"] == CLOSED - len(broken_windows) and data["total"] == CLOSED


def test_windows_not_yet_closed_are_not_judged(client: FlaskClient, stream_dir: Path,
                                               expected_dir: Path,
                                               closed: pd.DataFrame) -> None:
    more = later(closed, 6)
    write_answer(expected_dir, answer_of(pd.concat([closed, more], ignore_index=True)))
    write_stream_outputs(stream_dir, closed, more)  # the later windows are still open
    data = get(client, "/api/verification")
    assert data["right"] and (data["verified"], data["total"]) == (CLOSED, CLOSED)
    assert data["not_judged"] == {"not_closed": 6, "not_final": 0}
    write_sink(stream_dir, [more.iloc[:8]], first_batch=5)  # two more windows close
    data = get(client, "/api/verification")
    assert data["right"] and data["total"] == CLOSED + 2
    assert data["not_judged"] == {"not_closed": 4, "not_final": 0}


def test_closed_windows_wait_for_the_answer_to_be_final(client: FlaskClient, stream_dir: Path,
                                                        expected_dir: Path,
                                                        closed: pd.DataFrame) -> None:
    ends = sorted(closed["window_end"].unique())
    edge = pd.Timestamp(ends[7])  # the eighth window ends here
    edge_ms = (edge - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(milliseconds=1)
    wrong = closed.copy()
    wrong.loc[wrong["window_end"] == edge, "event_count"] += 1  # every group of it
    write_stream_outputs(stream_dir, wrong, None)
    write_answer(expected_dir, replace(answer_of(closed), complete_until_ms=edge_ms))
    data = get(client, "/api/verification")  # ending exactly at complete_until: judged
    assert not data["right"] and (data["verified"], data["total"]) == (7, 8)
    assert data["not_judged"] == {"not_closed": 0, "not_final": CLOSED - 8}
    assert data["expected"]["complete_until"] == iso(edge)
    write_answer(expected_dir, replace(answer_of(closed), complete_until_ms=edge_ms - 1))
    data = get(client, "/api/verification")  # a millisecond after it: not judged
    assert data["right"] and (data["verified"], data["total"]) == (7, 7)
    assert data["not_judged"] == {"not_closed": 0, "not_final": CLOSED - 7}
    assert data["summary"].endswith(f"; {CLOSED - 7} windows not yet judged")
    assert data["closed_before"] == iso(closed["window_end"].max())
    assert data["judged_until"] == iso(edge - timedelta(seconds=1))[:-1] + ".999Z"


def test_an_answer_final_before_every_closed_window(client: FlaskClient, stream_dir: Path,
                                                    expected_dir: Path,
                                                    closed: pd.DataFrame) -> None:
    write_stream_outputs(stream_dir, closed, None)
    first_end = pd.Timestamp(closed["window_end"].min()) - pd.Timestamp(0, tz="UTC")
    write_answer(expected_dir, replace(answer_of(closed), complete_until_ms=first_end //
                                       pd.Timedelta(milliseconds=1) - 1))
    data = get(client, "/api/verification")
    assert (data["verified"], data["total"], data["right"]) == (0, 0, False)
    assert data["not_judged"] == {"not_closed": 0, "not_final": CLOSED}
    assert data["summary"].startswith("NOT VERIFIED: no window ends by ")


def test_no_closed_window_yet(client: FlaskClient, stream_dir: Path, expected_dir: Path,
                              closed: pd.DataFrame) -> None:
    write_answer(expected_dir, answer_of(closed))
    outputs = StreamOutputs(stream_dir)
    write_json_atomic(outputs.live_file, live_payload(closed.iloc[:8]))
    data = get(client, "/api/verification")
    assert (data["verified"], data["total"], data["right"]) == (0, 0, False)
    assert data["not_judged"] == {"not_closed": CLOSED, "not_final": 0}
    assert data["summary"] == "No window has closed yet: nothing to verify."


def test_no_answer_yet_then_one(client: FlaskClient, stream_dir: Path, expected_dir: Path,
                                closed: pd.DataFrame) -> None:
    write_stream_outputs(stream_dir, closed, None)
    message = get(client, "/api/verification", status="no_data")
    assert "No expected answer yet" in message and str(expected_dir / LEDGER_FILE) in message
    version = get(client, "/api/meta")["version"]
    write_answer(expected_dir, answer_of(closed))
    assert get(client, "/api/meta")["version"] != version  # the page will refetch
    assert get(client, "/api/verification")["right"]


def test_a_broken_answer_names_its_file_and_line(client: FlaskClient, stream_dir: Path,
                                                 expected_dir: Path,
                                                 closed: pd.DataFrame) -> None:
    write_stream_outputs(stream_dir, closed, None)
    write_answer(expected_dir, answer_of(closed))
    path = expected_dir / EXPECTED_WINDOWS
    lines = path.read_text().splitlines()
    lines[4] = lines[4].replace(",true", ",maybe")
    path.write_text("\n".join(lines) + "\n")
    message = get(client, "/api/verification", status="error")
    assert message.startswith(f"The expected answer cannot be read: {path}:5: column exact:")
    write_answer(expected_dir, answer_of(closed))  # mended: seen on the next request
    assert get(client, "/api/verification")["right"]


def test_an_answer_of_another_stream(client: FlaskClient, stream_dir: Path,
                                     expected_dir: Path, closed: pd.DataFrame) -> None:
    write_stream_outputs(stream_dir, closed, None)
    write_answer(expected_dir, answer_of(closed.rename(columns={"product": "store"}), "store"))
    message = get(client, "/api/verification", status="error")
    assert "grouped by 'product', the expected answer's by 'store'" in message


def test_the_answer_is_read_once_until_its_files_change(
        client: FlaskClient, stream_dir: Path, expected_dir: Path, closed: pd.DataFrame,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from streaming_dashboard import data as stream_data

    write_stream_outputs(stream_dir, closed, None)
    write_answer(expected_dir, answer_of(closed))
    reads: list[Path] = []
    real = stream_data.read_answer

    def counting(directory: Path) -> Answer:
        reads.append(directory)
        return real(directory)

    monkeypatch.setattr(stream_data, "read_answer", counting)
    for _ in range(3):
        assert get(client, "/api/verification")["right"]
    assert len(reads) == 1
    wrong = answer_of(closed.assign(event_count=closed["event_count"] + 1))
    write_answer(expected_dir, wrong)
    ledger = expected_dir / LEDGER_FILE
    stat = ledger.stat()  # same size and maybe the same mtime tick: move the mtime on
    os.utime(ledger, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    data = get(client, "/api/verification")
    assert len(reads) == 2 and not data["right"] and data["kinds"] == {"count": len(closed)}
