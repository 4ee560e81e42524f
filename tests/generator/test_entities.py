"""Entity tables and the rows that refer to them: every row agrees with its entity row,
popularity follows the declared skew, and the bytes do not depend on the worker count."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pytest

from services.generator import BLOCK_SIZE, generate_table, links, write_dataset
from services.generator.engine import entity_path, entity_tables
from services.generator.links import ZipfTable
from services.schema import load_schema, parse_schema
from tests.schemas import CARD


def read(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if ".jsonl" in path.name:
        return pd.read_json(path, lines=True, dtype=False)
    return pd.read_csv(path, keep_default_na=False, dtype=str)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_every_payment_agrees_with_its_card(tmp_path, fmt):
    ds = load_schema(CARD).with_overrides(entity_count=2 * BLOCK_SIZE + 77, output_format=fmt)
    path = tmp_path / f"pay.{fmt}"
    result = write_dataset(ds, path, seed=3)
    (cards_result,) = result.entities
    assert cards_result.path == tmp_path / "_entities" / f"pay.cards.{fmt}"
    payments, cards = read(path), read(cards_result.path)
    assert len(cards) == 20_000 and cards["card_id"].is_unique
    joined = payments.merge(cards, on="card_id", how="left", validate="many_to_one",
                            suffixes=("", "_card"))
    assert joined["home_city"].notna().all()  # every card_id is a card
    assert (joined["card_home_city"] == joined["home_city"]).all()
    assert (joined["card_type"] == joined["card_type_card"]).all()
    assert (joined["card_limit"] == joined["credit_limit"]).all()
    differs = joined["city"] != joined["card_home_city"]
    flag = joined["is_international"].astype(str).str.lower() == "true"
    assert (flag == differs).all()
    share = differs.mean()  # declared: 5 / 62.5 of a card's payments abroad
    n = len(joined)
    assert abs(share - 0.08) < 5 * np.sqrt(0.08 * 0.92 / n)


def zipf_schema(kind: dict, count: int) -> dict:
    return {"entity_count": 400_000, "entities": {"items": {"count": count, "fields": [
        {"name": "item_id", "type": "id_sequence", "start": 0}]}},
        "schema": {"fields": [{"name": "item", "type": "ref", "entity": "items",
                               "popularity": kind}]}}


@pytest.mark.parametrize("kind,count", [({"kind": "zipf", "s": 1.1}, 10_000),
                                        ({"kind": "zipf", "s": 0.6}, 20_000),
                                        ({"kind": "uniform"}, 10_000)])
def test_popularity_of_the_top_percent_matches_the_declared_skew(kind, count):
    """The share of draws that go to the top 1% of rows (rank k has weight k**-s, row k - 1)
    against the exact finite sum; tolerance 5 binomial standard errors (0.3% to 0.3 points
    at 400,000 draws), so a wrong exponent or an off-by-one rank fails and chance does not."""
    ds = parse_schema(zipf_schema(kind, count))
    rows = generate_table(ds, seed=8)["item"].to_numpy()
    n, top = len(rows), count // 100
    s = kind.get("s", 0.0)
    weights = np.arange(1, count + 1, dtype=np.float64) ** -s
    expected_top = weights[:top].sum() / weights.sum()
    expected_first = weights[0] / weights.sum()
    for share, expected in ((np.mean(rows < top), expected_top),
                            (np.mean(rows == 0), expected_first)):
        assert abs(share - expected) < 5 * np.sqrt(expected * (1 - expected) / n)
    counts = np.bincount(rows, minlength=count)
    observed_top = np.sort(counts)[::-1][:top].sum() / n  # the top 1% as seen in the data
    if kind["kind"] == "zipf":
        assert abs(observed_top - expected_top) < 5 * np.sqrt(expected_top / n) + 0.002


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_entities_and_rows_are_identical_for_any_worker_count(tmp_path, fmt):
    raw = json.loads(CARD.read_text())
    raw["entities"]["cards"]["count"] = BLOCK_SIZE + 500  # an entity of two blocks
    ds = parse_schema(raw, source=str(CARD)).with_overrides(
        entity_count=3 * BLOCK_SIZE + 11, output_format=fmt)
    digests = set()
    for workers in (1, 2, 3):
        path = tmp_path / str(workers) / f"c.{fmt}"
        write_dataset(ds, path, seed=12, workers=workers)
        digests.add((digest(path), digest(entity_path(path, ds, "cards"))))
    assert len(digests) == 1
    assert sorted(p.name for p in (tmp_path / "3").iterdir()) == ["_entities", f"c.{fmt}"]


def test_an_entity_table_depends_on_the_seed_and_its_own_declaration_only():
    raw = json.loads(CARD.read_text())
    base = entity_tables(parse_schema(raw), seed=5)["cards"].table
    raw["entity_count"] = 7
    raw["entities"]["banks"] = {"count": 3, "fields": [{"name": "bank_id", "type": "uuid"}]}
    raw["schema"]["fields"][0] = {"name": "event_id", "type": "id_sequence"}
    assert entity_tables(parse_schema(raw), seed=5)["cards"].table.equals(base)
    assert not entity_tables(parse_schema(raw), seed=6)["cards"].table.equals(base)


def test_entities_refer_to_entities_and_nulls_carry_through():
    ds = parse_schema({"entity_count": 5000, "entities": {
        "people": {"count": 300, "fields": [
            {"name": "person_id", "type": "uuid"},
            {"name": "born", "type": "datetime", "format": "epoch_s"},
            {"name": "nick", "type": "string", "pattern": "{A-Z}{a-z}", "null_prob": 0.2}]},
        "cards": {"count": 900, "fields": [
            {"name": "card_id", "type": "id_sequence"},
            {"name": "owner", "type": "ref", "entity": "people",
             "popularity": {"kind": "zipf", "s": 0.8}},
            {"name": "owner_nick", "type": "lookup", "ref": "owner", "attribute": "nick"}]}},
        "schema": {"fields": [
            {"name": "card", "type": "ref", "entity": "cards", "null_prob": 0.1},
            {"name": "owner", "type": "lookup", "ref": "card", "attribute": "owner"},
            {"name": "nick", "type": "lookup", "ref": "card", "attribute": "owner_nick"},
            {"name": "other", "type": "string", "pattern": "{A-Z}{a-z}"},
            {"name": "same", "type": "derived_compare", "left": "nick", "op": "==",
             "right": "other"}]}})
    tables = entity_tables(ds, seed=1)
    people, cards = tables["people"].table.to_pandas(), tables["cards"].table.to_pandas()
    owners_nick = people.set_index("person_id").loc[cards["owner"], "nick"]
    assert list(cards["owner_nick"].fillna("<null>")) == list(owners_nick.fillna("<null>"))
    assert 0.1 < cards["owner_nick"].isna().mean() < 0.3
    rows = generate_table(ds, seed=1).to_pandas()
    missing = rows["card"].isna()
    assert 0.08 < missing.mean() < 0.12
    assert rows.loc[missing, ["owner", "nick", "same"]].isna().all().all()
    joined = rows[~missing].merge(cards, left_on="card", right_on="card_id",
                                  suffixes=("", "_c"))
    assert (joined["owner"] == joined["owner_c"]).all()
    both = joined["nick"].notna()
    assert (joined.loc[both, "nick"] == joined.loc[both, "owner_nick"]).all()
    assert joined.loc[~both, "owner_nick"].isna().all()
    assert (joined.loc[both, "same"] == (joined.loc[both, "nick"]
                                         == joined.loc[both, "other"])).all()
    assert joined.loc[~both, "same"].isna().all()


def test_a_looked_up_time_is_written_in_its_entity_format(tmp_path):
    ds = parse_schema({"entity_count": 50, "entities": {"cards": {"count": 5, "fields": [
        {"name": "card_id", "type": "id_sequence"},
        {"name": "opened", "type": "datetime", "format": "%d/%m/%Y"}]}},
        "schema": {"fields": [{"name": "card", "type": "ref", "entity": "cards"},
                              {"name": "opened", "type": "lookup", "ref": "card",
                               "attribute": "opened"}]}})
    for fmt in ("csv", "parquet"):
        path = tmp_path / f"o.{fmt}"
        write_dataset(ds.with_overrides(output_format=fmt), path, seed=2)
        rows = read(path)
        cards = read(entity_path(path, ds.with_overrides(output_format=fmt), "cards"))
        expected = cards.set_index(cards["card_id"].astype(str))["opened"]
        assert list(rows["opened"]) == list(expected.loc[rows["card"].astype(str)])
        assert rows["opened"].str.match(r"^\d\d/\d\d/20\d\d$").all()
    table = generate_table(ds, seed=2)
    assert pc.all(pc.is_valid(table["opened"])).as_py()


@pytest.mark.parametrize("count,s", [(1, 1.0), (2, 0.5), (3, 20.0), (20_000, 0.6),
                                     (10_000, 1.1), (1000, 20.0), (1_000_003, 0.9)])
def test_zipf_ranks_are_exactly_the_inverse_cdf(count, s):
    """The guided search gives what a plain binary search of the CDF gives, at and just
    below every CDF value and slice edge, where rounding would show."""
    table = ZipfTable(count, s)
    edges = np.concatenate([table.cdf[:3000], np.arange(min(count, 3000)) / count])
    below = np.nextafter(edges, 0)
    u = np.concatenate([np.random.default_rng(4).random(50_000), edges, below,
                        [0.0, np.nextafter(1.0, 0)]])
    u = u[(u >= 0) & (u < 1)]
    expected = np.minimum(np.searchsorted(table.cdf, u, side="right"), count - 1)
    assert np.array_equal(table.ranks(u), expected)


@pytest.mark.parametrize("piece", [1, 3, 7, 64])
@pytest.mark.parametrize("count,s", [(1, 1.0), (100, 0.6), (101, 2.0), (1000, 20.0),
                                     (4096, 0.3)])
def test_zipf_ranks_on_every_slice_edge_whatever_the_guide_pieces(monkeypatch, piece, count, s):
    """Draws exactly on each slice edge (and one step either side) rank as the inverse CDF
    does, also where the guide is built piece by piece (the pieces' edges are where a slice
    of the guide could be left unset or its width missed)."""
    monkeypatch.setattr(links, "GUIDE_PIECE", piece)
    table = links.ZipfTable(count, s)
    edges = np.arange(count) / count
    assert np.array_equal(table.guide, np.searchsorted(table.cdf, np.append(edges, 1.0),
                                                       "right"))
    u = np.concatenate([edges, np.nextafter(edges, 1), np.nextafter(edges, 0), table.cdf,
                        np.nextafter(table.cdf, 0)])
    u = u[(u >= 0) & (u < 1)]
    expected = np.minimum(np.searchsorted(table.cdf, u, side="right"), count - 1)
    assert np.array_equal(table.ranks(u), expected)
