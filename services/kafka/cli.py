"""`kafka_event_producer.py`: parse, load the data, connect, send, report.

Data problems are found before connecting (a bad folder is an argument error, exit 2), and
the broker is asked for the topic before the first event goes, so a run fails early and
says why. The totals line is printed however the run ends.
"""

from __future__ import annotations

import logging
import os
import secrets
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from kafka.errors import KafkaError

from services.common.cli import UsageError, configure_logging, quiet_kafka_client
from services.common.schema_registry import RegistryError, SchemaRegistry
from services.common.signals import StopSignals
from services.extracts import ExtractError, NoExtractsError, find_extracts
from services.kafka import confluent
from services.kafka.answers import Recorder
from services.kafka.changes import is_change_file
from services.kafka.chunks import Chunk, faulted
from services.kafka.confluent import ConfluentDelivery
from services.kafka.delivery import ClientOptions, ConnectError, Delivery, Outbox, connect
from services.kafka.live import LiveSource, entity_seed_of
from services.kafka.poisons import UNSUPPORTED, PoisonShape, unsupported_kinds
from services.kafka.replay import Stopped, load_replay
from services.kafka.resume import (
    ResumeError,
    already_sent,
    check_tails,
    plan_prints,
    tails_prints,
)
from services.kafka.runner import Limits, Outlet, Pacer, Totals, run
from services.kafka.schedule import RatePacer, ScaledPacer
from services.kafka.settings import ProducerSettings, parse_settings
from services.kafka.tails import last_messages
from services.kafka.timeline import Timeline, scenario_periods
from services.kafka.wire import EncodeError, WireFormat, ahead, wire_format
from services.schema import (
    NO_FAULTS,
    Dataset,
    FaultSpec,
    IdSequenceField,
    MissingColumnError,
    SchemaError,
    UuidField,
    load_schema,
    parse_faults,
)
from services.streamcheck import RETAIL, AnswerBook, StreamShape, schema_shape

log = logging.getLogger("producer")


def stop_signals() -> StopSignals:
    """The first SIGINT or SIGTERM stops sending (what was sent is still flushed and
    counted); another one stops waiting for the broker's confirmations too."""
    return StopSignals(
        on_first=lambda name: log.warning("%s: stopping; flushing what was sent (send it "
                                          "again to stop waiting)", name),
        on_repeat=lambda name: log.warning("%s again: no longer waiting for the broker's "
                                           "confirmations", name))


def key_field_of(settings: ProducerSettings, dataset: Dataset | None) -> str | None:
    """The field holding each event's id: --key-field, else the key of the schema's
    lifecycle changes, else the schema's first uuid or id_sequence field (None: ids are
    made from where each event comes from)."""
    if settings.key_field:
        return settings.key_field
    if dataset is not None and dataset.lifecycle and dataset.lifecycle.changes:
        return dataset.lifecycle.changes.key  # the row key of its change files
    if dataset is not None:
        for field in dataset.fields:
            if isinstance(field, (UuidField, IdSequenceField)):
                return field.name
    return None


def fault_spec(settings: ProducerSettings, dataset: Dataset | None) -> FaultSpec:
    """--faults / EVENT_FAULTS (inline JSON or a file), else the schema's own, else none;
    refused with a UsageError when the stream cannot carry it."""
    spec = dataset.faults if dataset is not None and dataset.faults else NO_FAULTS
    if settings.faults is not None:
        text, source = settings.faults, "--faults / EVENT_FAULTS"
        if not text.lstrip().startswith("{"):
            source = text
            try:
                text = Path(text).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"--faults / EVENT_FAULTS: {source} is neither a JSON "
                                 f"object nor a readable file ({exc.strerror or exc})") from None
        try:
            spec = parse_faults(text, source)
        except SchemaError as exc:
            raise UsageError(str(exc)) from None
    problems = []
    if spec.moves_events and settings.shuffle:
        problems.append("faults: out_of_order, late and too_late move events in event time; "
                        "--shuffle already sends them in random order")
    if spec.moves_events and settings.generate and settings.time_scale is None:
        problems.append("faults: out_of_order, late and too_late need events whose time is "
                        "not the send time: replay an extract or use --time-scale")
    unsupported = unsupported_kinds(spec.malformed_kinds, PoisonShape.of(dataset)) \
        if spec.malformed_p else []
    problems += [f"faults: malformed kind {kind} {UNSUPPORTED[kind]}; list the other kinds "
                 "in malformed.kinds" for kind in unsupported]
    if problems:
        raise UsageError("\n".join(problems))
    return spec


def preflight(argv: Sequence[str], env: Mapping[str, str]) -> FaultSpec:
    """The fault spec of a producer command line, refused (UsageError) as its run would
    refuse it: for a caller that starts the producer later (the demo)."""
    settings = parse_settings(argv, env)
    return fault_spec(settings, load_schema(settings.config) if settings.config else None)


def answer_shape(settings: ProducerSettings, dataset: Dataset | None) -> StreamShape:
    """The streaming job's shape for the expected answer, from the job's own settings."""
    mode = settings.stream_mode
    if mode == "auto":
        mode = "schema" if dataset is not None else "retail"
    if mode == "retail":
        return RETAIL
    if dataset is None:
        raise UsageError("--expect with STREAM_MODE=schema needs the schema: give --config")
    try:
        return schema_shape(dataset, settings.group_field, settings.value_field)
    except MissingColumnError as exc:
        raise UsageError(f"--expect: {exc}") from None


def replay_source(settings: ProducerSettings, dataset: Dataset | None, key_field: str | None,
                  seed: int, request: StopSignals, shape: StreamShape | None = None,
                  wire: WireFormat | None = None) -> tuple[Iterable[Chunk], int]:
    """The replay's chunks and its count of bad input rows; reading (and with `wire`,
    encoding every event) happens here."""
    try:
        paths = find_extracts(settings.input_dir)
    except NoExtractsError as exc:
        raise UsageError(f"--input-dir / EVENT_INPUT_DIR: {exc} (make extracts with "
                         "services/batch/generate_synthetic_data.py)") from None
    if wire is not None and any(is_change_file(p) for p in paths):
        raise UsageError(f"--format {wire.name}: change files (--cdc) go out as the JSON "
                         "envelopes they hold; replay them with --format json")
    replay = load_replay(paths, dataset, key_field, request.requested, shape)
    order = "shuffled" if settings.shuffle else "in event-time order"
    log.info("replaying %d events from %d file(s) %s%s", replay.events.size, len(replay.files),
             order, ", looping" if settings.loop else "")
    rng = np.random.default_rng(seed)
    chunks = replay.passes(settings.shuffle, settings.loop, rng)
    encoded = None if wire is None else ahead(replay.events, wire)
    if encoded is not None:
        log.info("encoded %d events as %s ahead of sending", len(encoded), wire.name)
        chunks = (replace(chunk, encoded=encoded) for chunk in chunks)
    return chunks, replay.bad_rows


def live_source(settings: ProducerSettings, dataset: Dataset, key_field: str | None,
                seed: int, shape: StreamShape | None = None) -> LiveSource:
    """The live source, checked against the schema before anything connects."""
    try:
        source = LiveSource(dataset, seed, key_field, settings.time_scale,
                            entity_seed_of(dataset, settings.seed, seed), shape)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    log.info("streaming live %s records (seed %d)%s%s", dataset.analysis.name, seed,
             f", time scale {settings.time_scale:g}" if settings.time_scale else "",
             f", entities of seed {entity_seed_of(dataset, settings.seed, seed)}"
             if dataset.entities else "")
    return source


def pacing_timeline(spec: FaultSpec, dataset: Dataset | None, live_now: bool) -> Timeline:
    """The fault spec's bursts and pauses and, in a live run stamped with the current time,
    the schema timeline's rate (a scaled run's rows follow it already; a replay sends rows
    at their own times)."""
    scenario = scenario_periods(dataset) if live_now and dataset is not None else ()
    return Timeline((*spec.periods, *scenario))


def make_pacer(settings: ProducerSettings, start_s: int, timeline: Timeline) -> Pacer:
    if settings.time_scale is not None:
        return ScaledPacer(settings.time_scale, start=0.0, anchor_ms=start_s * 1000,
                           timeline=timeline)
    return RatePacer(settings.rate, start=0.0, timeline=timeline)


def report(totals: Totals, settings: ProducerSettings, bad_rows: int | None,
           resumed: int | None = None) -> int:
    """Print the totals; the exit code follows from them."""
    line = totals.line() + (f" bad_rows={bad_rows}" if bad_rows is not None else "") + \
        (f" already_in_topic={resumed}" if resumed is not None else "")
    print(line, flush=True)
    if totals.failed:
        print(f"error: {totals.failed} of {totals.sent} events could not be delivered to topic "
              f"{settings.topic} at {settings.bootstrap_servers} (first failure: "
              f"{totals.first_failure})", file=sys.stderr)
        return 1
    if totals.error:
        print(f"error: {totals.error}", file=sys.stderr)
        return 1
    return 0


def open_delivery(settings: ProducerSettings, request: StopSignals) -> Outbox:
    """A connected client, with the topic's metadata fetched; ConnectError if not."""
    options = ClientOptions(settings.bootstrap_servers, settings.delivery_timeout,
                            max_block=settings.connect_timeout,
                            compression=settings.compression)
    if settings.chosen_client == "confluent":
        delivery = ConfluentDelivery(
            confluent.connect(options, settings.max_buffered, settings.connect_timeout,
                              request.requested),
            settings.topic, settings.max_buffered, settings.bootstrap_servers,
            settings.connect_timeout)
    else:
        delivery = Delivery(connect(options, settings.connect_timeout, request.requested),
                            settings.topic, settings.max_buffered)
    log.info("client %s, compression %s", settings.chosen_client, settings.compression)
    try:
        delivery.prepare()
    except BaseException:
        delivery.abort()
        raise
    return delivery


def produce(settings: ProducerSettings, dataset: Dataset | None, request: StopSignals) -> int:
    key_field = key_field_of(settings, dataset)
    seed = settings.seed if settings.seed is not None else secrets.randbelow(2**63)
    spec = fault_spec(settings, dataset)
    shape = answer_shape(settings, dataset) if settings.expect_dir else None
    if settings.resume and settings.seed is None and (settings.shuffle or not spec.clean):
        raise UsageError("--resume needs the --seed of the run to resume: its "
                         f"{'faults' if not spec.clean else '--shuffle'} are drawn from it")
    if not spec.clean:
        log.info("faults: %s (seed %d)", spec.describe(), seed)
    try:
        wire = open_wire(settings, dataset)
    except RegistryError as exc:
        print(f"error: {exc}; nothing was sent", file=sys.stderr)
        return 1
    bad_rows = live = None
    if dataset is not None and settings.generate:
        live = live_source(settings, dataset, key_field, seed, shape)
    else:
        try:
            chunks, bad_rows = replay_source(settings, dataset, key_field, seed, request, shape,
                                             wire)
        except (ExtractError, EncodeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except Stopped:
            return report(Totals(0, 0, 0, 0.0), settings, None) or request.exit_code
    try:
        delivery = open_delivery(settings, request)
    except ConnectError as exc:
        if request.requested.is_set():
            return report(Totals(0, 0, 0, 0.0), settings, bad_rows) or request.exit_code
        print(f"error: {exc}", file=sys.stderr)
        return 1
    start_s = int(time.time())  # scaled event times start here
    if live is not None:
        chunks = live.chunks(start_s)
    outlet = outlet_for(settings, dataset, spec, shape, wire)
    chunks = send_plan(chunks, settings, spec, seed)
    limits = Limits(settings.max_events, settings.duration, settings.delivery_timeout + 5)
    resumed = None
    if settings.resume:
        try:
            chunks, resumed = resume_plan(list(chunks), settings, delivery, outlet, start_s)
        except ResumeError as exc:
            delivery.abort()
            print(f"error: {exc}", file=sys.stderr)
            return 1
        limits = replace(limits, max_events=None)  # the plan is cut to it already
    timeline = pacing_timeline(spec, dataset, live is not None and settings.time_scale is None)
    totals = run(chunks, make_pacer(settings, start_s, timeline), delivery,
                 request, limits, outlet=outlet)
    code = report(totals, settings, bad_rows, resumed)
    if outlet.recorder is not None:
        try:
            outlet.recorder.write(final=True)
        except OSError as exc:
            print(f"error: --expect {settings.expect_dir}: cannot write the expected answer "
                  f"({exc.strerror or exc})", file=sys.stderr)
            return 1
        log.info("expected answer written to %s", settings.expect_dir)
    return code or request.exit_code


def resume_plan(chunks: list[Chunk], settings: ProducerSettings, delivery: Outbox,
                outlet: Outlet, now_s: int) -> tuple[list[Chunk], int]:
    """The plan less what the topic holds already (services.kafka.resume), which the
    expected answer counts as sent; and how many that is."""
    (chunk,) = chunks  # a replay without --loop: one pass
    if chunk.timed is not None and not chunk.timed.all():
        raise ResumeError(f"--resume: {int((~chunk.timed).sum())} replayed rows have no "
                          "event time and are stamped when sent, so no two runs send the same "
                          "bytes; run without --resume")
    if settings.max_events is not None:
        chunk = chunk.subset(np.arange(chunk.size) < settings.max_events)
    prints = plan_prints(chunk, delivery.partitions, outlet.shape, outlet.kinds)
    try:
        tails = tails_prints(last_messages(settings.bootstrap_servers, settings.topic,
                                           prints.wanted()))
    except (KafkaError, TimeoutError) as exc:
        raise ResumeError(f"--resume: cannot read the end of topic {settings.topic} at "
                          f"{settings.bootstrap_servers} ({exc})") from None
    sent = already_sent(prints, tails)
    check_tails(prints, tails, sent, settings.topic)
    if outlet.recorder is not None and sent.any():
        done = chunk.subset(sent)
        outlet.recorder.record(done, 0, done.size, now_s)
    count = int(sent.sum())
    log.info("resuming: %d of the plan's %d messages are in topic %s already; sending the "
             "other %d", count, chunk.size, settings.topic, chunk.size - count)
    return [chunk.subset(~sent)], count


def send_plan(chunks: Iterable[Chunk], settings: ProducerSettings, spec: FaultSpec,
              seed: int) -> Iterable[Chunk]:
    """The chunks in the order they are sent: as they come, or as the spec's faults say."""
    if spec.clean:
        return chunks
    return faulted(chunks, spec, seed, 1000.0 / settings.rate if settings.rate > 0 else 1.0)


def outlet_for(settings: ProducerSettings, dataset: Dataset | None, spec: FaultSpec,
               shape: StreamShape | None, wire: WireFormat | None = None) -> Outlet:
    recorder = None
    if shape is not None and settings.expect_dir is not None:
        recorder = Recorder(AnswerBook(shape.group, shape.value), settings.expect_dir, spec)
    return Outlet(PoisonShape.of(dataset), spec.malformed_kinds, recorder, wire)


def open_wire(settings: ProducerSettings, dataset: Dataset | None) -> WireFormat | None:
    """Avro or JSON Schema: the events' schema registered (or found) before anything
    connects to the broker, so a bad registry or an incompatible schema sends nothing."""
    if not settings.framed:
        return None
    if dataset is None:  # parse_settings requires --config for these formats
        raise UsageError(f"--format {settings.event_format} needs --config")
    wire = wire_format(settings.event_format, SchemaRegistry(settings.registry_url),
                       settings.topic, dataset)
    log.info("events as %s in the wire format: schema id %d under %s-value at %s",
             settings.event_format, wire.schema_id, settings.topic, settings.registry_url)
    return wire


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    settings = parse_settings(argv, os.environ if env is None else env)
    configure_logging(settings.log_level)
    dataset = load_schema(settings.config) if settings.config else None
    with stop_signals() as request, quiet_kafka_client():
        return produce(settings, dataset, request)
