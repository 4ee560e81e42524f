"""The expected answer: its models' checks, its files round trip, and every broken file is
refused with the file, the line or key, and what is wrong."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from services.streamcheck import (
    EXPECTED_WINDOWS,
    LEDGER_FILE,
    Answer,
    AnswerError,
    Ledger,
    WindowAnswer,
    duration_seconds,
    duration_text,
    instant_text,
    money,
    ms_of_instant,
    read_answer,
    write_answer,
)
from tests.streamcheck import streams

LEDGER = Ledger(sent=40, events=30, duplicates=4, malformed={"empty": 1, "not_json": 5},
                late=3, out_of_order=7, too_late=2)
START = 1_741_000_500_000 // 900_000 * 900_000


def sample() -> Answer:
    return Answer("merchant_category", "amount", 3600, 900, 900, (
        WindowAnswer("Travel", START + 900_000, 3, 4, 99.5, 140.25),
        WindowAnswer('Food, "fresh"', START, 2, 2, 10.1, 10.1),
        WindowAnswer("Fuel", START, 1, 1, -5.0, -5.0),
    ), LEDGER)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_answer(tmp_path / "answer", sample())
    return tmp_path / "answer"


def test_round_trip_keeps_every_value_and_sorts_the_windows(folder: Path):
    read = read_answer(folder)
    assert read == sample()
    assert [(w.start_ms, w.group) for w in read.windows] == [
        (START, 'Food, "fresh"'), (START, "Fuel"), (START + 900_000, "Travel")]
    assert [w.exact for w in read.windows] == [True, True, False]


def test_the_files_look_as_documented(folder: Path):
    lines = (folder / EXPECTED_WINDOWS).read_text().splitlines()
    assert lines[0] == ("merchant_category,window_start,window_end,event_count,revenue,"
                        "event_count_max,revenue_max,exact")
    assert lines[1] == ('"Food, ""fresh""",2025-03-03T11:15:00Z,2025-03-03T12:15:00Z,2,10.10,'
                        '2,10.10,true')
    assert lines[3].endswith(",3,99.50,4,140.25,false")
    ledger = json.loads((folder / LEDGER_FILE).read_text())
    assert ledger["ledger"] == {
        "sent": 40, "events": 30, "duplicates": 4,
        "malformed": {"empty": 1, "oversized": 0, "not_json": 5, "missing_field": 0,
                      "bad_time": 0, "future_time": 0, "text_number": 0},
        "late": 3, "out_of_order": 7, "too_late": 2}
    assert {k: ledger[k] for k in ("group_field", "value_field", "window", "slide",
                                   "watermark", "expected_rows", "complete_until")} == {
        "group_field": "merchant_category", "value_field": "amount", "window": "1 hour",
        "slide": "15 minutes", "watermark": "15 minutes", "expected_rows": 3,
        "complete_until": None}


@pytest.mark.parametrize(("until_ms", "text"), [
    (START, "2025-03-03T11:15:00Z"),
    (START + 1, "2025-03-03T11:15:00.001Z"),
    (START - 250, "2025-03-03T11:14:59.750Z"),
    (0, "1970-01-01T00:00:00Z"),
])
def test_complete_until_is_written_as_an_exact_utc_time_and_read_back(tmp_path, until_ms, text):
    answer = replace(sample(), complete_until_ms=until_ms)
    write_answer(tmp_path, answer)
    assert json.loads((tmp_path / LEDGER_FILE).read_text())["complete_until"] == text
    assert read_answer(tmp_path) == answer
    assert read_answer(tmp_path).complete_until_ms == until_ms


def test_an_answer_without_complete_until_is_final_everywhere(folder: Path):
    path = folder / LEDGER_FILE
    payload = json.loads(path.read_text())
    del payload["complete_until"]  # as a tool that knows nothing of it writes the file
    path.write_text(json.dumps(payload))
    assert read_answer(folder) == sample() and sample().complete_until_ms is None


@pytest.mark.parametrize(("text", "ms"), [
    ("2025-03-03T11:15:00Z", START), ("2025-03-03T11:15:00.5Z", START + 500),
    ("2025-03-03T11:15:00.25Z", START + 250), ("2025-03-03T11:15:00.007Z", START + 7)])
def test_instants_with_and_without_milliseconds(text, ms):
    assert ms_of_instant(text) == ms
    assert ms_of_instant(instant_text(ms)) == ms


def test_a_large_answer_round_trips(tmp_path: Path):
    answer = streams.expected_answer(streams.make_stream(events=3000, hours=48))
    write_answer(tmp_path, answer)
    assert read_answer(tmp_path) == answer
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


@pytest.mark.parametrize(("value", "cents"), [
    (2.675, 2.68), (1.005, 1.01), (-2.675, -2.68), (0.125, 0.13), (10.0, 10.0),
    (0.1 + 0.2, 0.3), (1234567.891, 1234567.89), (2.665, 2.67),
])
def test_money_rounds_half_up_from_the_shortest_text_as_spark_does(value, cents):
    assert money(value) == cents


@pytest.mark.parametrize(("seconds", "text"), [
    (3600, "1 hour"), (900, "15 minutes"), (90, "90 seconds"), (7200, "2 hours"),
    (86_400, "1 day"), (0, "0 seconds"), (60, "1 minute")])
def test_durations_read_back(seconds, text):
    assert duration_text(seconds) == text
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["1 hours ago", "hour", "1.5 hours", "15 min", "", "-1 hour"])
def test_bad_durations(text):
    with pytest.raises(ValueError, match="expected a duration"):
        duration_seconds(text)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: WindowAnswer("", 0, 1, 1, 1.0, 1.0), "non-empty"),
    (lambda: WindowAnswer("a", 0, 2, 1, 1.0, 1.0), "count_min <= count_max"),
    (lambda: WindowAnswer("a", 0, -1, 1, 1.0, 1.0), "count_min <= count_max"),
    (lambda: WindowAnswer("a", 0, 1, 1, 2.0, 1.0), "sum_min <= sum_max"),
    (lambda: WindowAnswer("a", 0, 1, 1, float("nan"), 1.0), "finite"),
    (lambda: Ledger(10, 5, 2, {"empty": 2}, 0, 0, 0), "sent: 10 is not events"),
    (lambda: Ledger(9, 5, 2, {"poison": 2}, 0, 0, 0), "unknown kind"),
    (lambda: Ledger(7, 5, 2, {}, 6, 0, 0), "more than the 5 events"),
    (lambda: Ledger(7, 5, 2, {}, 0, -1, 0), "whole number >= 0"),
    (lambda: Answer("g", "v", 3600, 0, 900, (), LEDGER), "0 < slide <= window"),
    (lambda: Answer("g", "v", 600, 900, 900, (), LEDGER), "0 < slide <= window"),
    (lambda: Answer("window_start", "v", 3600, 900, 900, (), LEDGER), "group_field"),
    (lambda: Answer("g", "v", 3600, 900, 900, (WindowAnswer("a", 60_000, 1, 1, 1, 1),),
                    LEDGER), "not a multiple of the 900 s slide"),
    (lambda: Answer("g", "v", 3600, 900, 900, (WindowAnswer("a", 0, 1, 1, 1, 1),
                                               WindowAnswer("a", 0, 2, 2, 1, 1)), LEDGER),
     "given twice"),
    (lambda: Answer("g", "v", 3600, 900, 900, (), LEDGER, "2025-03-03T11:15:00Z"),
     "complete_until_ms must be epoch milliseconds or None"),
    (lambda: Answer("g", "v", 3600, 900, 900, (), LEDGER, True), "complete_until_ms"),
    (lambda: Answer("g", "v", 3600, 900, 900, (), LEDGER, 1.5), "complete_until_ms"),
])
def test_the_models_refuse_what_cannot_be_right(build, message):
    with pytest.raises(ValueError, match=message):
        build()


# ------------------------------------------------------------ broken files, located
def edit_csv(folder: Path, line: int, text: str | None) -> None:
    path = folder / EXPECTED_WINDOWS
    lines = path.read_text().splitlines()
    if text is None:
        del lines[line - 1]
    else:
        lines[line - 1] = text
    path.write_text("\n".join(lines) + "\n")


GOOD_2 = '"Food, ""fresh""",2025-03-03T11:15:00Z,2025-03-03T12:15:00Z,2,10.10,2,10.10,true'


@pytest.mark.parametrize(("line", "text", "message"), [
    (1, "merchant,window_start,window_end,event_count,revenue,event_count_max,revenue_max,exact",
     ":1: the group column is 'merchant', but ledger.json's group_field is "
     "'merchant_category'"),
    (1, "merchant_category,window_start,window_end,event_count,revenue",
     ":1: the header should be merchant_category,window_start,"),
    (3, "Fuel,2025-03-03T11:15:00Z,2025-03-03T12:15:00Z,1,-5.00,1,-5.00",
     ":3: 7 fields, the header has 8"),
    (3, "Fuel,2025-03-03 11:15:00,2025-03-03T12:15:00Z,1,-5.00,1,-5.00,true",
     ":3: column window_start: expected a UTC time YYYY-MM-DDTHH:MM:SSZ, got "
     "'2025-03-03 11:15:00'"),
    (3, "Fuel,2025-03-03T11:20:00Z,2025-03-03T12:20:00Z,1,-5.00,1,-5.00,true",
     ":3: column window_start: not a window start (every 900 s from the epoch)"),
    (3, "Fuel,2025-03-03T11:15:00Z,2025-03-03T12:00:00Z,1,-5.00,1,-5.00,true",
     ":3: column window_end: expected 2025-03-03T12:15:00Z (start + 1 hour)"),
    (3, "Fuel,2025-03-03T11:15:00Z,2025-03-03T12:15:00Z,one,-5.00,1,-5.00,true",
     ":3: column event_count: expected a whole number >= 0, got 'one'"),
    (3, "Fuel,2025-03-03T11:15:00Z,2025-03-03T12:15:00Z,1,-5.00,-1,-5.00,true",
     ":3: column event_count_max: expected a whole number >= 0, got '-1'"),
    (3, "Fuel,2025-03-03T11:15:00Z,2025-03-03T12:15:00Z,1,1e3,1,-5.00,true",
     ":3: column revenue: expected a decimal number such as 1234.50, got '1e3'"),
    (3, "Fuel,2025-03-03T11:15:00Z,2025-03-03T12:15:00Z,2,-5.00,1,-5.00,false",
     ":3: column event_count_max: less than event_count (2)"),
    (3, "Fuel,2025-03-03T11:15:00Z,2025-03-03T12:15:00Z,1,-5.00,1,-6.00,false",
     ":3: column revenue_max: less than revenue (-5.00)"),
    (3, "Fuel,2025-03-03T11:15:00Z,2025-03-03T12:15:00Z,1,-5.00,1,-5.00,yes",
     ":3: column exact: expected true or false, got 'yes'"),
    (3, "Fuel,2025-03-03T11:15:00Z,2025-03-03T12:15:00Z,1,-5.00,1,-5.00,false",
     ":3: column exact: disagrees with the bounds"),
    (3, ",2025-03-03T11:15:00Z,2025-03-03T12:15:00Z,1,-5.00,1,-5.00,true",
     ":3: column merchant_category: empty"),
    (3, GOOD_2, ":3: window 2025-03-03T11:15:00Z x 'Food, \"fresh\"' is already on line 2"),
    (4, None, f": 2 window rows, but {LEDGER_FILE}'s expected_rows says 3"),
])
def test_a_broken_windows_file_names_its_line_and_column(folder, line, text, message):
    edit_csv(folder, line, text)
    with pytest.raises(AnswerError) as caught:
        read_answer(folder)
    assert str(caught.value).startswith(str(folder / EXPECTED_WINDOWS) + message), caught.value


def test_lines_are_counted_as_in_the_file_across_blank_lines_and_quoted_breaks(folder):
    path = folder / EXPECTED_WINDOWS
    lines = path.read_text().splitlines()
    lines[1] = lines[1].replace('"Food, ""fresh"""', '"Food,\nfresh"')
    lines.insert(2, "")
    lines[3] = lines[3].replace(",1,-5.00,", ",x,-5.00,")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(AnswerError, match=r"expected_windows\.csv:5: column event_count: "):
        read_answer(folder)


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d.pop("group_field"), "key group_field: missing"),
    (lambda d: d.update(group_field=3), "key group_field: expected a column name, got 3"),
    (lambda d: d.update(group_field="revenue"), "key group_field: 'revenue' is one of the"),
    (lambda d: d.update(window="an hour"), "key window: expected a duration such as"),
    (lambda d: d.pop("watermark"), "key watermark: missing"),
    (lambda d: d.update(slide="2 hours"), "key slide: must be more than 0 and at most the "
                                          "window (1 hour)"),
    (lambda d: d.update(expected_rows=-1), "key expected_rows: expected a whole number"),
    (lambda d: d.update(complete_until="soon"), "key complete_until: expected a UTC time such "
                                                "as 2025-03-03T08:00:00Z or "),
    (lambda d: d.update(complete_until=1741000000000), "key complete_until: expected a UTC "
                                                       "time"),
    (lambda d: d.update(complete_until="2025-03-03T08:00:00"), "key complete_until: expected "
                                                               "a UTC time"),
    (lambda d: d.update(complete_until="2025-13-03T08:00:00Z"), "key complete_until: "
                                                                "expected a UTC time"),
    (lambda d: d.update(complete_until="2025-03-03T08:00:00.1234Z"),
     "key complete_until: expected a UTC time such as 2025-03-03T08:00:00Z or "
     "2025-03-03T08:00:00.250Z, got '2025-03-03T08:00:00.1234Z' (or null: the whole answer "
     "is final)"),
    (lambda d: d.pop("ledger"), "key ledger: missing"),
    (lambda d: d.update(ledger=[]), "key ledger: expected an object, got list"),
    (lambda d: d["ledger"].pop("late"), "key ledger.late: missing"),
    (lambda d: d["ledger"].update(late="3"), "key ledger.late: expected a whole number >= 0, "
                                             "got '3'"),
    (lambda d: d["ledger"].update(late=True), "key ledger.late: expected a whole number"),
    (lambda d: d["ledger"].update(lost=1), "key ledger.lost: unknown key; the ledger has sent,"),
    (lambda d: d["ledger"]["malformed"].update(garbage=1), "key ledger.malformed.garbage: "
                                                           "unknown kind; the kinds are empty,"),
    (lambda d: d["ledger"]["malformed"].update(empty=2.5), "key ledger.malformed.empty: "
                                                          "expected a whole number"),
    (lambda d: d["ledger"].update(malformed=3), "key ledger.malformed: expected an object"),
    (lambda d: d["ledger"].update(sent=41), "key ledger.sent: 41 is not events + duplicates + "
                                            "malformed = 30 + 4 + 6"),
    (lambda d: d["ledger"].update(too_late=31), "key ledger.too_late: 31 is more than the 30"),
])
def test_a_broken_ledger_names_its_key(folder, change, message):
    path = folder / LEDGER_FILE
    payload = json.loads(path.read_text())
    change(payload)
    path.write_text(json.dumps(payload))
    with pytest.raises(AnswerError) as caught:
        read_answer(folder)
    assert str(caught.value).startswith(f"{path}: {message}"), caught.value


def test_unknown_top_level_keys_describe_the_run_and_are_kept_out(folder):
    path = folder / LEDGER_FILE
    payload = json.loads(path.read_text())
    payload["seed"] = 42
    path.write_text(json.dumps(payload))
    assert read_answer(folder) == sample()


@pytest.mark.parametrize(("setup", "message"), [
    (lambda d: (d / LEDGER_FILE).unlink(), f"{LEDGER_FILE}: missing; an expected answer "),
    (lambda d: (d / EXPECTED_WINDOWS).unlink(), f"{EXPECTED_WINDOWS}: missing"),
    (lambda d: (d / LEDGER_FILE).write_text('{"ledger": {\n  "sent": 1,,\n}'),
     f"{LEDGER_FILE}:2: not valid JSON"),
    (lambda d: (d / LEDGER_FILE).write_text("[1, 2]"), "expected a JSON object, got list"),
    (lambda d: (d / EXPECTED_WINDOWS).write_text(""), f"{EXPECTED_WINDOWS}: empty; the first "),
    (lambda d: (d / EXPECTED_WINDOWS).write_bytes(b"\xff\xfe,a\n"), "not UTF-8 text"),
])
def test_missing_and_unreadable_files(folder, setup, message):
    setup(folder)
    with pytest.raises(AnswerError, match=message.replace(".", r"\.").replace("[", r"\[")):
        read_answer(folder)


def test_a_missing_folder(tmp_path):
    with pytest.raises(AnswerError, match="no such folder; an expected answer is a folder "):
        read_answer(tmp_path / "nothing")


# ------------------------------------------------------------ an answer rewritten as it is read
def rewrite_while_reading(monkeypatch, folder: Path, *answers: Answer) -> None:
    """The producer rewrites the answer after the reader has read the ledger, before it reads
    the windows, once with each of `answers` in turn: the reader would pair the ledger of
    one write with the windows of the next."""
    from services.streamcheck import answer as module

    real = module._read_windows
    left = list(answers)

    def racing(path: Path, settings: dict):
        if left:
            write_answer(folder, left.pop(0))
        return real(path, settings)

    monkeypatch.setattr(module, "_read_windows", racing)


GROWN = replace(sample(), windows=(*sample().windows,
                                   WindowAnswer("Tea", START + 1_800_000, 1, 1, 2.0, 2.0)),
                complete_until_ms=START + 60_000)


def test_an_answer_rewritten_while_read_is_read_again_whole(folder, monkeypatch):
    rewrite_while_reading(monkeypatch, folder, GROWN)  # more rows than the old ledger says
    assert read_answer(folder) == GROWN


def test_a_rewrite_of_the_same_size_is_not_paired_with_the_old_ledger(folder, monkeypatch):
    later = replace(sample(), complete_until_ms=START + 900_000)
    rewrite_while_reading(monkeypatch, folder, later)  # the windows read fine either way
    assert read_answer(folder) == later


def test_an_answer_rewritten_on_every_read_gets_a_last_located_read(folder, monkeypatch):
    rewrite_while_reading(monkeypatch, folder, *[GROWN, sample()] * 5)
    with pytest.raises(AnswerError, match=r"3 window rows, but ledger\.json's expected_rows "
                                          r"says 4 \(a file cut short or from another run\?\)"):
        read_answer(folder)
