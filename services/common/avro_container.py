"""Avro Object Container Files, the framing around Avro binary records (its specification's
"Object Container Files"): a header (the magic `Obj\\x01`, a map of metadata holding the
schema's JSON and the codec, a 16-byte sync marker), then data blocks, each the count of its
records, its size in bytes, the records (compressed by the codec) and the sync marker again.

The codec is `deflate` (raw RFC 1951, no zlib header), one of the two codecs every reader
must support (the other, `null`, writes files some four times larger; zstandard and snappy
need libraries the readers may lack). It is deflated by ISA-L at its level 2, as the gzip
output is: far faster than zlib, and the same bytes on every run.

The sync marker is derived from the run's seed and the schema (the spec asks for a random
one, only so that a marker is unlikely to occur in the data): so a file is the same bytes
whatever the worker count, and every part of a Spark run has the same header, which makes
the parts, each a file of its own, concatenated with the headers of all but the first
dropped, the single-process file byte for byte.

Besides the two keys every file has, the header holds the timestamp fields' formats
(`TIME_FORMATS`, an application key, which the spec permits and other readers ignore).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
from isal import isal_zlib

from services.common.avro_columns import longs

MAGIC = b"Obj\x01"
CODEC = "deflate"
DEFLATE_LEVEL = 2  # ISA-L's levels are 0..3
RAW_DEFLATE = -15  # wbits: a raw deflate stream, as the Avro spec asks
SYNC_SIZE = 16
# The metadata key of each timestamp field's format in the schema file (a JSON object, field
# name to iso, epoch_ms, epoch_s or a strftime format): Avro holds the instant, and a reader
# of extracts gives back the text the CSV of the same rows shows (services.extracts).
TIME_FORMATS = "sdp.time_formats"


def schema_text(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, separators=(",", ":"))


def sync_marker(seed: int | None, schema: Mapping[str, Any]) -> bytes:
    """16 bytes from the seed and the schema: the same for every block, worker and part."""
    source = f"sdp-avro-sync\n{seed}\n{schema_text(schema)}".encode()
    return hashlib.sha256(source).digest()[:SYNC_SIZE]


def _long(value: int) -> bytes:
    return longs(np.array([value], dtype=np.int64)).to_pylist()[0]


def _text(value: bytes) -> bytes:
    return _long(len(value)) + value


def header(schema: Mapping[str, Any], sync: bytes, codec: str = CODEC,
           time_formats: Mapping[str, str] | None = None) -> bytes:
    """The file header: magic, the metadata map (one block of its entries), sync.
    `time_formats` (TIME_FORMATS), when given, names each timestamp field's format."""
    meta = {b"avro.schema": schema_text(schema).encode(), b"avro.codec": codec.encode()}
    if time_formats:
        meta[TIME_FORMATS.encode()] = json.dumps(dict(time_formats)).encode()
    entries = b"".join(_text(key) + _text(value) for key, value in meta.items())
    return MAGIC + _long(len(meta)) + entries + _long(0) + sync


def data_block(count: int, records: bytes | pa.Buffer, sync: bytes,
               codec: str = CODEC) -> bytes:
    """One data block of `count` records (their binary, joined); none for no records."""
    if count == 0:
        return b""
    data = isal_zlib.compress(records, DEFLATE_LEVEL, RAW_DEFLATE) if codec == CODEC \
        else bytes(records)
    return _long(count) + _long(len(data)) + data + sync
