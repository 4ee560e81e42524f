"""The spellings of a time every reader accepts (services.extracts.times), read with Arrow;
tests/spark/test_time_spellings.py holds Spark and the producer to the same answers."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pyarrow as pa
import pytest

from services.extracts import (
    FIRST_MS,
    LAST_MS,
    TIME_SPELLINGS,
    declared_spelling,
    parse_times,
    spellings_for,
)
from services.extracts.times import YEAR
from services.infer.times import TEXT_FORMATS

MOMENT = datetime(2025, 3, 13, 10, 10, 0)
MOMENT_MS = int(MOMENT.replace(tzinfo=timezone.utc).timestamp() * 1000)


def test_every_spelling_reads_its_own_example_and_no_other_shape_takes_it():
    for spelling in TIME_SPELLINGS:
        assert re.search(spelling.shape.replace(r"\z", "$"), spelling.example), spelling
        _, ok = parse_times(pa.array([spelling.example]))
        assert ok.tolist() == [True], spelling
    shapes = {s.shape for s in TIME_SPELLINGS}
    for spelling in TIME_SPELLINGS:  # day first and month first share a shape, no other
        others = shapes - {spelling.shape}
        assert not any(re.search(o.replace(r"\z", "$"), spelling.example) for o in others)


@pytest.mark.parametrize(("schema_format", "parse_format"), TEXT_FORMATS)
def test_every_format_the_inference_writes_is_read_back_as_the_same_time(schema_format,
                                                                         parse_format):
    fmt = "%Y-%m-%dT%H:%M:%S" if schema_format == "iso" else schema_format
    text = MOMENT.strftime(fmt)
    for declared in (schema_format, None):  # declared, and through the list alone
        values, ok = parse_times(pa.array([text]), declared)
        expected = MOMENT_MS if "%H" in fmt else MOMENT_MS - 36_600_000
        assert (ok.tolist(), values.tolist()) == ([True], [expected]), (text, declared)


def test_a_slashed_date_is_day_first_unless_it_cannot_be():
    values, ok = parse_times(pa.array(["04/03/2025", "03/13/2025", "13/13/2025"]))
    assert ok.tolist() == [True, True, False]
    assert [datetime.fromtimestamp(v / 1000, timezone.utc).date().isoformat()
            for v in values[:2]] == ["2025-03-04", "2025-03-13"]


def test_years_1_to_9999_only():
    values, ok = parse_times(pa.array(["0001-01-01", "9999-12-31T23:59:59.999", "0000-12-31"]))
    assert ok.tolist() == [True, True, False]
    assert values.tolist() == [FIRST_MS, LAST_MS, 0]


@pytest.mark.parametrize(("fmt", "shape", "spark"), [
    ("%d.%m.%Y um %H:%M", rf"^\d{{2}}\.\d{{2}}\.{YEAR} um (?:[01]\d|2[0-3]):[0-5]\d\z",
     "dd'.'MM'.'yyyy' um 'HH':'mm"),
    ("50%% %Y", rf"^50% {YEAR}\z", "'50% 'yyyy"),
    ("%Y'%m", rf"^{YEAR}'\d{{2}}\z", "yyyy''''MM"),
    ("[%Y]", rf"^\[{YEAR}\]\z", "'['yyyy']'"),
])
def test_a_declared_format_becomes_one_shape_and_one_spark_pattern(fmt, shape, spark):
    spelling = declared_spelling(fmt)
    assert (spelling.shape, spelling.spark, spelling.strptime) == (shape, spark, fmt)
    assert spellings_for(fmt)[0] == spelling and spellings_for(fmt)[1:] == TIME_SPELLINGS


@pytest.mark.parametrize("fmt", ["%y-%m-%d", "%a %d %b %Y", "%Y-%m-%d %H:%M:%S.%f",
                                 "%Y-%m-%dT%H:%M:%S%z", "%H:%M %p", "%I:%M", "%Y-%m-%d %q"])
def test_a_directive_the_engines_read_apart_leaves_the_list_alone(fmt):
    assert declared_spelling(fmt) is None and spellings_for(fmt) == TIME_SPELLINGS


def test_iso_and_no_format_use_the_list_and_epoch_comes_first():
    assert spellings_for("iso") == spellings_for(None) == TIME_SPELLINGS
    assert spellings_for("epoch_s")[0].epoch == "epoch_s"
