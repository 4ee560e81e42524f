"""Extracts to replay: which files are extracts, and reading one with the reader its
suffix calls for (CSV, JSONL, Parquet; gzip or not)."""

from __future__ import annotations

import gzip
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa

from services.kafka.csv_extract import csv_batches
from services.kafka.extract_rows import BadRow, ExtractError, ExtractRows, concat_extracts
from services.kafka.jsonl_extract import jsonl_batches
from services.kafka.parquet_extract import parquet_batches

log = logging.getLogger("producer.extracts")

SUFFIXES = (".csv", ".jsonl", ".csv.gz", ".jsonl.gz", ".parquet")
BAD_ROWS_LOGGED = 20  # per file; the rest are counted and summarised


def log_bad_rows(path: Path, bad: list[BadRow]) -> None:
    for row in bad[:BAD_ROWS_LOGGED]:
        log.warning("skipped %s", row)
    if len(bad) > BAD_ROWS_LOGGED:
        log.warning("skipped %d more bad rows in %s", len(bad) - BAD_ROWS_LOGGED, path)


def is_extract(path: Path) -> bool:
    name = path.name.lower()
    return (path.is_file() and not name.startswith((".", "_"))
            and name.endswith(SUFFIXES))


def find_extracts(location: Path) -> list[Path]:
    """The extracts directly in a folder, by name (hidden files such as the generator's
    temporary files are not extracts); or the one file given."""
    if location.is_file():
        if not location.name.lower().endswith(SUFFIXES):
            raise ExtractError(f"{location}: not an extract; accepted: {', '.join(SUFFIXES)}")
        return [location]
    if not location.is_dir():
        raise ExtractError(f"input folder {location} does not exist (--input-dir / "
                           "EVENT_INPUT_DIR)")
    found = sorted(p for p in location.iterdir() if is_extract(p))
    if not found:
        raise ExtractError(f"no extracts in {location}: expected files ending in "
                           f"{', '.join(SUFFIXES)} (make some with "
                           "services/batch/generate_synthetic_data.py)")
    return found


def extract_batches(path: Path) -> Iterator[ExtractRows]:
    """Read one extract by its suffix, a batch of rows at a time; a file that cannot be
    read at all raises ExtractError."""
    kind, reader = _reader(path)
    try:
        yield from reader(path)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise ExtractError(f"{path}: cannot be read ({exc})") from None
    except pa.ArrowInvalid as exc:
        raise ExtractError(f"{path}: not readable as {kind} ({exc})") from None


def _reader(path: Path) -> tuple[str, Callable[[Path], Iterator[ExtractRows]]]:
    """The format of an extract, by its suffix, and its reader."""
    name = path.name.lower()
    if name.endswith((".jsonl", ".jsonl.gz")):
        return "JSONL", jsonl_batches
    if name.endswith(".parquet"):
        return "Parquet", parquet_batches
    return "CSV", csv_batches


def read_extract(path: Path) -> ExtractRows:
    """The whole file as one ExtractRows (for tests and small files; replay reads batches)."""
    batches = list(extract_batches(path))
    if len(batches) == 1:
        return batches[0]
    return concat_extracts(path, batches)
