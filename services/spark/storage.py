"""Paths, the CSV dialect, and atomic output replacement through Hadoop's FileSystem API
(local or HDFS)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import urlparse

from pyspark.sql import SparkSession

# RFC 4180, as the generator, pandas, Python's csv module and spreadsheets write it: a field
# is quoted with " where needed and a " inside it is doubled. Spark's default escape is a
# backslash: it would read `"<a href=""x"">"` with its quotes still doubled and write them
# back escaped with backslashes. The job reads its extracts and writes its CSV outputs with
# these options and no others that touch quoting.
RFC4180 = {"quote": '"', "escape": '"'}


def as_local_uri(path: str) -> str:
    """A file:// URI for a local path, so Spark never resolves it against fs.defaultFS."""
    if urlparse(path).scheme:
        return path
    return Path(os.path.abspath(path)).as_uri()


def is_local(uri: str) -> bool:
    return urlparse(uri).scheme in ("", "file")


def _fs(spark: SparkSession, uri: str):
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    return path, path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())


def sibling(uri: str, tag: str) -> str:
    """A hidden name next to `uri` (Spark and the dashboards ignore names starting with .)."""
    head, _, name = uri.rstrip("/").rpartition("/")
    return f"{head}/.{name}.{tag}-{uuid.uuid4().hex[:12]}"


def replace_folder(spark: SparkSession, staged: str, final: str) -> None:
    """Swap a fully written folder into place: readers see the old or the new, never a
    half-written one (the gap between the two renames is a metadata operation)."""
    jvm = spark.sparkContext._jvm
    staged_path, fs = _fs(spark, staged)
    final_path = jvm.org.apache.hadoop.fs.Path(final)
    retired = jvm.org.apache.hadoop.fs.Path(sibling(final, "old"))
    if fs.exists(final_path) and not fs.rename(final_path, retired):
        raise OSError(f"cannot move the old output {final} aside")
    if not fs.rename(staged_path, final_path):
        raise OSError(f"cannot rename {staged} to {final}")
    fs.delete(retired, True)

