"""Finding and reading the generator's extracts, locally or on HDFS (seed 4.2).

Files are listed through Hadoop's FileSystem API, so one code path serves `file://` and
`hdfs://`. Each file's header is read once (gzip too) to build its reading schema: the
file's own columns, lower-cased and trimmed, all read as strings; the cleansing casts them
as the schema file declares, so no inference pass is needed. CSV is read as RFC 4180, the
way the generator writes it (storage.RFC4180).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import StringType, StructField, StructType

from services.schema import Dataset
from services.spark.cleansing import normalise_name
from services.spark.storage import RFC4180

log = logging.getLogger("batch.extracts")

CSV_SUFFIXES = (".csv", ".csv.gz")
JSONL_SUFFIXES = (".jsonl", ".jsonl.gz", ".json", ".json.gz")


class InputError(RuntimeError):
    """The input cannot be used as it is; the message names the file and why."""


@dataclass(frozen=True)
class Extract:
    uri: str
    size: int

    @property
    def name(self) -> str:
        return self.uri.rsplit("/", 1)[-1]

    @property
    def is_csv(self) -> bool:
        return self.name.lower().endswith(CSV_SUFFIXES)


def _is_extract(name: str) -> bool:
    lower = name.lower()
    return (not lower.startswith((".", "_"))) and lower.endswith(CSV_SUFFIXES + JSONL_SUFFIXES)


def list_extracts(spark: SparkSession, folder: str) -> list[Extract]:
    """Extracts under `folder`, recursively, skipping hidden and temporary files."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    root = jvm.org.apache.hadoop.fs.Path(folder)
    fs = root.getFileSystem(conf)
    if not fs.exists(root):
        return []
    found = []
    files = fs.listFiles(root, True)
    while files.hasNext():
        status = files.next()
        if _is_extract(status.getPath().getName()):
            found.append(Extract(status.getPath().toString(), status.getLen()))
    return sorted(found, key=lambda e: e.uri)


def wait_for_extracts(spark: SparkSession, folder: str, timeout: float,
                      poll: float = 2.0, clock: Callable[[], float] = time.monotonic,
                      ) -> list[Extract]:
    """Poll until extracts appear; fail after `timeout` seconds with what was looked for."""
    deadline = clock() + timeout
    announced = False
    while True:
        found = list_extracts(spark, folder)
        if found:
            return found
        if clock() >= deadline:
            raise InputError(
                f"no input extracts (*.csv, *.jsonl, optionally .gz) appeared in {folder} "
                f"within {timeout:.0f} s; generate some first, or set INPUT_PATH")
        if not announced:
            log.info("waiting up to %.0f s for extracts in %s", timeout, folder)
            announced = True
        time.sleep(poll)


def read_first_line(spark: SparkSession, uri: str) -> str | None:
    """The first line of a (possibly gzip) file through Hadoop's codecs; None when empty."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    path = jvm.org.apache.hadoop.fs.Path(uri)
    stream = path.getFileSystem(conf).open(path)
    try:
        codec = jvm.org.apache.hadoop.io.compress.CompressionCodecFactory(conf).getCodec(path)
        if codec is not None:
            stream = codec.createInputStream(stream)
        reader = jvm.java.io.BufferedReader(jvm.java.io.InputStreamReader(stream, "UTF-8"))
        return reader.readLine()
    except Exception as exc:  # a Py4JJavaError: corrupt gzip, unreadable file
        raise InputError(f"{uri}: cannot be read ({_java_message(exc)})") from None
    finally:
        stream.close()


def _java_message(exc: Exception) -> str:
    java = getattr(exc, "java_exception", None)
    return java.toString() if java is not None else str(exc).splitlines()[0]


def csv_header(line: str) -> list[str]:
    import csv

    return [normalise_name(c) for c in next(csv.reader([line.lstrip("\ufeff")]))]


def read_extracts(spark: SparkSession, extracts: list[Extract], dataset: Dataset,
                  multiline: bool = False) -> tuple[DataFrame | None, list[Extract]]:
    """All non-empty extracts as one DataFrame of strings, and the list of empty ones."""
    by_header: dict[tuple[str, ...], list[str]] = {}
    jsonl: list[str] = []
    empty: list[Extract] = []
    for extract in extracts:
        first = None if extract.size == 0 else read_first_line(spark, extract.uri)
        if first is None or not first.strip():
            empty.append(extract)
        elif extract.is_csv:
            header = tuple(csv_header(first))
            if extract.size > 0 and not header:
                empty.append(extract)
            else:
                by_header.setdefault(header, []).append(extract.uri)
        else:
            jsonl.append(extract.uri)
    frames = []
    for header, uris in by_header.items():
        schema = StructType([StructField(c, StringType()) for c in header])
        frames.append(spark.read.options(**RFC4180).csv(
            uris, schema=schema, header=True, multiLine=multiline, mode="PERMISSIVE",
            enforceSchema=True))
    if jsonl:
        names = [normalise_name(f.name) for f in dataset.fields]
        schema = StructType([StructField(n, StringType()) for n in names])
        frames.append(spark.read.json(jsonl, schema=schema, mode="PERMISSIVE"))
    if not frames:
        return None, empty
    combined = frames[0]
    for frame in frames[1:]:
        combined = combined.unionByName(frame, allowMissingColumns=True)
    return combined, empty
