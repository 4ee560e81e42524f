"""Paths, the CSV dialect, and Hadoop's FileSystem API (local or HDFS) for folder swaps."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

from pyspark.sql import SparkSession

from services.common.files import swap_folder

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


class HadoopStore:
    """Hadoop's FileSystem (local or HDFS) as services.common.files.swap_folder sees one."""

    def __init__(self, spark: SparkSession, uri: str) -> None:
        self.jvm = spark.sparkContext._jvm
        conf = spark.sparkContext._jsc.hadoopConfiguration()
        self.fs = self.jvm.org.apache.hadoop.fs.Path(uri).getFileSystem(conf)

    def _path(self, uri: str):
        return self.jvm.org.apache.hadoop.fs.Path(uri)

    def exists(self, path: str) -> bool:
        return bool(self.fs.exists(self._path(path)))

    def rename(self, source: str, target: str) -> None:
        if not self.fs.rename(self._path(source), self._path(target)):
            raise OSError(f"cannot rename {source} to {target}")

    def delete(self, path: str) -> None:
        self.fs.delete(self._path(path), True)


def replace_folder(spark: SparkSession, staged: str, final: str) -> None:
    """Swap a fully written folder into place (services.common.files.swap_folder)."""
    swap_folder(HadoopStore(spark, final), staged, final)
