"""Faults on a real broker: the same seed and spec send the same messages, byte for byte;
what is in the topic is what the ledger says was sent; the offline answer (sdp-expect) is
the producer's own."""

from __future__ import annotations

import contextlib
import io
import json
from collections import Counter

import pytest

from services.infra.kafka import KafkaDetails
from services.kafka.expect import main as expect_main
from services.schema import MALFORMED_KINDS, WATERMARK_S
from tests.kafka.test_broker import produce
from tests.schemas import CARD, generate
from tests.topics import read_topic, unique_topic

pytestmark = pytest.mark.kafka

EVERY = json.dumps({"out_of_order": "30 s", "late": {"p": 0.05, "max": "8 minutes"},
                    "too_late": {"p": 0.02}, "duplicates": {"p": 0.04, "max": "1 minute"},
                    "malformed": {"p": 0.02}})
ROWS = 3000


@pytest.fixture(scope="module")
def extract(tmp_path_factory):
    data = tmp_path_factory.mktemp("faults") / "input"
    generate(CARD, data, ROWS, seed=5)
    return data


def run(bootstrap, topic, extract, expect, *more):
    code, totals, _ = produce(bootstrap, topic, "--input-dir", str(extract), "--rate", "0",
                              "--config", str(CARD), "--seed", "77", "--faults", EVERY,
                              "--expect", str(expect), *more)
    assert code == 0, totals
    return totals


def test_same_seed_same_bytes_and_the_ledger_counts_the_topic(kafka_broker: KafkaDetails,
                                                              extract, tmp_path):
    bootstrap = kafka_broker.bootstrap_servers
    one, two = unique_topic("faults"), unique_topic("faults")
    totals = run(bootstrap, one, extract, tmp_path / "one")
    run(bootstrap, two, extract, tmp_path / "two")
    first, second = read_topic(bootstrap, one), read_topic(bootstrap, two)
    assert [(r.key, r.value) for r in first] == [(r.key, r.value) for r in second]
    assert (tmp_path / "one" / "expected_windows.csv").read_bytes() == (
        tmp_path / "two" / "expected_windows.csv").read_bytes()

    ledger = json.loads((tmp_path / "one" / "ledger.json").read_text())["ledger"]
    assert totals["sent"] == ledger["sent"] == len(first)
    poison = [r for r in first if r.key.startswith(b"poison:")]
    assert sum(ledger["malformed"].values()) == len(poison) > 0
    assert set(ledger["malformed"]) == set(MALFORMED_KINDS)
    events = [r for r in first if not r.key.startswith(b"poison:")]
    copies = Counter(r.key for r in events)
    assert len(copies) == ledger["events"] == ROWS
    assert sum(n - 1 for n in copies.values()) == ledger["duplicates"] > 0
    by_key: dict[bytes, set[bytes]] = {}
    for r in events:
        by_key.setdefault(r.key, set()).add(r.value)
    assert all(len(values) == 1 for values in by_key.values())  # a copy is the same bytes
    assert len({r.key for r in poison}) == len(poison)

    # lateness as a consumer sees it: how far behind the newest event time each arrives
    newest, behind = 0, []
    for r in events:
        t = json.loads(r.value)["event_time"]
        newest = max(newest, t_ms := iso_ms(t))
        behind.append(newest - t_ms)
    assert max(behind) > WATERMARK_S * 1000  # the too-late ones
    far = sum(b > WATERMARK_S * 1000 for b in behind)
    assert 0 < far <= ledger["too_late"]


def iso_ms(text: str) -> int:
    from datetime import UTC, datetime

    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_another_seed_sends_another_stream(kafka_broker: KafkaDetails, extract, tmp_path):
    bootstrap = kafka_broker.bootstrap_servers
    one, two = unique_topic("faults"), unique_topic("faults")
    run(bootstrap, one, extract, tmp_path / "one")
    code, _, _ = produce(bootstrap, two, "--input-dir", str(extract), "--rate", "0",
                         "--config", str(CARD), "--seed", "78", "--faults", EVERY)
    assert code == 0
    assert [r.value for r in read_topic(bootstrap, one)] != [
        r.value for r in read_topic(bootstrap, two)]


def expect(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        from services.common.cli import run as run_cli

        code = run_cli(lambda argv: expect_main(argv, {}), list(args))
    return code, out.getvalue(), err.getvalue()


def test_the_offline_answer_is_the_producer_s(kafka_broker: KafkaDetails, extract, tmp_path):
    run(kafka_broker.bootstrap_servers, unique_topic("faults"), extract, tmp_path / "sent",
        "--max-events", "2500")
    code, out, err = expect("--input-dir", str(extract), "--config", str(CARD), "--seed",
                            "77", "--faults", EVERY, "--expect", str(tmp_path / "offline"),
                            "--max-events", "2500")
    assert code == 0, err
    assert "expected answer:" in out
    for name in ("expected_windows.csv", "ledger.json"):
        assert (tmp_path / "offline" / name).read_bytes() == (
            tmp_path / "sent" / name).read_bytes()


@pytest.mark.parametrize(("args", "message"), [
    (["--generate"], "--generate: a live run"),
    (["--duration", "5"], "--duration: where a timed run stops"),
    (["--loop"], "--expect with --loop"),
])
def test_the_offline_answer_refuses_what_it_cannot_know(extract, tmp_path, args, message):
    code, _, err = expect("--input-dir", str(extract), "--config", str(CARD), "--seed", "1",
                          "--expect", str(tmp_path / "x"), *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_the_offline_answer_needs_the_seed_of_faults(extract, tmp_path):
    code, _, err = expect("--input-dir", str(extract), "--config", str(CARD), "--faults",
                          EVERY, "--expect", str(tmp_path / "x"))
    assert code == 2 and "--seed is required" in err
    code, _, err = expect("--input-dir", str(extract), "--config", str(CARD),
                          "--expect", str(tmp_path / "clean"))
    assert code == 0, err  # a clean replay in order needs no seed
