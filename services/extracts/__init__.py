"""Extracts: the files the generator writes and the batch job, the producer's replay, the
HDFS loader and the schema inference read.

One home for what an extract is: its formats (`formats`: suffixes, gzip), which files of a
folder make it (`listing`: one rule for every reader), and the Arrow readers that turn a file
into text columns (`read`, with `csv_reader`, `jsonl_reader`, `parquet_reader`, `avro_reader`
and the shape they return in `rows`), in the text every format's value has (`text`), with
the spellings of a missing value in CSV (`nulls`), and the spellings of a time every reader
accepts (`times`, read with Arrow by `arrow_times`). No Spark here: the batch job lists files
through Hadoop and asks `is_extract` which of them to read, and reads CSV's null spellings
from `nulls`.
"""

from services.extracts.arrow_times import parse_times
from services.extracts.formats import (
    ACCEPTED,
    AVRO,
    CSV,
    JSONL,
    PARQUET,
    SUFFIXES,
    in_folder,
    is_gzip,
    is_written,
    kind_of,
)
from services.extracts.listing import (
    ENTITY_FOLDER,
    Listing,
    NoExtractsError,
    find_extracts,
    is_entity_table,
    is_extract,
    is_stray,
    local_extracts,
    local_listing,
    warn_skipped,
)
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
from services.extracts.times import (
    EPOCH_UNIT_MS,
    FIRST_MS,
    LAST_MS,
    WHITESPACE,
    Spelling,
    spellings_for,
)
from services.extracts.times import SPELLINGS as TIME_SPELLINGS
from services.extracts.times import declared as declared_spelling

__all__ = [
    "ACCEPTED",
    "AVRO",
    "CSV",
    "ENTITY_FOLDER",
    "EPOCH_UNIT_MS",
    "FIRST_MS",
    "JSONL",
    "LAST_MS",
    "NULL_SPELLINGS",
    "PARQUET",
    "SECONDS",
    "SUFFIXES",
    "TIME_SPELLINGS",
    "WHITESPACE",
    "BadRow",
    "ExtractError",
    "ExtractRows",
    "Listing",
    "NoExtractsError",
    "Spelling",
    "TextColumn",
    "concat_extracts",
    "declared_spelling",
    "extract_batches",
    "find_extracts",
    "float_text",
    "geo_text",
    "in_folder",
    "is_entity_table",
    "is_extract",
    "is_gzip",
    "is_stray",
    "is_written",
    "iso_text",
    "kind_of",
    "local_extracts",
    "local_listing",
    "open_bytes",
    "parquet_text",
    "parse_times",
    "read_extract",
    "spelled_null",
    "spellings_for",
    "text_batches",
    "trim",
    "warn_skipped",
]
