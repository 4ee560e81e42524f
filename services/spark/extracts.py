"""Finding and reading the generator's extracts, locally or on HDFS.

Files are listed through Hadoop's FileSystem API, so one code path serves `file://` and
`hdfs://`; services.extracts says which of them make the extract. Each file's header is
read once (gzip too) to build its reading schema: the file's own columns, lower-cased and
trimmed, all read as strings; the cleansing casts them as the schema file declares, so no
inference pass is needed. CSV is read as RFC 4180, the way the generator writes it
(storage.RFC4180), its null spellings (services.extracts.nulls) as null.

Parquet extracts carry their schema in their footers: Spark reads them natively (footers
merged, so files may differ in columns), and each typed column becomes the text the same
value has in the generator's CSV (the Spark twin of services.extracts.parquet_text),
so the cleansing sees the same strings, whatever the format, and gives the same results.

Avro extracts are read by Spark's Avro data source (spark-avro 4.1.1, the nearest release to
our Spark that Maven Central has: jvm/spark-avro, on `spark.jars` by `avro_conf`), one read
per schema (the schema of the first file is the one Spark reads a set of files with), and
their typed columns become text as Parquet's do: a timestamp-millis is an instant, its text
ISO-8601, which the cleansing reads as it reads the field's own format.
"""

from __future__ import annotations

import csv
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.types import StringType, StructField, StructType

from services.common import jars, polling
from services.extracts import (
    ACCEPTED,
    CSV,
    NULL_SPELLINGS,
    is_extract,
    is_stray,
    kind_of,
    warn_skipped,
)
from services.schema import Dataset
from services.spark.cleansing import normalise_name
from services.spark.errors import spark_error_message
from services.spark.storage import RFC4180

log = logging.getLogger("batch.extracts")


class InputError(RuntimeError):
    """The input cannot be used as it is; the message names the file and why."""


@dataclass(frozen=True)
class ExtractFile:
    uri: str
    size: int

    @property
    def name(self) -> str:
        return self.uri.rsplit("/", 1)[-1]

    @property
    def kind(self) -> str:
        """csv, jsonl or parquet, by the name's suffix (services.extracts.formats)."""
        return kind_of(self.name) or CSV


def listing(spark: SparkSession, folder: str) -> tuple[list[ExtractFile], list[str]]:
    """The extract files under `folder` (services.extracts.listing's rule), in the order of
    their paths, and the files skipped (visible, not extracts); `folder` may name one
    file."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    root = jvm.org.apache.hadoop.fs.Path(folder)
    fs = root.getFileSystem(conf)
    if not fs.exists(root):
        return [], []
    status = fs.getFileStatus(root)
    if status.isFile():  # a file named on its own: read by its format (`.json` too)
        uri = fs.makeQualified(root).toString()
        return ([ExtractFile(uri, status.getLen())] if kind_of(root.getName()) else []), []
    prefix = fs.makeQualified(root).toString().rstrip("/") + "/"
    found, skipped = [], []
    files = fs.listFiles(root, True)
    while files.hasNext():
        status = files.next()
        uri = status.getPath().toString()
        relative = uri[len(prefix):] if uri.startswith(prefix) else status.getPath().getName()
        if is_extract(relative):
            found.append(ExtractFile(uri, status.getLen()))
        elif is_stray(relative):
            skipped.append(uri)
    return sorted(found, key=lambda e: e.uri), sorted(skipped)


def list_extracts(spark: SparkSession, folder: str) -> list[ExtractFile]:
    """The extract files under `folder`; a warning names each file skipped."""
    found, skipped = listing(spark, folder)
    warn_skipped(skipped)
    return found


def wait_for_extracts(spark: SparkSession, folder: str, timeout: float,
                      poll: float = 2.0, clock: Callable[[], float] = time.monotonic,
                      ) -> list[ExtractFile]:
    """Poll until extracts appear; fail after `timeout` seconds with what was looked for.
    The files skipped are named once, when the extracts are found."""

    def some() -> tuple[list[ExtractFile], list[str]] | None:
        listed = listing(spark, folder)
        return listed if listed[0] else None

    found, skipped = listing(spark, folder)
    if not found:
        log.info("waiting up to %.0f s for extracts in %s", timeout, folder)
        found, skipped = polling.poll(some, timeout=timeout, interval=poll,
                                      clock=clock) or ([], [])
    if not found:
        raise InputError(f"no input extracts ({ACCEPTED}) appeared in {folder} "
                         f"within {timeout:.0f} s; generate some first, or set INPUT_PATH")
    warn_skipped(skipped)
    return found


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
    return [normalise_name(c) for c in next(csv.reader([line.lstrip("\ufeff")]))]


def read_extracts(spark: SparkSession, extracts: list[ExtractFile], dataset: Dataset,
                  multiline: bool = False) -> tuple[DataFrame | None, list[ExtractFile]]:
    """All non-empty extracts as one DataFrame of strings, and the list of empty ones."""
    by_header: dict[tuple[str, ...], list[str]] = {}
    jsonl: list[str] = []
    typed: dict[str, list[ExtractFile]] = {"parquet": [], "avro": []}
    empty: list[ExtractFile] = []
    for extract in extracts:
        if extract.kind in typed:
            (typed[extract.kind] if extract.size > 0 else empty).append(extract)
            continue
        first = None if extract.size == 0 else read_first_line(spark, extract.uri)
        if first is None or not first.strip():
            empty.append(extract)
        elif extract.kind == "csv":
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
        frame = spark.read.options(**RFC4180).csv(
            uris, schema=schema, header=True, multiLine=multiline, mode="PERMISSIVE",
            enforceSchema=True)
        by_place = frame.toDF(*[f"c{i}" for i in range(len(header))])  # names may repeat
        frames.append(by_place.select(*[spelled_null(F.col(f"c{i}")).alias(name)
                                        for i, name in enumerate(header)]))
    if jsonl:
        names = [normalise_name(f.name) for f in dataset.fields]
        schema = StructType([StructField(n, StringType()) for n in names])
        frames.append(spark.read.json(jsonl, schema=schema, mode="PERMISSIVE"))
    if typed["parquet"]:
        frames.append(read_parquet(spark, typed["parquet"]))
    if typed["avro"]:
        frames.extend(read_avro(spark, typed["avro"]))
    if not frames:
        return None, empty
    combined = frames[0]
    for frame in frames[1:]:
        combined = combined.unionByName(frame, allowMissingColumns=True)
    return combined, empty


def spelled_null(column: Column) -> Column:
    """CSV text, null where it spells a missing value (services.extracts.nulls; Spark's
    `nullValue` takes one spelling only)."""
    return F.when(F.trim(column).isin(*NULL_SPELLINGS), F.lit(None).cast("string")) \
        .otherwise(column)


def read_parquet(spark: SparkSession, extracts: list[ExtractFile]) -> DataFrame:
    """Parquet extracts as strings under normalised names (see as_text)."""
    try:
        frame = spark.read.option("mergeSchema", "true").parquet(*[e.uri for e in extracts])
    except Exception as exc:  # an AnalysisException: not Parquet, or types that do not merge
        raise InputError(unreadable_parquet(spark, extracts) or (
            f"the Parquet extracts {', '.join(e.name for e in extracts)} do not merge into "
            f"one table ({spark_error_message(exc)})")) from None
    return frame.select(*[as_text(_column(f.name), f.dataType).alias(normalise_name(f.name))
                          for f in frame.schema.fields])


def avro_conf() -> dict[str, str]:
    """The session setting that puts Spark's Avro data source on the classpath (none when
    the project cache lacks it: then the first Avro extract says so)."""
    found = jars.spark_avro_jars()
    return {"spark.jars": ",".join(map(str, found))} if found else {}


def read_avro(spark: SparkSession, extracts: list[ExtractFile]) -> list[DataFrame]:
    """Avro extracts as strings under normalised names (see as_text), one frame for each
    schema among them (each file's schema is read from its header on the driver)."""
    by_schema: dict[str, list[str]] = {}
    for extract in extracts:
        try:
            schema = spark.read.format("avro").load(extract.uri).schema
        except Exception as exc:  # not Avro, or no Avro data source on the classpath
            message = spark_error_message(exc)
            if "avro" in message.lower() and "data source" in message.lower():
                raise InputError(f"{extract.uri}: Spark has no Avro data source to read it "
                                 f"with; {jars.SETUP_HINT}") from None
            raise InputError(f"{extract.uri}: cannot be read as Avro ({message})") from None
        by_schema.setdefault(schema.json(), []).append(extract.uri)
    frames = []
    for uris in by_schema.values():
        frame = spark.read.format("avro").load(uris)
        frames.append(frame.select(*[as_text(_column(f.name), f.dataType).alias(
            normalise_name(f.name)) for f in frame.schema.fields]))
    return frames


def unreadable_parquet(spark: SparkSession, extracts: list[ExtractFile]) -> str | None:
    """After a failed read, name the Parquet extract that cannot be read on its own."""
    for extract in extracts:
        try:
            spark.read.parquet(extract.uri)  # reads the footer
        except Exception as exc:
            return f"{extract.uri}: cannot be read as Parquet ({spark_error_message(exc)})"
    return None


def _column(name: str) -> Column:
    return F.col("`" + name.replace("`", "``") + "`")


def as_text(column: Column, kind: T.DataType) -> Column:
    """A typed Parquet value as the generator's CSV writes it: timestamps in ISO form with a
    T (services.extracts.iso_text), geo structs as {"lat": .., "lon": ..}, booleans
    true/false; other scalars as Spark casts them, nested values as JSON. Numbers round-trip
    exactly; only the notation of very large or small floats differs (1.0E7, not
    10000000.0), which no dimension should hold."""
    if isinstance(kind, (T.TimestampType, T.TimestampNTZType)):
        return F.regexp_replace(column.cast("string"), " ", "T")
    if isinstance(kind, T.DecimalType):  # Avro's money: 26.7 as the CSV shows it, not 26.70
        return column.cast("double").cast("string")
    if _is_geo(kind):
        return F.concat(F.lit('{"lat": '), column["lat"].cast("string"), F.lit(', "lon": '),
                        column["lon"].cast("string"), F.lit("}"))
    if isinstance(kind, (T.StructType, T.ArrayType, T.MapType)):
        return F.to_json(column)
    return column.cast("string")


def _is_geo(kind: T.DataType) -> bool:
    return isinstance(kind, T.StructType) and sorted(kind.fieldNames()) == ["lat", "lon"]
