"""The timeline section: what it reads into, and one located problem for each misuse."""

from __future__ import annotations

import pytest

from services.schema import BoolField, parse_schema
from tests.schema.documents import problems_of

FIELDS = [
    {"name": "ts", "type": "datetime"},
    {"name": "channel", "type": "category", "choices": ["POS", "ECOM"]},
    {"name": "amount", "type": "float", "distribution": "normal", "mean": 5, "stddev": 1},
    {"name": "city", "type": "category", "conditional_on": "channel",
     "conditional_table": {"POS": ["A"], "ECOM": ["B"]}},
    {"name": "code", "type": "string", "pattern": "X{00-99}"},
]


def document(timeline: dict, **top) -> dict:
    return {"time_window": {"start": "2025-01-01", "end": "2025-01-07"},
            "schema": {"fields": FIELDS}, "analysis": {"timestamp_field": "ts"},
            "timeline": timeline, **top}


def test_a_full_timeline_reads_into_its_model_and_adds_the_label_last():
    ds = parse_schema(document({
        "trends": [{"from": "2025-01-02", "until": "2025-01-05", "percent_per_day": -10}],
        "bursts": [{"start": "2025-01-03T12:00:00", "end": "2025-01-03T13:00", "factor": 5}],
        "outages": [{"start": "2025-01-04T09:00:00Z", "end": "2025-01-04T09:20:00Z"}],
        "drifts": [{"field": "amount", "from": "2025-01-05", "distribution": "exponential",
                    "lambda": 2},
                   {"field": "channel", "from": "2025-01-03", "choices": ["ECOM"]}],
        "anomalies": [{"start": "2025-01-06", "end": "2025-01-06T01:00:00", "fraction": 0.5,
                       "fields": {"amount": {"distribution": "uniform", "min": 99,
                                             "max": 100}}}],
        "label": "odd"}))
    timeline = ds.timeline
    assert timeline.field == "ts"
    assert timeline.bursts[0].end_s - timeline.bursts[0].start_s == 3600
    assert timeline.outages[0].end_s - timeline.outages[0].start_s == 1200
    assert timeline.trends[0].percent_per_day == -10
    assert [d.model.name for d in timeline.drifts] == ["channel", "amount"]  # by date
    assert timeline.drifts[1].model.distribution == "exponential"
    assert timeline.anomalies[0].models[0].param("min") == 99
    assert ds.fields[-1] == BoolField("odd", 0.0)
    assert timeline.timed_fields == {"channel", "amount"}


@pytest.mark.parametrize("timeline,problem", [
    ({"bursts": [{"start": "2024-12-31T23:00:00", "end": "2025-01-01T01:00:00",
                  "factor": 2}]},
     "timeline.bursts[0].start: 2024-12-31T23:00:00 is outside time_window "
     "(2025-01-01T00:00:00 to 2025-01-07T23:59:59)"),
    ({"outages": [{"start": "2025-01-02T10:00:00", "end": "2025-01-02T09:00:00"}]},
     "timeline.outages[0].end: must be after start ('2025-01-02T10:00:00'), got "
     "'2025-01-02T09:00:00'"),
    ({"bursts": [{"start": "2025-01-02", "end": "2025-01-03", "factor": -2}]},
     "timeline.bursts[0].factor: must be > 0, got -2"),
    ({"bursts": [{"start": "2025-01-02", "end": "2025-01-03"}]},
     "timeline.bursts[0].factor: is required (a number)"),
    ({"trends": [{"from": "2025-01-03", "until": "2025-01-02", "percent_per_day": 5}]},
     "timeline.trends[0].until: must be after from ('2025-01-03'), got '2025-01-02'"),
    ({"trends": [{"from": "2025-01-02", "percent_per_day": -100}]},
     "timeline.trends[0].percent_per_day: must be > -100, got -100"),
    ({"trends": [{"from": "2025-01-02", "percent_per_dy": 5}]},
     "timeline.trends[0].percent_per_dy: unknown key; did you mean 'percent_per_day'?"),
    ({"drifts": [{"field": "amout", "from": "2025-01-02", "distribution": "normal"}]},
     "timeline.drifts[0].field: names no field: 'amout'; fields: amount, channel, city, "
     "code, ts"),
    ({"drifts": [{"field": "code", "from": "2025-01-02", "pattern": "Y{0-9}"}]},
     "timeline.drifts[0].field: 'code' is a string field, which cannot drift; accepted: "
     "int, float, category, bool"),
    ({"drifts": [{"field": "city", "from": "2025-01-02", "choices": ["A"]}]},
     "timeline.drifts[0].field: 'city' has a conditional_table (per level of 'channel'), "
     "which cannot drift; drift the level it reads instead"),
    ({"drifts": [{"field": "channel", "from": "2025-01-02", "choices": ["ATM"]}]},
     "timeline.drifts[0].choices[0]: 'ATM' is not a value of 'channel'; its values: ECOM, "
     "POS"),
    ({"drifts": [{"field": "amount", "from": "2025-01-02", "distribution": "gamma"}]},
     "timeline.drifts[0].distribution: unknown value 'gamma'; accepted: uniform, normal, "
     "lognormal, exponential, empirical"),
    ({"drifts": [{"field": "amount", "from": "2025-01-02", "min": 1, "max": 2},
                 {"field": "amount", "from": "2025-01-02T00:00:00", "min": 2, "max": 3}]},
     "timeline.drifts[1].from: 'amount' already drifts from this date at "
     "timeline.drifts[0]; give one drift per field and date"),
    ({"anomalies": [{"start": "2025-01-02", "end": "2025-01-03", "fraction": 0.1,
                     "fields": {"amount": {"min": 9, "max": 10}}}]},
     "timeline.label: is required (the name of the boolean column true on anomalous rows, "
     "so that a detector can be scored)"),
    ({"anomalies": [{"start": "2025-01-02", "end": "2025-01-03", "fraction": 0.1,
                     "fields": {"amount": {"min": 9, "max": 10}}}], "label": "channel"},
     "timeline.label: 'channel' is already a field; the label column needs a name of its "
     "own"),
    ({"label": "odd"}, "timeline.label: applies only with anomalies"),
    ({"anomalies": [{"start": "2025-01-02", "end": "2025-01-03", "fraction": 1.5,
                     "fields": {"amount": {}}}], "label": "odd"},
     "timeline.anomalies[0].fraction: must be <= 1, got 1.5"),
    ({"anomalies": [{"start": "2025-01-02", "end": "2025-01-03", "fraction": 0.1,
                     "fields": {"ts": {}}}], "label": "odd"},
     "timeline.anomalies[0].fields.ts: 'ts' is a datetime field, which cannot drift; "
     "accepted: int, float, category, bool"),
    ({"anomalies": [{"start": "2025-01-02", "end": "2025-01-04", "fraction": 0.1,
                     "fields": {"amount": {}}},
                    {"start": "2025-01-03", "end": "2025-01-05", "fraction": 0.1,
                     "fields": {"channel": {"choices": ["POS"]}}}], "label": "odd"},
     "timeline.anomalies[1]: overlaps timeline.anomalies[0]; a row must have one origin, "
     "so anomaly periods may not overlap"),
    ({"outages": [{"start": "2025-01-01", "end": "2025-01-04"},
                  {"start": "2025-01-03", "end": "2025-01-08"}]},
     "timeline.outages: cover the whole time_window: no row could happen"),
    ({"field": "code"},
     "timeline.field: 'code' is a string field; the timeline's field must be a datetime"),
    ({"bursts": [{"start": "the 2nd", "end": "2025-01-03", "factor": 2}]},
     "timeline.bursts[0].start: cannot parse 'the 2nd' as a date; accepted: ISO-8601 such "
     "as 2025-01-07, 2025-01-07T23:59:59 or 2025-01-07T23:59:59+01:00"),
    ({"spikes": []}, "timeline.spikes: unknown key; accepted here: anomalies, bursts, "
                     "drifts, field, label, outages, trends"),
])
def test_each_misuse_is_one_located_problem(timeline, problem):
    assert problems_of(document(timeline)) == [problem]


def test_outages_that_leave_only_silent_hours_are_refused():
    data = document({"outages": [{"start": "2025-01-01T00:00:00",
                                  "end": "2025-01-07T18:00:00"}]})
    data["schema"] = {"fields": [{"name": "ts", "type": "datetime", "mode": "seasonality",
                                  "profile": {"hour_of_day": {"9": 1, "_default": 0}}}]}
    assert problems_of(data) == ["timeline.outages: leave only hours that the profile of "
                                 "'ts' weighs 0: no row could happen"]
    data["timeline"]["outages"][0]["end"] = "2025-01-07T09:59:59"  # one second of 9 o'clock
    assert parse_schema(data).timeline.outages


def test_without_a_timestamp_field_the_timeline_names_its_field():
    data = document({"bursts": []})
    data["schema"] = {"fields": FIELDS[1:]}
    del data["analysis"]
    assert problems_of(data) == [
        "timeline.field: is required (the datetime field that says when a row happens): "
        "the schema has no analysis.timestamp_field"]


def test_a_time_field_drawn_after_a_lookup_cannot_time_a_drift():
    data = {
        "entities": {"e": {"count": 5, "fields": [
            {"name": "k", "type": "id_sequence"},
            {"name": "w", "type": "float", "min": 0, "max": 1}]}},
        "schema": {"fields": [
            {"name": "r", "type": "ref", "entity": "e"},
            {"name": "w", "type": "lookup", "ref": "r", "attribute": "w"},
            {"name": "ts", "type": "datetime"},
            {"name": "x", "type": "int", "min": 0, "max": 9}],
            "correlations": [{"fields": ["w", "ts"],
                              "rank_correlation": [[1, 0.5], [0.5, 1]]}]},
        "analysis": {"timestamp_field": "ts"},
        "timeline": {"drifts": [{"field": "x", "from": "2025-01-03", "min": 5, "max": 9}]}}
    assert problems_of(data) == [
        "timeline.field: 'ts' is in a correlations block with a lookup, so it is drawn "
        "after that lookup; drifts and anomalies need the row's time first: take it out "
        "of the block"]


def test_analysis_may_read_the_label_and_judges_the_default_time_field():
    anomalies = {"anomalies": [{"start": "2025-01-02", "end": "2025-01-03", "fraction": 0.1,
                                "fields": {"amount": {"min": 9, "max": 10}}}],
                 "label": "odd"}
    data = document(anomalies)
    data["analysis"] = {"timestamp_field": "ts", "boolean_fields": ["odd"]}
    assert parse_schema(data).analysis.boolean_fields == ("odd",)
    del data["analysis"]
    assert parse_schema(data).analysis.boolean_fields == ("odd",)  # a default, as any bool
    data["analysis"] = {"timestamp_field": "channel"}  # said once, where it is written
    assert problems_of(data) == ["analysis.timestamp_field: 'channel' is a category field; "
                                 "accepted: a datetime field (in this file: ts)"]
