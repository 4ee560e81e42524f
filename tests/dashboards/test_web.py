"""The shared web layer: the modification-time cache, staleness, labels, Chart.js serving."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dashboard import create_app as create_batch_app
from services.schema import load_schema
from services.web.cache import MtimeCache, file_signature, folder_signature, latest_mtime
from services.web.envelope import NoData
from services.web.freshness import assess
from services.web.labels import Metric, dataset_labels, humanize
from tests.schemas import CARD as CARD_SCHEMA
from tests.schemas import RETAIL as RETAIL_SCHEMA


def test_cache_rebuilds_only_when_the_signature_moves() -> None:
    cache = MtimeCache()
    builds: list[int] = []

    def build() -> int:
        builds.append(1)
        return len(builds)

    assert cache.get("k", ("a", 1, 2), build) == 1
    assert cache.get("k", ("a", 1, 2), build) == 1
    assert cache.get("k", ("a", 2, 2), build) == 2
    assert len(builds) == 2


def test_cache_remembers_problems_until_the_files_change() -> None:
    cache = MtimeCache()
    calls: list[int] = []

    def missing() -> None:
        calls.append(1)
        raise NoData("nothing yet")

    for _ in range(3):
        with pytest.raises(NoData, match="nothing yet"):
            cache.get("k", ("f", None), missing, remember=(NoData,))
    assert len(calls) == 1
    assert cache.get("k", ("f", 5, 5), lambda: "there") == "there"


def test_cache_is_bounded() -> None:
    cache = MtimeCache(max_entries=3)
    for i in range(10):
        cache.get(i, (), lambda i=i: i)
    assert len(cache._entries) == 3 and set(cache._entries) == {7, 8, 9}


def test_signatures_see_changes_and_ignore_hidden_files(tmp_path: Path) -> None:
    path = tmp_path / "part-0.csv"
    assert file_signature(path) == ("part-0.csv", None)
    assert folder_signature(tmp_path / "absent") == ("absent", None)
    path.write_text("a\n")
    before = folder_signature(tmp_path)
    (tmp_path / ".part-0.csv.crc").write_text("x")
    assert folder_signature(tmp_path) == before
    path.write_text("a,b\n")
    assert folder_signature(tmp_path) != before
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    assert latest_mtime([folder_signature(tmp_path), file_signature(tmp_path / "x")]) == \
        pytest.approx(1_700_000_000)
    assert latest_mtime([("x", None)]) is None


@pytest.mark.parametrize(("age", "alive"), [(0, True), (14.9, True), (15.1, False)])
def test_stale_after_n_intervals(age: float, alive: bool) -> None:
    fresh = assess(1000.0, interval_seconds=5, stale_after=3, now=1000.0 + age)
    assert fresh.alive is alive and fresh.stale_after_seconds == 15
    assert fresh.to_json()["updated_at"] == "1970-01-01T00:16:40Z"


def test_no_output_is_never_alive() -> None:
    assert assess(None, 5, 3).to_json() == {"updated_at": None, "age_seconds": None,
                                            "alive": False, "stale_after_seconds": 15}


@pytest.mark.parametrize(("name", "label"), [
    ("merchant_cat", "Merchant cat"), ("is_international", "International"),
    ("label_fraud", "Fraud"), ("amount", "Amount"), ("is", "Is"), ("has-kids", "Kids")])
def test_humanize(name: str, label: str) -> None:
    assert humanize(name) == label


def test_labels_from_the_analysis_section() -> None:
    card = dataset_labels(load_schema(CARD_SCHEMA))
    assert (card.title, card.currency, card.metric.money) == ("Card transactions", "EUR", True)
    retail = dataset_labels(load_schema(RETAIL_SCHEMA))
    assert retail.metric == Metric("revenue", "Revenue", money=True, agg="sum")
    assert retail.currency == "USD"


def test_chartjs_is_served_from_node_modules(tmp_path: Path) -> None:
    client = create_batch_app({"OUT_LOCAL_CSV": str(tmp_path)}).test_client()
    response = client.get("/vendor/chart.umd.min.js")
    assert response.status_code == 200, "run `make setup` (npm ci) to install Chart.js"
    assert response.mimetype == "text/javascript"
    assert b"Chart" in response.data[:2000] and len(response.data) > 100_000


def test_missing_chartjs_says_how_to_install_it(tmp_path: Path) -> None:
    client = create_batch_app({"OUT_LOCAL_CSV": str(tmp_path),
                               "CHARTJS_PATH": str(tmp_path / "nope.js")}).test_client()
    response = client.get("/vendor/chart.umd.min.js")
    assert response.status_code == 404 and b"make setup" in response.data


def test_concurrent_requests_for_one_key_build_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Six requests miss the cache together: each thread's first lookup waits at a barrier
    until all six have missed, so they certainly overlap. The build then stays open until a
    rival build starts (an unsafe cache) or a generous window passes (a safe one), so
    exactly one build is the cache's doing, not the scheduler's."""
    threads = 6
    cache = MtimeCache()
    all_missed = threading.Barrier(threads, timeout=10)
    first_lookup: set[int] = set()
    lookup = cache._lookup

    def lookup_then_meet(key, signature):
        found = lookup(key, signature)
        me = threading.get_ident()
        if me not in first_lookup:
            first_lookup.add(me)
            assert not found[0]
            all_missed.wait()
        return found

    monkeypatch.setattr(cache, "_lookup", lookup_then_meet)
    builds: list[int] = []
    rival = threading.Event()

    def slow() -> str:
        builds.append(1)
        if len(builds) > 1:
            rival.set()
        rival.wait(1.0)
        return "parsed"

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(cache.get, "detail", ("part", 1, 1), slow)
                   for _ in range(threads)]
        assert [f.result(timeout=30) for f in futures] == ["parsed"] * threads
    assert len(first_lookup) == threads
    assert len(builds) == 1
