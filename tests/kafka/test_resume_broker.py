"""Bad input rows and a killed run, as a user meets them: the producer script against a real
broker. Every good row of an extract with bad rows is sent; a run killed with SIGKILL and
resumed leaves each planned message in the topic exactly once, and writes the whole run's
expected answer."""

from __future__ import annotations

import json
import signal
from collections import defaultdict
from pathlib import Path

import pytest

from services.infra.kafka import KafkaDetails
from tests.kafka.producer_script import start_script, totals_of
from tests.kafka.test_broker import create_topic
from tests.kafka.test_faults_broker import expect
from tests.polling import poll
from tests.schemas import CARD, generate
from tests.topics import count_in_topic, read_topic, unique_topic

pytestmark = pytest.mark.kafka

FAULTS = json.dumps({"out_of_order": "30 s", "late": {"p": 0.05, "max": "8 minutes"},
                     "duplicates": {"p": 0.04, "max": "1 minute"}, "malformed": {"p": 0.02}})
ROWS = 12_000


def producer(bootstrap: str, topic: str, cwd: Path, *args: str):
    return start_script(["--bootstrap-servers", bootstrap, "--topic", topic, *args], cwd=cwd)


def by_partition(bootstrap: str, topic: str) -> dict[int, list[tuple[bytes, bytes]]]:
    out: dict[int, list[tuple[bytes, bytes]]] = defaultdict(list)
    for record in read_topic(bootstrap, topic):
        out[record.partition].append((record.key, record.value))
    return dict(out)


def test_bad_rows_of_every_kind_are_skipped_and_the_good_rows_all_sent(
        kafka_broker: KafkaDetails, tmp_path):
    bootstrap, topic = kafka_broker.bootstrap_servers, unique_topic("bad-rows")
    folder = tmp_path / "in"
    folder.mkdir()
    good = [f"{i},city{i},2025-01-01T00:{i % 60:02d}:00" for i in range(1, 301)]
    bad = {  # file: (line number, bad line)
        "utf8.csv": b"b1,Par\xe9s,2025-01-01T00:00:00",
        "quote.csv": b'b2,"Nice,2025-01-01T00:00:00',
        "huge.csv": b"b3," + b"x" * (10 << 20) + b",2025-01-01T00:00:00",
        "fields.csv": b"b4,city,2025-01-01T00:00:00,extra",
        "blank_time.csv": b"b5,city,",
        "bad_time.csv": b"b6,city,2025-13-45T00:00:00",
    }
    for index, (name, line) in enumerate(bad.items()):
        rows = [r.encode() for r in good[index * 50:(index + 1) * 50]]
        (folder / name).write_bytes(b"\n".join([b"id,city,order_time", *rows[:20], line,
                                                *rows[20:]]) + b"\n")
    run = producer(bootstrap, topic, tmp_path, "--input-dir", str(folder), "--rate", "0",
                   "--key-field", "id")
    code, out, err = run.finish()
    assert code == 0, err
    assert "Traceback" not in err
    totals = totals_of(out)
    assert totals["bad_rows"] == len(bad) and totals["sent"] == totals["delivered"] == 300
    assert sorted(r.key for r in read_topic(bootstrap, topic)) == sorted(
        g.split(",")[0].encode() for g in good)
    for name in bad:  # each named with its file and line
        assert f"{folder / name}:22: " in err, name


def test_a_replay_killed_with_sigkill_and_resumed_sends_each_message_once(
        kafka_broker: KafkaDetails, tmp_path):
    bootstrap = kafka_broker.bootstrap_servers
    data = tmp_path / "in"
    generate(CARD, data, ROWS, seed=3)
    plan = ["--input-dir", str(data), "--config", str(CARD), "--seed", "11", "--faults",
            FAULTS]
    whole, resumed = unique_topic("whole"), unique_topic("resumed")
    for topic in (whole, resumed):
        create_topic(bootstrap, topic, 3)
    code, out, err = producer(bootstrap, whole, tmp_path, *plan, "--rate", "0").finish()
    assert code == 0, err
    planned = totals_of(out)["sent"]

    killed = producer(bootstrap, resumed, tmp_path, *plan, "--rate", "3000",
                      "--expect", str(tmp_path / "killed"))
    poll("a third of the plan in the topic (or the producer's exit)",
         lambda: (count_in_topic(bootstrap, resumed), killed.proc.poll()),
         until=lambda seen: seen[0] >= planned // 3 or seen[1] is not None, timeout=120)
    killed.proc.send_signal(signal.SIGKILL)
    assert killed.proc.wait(timeout=30) == -signal.SIGKILL
    before = count_in_topic(bootstrap, resumed)
    assert planned // 3 <= before < planned  # it really died mid-run

    code, out, err = producer(bootstrap, resumed, tmp_path, *plan, "--rate", "0", "--resume",
                              "--expect", str(tmp_path / "resumed")).finish()
    assert code == 0, err
    totals = totals_of(out)
    assert totals["already_in_topic"] == before
    assert totals["sent"] == totals["delivered"] == planned - before
    assert by_partition(bootstrap, resumed) == by_partition(bootstrap, whole)

    code, _, err = expect(*plan, "--expect", str(tmp_path / "offline"))
    assert code == 0, err
    for name in ("expected_windows.csv", "ledger.json"):  # the whole run's answer
        assert (tmp_path / "resumed" / name).read_bytes() == (
            tmp_path / "offline" / name).read_bytes()

    code, out, err = producer(bootstrap, resumed, tmp_path, *plan, "--rate", "0",
                              "--resume").finish()
    assert code == 0, err  # nothing left: nothing sent
    assert totals_of(out)["sent"] == 0 and totals_of(out)["already_in_topic"] == planned
    assert by_partition(bootstrap, resumed) == by_partition(bootstrap, whole)


def test_resume_refuses_what_it_cannot_do_exactly(kafka_broker: KafkaDetails, tmp_path):
    bootstrap, other = kafka_broker.bootstrap_servers, unique_topic("other")
    data = tmp_path / "in"
    generate(CARD, data, 500, seed=3)
    plan = ["--input-dir", str(data), "--config", str(CARD), "--rate", "0"]
    code, _, err = producer(bootstrap, other, tmp_path, *plan, "--seed", "1", "--faults",
                            FAULTS).finish()
    assert code == 0, err
    cases = [  # (extra flags, exit code, the error)
        (["--loop", "--resume"], 2, "error: --resume: a run with --loop"),
        (["--faults", FAULTS, "--resume"], 2, "error: --resume needs the --seed"),
        (["--seed", "2", "--faults", FAULTS, "--resume"], 1,
         f"error: --resume: topic {other} does not end with messages of this run's plan"),
    ]
    for flags, want, message in cases:
        code, _, err = producer(bootstrap, other, tmp_path, *plan, *flags).finish()
        assert code == want, err
        assert message in err and "Traceback" not in err
        assert len([line for line in err.splitlines() if line.startswith("error:")]) == 1
    untimed = tmp_path / "untimed"
    untimed.mkdir()
    (untimed / "a.csv").write_text("id,city\n1,Paris\n")
    code, _, err = producer(bootstrap, unique_topic("untimed"), tmp_path, "--input-dir",
                            str(untimed), "--resume").finish()
    assert code == 1 and "error: --resume: 1 replayed rows have no event time" in err
