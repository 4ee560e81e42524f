"""sdp-verify: exit 0 when the output is right, 1 when it is not, 2 (one `error:` line, no
traceback) when the answer, the output or an option cannot be used."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services.commands import verify as main
from services.common.paths import REPO_ROOT
from services.streamcheck import OutputRows, iso_of_ms, write_answer
from tests.streamcheck import streams


@pytest.fixture(scope="module")
def stream() -> streams.Stream:
    return streams.make_stream()


@pytest.fixture(scope="module")
def expected(stream, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("answer") / "expected"
    write_answer(folder, streams.expected_answer(stream))
    return folder


def write_csv(path: Path, rows: OutputRows, group: str = "merchant_category") -> Path:
    lines = [f"{group},window_start,window_end,revenue,event_count"]
    lines += [f"{g},{iso_of_ms(s)},{iso_of_ms(s + 3_600_000)},{v:.2f},{c}" for g, s, c, v in
              zip(rows.groups, rows.start_ms, rows.counts, rows.sums, strict=True)]
    path.write_text("\n".join(lines) + "\n")
    return path


def run(capsys, *args: str | Path) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_right_output_exits_0(stream, expected, tmp_path, capsys):
    output = write_csv(tmp_path / "right.csv", streams.correct(stream))
    code, out, err = run(capsys, "--expected", expected, output)
    assert code == 0, out + err
    assert out.splitlines()[-1].startswith("RIGHT: verified ")
    assert "difference" not in out and err == ""


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


def test_dropping_late_events_exits_1(stream, expected, tmp_path, capsys):
    output = write_csv(tmp_path / "late.csv", streams.dropping_late(stream))
    code, out, _ = run(capsys, "--expected", expected, output)
    assert code == 1 and out.splitlines()[-1].startswith("WRONG")


def test_a_running_stream_is_judged_on_its_closed_windows(stream, expected, tmp_path, capsys):
    rows = streams.correct(stream)
    early = rows.start_ms < rows.start_ms.min() + 2 * 3_600_000
    partial = OutputRows.of(rows.groups[early], rows.start_ms[early], rows.counts[early],
                            rows.sums[early])
    output = write_csv(tmp_path / "partial.csv", partial)
    code, out, _ = run(capsys, "--expected", expected, output)
    assert code == 1 and "missing" in out.splitlines()[-1]
    code, out, _ = run(capsys, "--expected", expected, output, "--closed-only")
    assert code == 0, out
    cut = iso_of_ms(int(partial.start_ms.max()) + 3_600_000)
    assert out.splitlines()[-1].endswith(f", windows ending by {cut}")
    code, out, _ = run(capsys, "--expected", expected, output, "--closed-before", cut)
    assert code == 0 and out.splitlines()[-1].endswith(f"by {cut}")
    code, out, _ = run(capsys, "--expected", expected, output, "--closed-before",
                       iso_of_ms(int(partial.start_ms.max()) + 2 * 3_600_000))
    assert code == 1


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
])
def test_unusable_input_exits_2_with_one_error_line(stream, expected, tmp_path, capsys, args,
                                                    message):
    good = write_csv(tmp_path / "good.csv", streams.correct(stream))
    bad = tmp_path / "bad.csv"
    lines = good.read_text().splitlines()
    lines[2] = lines[2].rsplit(",", 1)[0] + ",many"
    bad.write_text("\n".join(lines) + "\n")
    names = {"tmp": tmp_path, "good": good, "bad": bad, "expected": expected}
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
