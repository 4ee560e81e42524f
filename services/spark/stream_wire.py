"""Avro and JSON Schema events into the intake: each Kafka record's value decoded by the
schema id in its header (the writer schema fetched from the registry once per Python
worker), into the JSON text the JSON format sends. The intake (services.spark.stream_intake)
then reads that text exactly as it reads JSON events, so the windows are the same whatever
the format, and the quarantine still keeps the raw bytes.

The decoding is an Arrow UDF: a column of values per call, the writer schemas cached per
worker process. Avro is decoded record by record by fastavro (its reader has no column-wise
form); spark-avro's from_avro would need one reader schema fixed when the query starts, and
the Confluent header cut off first, so a schema registered mid-stream (evolution) would need
a restart. A message in the wire format whose id the registry does not have (or whose bytes
do not decode with it) gets `UNKNOWN` (the reason), and is quarantined as `unknown_schema`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from functools import lru_cache

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from services.common.schema_registry import SchemaRegistry
from services.common.wire_format import WireDecoder
from services.schema import Dataset, event_fields

PAYLOAD, UNKNOWN = "_payload", "_unknown"
FORMATS = ("json", "avro", "json-schema")
DECODED = "struct<payload: binary, unknown: string>"
ARROW_DECODED = pa.struct([("payload", pa.binary()), ("unknown", pa.string())])


def local_python(spark: SparkSession) -> None:
    """Local executors decode in Python workers started from this interpreter: it has
    fastavro and pyarrow (pyspark would start `python3` from PATH, as the generator's Spark
    engine also avoids). A cluster's executors use the Python their own settings name."""
    context = spark.sparkContext
    if context.master.startswith("local"):
        context.pythonExec = sys.executable


def time_formats(dataset: Dataset | None) -> dict[str, str]:
    """How each timestamp field is written in the JSON events (the rest: ISO)."""
    if dataset is None:
        return {}
    return {f.name: f.time_format or "iso" for f in event_fields(dataset)
            if f.kind == "timestamp"}


@lru_cache(maxsize=8)
def _decoder(url: str, formats: tuple[tuple[str, str], ...]) -> WireDecoder:
    """One decoder per Python worker and setting: its schema cache outlives the batch."""
    return WireDecoder(SchemaRegistry(url), dict(formats))


def decode_values(values: pa.Array, url: str,
                  formats: tuple[tuple[str, str], ...]) -> pa.StructArray:
    """A column of Kafka values -> (JSON payload, why unknown) per value."""
    decoder = _decoder(url, formats)
    payloads, unknown = [], []
    for value in values.to_pylist():
        payload, why = decoder.decode(value)
        payloads.append(payload)
        unknown.append(why)
    return pa.StructArray.from_arrays([pa.array(payloads, pa.binary()),
                                       pa.array(unknown, pa.string())],
                                      fields=list(ARROW_DECODED))


def decoded(records: DataFrame, registry_url: str, formats: Mapping[str, str]) -> DataFrame:
    """The Kafka records with PAYLOAD (the event's JSON text) and UNKNOWN (null, or why the
    value cannot be decoded)."""
    frozen = tuple(sorted(formats.items()))

    @F.arrow_udf(DECODED)  # type: ignore[misc]
    def decode(values: pa.Array) -> pa.Array:
        return decode_values(values, registry_url, frozen)

    wire = decode(F.col("value"))
    return records.withColumn("_wire", wire).select(
        *records.columns, F.col("_wire.payload").alias(PAYLOAD),
        F.col("_wire.unknown").alias(UNKNOWN))
