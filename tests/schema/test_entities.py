"""Entities, refs, lookups and comparisons in the schema file: what loads, and one located
line for every misuse."""

from __future__ import annotations

import pytest

from services.schema import parse_schema
from services.schema.links import DerivedCompareField, LookupField, Popularity, RefField
from tests.schema.documents import problems_of, schema

CARDS = {"count": 50, "fields": [
    {"name": "card_id", "type": "id_sequence", "start": 1000},
    {"name": "home", "type": "category", "choices": ["Paris", "Rome"]},
    {"name": "limit", "type": "int", "min": 1, "max": 9},
    {"name": "opened", "type": "datetime"}]}
REF = {"name": "card", "type": "ref", "entity": "cards"}


def with_cards(*fields, **entities):
    return schema(*fields, entities={"cards": CARDS, **entities})


def test_refs_lookups_and_comparisons_load_with_the_kinds_of_what_they_copy():
    ds = parse_schema(with_cards(
        {**REF, "popularity": {"kind": "zipf", "s": 1.1}},
        {"name": "home", "type": "lookup", "ref": "card", "attribute": "home"},
        {"name": "limit", "type": "lookup", "ref": "card", "attribute": "limit"},
        {"name": "city", "type": "category", "conditional_on": "home",
         "conditional_table": {"Paris": ["Paris"], "Rome": ["Rome", "Paris"]}},
        {"name": "away", "type": "derived_compare", "left": "city", "op": "!=",
         "right": "home"},
    ))
    (cards,) = ds.entities
    assert (cards.name, cards.count, cards.key) == ("cards", 50, "card_id")
    card, home, limit, _, away = ds.fields
    assert isinstance(card, RefField) and card.popularity == Popularity("zipf", 1.1)
    assert card.value_kind == "integer"
    assert isinstance(home, LookupField) and home.known_values == ("Paris", "Rome")
    assert home.dimension and not limit.dimension and limit.value_kind == "integer"
    assert isinstance(away, DerivedCompareField) and away.reads == ("city", "home")
    a = ds.analysis
    assert a.dimensions == ("city",) and a.numeric_fields == ()
    assert parse_schema(with_cards(REF)).fields[0].popularity == Popularity("uniform", 0.0)


def test_lookups_fill_analysis_roles_like_the_attribute_they_copy():
    data = with_cards(
        REF, {"name": "opened", "type": "lookup", "ref": "card", "attribute": "opened"},
        {"name": "home", "type": "lookup", "ref": "card", "attribute": "home"},
        {"name": "limit", "type": "lookup", "ref": "card", "attribute": "limit"})
    data["analysis"] = {"timestamp_field": "opened", "dimensions": ["home"],
                        "numeric_fields": ["limit"]}
    assert parse_schema(data).analysis.timestamp_field == "opened"
    data["analysis"] = {"dimensions": ["limit"]}
    assert problems_of(data) == [
        "analysis.dimensions[0]: 'limit' is a lookup field of integers; accepted: a category, "
        "bool, derived_map or derived_compare field, or a lookup of one (in this file: home)"]


def test_an_entity_may_refer_to_an_earlier_or_later_declared_one():
    ds = parse_schema(schema(REF, entities={
        "cards": {"count": 3, "fields": [
            {"name": "card_id", "type": "uuid"},
            {"name": "owner", "type": "ref", "entity": "people"},
            {"name": "age", "type": "lookup", "ref": "owner", "attribute": "age"}]},
        "people": {"count": 2, "key": "pid", "fields": [
            {"name": "age", "type": "int"}, {"name": "pid", "type": "id_sequence"}]}}))
    assert [e.name for e in ds.entities] == ["people", "cards"]  # dependency order
    assert ds.fields[0].value_kind == "string"  # a uuid key


CASES = {
    "unknown entity": (
        with_cards({**REF, "entity": "crads"}),
        "schema.fields[0].entity: unknown entity 'crads' (did you mean 'cards'?); accepted: "
        "cards"),
    "a ref without entities": (
        schema(REF),
        "schema.fields[0].entity: unknown entity 'cards': the file declares none (add it "
        "under the top-level 'entities')"),
    "unknown attribute": (
        with_cards(REF, {"name": "h", "type": "lookup", "ref": "card", "attribute": "hom"}),
        "schema.fields[1].attribute: unknown attribute 'hom' (did you mean 'home'?); accepted: "
        "card_id, home, limit, opened (the fields of entity 'cards')"),
    "lookup through a field that is not a ref": (
        with_cards(REF, {"name": "c", "type": "category", "choices": ["x"]},
                   {"name": "h", "type": "lookup", "ref": "c", "attribute": "home"}),
        "schema.fields[2].ref: 'c' is a category field; a lookup reads a ref field declared "
        "before it (here: card)"),
    "lookup through an unknown ref": (
        with_cards({"name": "h", "type": "lookup", "ref": "card", "attribute": "home"}),
        "schema.fields[0]: reads unknown field 'card'; known so far: none"),
    "lookup before its ref": (
        with_cards({"name": "h", "type": "lookup", "ref": "card", "attribute": "home"}, REF),
        "schema.fields[0]: reads 'card', which is declared later (schema.fields[1]); derived "
        "fields may only read fields declared before them"),
    "count below 1": (
        with_cards(REF, cards={**CARDS, "count": 0}),
        "entities.cards.count: must be >= 1, got 0"),
    "count missing": (
        with_cards(REF, cards={"fields": CARDS["fields"]}),
        "entities.cards.count: is required (an integer)"),
    "a cycle of two entities": (
        schema(REF, entities={
            "cards": {"count": 2, "fields": [{"name": "id", "type": "uuid"},
                                             {"name": "bank", "type": "ref", "entity": "banks"}]},
            "banks": {"count": 2, "fields": [{"name": "id", "type": "uuid"},
                                             {"name": "card", "type": "ref", "entity": "cards"}]}}),
        "entities.banks.fields[1].entity: refers to 'cards' in a cycle (cards -> banks -> "
        "cards); an entity may only refer to entities that do not refer back to it"),
    "an entity referring to itself": (
        with_cards(REF, cards={**CARDS, "fields": [*CARDS["fields"], {
            "name": "parent", "type": "ref", "entity": "cards"}]}),
        "entities.cards.fields[4].entity: refers to 'cards' in a cycle (cards -> cards); an "
        "entity may only refer to entities that do not refer back to it"),
    "unknown popularity": (
        with_cards({**REF, "popularity": {"kind": "zipff", "s": 1}}),
        "schema.fields[0].popularity.kind: unknown value 'zipff' (did you mean 'zipf'?); "
        "accepted: uniform, zipf"),
    "zipf without s": (
        with_cards({**REF, "popularity": {"kind": "zipf"}}),
        "schema.fields[0].popularity.s: is required (a number)"),
    "zipf s not above 0": (
        with_cards({**REF, "popularity": {"kind": "zipf", "s": 0}}),
        "schema.fields[0].popularity.s: must be > 0, got 0"),
    "zipf s too big": (
        with_cards({**REF, "popularity": {"kind": "zipf", "s": 25}}),
        "schema.fields[0].popularity.s: must be <= 20.0, got 25"),
    "s on uniform": (
        with_cards({**REF, "popularity": {"kind": "uniform", "s": 2}}),
        "schema.fields[0].popularity.s: unknown key; accepted here: kind"),
    "popularity without kind": (
        with_cards({**REF, "popularity": {}}),
        "schema.fields[0].popularity.kind: is required (a string)"),
    "a key that is not unique by construction": (
        with_cards(REF, cards={**CARDS, "key": "home"}),
        "entities.cards.key: 'home' is a category field; a key must be unique: an id_sequence "
        "or uuid field without null_prob (in this entity: card_id)"),
    "a key that can be empty": (
        with_cards(REF, cards={**CARDS, "fields": [
            {"name": "card_id", "type": "uuid", "null_prob": 0.1}]}),
        "entities.cards.key: 'card_id' is a field that can be empty (null_prob > 0); a key must "
        "be unique: an id_sequence or uuid field without null_prob (in this entity: none)"),
    "an unknown key": (
        with_cards(REF, cards={**CARDS, "key": "id"}),
        "entities.cards.key: names no field of entity 'cards': 'id'; fields: card_id, home, "
        "limit, opened"),
    "a bad entity name": (
        schema({**REF, "entity": "my cards"}, entities={"my cards": CARDS}),
        "entities.my cards: 'my cards' is not a valid entity name; accepted: letters, digits "
        "and _, not starting with a digit"),
    "an empty entities object": (
        schema({"name": "x", "type": "uuid"}, entities={}),
        "entities: declares no entity; give at least one, or leave 'entities' out"),
    "an entity that is not an object": (
        with_cards(REF, cards=[1]),
        "entities.cards: must be an object, got a list"),
    "a misspelt entity key": (
        with_cards(REF, cards={"fields": CARDS["fields"], "cuont": 3}),
        "entities.cards.cuont: unknown key; did you mean 'count'?"),
    "a bad field inside an entity": (
        with_cards(REF, cards={"count": 2, "fields": [{"name": "card_id", "type": "uuid"},
                                                      {"name": "x", "type": "colour"}]}),
        "entities.cards.fields[1].type: unknown type 'colour'; accepted: uuid, id_sequence, "
        "int, float, bool, category, string, datetime, geo, derived_concat, derived_map, "
        "faker, ref, lookup, derived_compare"),
    "an unknown compare op": (
        schema({"name": "a", "type": "uuid"},
               {"name": "f", "type": "derived_compare", "left": "a", "op": "<>", "right": "a"}),
        "schema.fields[1].op: unknown value '<>'; accepted: ==, !="),
    "a compare reading an unknown field": (
        schema({"name": "a", "type": "uuid"},
               {"name": "f", "type": "derived_compare", "left": "a", "op": "==", "right": "b"}),
        "schema.fields[1]: reads unknown field 'b'; known so far: a"),
    "a conditional table missing a looked-up value": (
        with_cards(REF, {"name": "h", "type": "lookup", "ref": "card", "attribute": "home"},
                   {"name": "c", "type": "category", "conditional_on": "h",
                    "conditional_table": {"Paris": ["x"]}}),
        "schema.fields[2].conditional_table: no entry for 'Rome' and no '_default'; add them "
        "or a '_default'"),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_each_misuse_gives_one_located_line(case):
    data, expected = CASES[case]
    assert problems_of(data) == [expected]


def test_a_ref_to_a_broken_entity_is_not_blamed_again():
    found = problems_of(with_cards(REF, {"name": "h", "type": "lookup", "ref": "card",
                                         "attribute": "home"}, cards={**CARDS, "count": -1}))
    assert found == ["entities.cards.count: must be >= 1, got -1"]


def test_a_lookup_of_a_nullable_ref_needs_a_default_when_conditioned_on():
    found = problems_of(with_cards(
        {**REF, "null_prob": 0.1},
        {"name": "h", "type": "lookup", "ref": "card", "attribute": "home"},
        {"name": "c", "type": "category", "conditional_on": "h",
         "conditional_table": {"Paris": ["x"], "Rome": ["y"]}}))
    assert found == ["schema.fields[2].conditional_table: needs a '_default' entry: the values "
                     "of 'h' (a lookup field) are not a known list"]
