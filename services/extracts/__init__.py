"""Extracts: the files the generator writes and the batch job, the producer's replay, the
HDFS loader and the schema inference read.

One home for what an extract is: its formats (`formats`: suffixes, gzip), which files of a
folder make it (`listing`: one rule for every reader), and the Arrow readers that turn a file
into text columns (`read`, with `csv_reader`, `jsonl_reader`, `parquet_reader` and the shape
they return in `rows`), in the text every format's value has (`text`), with the spellings of
a missing value in CSV (`nulls`). No Spark here: the batch job lists files through Hadoop
and asks `is_extract` which of them to read, and reads CSV's null spellings from `nulls`.
"""

from services.extracts.formats import ACCEPTED, CSV, JSONL, PARQUET, SUFFIXES, is_gzip, kind_of
from services.extracts.listing import NoExtractsError, find_extracts, is_extract, local_extracts
from services.extracts.nulls import NULL_SPELLINGS, spelled_null
from services.extracts.read import extract_batches, read_extract, text_batches
from services.extracts.rows import (
    BadRow,
    ExtractError,
    ExtractRows,
    TextColumn,
    concat_extracts,
    open_bytes,
    trim,
)
from services.extracts.text import (
    SECONDS,
    float_text,
    geo_text,
    iso_text,
    parquet_text,
)

__all__ = [
    "ACCEPTED",
    "CSV",
    "JSONL",
    "NULL_SPELLINGS",
    "PARQUET",
    "SECONDS",
    "SUFFIXES",
    "BadRow",
    "ExtractError",
    "ExtractRows",
    "NoExtractsError",
    "TextColumn",
    "concat_extracts",
    "extract_batches",
    "find_extracts",
    "float_text",
    "geo_text",
    "is_extract",
    "is_gzip",
    "iso_text",
    "kind_of",
    "local_extracts",
    "open_bytes",
    "parquet_text",
    "read_extract",
    "spelled_null",
    "text_batches",
    "trim",
]
