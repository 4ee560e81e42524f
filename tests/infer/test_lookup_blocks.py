"""An entity's attribute that the rows' numbers move with comes back as the lookup of a
correlations block, ranked within the level the numbers are drawn per, with a matrix for
each level whose own correlation differs (tests/schemas.py LOOKUP_BLOCK planted them)."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from services.infer.correlations import SIGNIFICANCE_T, Ranked, correlation_blocks
from services.infer.ranks import rank_shares
from tests.infer.extracts import generate, infer
from tests.schemas import LOOKUP_BLOCK


@pytest.fixture(scope="module")
def inferred(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lookups")
    return infer(generate(copy.deepcopy(LOOKUP_BLOCK), folder / "planted.csv", 60_000))


def test_the_attribute_joins_the_block_ranked_within_the_continent(inferred):
    assert list(inferred["entities"]) == ["country"]
    (block,) = inferred["schema"]["correlations"]
    assert block["fields"] == ["lat", "gdp", "life"]  # not the numbers drawn apart
    assert block["within"] == "continent"
    top = block["rank_correlation"]
    assert abs(top[1][2] - 0.4) < 0.03
    levels = block["per_level"]
    assert set(levels) == {"Europe", "Asia", "Africa"}
    for level, want in (("Europe", 0.5), ("Africa", 0.5), ("Asia", -0.4)):
        assert abs(levels[level][0][1] - want) < 0.06, level
    assert levels["Asia"][0][2] == 0.0  # not significant over Asia's countries: not drawn


def lookup(name: str, values: np.ndarray, **extra) -> Ranked:
    shares, ties = rank_shares(values)
    return Ranked(name, shares, ties, entity=("country", "continent", name),
                  levels=np.zeros(len(values), np.int64), **extra)


def test_a_lookup_is_drawn_only_with_numbers_declared_after_it_and_one_a_block():
    """Entities of 10 rows each: `early` (declared before the lookup) and a second lookup
    move with it as much as `late` does, yet only `late` is drawn given it."""
    rng = np.random.default_rng(4)
    entity = np.repeat(rng.normal(size=400), 10)
    noise = rng.normal(size=(3, len(entity)))
    early, late = entity + 0.7 * noise[0], entity + 0.7 * noise[1]
    lat, lon = lookup("lat", entity), lookup("lon", entity + 0.1 * noise[2])
    (block,) = correlation_blocks([lat, Ranked("late", *rank_shares(late)), lon])
    assert block["fields"] == ["lat", "late"]  # lon, as strongly linked, is a second lookup
    assert "within" not in block and "per_level" not in block
    assert block["rank_correlation"][0][1] > 0.7
    (block,) = correlation_blocks([Ranked("early", *rank_shares(early)), lat,
                                   Ranked("late", *rank_shares(late))])
    assert block["fields"] == ["early", "late"]  # lat cannot come before early's draw


@pytest.mark.parametrize("entities,kept", [(25, False), (400, True)])
def test_a_lookup_is_kept_where_its_link_is_significant_over_its_entities(entities, kept):
    """About 0.35 between an entity's value and each of its rows' numbers: chance over 25
    entities (|t| < 2), however many rows each has; real over 400."""
    rng = np.random.default_rng(5)
    entity = np.repeat(rng.normal(size=entities), 6000 // entities)
    number = 0.4 * entity + rng.normal(size=len(entity))
    columns = [lookup("lat", entity), Ranked("gdp", *rank_shares(number))]
    rho = np.corrcoef(columns[0].shares, columns[1].shares)[0, 1]
    assert 0.3 < rho < 0.45
    t = rho * np.sqrt((entities - 2) / (1 - rho**2))
    assert (t >= SIGNIFICANCE_T) == kept
    assert len(correlation_blocks(columns)) == kept
