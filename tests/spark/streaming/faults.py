"""A stream of faults for the streaming job's tests, each message with the fate a correct job
gives it: counted, a duplicate, dropped as late, or quarantined with a reason. The expected
windows, ledger and quarantine follow from the fates, not from the job."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from services.outputs import committed_parquet_files
from services.schema import MALFORMED_KINDS, MAX_EVENT_BYTES
from tests.schemas import CARD
from tests.spark.streaming.windows import expected_windows

COUNTED, DUPLICATE, LATE = "counted", "duplicate", "late"
SENTINEL = "~sentinel"  # the group of the event that closes every window


@dataclass(frozen=True)
class Kind:
    """How one mode's events look (retail orders, or the card schema's events, their time
    written as the schema's time field says: iso or epoch_ms)."""

    name: str
    group: str
    time: str
    schema: Path | None
    time_format: str = "iso"

    def schema_file(self, folder: Path) -> Path | None:
        """The schema file, its time field's format changed (written into `folder`)."""
        if self.schema is None or self.time_format == "iso":
            return self.schema
        raw = json.loads(self.schema.read_text())
        for spec in raw["schema"]["fields"]:
            if spec["name"] == self.time:
                spec["format"] = self.time_format
        path = folder / f"{self.name}.json"
        path.write_text(json.dumps(raw))
        return path

    def stamp(self, at: str) -> str | int:
        if self.time_format == "epoch_ms":
            return int(pd.Timestamp(at, tz="UTC").timestamp() * 1000)
        return at

    def event(self, at: str, group: str, value: float) -> dict:
        if self.schema is None:
            return {"product": group, "quantity": "1", "unit_price": f"{value:.2f}",
                    "order_time": at}
        return {"event_time": self.stamp(at), "city": group, "channel": "POS",
                "merchant_cat": "Fuel", "amount": f"{value:.2f}"}

    def value(self, event: dict) -> float:
        return float(event["unit_price"] if self.schema is None else event["amount"])

    def poison(self, at: str) -> dict[str, list[bytes | None]]:
        """Values of every kind of poison message, by the reason they are quarantined for."""
        good = self.event(at, "A", 1.0)
        no_time = {k: v for k, v in good.items() if k != self.time}
        number = "quantity" if self.schema is None else "amount"
        big = {**good, "note": "x" * MAX_EVENT_BYTES}
        return {
            "empty": [None, b""],
            "oversized": [encode(big)],
            "not_json": [b"{not json", b"[1, 2]"],
            "missing_field": [encode(no_time)],
            "bad_time": [encode({**good, self.time: bad}) for bad in self.bad_times()],
            "future_time": [encode({**good, self.time: self.stamp(FUTURE)})],
            "text_number": [encode({**good, number: "abc"})],
        }

    def bad_times(self) -> list:
        """Times that do not parse, or name no year from 1 to 9999 (no Spark error either)."""
        if self.time_format == "epoch_ms":
            return ["soon", 99999999999999999, 9223372036854775807, -99999999999999999,
                    253402300800000]
        return ["soon", "99999-01-01T00:00:00", "+10000-01-01T00:00:00"]


RETAIL = Kind("retail", "product", "order_time", None)
SCHEMA = Kind("schema", "city", "event_time", CARD)
EPOCH_MS = Kind("epoch_ms", "city", "event_time", CARD, "epoch_ms")
FUTURE = "9999-12-31T23:59:59"  # far ahead of any horizon: never moves the watermark


def encode(payload: dict) -> bytes:
    return json.dumps(payload).encode()


@dataclass
class Message:
    key: bytes | None
    value: bytes | None
    fate: str  # COUNTED, DUPLICATE, LATE or a quarantine reason
    offset: int | None = None  # once sent


@dataclass
class Script:
    """Messages in the order they are sent, with their fates."""

    kind: Kind
    messages: list[Message] = field(default_factory=list)

    def add(self, key: bytes | None, value: bytes | None, fate: str) -> Message:
        message = Message(key, value, fate)
        self.messages.append(message)
        return message

    def event(self, key: str | None, at: str, group: str, value: float,
              fate: str = COUNTED) -> Message:
        payload = encode(self.kind.event(at, group, value))
        return self.add(key.encode() if key else None, payload, fate)

    def again(self, message: Message, fate: str) -> Message:
        """The same key and bytes once more."""
        return self.add(message.key, message.value, fate)

    def poison(self, at: str, keyed: bool = True) -> list[Message]:
        """One message of each kind of poison; keyed or not (a message with no value needs
        a key)."""
        return [self.add(f"poison-{reason}-{i}".encode() if keyed or value is None else None,
                         value, reason)
                for reason, values in self.kind.poison(at).items()
                for i, value in enumerate(values)]

    def ledger(self) -> dict:
        """The ledger a correct job keeps over these messages."""
        fates = Counter(m.fate for m in self.messages)
        by_reason = {r: fates[r] for r in MALFORMED_KINDS}
        return {"read": len(self.messages), "counted": fates[COUNTED],
                "duplicates": fates[DUPLICATE], "late": fates[LATE],
                "quarantined": sum(by_reason.values()), "quarantined_by_reason": by_reason,
                "balanced": True}

    def windows(self) -> pd.DataFrame:
        """The windows of the counted events, but the sentinel's."""
        events = [json.loads(m.value) for m in self.messages if m.fate == COUNTED]
        frame = pd.DataFrame(events)
        frame = frame[frame[self.kind.group] != SENTINEL]
        if self.kind.time_format == "epoch_ms":
            frame[self.kind.time] = pd.to_datetime(frame[self.kind.time], unit="ms")
        frame["_value"] = [self.kind.value(e) for e in frame.to_dict(orient="records")]
        return expected_windows(frame, self.kind.group, self.kind.time, "_value")

    def quarantine(self, topic: str) -> list[tuple]:
        """(key, value, topic, partition, offset, reason) of each poison message."""
        return sorted(((m.key, m.value, topic, 0, m.offset, m.fate) for m in self.messages
                       if m.fate in MALFORMED_KINDS), key=lambda r: r[4])


def quarantine_rows(folder: Path) -> list[tuple]:
    """The committed quarantine, as Script.quarantine lists it (timestamps checked apart)."""
    rows = []
    for path in committed_parquet_files(folder):
        for r in pq.read_table(path).to_pylist():
            assert r["kafka_timestamp"] is not None, r
            rows.append((r["key"], r["value"], r["topic"], r["partition"], r["offset"],
                         r["reason"]))
    return sorted(rows, key=lambda r: r[4])
