"""Block encoders for CSV, JSONL (optionally gzip), Parquet and Avro, and the sinks that write
them.

Encoding happens per block (in a worker when there are several); a sink only appends. With
gzip every block is its own gzip member (fixed mtime), which any gzip reader reads as one
stream and which keeps the bytes identical whatever the worker count. Members are deflated by
ISA-L (`isal`) at its level 2: about ten times zlib's level 6 at a file some 10% larger.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq
from isal import igzip

from services.common.arrow import concat, values_bytes
from services.common.avro_columns import encode_field, reads_back
from services.common.avro_container import data_block, sync_marker
from services.common.avro_container import header as container_header
from services.common.cli import UsageError
from services.extracts import SECONDS
from services.generator.block import Block
from services.generator.render import (
    avro_values,
    csv_cells,
    csv_plain,
    json_values,
    parquet_values,
)
from services.schema import (
    BOOLEAN,
    EPOCH_FORMATS,
    FLOAT,
    INTEGER,
    Dataset,
    DatetimeField,
    EventField,
    Field,
    GeoField,
    avro_schema,
    record_fields,
)

GZIP_LEVEL = 2  # ISA-L's levels are 0..3


def gzip_member(data: bytes | pa.Buffer) -> bytes:
    return igzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


class Encoder(Protocol):
    def encode(self, block: Block) -> pa.Buffer | bytes | pa.Table: ...

    def stream(self, out: BinaryIO): ...

    def open(self, path: Path): ...


_PLAIN_CSV = pcsv.WriteOptions(include_header=False, quoting_style="none")


def _lines(parts: list[pa.Array | str], size: int) -> pa.Buffer:
    if size == 0:
        return pa.py_buffer(b"")
    return values_bytes(concat(*parts, "\n"))


@dataclass(frozen=True)
class TextEncoder:
    dataset: Dataset
    gzip: bool

    def header(self) -> bytes:
        return b""

    def body(self, block: Block) -> pa.Buffer:
        raise NotImplementedError

    def encode(self, block: Block) -> pa.Buffer | bytes:
        body = self.body(block)
        if self.gzip and body.size:
            return gzip_member(body)
        return body

    @contextmanager
    def stream(self, out: BinaryIO):
        """A sink appending encoded blocks to `out` (a file, or an HDFS upload), after the
        header (its own gzip member, so it can be dropped from the front of a part)."""
        header = self.header_bytes()
        if header:
            out.write(header)
        yield out

    def header_bytes(self) -> bytes:
        header = self.header()
        return gzip_member(header) if self.gzip and header else header

    @contextmanager
    def open(self, path: Path):
        with open(path, "wb") as out, self.stream(out) as sink:
            yield sink


class CsvEncoder(TextEncoder):
    def header(self) -> bytes:
        return (",".join(self.dataset.names) + "\n").encode()

    def body(self, block: Block) -> pa.Buffer:
        """Arrow's CSV writer joins fastest; it refuses values that need quotes, and those
        (rare) blocks take the quoting path."""
        if block.size == 0:
            return pa.py_buffer(b"")
        columns = [csv_plain(f, block.columns[f.name]) for f in self.dataset.fields]
        sink = pa.BufferOutputStream()
        try:
            pcsv.write_csv(pa.Table.from_arrays(columns, names=list(self.dataset.names)), sink,
                           write_options=_PLAIN_CSV)
            return sink.getvalue()
        except pa.ArrowInvalid:
            cells = [csv_cells(f, block.columns[f.name]) for f in self.dataset.fields]
            return _lines([pc.binary_join_element_wise(*cells, ",")], block.size)


class JsonlEncoder(TextEncoder):
    def body(self, block: Block) -> pa.Buffer:
        parts: list[pa.Array | str] = []
        for i, field in enumerate(self.dataset.fields):
            parts.append(("{" if i == 0 else ", ") + f'"{field.name}": ')
            parts.append(json_values(field, block.columns[field.name]))
        parts.append("}")
        return _lines(parts, block.size)


def parquet_type(field: Field) -> pa.DataType:
    field = field.renders_as
    if isinstance(field, DatetimeField):
        if field.format == "iso":
            return SECONDS
        return pa.int64() if field.format in EPOCH_FORMATS else pa.string()
    if isinstance(field, GeoField):
        if field.as_object:
            return pa.struct([("lat", pa.float64()), ("lon", pa.float64())])
        return pa.string()
    return {INTEGER: pa.int64(), FLOAT: pa.float64(), BOOLEAN: pa.bool_()}.get(
        field.value_kind, pa.string())


def parquet_schema(dataset: Dataset) -> pa.Schema:
    return pa.schema([(f.name, parquet_type(f)) for f in dataset.fields])


class _ParquetSink:
    def __init__(self, writer: pq.ParquetWriter):
        self.writer = writer

    def write(self, table: pa.Table) -> None:
        if table.num_rows:
            self.writer.write_table(table)


@dataclass(frozen=True)
class ParquetEncoder:
    dataset: Dataset

    def encode(self, block: Block) -> pa.Table:
        schema = parquet_schema(self.dataset)
        arrays = [parquet_values(f, block.columns[f.name]).cast(schema.field(f.name).type)
                  for f in self.dataset.fields]
        return pa.Table.from_arrays(arrays, schema=schema)

    @contextmanager
    def stream(self, out: BinaryIO | str):
        """A sink writing row groups (one per block) to `out`: a file object or a path."""
        writer = pq.ParquetWriter(out, parquet_schema(self.dataset), compression="snappy")
        try:
            yield _ParquetSink(writer)
        finally:
            writer.close()

    def open(self, path: Path):
        return self.stream(str(path))  # arrow's own file: no Python in the write path


class AvroEncoder(TextEncoder):
    """An Avro Object Container File (services.common.avro_container) of the schema file's
    fields (record_fields): one data block per generator block, each field encoded for the
    whole block at once (services.common.avro_columns). Never gzip: deflate is inside."""

    def __init__(self, dataset: Dataset):
        super().__init__(dataset, gzip=False)
        items = record_fields(dataset)
        for entity in dataset.entities:  # refused before any file, the tables' too
            _check_times(record_fields(dataset.entity_dataset(entity)), f"{entity.name}.")
        _check_times(items)
        schema = avro_schema(dataset, items)
        object.__setattr__(self, "items", items)
        object.__setattr__(self, "sync", sync_marker(dataset.seed, schema))
        formats = {i.name: i.time_format for i in items if i.kind == "timestamp"}
        object.__setattr__(self, "head", container_header(schema, self.sync,
                                                          time_formats=formats))

    def header(self) -> bytes:
        return self.head

    def body(self, block: Block) -> pa.Buffer:
        if block.size == 0:
            return pa.py_buffer(b"")
        parts = []
        for field, item in zip(self.dataset.fields, self.items, strict=True):
            values = avro_values(field, item, block.columns[field.name])
            if values.null_count and not item.nullable:  # record_fields is wrong: a bug
                raise ValueError(f"field {field.name}: nulls in a field the Avro schema "
                                 "says is never null")
            parts.append(encode_field(item, values))
        records = values_bytes(pc.binary_join_element_wise(*parts, b""))
        return pa.py_buffer(data_block(block.size, records, self.sync))


def _check_times(items: tuple[EventField, ...], where: str = "") -> None:
    for item in items:
        if item.kind == "timestamp" and item.time_format not in ("iso", *EPOCH_FORMATS) \
                and not reads_back(item.time_format):
            raise UsageError(
                f"field {where}{item.name}: Avro holds its time as an instant, read back from "
                f"the text its format {item.time_format!r} writes, and Arrow reads that text as "
                "another instant; write csv, jsonl or parquet, or give it a format of "
                "%Y %m %d %H %M %S")


def encoder_for(dataset: Dataset) -> Encoder:
    fmt = dataset.output.format
    if fmt == "csv":
        return CsvEncoder(dataset, dataset.output.gzip)
    if fmt == "jsonl":
        return JsonlEncoder(dataset, dataset.output.gzip)
    if fmt == "avro":
        return AvroEncoder(dataset)
    return ParquetEncoder(dataset)
