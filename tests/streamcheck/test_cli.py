"""sdp-verify: exit 0 when the output is right, 1 when it is not, 2 (one `error:` line, no
traceback) when the answer, the output or an option cannot be used; in every output format;
windows the answer is not final for are left unjudged and said so."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from services.commands import verify as main
from services.common.paths import REPO_ROOT
from services.streamcheck import LEDGER_FILE, OutputRows, instant_text, iso_of_ms, write_answer
from tests.streamcheck import streams


@pytest.fixture(scope="module")
def stream() -> streams.Stream:
    return streams.make_stream()


@pytest.fixture(scope="module")
def expected(stream, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("answer") / "expected"
    write_answer(folder, streams.expected_answer(stream))
    return folder


def write_csv(path: Path, rows: OutputRows, group: str = streams.GROUP_FIELD) -> Path:
    return streams.write_output(path.parent, path.stem, rows, "csv", group)


def run(capsys, *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt", streams.FORMATS)
def test_a_right_output_exits_0_in_every_format(stream, expected, tmp_path, capsys, fmt):
    output = streams.write_output(tmp_path, "right", streams.correct(stream), fmt)
    code, out, err = run(capsys, "--expected", expected, output)
    assert code == 0, out + err
    assert out.splitlines()[-1].startswith("RIGHT: verified ")
    assert "difference" not in out and "not yet judged" not in out and err == ""


@pytest.mark.parametrize("fmt", streams.FORMATS)
def test_double_counting_is_caught_in_every_format(stream, expected, tmp_path, capsys, fmt):
    output = streams.write_output(tmp_path, "double", streams.double_counting(stream), fmt)
    code, out, _ = run(capsys, "--expected", expected, output, "--format",
                       "parquet" if fmt == "sink" else fmt)
    assert code == 1
    verdict = out.splitlines()[-1]
    assert verdict.startswith("WRONG: verified ") and " count" in verdict, verdict
    table = [line for line in out.splitlines() if "  count  " in line]
    assert table and all(str(output) in line for line in table)  # each says where it is


@pytest.mark.parametrize("fmt", streams.FORMATS)
def test_dropping_late_events_is_caught_in_every_format(stream, expected, tmp_path, capsys,
                                                        fmt):
    output = streams.write_output(tmp_path, "late", streams.dropping_late(stream), fmt)
    code, out, _ = run(capsys, "--expected", expected, output)
    assert code == 1
    verdict = out.splitlines()[-1]
    assert verdict.startswith("WRONG: verified ") and " count" in verdict, verdict


def test_double_counting_exits_1_with_a_capped_table(stream, expected, tmp_path, capsys):
    output = write_csv(tmp_path / "double.csv", streams.double_counting(stream))
    code, out, _ = run(capsys, "--expected", expected, output, "--max-differences", "3")
    assert code == 1
    lines = out.splitlines()
    assert lines[-1].startswith("WRONG: verified ") and " count" in lines[-1]
    heading = next(i for i, line in enumerate(lines) if line.startswith("window_start"))
    assert lines[heading].split() == ["window_start", "group", "difference", "expected",
                                      "found", "where"]
    shown = lines[heading + 2:heading + 5]
    assert all(f"{output}:" in line for line in shown)
    assert lines[heading + 5].startswith("... and ") and "more differences" in lines[heading + 5]


def test_a_running_stream_is_judged_on_its_closed_windows(stream, expected, tmp_path, capsys):
    rows = streams.correct(stream)
    early = rows.start_ms < rows.start_ms.min() + 2 * 3_600_000
    partial = OutputRows.of(rows.groups[early], rows.start_ms[early], rows.counts[early],
                            rows.sums[early])
    output = write_csv(tmp_path / "partial.csv", partial)
    code, out, _ = run(capsys, "--expected", expected, output)
    assert code == 1 and "missing" in out.splitlines()[-1]
    assert "note:" not in out  # the answer is final: no hint about a running stream
    code, out, _ = run(capsys, "--expected", expected, output, "--closed-only")
    assert code == 0, out
    cut = iso_of_ms(int(partial.start_ms.max()) + 3_600_000)
    later = len({w.start_ms for w in streams.expected_answer(stream).windows
                 if w.start_ms + 3_600_000 > int(partial.start_ms.max()) + 3_600_000})
    lines = out.splitlines()
    assert lines[-1].endswith(f", windows ending by {cut}; {later} windows not yet judged")
    assert lines[-2] == (f"not yet judged: {later} windows not closed in the output (ending "
                         f"after {cut})")
    code, out, _ = run(capsys, "--expected", expected, output, "--closed-before", cut)
    assert code == 0 and f"by {cut}; " in out.splitlines()[-1]
    code, out, _ = run(capsys, "--expected", expected, output, "--closed-before",
                       iso_of_ms(int(partial.start_ms.max()) + 2 * 3_600_000))
    assert code == 1


def final_until(stream: streams.Stream, folder: Path, until_ms: int) -> Path:
    """The stream's answer as a producer still sending writes it: final up to `until_ms`."""
    answer = replace(streams.expected_answer(stream), complete_until_ms=until_ms)
    write_answer(folder, answer)
    return folder


def test_windows_past_complete_until_are_not_judged_to_the_millisecond(stream, tmp_path,
                                                                       capsys):
    rows = streams.correct(stream)
    ends = np.unique(rows.start_ms) + 3_600_000
    edge = int(ends[len(ends) // 2])  # a window ending here is the last one judged
    wrong = rows.counts.copy()
    wrong[rows.start_ms + 3_600_000 == edge] += 1  # every group of that window is wrong
    output = write_csv(tmp_path / "out.csv", OutputRows.of(rows.groups, rows.start_ms, wrong,
                                                           rows.sums))
    later = int((ends > edge).sum())
    expected = final_until(stream, tmp_path / "at", edge)
    assert json.loads((expected / LEDGER_FILE).read_text())["complete_until"] == \
        iso_of_ms(edge)
    code, out, _ = run(capsys, "--expected", expected, output)
    assert code == 1 and f"windows ending by {iso_of_ms(edge)}" in out.splitlines()[-1]
    assert f"final up to {iso_of_ms(edge)})" in out.splitlines()[0]
    expected = final_until(stream, tmp_path / "before", edge - 1)
    code, out, _ = run(capsys, "--expected", expected, output)
    assert code == 0, out
    lines = out.splitlines()
    assert lines[-1].endswith(f"windows ending by {instant_text(edge - 1)}; {later + 1} "
                              "windows not yet judged")
    assert lines[-2] == (f"not yet judged: {later + 1} windows whose expected answer is not "
                         f"final (ending after its complete_until {instant_text(edge - 1)}: "
                         "the producer is still sending)")


def test_a_running_stream_with_an_answer_not_final_is_hinted_at_closed_only(stream, tmp_path,
                                                                             capsys):
    rows = streams.correct(stream)
    early = rows.start_ms < rows.start_ms.min() + 2 * 3_600_000
    output = write_csv(tmp_path / "partial.csv", OutputRows.of(
        rows.groups[early], rows.start_ms[early], rows.counts[early], rows.sums[early]))
    expected = final_until(stream, tmp_path / "answer", int(rows.start_ms.max()))
    code, out, _ = run(capsys, "--expected", expected, output)
    assert code == 1 and "missing" in out.splitlines()[-1]
    assert out.splitlines()[-2].startswith("note: the expected answer is not final")
    code, out, _ = run(capsys, "--expected", expected, output, "--closed-only")
    assert code == 0 and "note:" not in out
    assert "not closed in the output" in out.splitlines()[-2]


def test_an_answer_final_before_any_window_verifies_nothing(stream, tmp_path, capsys):
    rows = streams.correct(stream)
    output = write_csv(tmp_path / "out.csv", rows)
    expected = final_until(stream, tmp_path / "answer", int(rows.start_ms.min()))
    code, out, _ = run(capsys, "--expected", expected, output)
    assert code == 1
    assert out.splitlines()[-1].startswith(f"NOT VERIFIED: no window ends by "
                                           f"{iso_of_ms(int(rows.start_ms.min()))}")


def test_an_empty_output_has_nothing_closed(expected, tmp_path, capsys):
    output = write_csv(tmp_path / "empty.csv", OutputRows.of([], [], [], []))
    code, out, _ = run(capsys, "--expected", expected, output, "--closed-only")
    assert code == 1 and out.startswith("NOT VERIFIED")


def test_other_column_names(stream, expected, tmp_path, capsys):
    output = write_csv(tmp_path / "named.csv", streams.correct(stream), group="category")
    text = output.read_text().replace("window_start,window_end,revenue,event_count",
                                      "start,end,amount,n", 1)
    output.write_text(text)
    code, out, err = run(capsys, "--expected", expected, output, "--group-column", "category",
                         "--start-column", "start", "--count-column", "n", "--sum-column",
                         "amount")
    assert code == 0, out + err


@pytest.mark.parametrize(("args", "message"), [
    ([], "the following arguments are required: OUTPUT, --expected"),
    (["--expected", "{tmp}/none", "{good}"], "none: no such folder"),
    (["--expected", "{expected}", "{tmp}/none.csv"], "none.csv: no such file or folder"),
    (["--expected", "{expected}", "{good}", "--sum-column", "total"],
     "no column 'total' (named by --sum-column); its columns are merchant_category,"),
    (["--expected", "{expected}", "{good}", "--group-column", " "],
     "--group-column needs a column name"),
    (["--expected", "{expected}", "{good}", "--closed-before", "soon"],
     "--closed-before 'soon': expected ISO-8601"),
    (["--expected", "{expected}", "{good}", "--closed-only", "--closed-before", "0"],
     "not allowed with argument"),
    (["--expected", "{expected}", "{good}", "--max-differences", "-1"],
     "--max-differences must be >= 0, got -1"),
    (["--expected", "{expected}", "{good}", "--format", "xml"], "invalid choice: 'xml'"),
    (["--expected", "{expected}", "{bad}"], "bad.csv:3: column 'event_count': expected a "
                                           "whole number >= 0, got 'many'"),
    (["--expected", "{broken}", "{good}"], "ledger.json: key complete_until: expected a UTC "
                                           "time such as"),
])
def test_unusable_input_exits_2_with_one_error_line(stream, expected, tmp_path, capsys, args,
                                                    message):
    good = write_csv(tmp_path / "good.csv", streams.correct(stream))
    bad = tmp_path / "bad.csv"
    lines = good.read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0] + ",many"
    bad.write_text("\n".join(lines) + "\n")
    broken = tmp_path / "broken"
    write_answer(broken, streams.expected_answer(stream))
    payload = json.loads((broken / LEDGER_FILE).read_text())
    (broken / LEDGER_FILE).write_text(json.dumps({**payload, "complete_until": "soon"}))
    names = {"tmp": tmp_path, "good": good, "bad": bad, "expected": expected,
             "broken": broken}
    code, out, err = run(capsys, *(a.format(**names) for a in args))
    assert code == 2, out + err
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err, err
    assert "Traceback" not in err and out == ""


def test_runs_as_a_module_with_its_exit_codes(stream, expected, tmp_path):
    good = write_csv(tmp_path / "good.csv", streams.correct(stream))
    done = subprocess.run([sys.executable, "-m", "services.streamcheck", "--expected",
                           str(expected), str(good)], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([sys.executable, "-m", "services.streamcheck", "--expected",
                           str(tmp_path), str(good)], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=120, check=False)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
