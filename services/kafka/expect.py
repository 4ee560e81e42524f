"""`sdp-expect`: the answer a correct pipeline must give for a replay, computed without
Kafka. It takes the producer's own flags and runs the producer's own steps (extracts,
fault plan, expected-answer recorder) with nothing sent, so the same flags, seed and spec
write the same files as the producer's `--expect`."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, Sequence

from services.common.cli import UsageError, configure_logging
from services.extracts import ExtractError
from services.kafka.cli import (
    answer_shape,
    fault_spec,
    key_field_of,
    outlet_for,
    replay_source,
    send_plan,
    stop_signals,
)
from services.kafka.replay import Stopped
from services.kafka.settings import ProducerSettings, parse_settings
from services.schema import load_schema

log = logging.getLogger("producer.expect")
PROG = "sdp-expect"


def check(settings: ProducerSettings, seeded: bool) -> None:
    problems = []
    if settings.expect_dir is None:
        problems.append("--expect DIR is required: the folder to write the answer into")
    if settings.generate:
        problems.append("--generate: a live run's events are made and stamped as they are "
                        "sent; run the producer with --expect to record its answer")
    if settings.duration is not None:
        problems.append("--duration: where a timed run stops depends on the machine; use "
                        "--max-events for a run whose answer can be computed")
    if not seeded:
        problems.append("--seed is required: the faults (and --shuffle) are drawn from it; "
                        "give the producer's")
    if problems:
        raise UsageError("\n".join(problems))


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    settings = parse_settings(argv, os.environ if env is None else env, prog=PROG)
    configure_logging(settings.log_level)
    dataset = load_schema(settings.config) if settings.config else None
    spec = fault_spec(settings, dataset)
    check(settings, settings.seed is not None or (spec.clean and not settings.shuffle))
    seed = settings.seed or 0
    shape = answer_shape(settings, dataset)
    outlet = outlet_for(settings, dataset, spec, shape)
    recorder = outlet.recorder
    assert recorder is not None  # expect_dir is set
    budget = settings.max_events
    sent = 0
    with stop_signals() as request:
        try:
            chunks, _ = replay_source(settings, dataset, key_field_of(settings, dataset), seed,
                                      request, shape)
        except ExtractError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except Stopped:
            return request.exit_code or 1
        for chunk in send_plan(chunks, settings, spec, seed):
            if chunk.timed is not None and not chunk.timed.all():
                raise UsageError(f"{int((~chunk.timed).sum())} replayed rows have no event "
                                 "time, so the producer stamps them when it sends them; only "
                                 "its own --expect can record their windows")
            stop = chunk.size if budget is None else min(chunk.size, budget - sent)
            recorder.record(chunk, 0, stop, 0)
            sent += stop
            if budget is not None and sent >= budget:
                break
    try:
        recorder.write(final=True)
    except OSError as exc:
        print(f"error: --expect {settings.expect_dir}: cannot write the expected answer "
              f"({exc.strerror or exc})", file=sys.stderr)
        return 1
    answer = recorder.book.answer()
    ledger = answer.ledger
    print(f"expected answer: {len(answer.windows)} windows x {shape.group} in "
          f"{settings.expect_dir} (sent={ledger.sent} events={ledger.events} "
          f"duplicates={ledger.duplicates} malformed={ledger.quarantined} late={ledger.late} "
          f"too_late={ledger.too_late})")
    return 0
