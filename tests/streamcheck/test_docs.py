"""docs/STREAMCHECK.md's "Verifying a pipeline" against the code, so its tables cannot rot:
the answer's columns and keys, the kinds of difference, sdp-verify's options and exit codes."""

from __future__ import annotations

import re

from services.common.paths import REPO_ROOT
from services.schema import MALFORMED_KINDS
from services.streamcheck import KINDS
from services.streamcheck.answer import LEDGER_KEYS, WINDOW_COLUMNS
from services.streamcheck.cli import build_parser
from tests.streamcheck.test_answer import sample

DOC = (REPO_ROOT / "docs/STREAMCHECK.md").read_text()


def section(title: str, level: str = "###") -> str:
    start = DOC.index(f"{level} {title}\n")
    end = DOC.find(f"\n{level} ", start + 1)
    return DOC[start:end if end > 0 else None]


def first_cells(text: str) -> list[str]:
    """The first cell of each body row of the first table in `text`, without backticks."""
    rows = [line for line in text.splitlines() if line.startswith("|")]
    return [row.split("|")[1].strip().replace("`", "") for row in rows[2:]]


def test_the_windows_file_columns_are_the_written_ones():
    assert first_cells(section("expected_windows.csv")) == ["<group_field>", *WINDOW_COLUMNS]


def test_the_ledger_keys_are_the_written_ones():
    keys = [k.strip() for cell in first_cells(section("ledger.json")) for k in cell.split(",")]
    assert keys == [*sample().settings_json(), *(f"ledger.{k}" for k in LEDGER_KEYS)]
    malformed = next(line for line in section("ledger.json").splitlines()
                     if line.startswith("| `ledger.malformed`"))
    assert re.findall(r"`(\w+)`", malformed) == list(MALFORMED_KINDS)


def test_the_kinds_of_difference():
    assert first_cells(section("What is judged")) == list(KINDS)


def test_every_option_shown_exists_and_the_exit_codes():
    text = section("sdp-verify")
    shown = set(re.findall(r"(--[a-z][a-z-]+)", text))
    known = {o for action in build_parser()._actions for o in action.option_strings}
    assert len(shown) >= 8 and shown <= known, shown - known
    assert first_cells(text[text.index("| exit |"):]) == ["0", "1", "2"]
