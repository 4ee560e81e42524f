"""An entity's attribute in a correlations block: the rows' entities drawn first, the
other members given the attribute's rank (within each level of `within`), each level's
matrix where it has one, every member's margin kept in every level, and the same bytes
with any worker count."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy.stats import ks_2samp, spearmanr

from services.generator import generate_table
from services.generator.block import BLOCK_SIZE
from services.generator.links import rank_slots
from services.schema import parse_schema
from tests.generator.test_determinism import digests_by_workers
from tests.schemas import LOOKUP_BLOCK

N = 120_000


def frame(doc: dict, n: int = N, seed: int = 3) -> dict[str, np.ndarray]:
    t = generate_table(parse_schema(doc), seed, n)
    return {name: t.column(name).to_numpy(zero_copy_only=False) for name in t.column_names}


@pytest.fixture(scope="module")
def rows():
    return frame(LOOKUP_BLOCK)


def test_rank_slots_split_each_level_by_weight_with_ties_sharing_one():
    values = np.array([3.0, 1.0, 3.0, np.nan, 2.0, 5.0])
    levels = np.array([0, 0, 0, 0, 1, 1])
    weights = np.array([0.1, 0.2, 0.3, 0.1, 0.1, 0.2])
    low, width = rank_slots(values, levels, weights)
    # level 0 holds 0.6 of the picks with a value: 1.0 has 0.2 of them, the two 3.0 0.4
    assert np.allclose(low, [1 / 3, 0, 1 / 3, 0, 0, 1 / 3])
    assert np.allclose(width, [2 / 3, 1 / 3, 2 / 3, 1, 1 / 3, 2 / 3])
    low, width = rank_slots(values, None, weights)  # one level: 0.9 of the picks
    assert np.allclose(low, [0.3 / 0.9, 0, 0.3 / 0.9, 0, 0.2 / 0.9, 0.7 / 0.9])
    assert np.allclose(width, [0.4 / 0.9, 0.2 / 0.9, 0.4 / 0.9, 1, 0.1 / 0.9, 0.2 / 0.9])


def test_the_attribute_goes_with_the_members_within_each_level_by_its_matrix(rows):
    lat, gdp, life, continent = rows["lat"], rows["gdp"], rows["life"], rows["continent"]
    for level, want_gdp, want_life in (("Europe", 0.5, 0.3), ("Africa", 0.5, 0.3),
                                       ("Asia", -0.4, 0.0)):
        at = continent == level
        assert abs(spearmanr(lat[at], gdp[at]).statistic - want_gdp) < 0.05, level
        assert abs(spearmanr(lat[at], life[at]).statistic - want_life) < 0.05, level
        assert abs(spearmanr(gdp[at], life[at]).statistic - 0.4) < 0.04, level


def test_every_member_keeps_its_distribution_in_every_level(rows):
    """lat and continent go together (Europe is north), so ranks over all countries would
    push Europe's gdp up; within the continent they do not."""
    for level in ("Europe", "Asia", "Africa"):
        at = rows["continent"] == level
        assert ks_2samp(rows["gdp"][at], rows["gdp_alone"][at]).statistic < 0.02, level
        assert ks_2samp(rows["life"][at], rows["life_alone"][at]).statistic < 0.02, level


def test_without_within_the_rank_is_among_all_the_picks():
    """Zipf picks: the rank is weighted by them, so life keeps its margin overall and
    moves with lat overall."""
    doc = copy.deepcopy(LOOKUP_BLOCK)
    block = doc["schema"]["correlations"][0]
    block.pop("within"), block.pop("per_level")
    block["fields"], block["rank_correlation"] = ["lat", "life"], [[1, 0.6], [0.6, 1]]
    got = frame(doc)
    assert abs(spearmanr(got["lat"], got["life"]).statistic - 0.6) < 0.03
    assert ks_2samp(got["life"], got["life_alone"]).statistic < 0.015
    europe = got["continent"] == "Europe"  # northern: its life is pushed up
    assert np.median(got["life"][europe]) > np.median(got["life_alone"][europe]) + 2


def test_a_block_with_a_lookup_leaves_the_lookup_and_other_fields_as_they_were(rows):
    doc = copy.deepcopy(LOOKUP_BLOCK)
    doc["schema"].pop("correlations")
    plain = frame(doc)
    for name in ("country", "continent", "lat", "gdp_alone", "life_alone"):
        assert np.array_equal(plain[name], rows[name]), name


def test_the_bytes_do_not_depend_on_the_worker_count(tmp_path):
    ds = parse_schema(LOOKUP_BLOCK).with_overrides(entity_count=2 * BLOCK_SIZE + 77)
    assert len(digests_by_workers(ds, tmp_path, 11, (1, 2))) == 1
