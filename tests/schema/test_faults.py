"""The fault spec: what each key means, its defaults, and every bad spec refused in full."""

from __future__ import annotations

import pytest

from services.schema import (
    MALFORMED_KINDS,
    WATERMARK_S,
    FaultSpec,
    SchemaError,
    parse_faults,
    parse_schema,
)
from services.schema.faults import (
    DEFAULT_DUPLICATE_DELAY_S,
    DEFAULT_TOO_LATE_MAX_S,
    DEFAULT_TOO_LATE_MIN_S,
    Delay,
    Period,
    parse_duration,
)
from tests.schema.documents import problems_of, schema


@pytest.mark.parametrize(("text", "seconds"), [
    ("10 minutes", 600.0), ("90 s", 90.0), ("1.5 hours", 5400.0), ("2m", 120.0),
    ("  45  SECONDS ", 45.0), ("0", 0.0), (30, 30.0), (0.25, 0.25), ("1 hour", 3600.0),
])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "minutes", "10 fortnights", "-5 s", -1, True, None,
                                  float("nan"), float("inf"), [1], "1e3 s", "5 s 3"])
def test_not_durations(text):
    assert parse_duration(text) is None


def test_the_issue_example():
    spec = parse_faults('{"late": {"p": 0.05, "max": "10 minutes"}, "out_of_order": '
                        '"2 minutes", "duplicates": {"p": 0.03}, "malformed": {"p": 0.01}}')
    assert spec.late == Delay(0.05, 0.0, 600.0)
    assert spec.out_of_order_s == 120.0
    assert spec.duplicates == Delay(0.03, 0.0, DEFAULT_DUPLICATE_DELAY_S)
    assert (spec.malformed_p, spec.malformed_kinds) == (0.01, MALFORMED_KINDS)
    assert spec.too_late is None and spec.periods == ()
    assert spec.moves_events and not spec.clean
    assert spec.longest_delay_s == 120 + 600 + DEFAULT_DUPLICATE_DELAY_S


def test_defaults_and_every_key():
    spec = parse_faults({
        "out_of_order": {"max": "30 s"},
        "too_late": {"p": 0.01},
        "malformed": {"p": 0.5, "kinds": ["empty", "bad_time"]},
        "bursts": [{"at": "1 minute", "for": "10 s", "x": 4, "every": "5 minutes"}],
        "pauses": [{"at": 30, "for": 5}],
    })
    assert spec.out_of_order_s == 30.0
    assert spec.too_late == Delay(0.01, DEFAULT_TOO_LATE_MIN_S, DEFAULT_TOO_LATE_MAX_S)
    assert DEFAULT_TOO_LATE_MIN_S > WATERMARK_S
    assert spec.malformed_kinds == ("empty", "bad_time")
    assert spec.periods == (Period(60.0, 10.0, 4.0, 300.0), Period(30.0, 5.0, 0.0, None))
    assert spec.longest_delay_s == 30 + DEFAULT_TOO_LATE_MAX_S


def test_an_empty_spec_and_zero_probabilities_are_clean():
    assert parse_faults("{}") == FaultSpec() and FaultSpec().clean
    spec = parse_faults({"late": {"p": 0, "max": 60}, "duplicates": {"p": 0},
                         "out_of_order": 0})
    assert spec.clean and not spec.moves_events
    assert spec.describe() == "none"


def test_describe_names_each_fault():
    spec = parse_faults({"late": {"p": 0.05, "max": 60}, "malformed": {"p": 0.01},
                         "pauses": [{"at": 1, "for": 1}]})
    assert spec.describe() == ("late p=0.05, malformed p=0.01 (empty, oversized, not_json, "
                               "missing_field, bad_time, future_time, text_number), "
                               "1 burst/pause period(s)")


def refused(data) -> list[str]:
    with pytest.raises(SchemaError) as caught:
        parse_faults(data, source="--faults")
    assert caught.value.source == "--faults"
    return [str(p) for p in caught.value.problems]


def test_every_problem_is_named_with_its_place():
    found = refused({
        "late": {"p": 1.5},
        "duplicate": {"p": 0.1},
        "malformed": {"p": 0.1, "kinds": ["empty", "zalgo", "empty"]},
        "bursts": [{"at": "soon", "for": "10 s", "x": 1}],
        "out_of_order": "a while",
    })
    assert any(p.startswith("late.p:") for p in found)
    assert any(p.startswith("late.max:") for p in found)
    assert any(p.startswith("duplicate:") and "duplicates" in p for p in found)
    assert any(p.startswith("malformed.kinds:") and "zalgo" in p for p in found)
    assert any(p.startswith("malformed.kinds:") and "twice" in p for p in found)
    assert any(p.startswith("bursts[0].at:") for p in found)
    assert any(p.startswith("bursts[0].x:") for p in found)
    assert any(p.startswith("out_of_order:") and "duration" in p for p in found)


def test_too_late_must_pass_the_watermark():
    [problem] = refused({"too_late": {"p": 0.1, "min": f"{WATERMARK_S} s", "max": "1 hour"}})
    assert problem.startswith("too_late.min:") and "watermark" in problem
    assert refused({"too_late": {"p": 0.1, "min": WATERMARK_S + 1, "max": WATERMARK_S}})


def test_delays_inside_the_watermark_must_stay_inside_it():
    ok = parse_faults({"out_of_order": WATERMARK_S - 62, "duplicates": {"p": 0.1, "max": 60}})
    assert ok.out_of_order_s == WATERMARK_S - 62
    [problem] = refused({"out_of_order": WATERMARK_S - 60,
                         "duplicates": {"p": 0.1, "max": 60}})
    assert "out_of_order + late.max + duplicates.max" in problem and "too_late" in problem
    assert refused({"late": {"p": 0.1, "max": WATERMARK_S}})


def test_max_below_min_and_empty_periods():
    assert refused({"late": {"p": 0.1, "min": 60, "max": 30}}) == [
        "late.max: must be at least min (60 seconds), got 30"]
    assert refused({"late": {"p": 0.1, "max": 0}})[0].startswith("late.max: must be longer")
    assert refused({"pauses": [{"at": 0, "for": 0}]}) == ["pauses[0].for: must be longer than 0"]
    assert refused({"pauses": [{"at": 0, "for": 10, "every": 10}]}) == [
        "pauses[0].every: must be longer than for (10 seconds), got 10"]


@pytest.mark.parametrize(("data", "start"), [
    ("{not json", "is not valid JSON at line 1, column 2"),
    ("[1, 2]", ""),
    (7, ""),
])
def test_not_an_object(data, start):
    [problem] = refused(data)
    assert start in problem


def test_a_schema_can_ship_its_faults():
    ds = parse_schema(schema({"name": "t", "type": "datetime"},
                             faults={"late": {"p": 0.02, "max": "5 minutes"}}))
    assert ds.faults == FaultSpec(late=Delay(0.02, 0.0, 300.0))
    assert parse_schema(schema({"name": "t", "type": "datetime"})).faults is None


def test_a_schema_faults_section_is_checked_with_the_rest():
    found = problems_of(schema({"name": "t", "type": "nope"},
                               faults={"late": {"p": 2, "max": 60}, "bursts": 3}))
    assert any(p.startswith("faults.late.p:") for p in found)
    assert any(p.startswith("faults.bursts:") for p in found)
    assert any("nope" in p for p in found)


def test_a_key_given_twice_in_the_spec_text_is_named():
    assert refused('{"late": {"p": 0.1, "p": 0.2}}') == [
        "late: key 'p' is given twice (remove one)"]
