"""Poison messages: each kind breaks exactly the rule its name says, on a real payload."""

from __future__ import annotations

import json

import pytest

from services.common.paths import SCHEMAS
from services.kafka.poisons import (
    FUTURE,
    NOT_A_NUMBER,
    NOT_A_TIME,
    OVERSIZED_BYTES,
    PoisonShape,
    make_poison,
    unsupported_kinds,
)
from services.schema import MALFORMED_KINDS, load_schema, parse_schema

CARD = load_schema(SCHEMAS / "card_transactions.json")
TEMPLATE = json.dumps({"transaction_id": "t-1", "timestamp": "2025-01-01T10:00:00",
                       "amount": 12.5, "merchant_category": "grocery"}).encode()


def test_the_shape_of_a_schema_and_of_the_retail_demo():
    shape = PoisonShape.of(CARD)
    assert shape.time_keys[0] == CARD.analysis.timestamp_field
    assert "amount" in shape.number_keys
    retail = PoisonShape.of(None)
    assert "order_time" in retail.time_keys and "unit_price" in retail.number_keys


def test_each_kind():
    shape = PoisonShape.of(CARD)
    made = {kind: make_poison(kind, TEMPLATE, shape) for kind in MALFORMED_KINDS}
    assert made["empty"] == b""
    with pytest.raises(json.JSONDecodeError):
        json.loads(made["not_json"])
    assert made["not_json"]  # not empty: that is the other kind
    big = json.loads(made["oversized"])
    assert len(made["oversized"]) > OVERSIZED_BYTES
    assert big["timestamp"] == "2025-01-01T10:00:00"  # otherwise a good event
    missing = json.loads(made["missing_field"])
    assert "timestamp" not in missing and missing["amount"] == 12.5
    bad_time = json.loads(made["bad_time"])
    assert bad_time["timestamp"] == NOT_A_TIME and bad_time["amount"] == 12.5
    text = json.loads(made["text_number"])
    assert text["amount"] == NOT_A_NUMBER and text["timestamp"] == "2025-01-01T10:00:00"
    future = json.loads(made["future_time"])
    assert future["timestamp"] == FUTURE and future["amount"] == 12.5
    assert future[CARD.analysis.timestamp_field] == FUTURE


@pytest.mark.parametrize(("fmt", "written"), [
    ("iso", FUTURE), ("epoch_ms", 253402300799000), ("epoch_s", 253402300799),
    ("%d/%m/%Y %H:%M", "31/12/9999 23:59"), ("%y%m%d%H%M%S", "991231235959")])
def test_a_future_time_is_written_in_the_time_fields_own_format(fmt, written):
    shape = PoisonShape.of(with_time_format(fmt))
    template = json.dumps({"event_time": 1, "order_time": "2025-01-01", "amount": 1}).encode()
    event = json.loads(make_poison("future_time", template, shape))
    assert event == {"event_time": written, "order_time": FUTURE, "amount": 1}
    assert unsupported_kinds(MALFORMED_KINDS, shape) == []


def with_time_format(fmt: str):
    raw = json.loads((SCHEMAS / "card_transactions.json").read_text())
    for field in raw["schema"]["fields"]:
        if field["name"] == "event_time":
            field["format"] = fmt
    return parse_schema(raw)


def test_poison_of_a_one_byte_template_is_still_not_json():
    assert make_poison("not_json", b"{}", PoisonShape.of(CARD)) == b"{"


def test_unknown_kind_and_unsupported_kinds():
    with pytest.raises(ValueError, match="unknown malformed kind"):
        make_poison("zalgo", TEMPLATE, PoisonShape.of(CARD))
    no_numbers = PoisonShape(("ts",), ())
    assert unsupported_kinds(MALFORMED_KINDS, no_numbers) == ["text_number"]
    assert unsupported_kinds(("empty",), no_numbers) == []
    assert unsupported_kinds(MALFORMED_KINDS, PoisonShape.of(CARD)) == []
    no_year = PoisonShape.of(with_time_format("%H:%M:%S"))
    assert unsupported_kinds(MALFORMED_KINDS, no_year) == ["future_time"]
