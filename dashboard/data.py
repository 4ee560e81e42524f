"""Reading the batch job's outputs: the aggregate CSV folder, the one-row KPI
folder, a lifecycle dataset's funnel folder, the quality report and the job's status file,
each cached by its files' modification times and sizes."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from services.outputs import (
    CONVERSION,
    FUNNEL_COLUMNS,
    MEDIAN_S,
    MOVED,
    NEXT_STATE,
    P90_S,
    QUALITY_KEYS,
    REACHED,
    RECORD_COUNT,
    STATE,
    STEPS,
    BatchColumns,
    BatchOutputs,
    job_summary,
)
from services.web.cache import MtimeCache, Signature, file_signature, folder_signature
from services.web.envelope import BadData, NoData, OutputProblem
from services.web.files import read_json_object

T = TypeVar("T")


def is_part_csv(name: str) -> bool:
    return name.startswith("part-") and name.endswith(".csv")


def _keep(name: str) -> bool:
    return is_part_csv(name) or name == "_SUCCESS"


class BatchStore:
    """The batch outputs as frames and derived payloads, rebuilt only when files change.
    `funnel`: the schema has a lifecycle, so the job writes a funnel folder too."""

    def __init__(self, outputs: BatchOutputs, columns: BatchColumns,
                 cache: MtimeCache | None = None, *, funnel: bool = False):
        self.outputs = outputs
        self.columns = columns
        self.cache = cache or MtimeCache()
        self.has_funnel = funnel

    # signatures: a scandir and a few stat() calls, the whole cost of a warm request
    def detail_signature(self) -> Signature:
        return folder_signature(self.outputs.csv_dir, _keep)

    def kpis_signature(self) -> Signature:
        return folder_signature(self.outputs.kpis_dir, _keep)

    def funnel_signature(self) -> Signature:
        return folder_signature(self.outputs.funnel_dir, _keep)

    def quality_signature(self) -> Signature:
        return file_signature(self.outputs.quality_file)

    def status_signature(self) -> Signature:
        return file_signature(self.outputs.status_file)

    def signatures(self) -> tuple[Signature, ...]:
        """The outputs' signatures (what their freshness is judged by)."""
        funnel = (self.funnel_signature(),) if self.has_funnel else ()
        return (self.detail_signature(), self.kpis_signature(), self.quality_signature(),
                *funnel)

    def job(self) -> dict[str, Any] | None:
        """The job's state from its status file; None while there is none (or none
        readable: the file is written whole, so an unreadable one is no news)."""
        def read() -> dict[str, Any] | None:
            try:
                return job_summary(read_json_object(self.outputs.status_file, "job status"))
            except OutputProblem:
                return None

        return self.cache.get("job", self.status_signature(), read)

    def derived(self, name: str, params: Hashable,
                compute: Callable[[pd.DataFrame], T]) -> T:
        """A payload computed from the aggregate rows, cached until the CSV changes."""
        signature = self.detail_signature()
        return self.cache.get(("derived", name, params), signature,
                              lambda: compute(self._detail(signature)), remember=(OutputProblem,))

    def kpis(self) -> dict[str, Any]:
        """The one KPI row as a dict of floats/ints (NaN for an empty measure)."""
        signature = self.kpis_signature()

        def build() -> dict[str, Any]:
            frame = read_part_csvs(self.outputs.kpis_dir, "KPI output", self.columns.measures,
                                   detail_types(self.columns))
            return frame.iloc[0].to_dict()

        return self.cache.get("kpis", signature, build, remember=(OutputProblem,))

    def funnel(self, compute: Callable[[pd.DataFrame], T]) -> T:
        """A payload computed from the funnel rows (services.spark.funnel), cached until
        the funnel folder changes."""
        signature = self.funnel_signature()
        types = funnel_types(self.columns.date)

        def build() -> T:
            return compute(read_part_csvs(self.outputs.funnel_dir, "funnel output",
                                          (self.columns.date, *FUNNEL_COLUMNS), types))

        return self.cache.get("funnel", signature, build, remember=(OutputProblem,))

    def quality(self) -> dict[str, Any]:
        path = self.outputs.quality_file
        return self.cache.get("quality", self.quality_signature(),
                              lambda: read_json_object(path, "data-quality report", QUALITY_KEYS),
                              remember=(OutputProblem,))

    def _detail(self, signature: Signature) -> pd.DataFrame:
        return self.cache.get(
            "detail", signature,
            lambda: read_part_csvs(self.outputs.csv_dir, "batch output", self.columns.detail,
                                   detail_types(self.columns)),
            remember=(OutputProblem,))


def part_files(folder: Path, what: str) -> list[Path]:
    if not folder.is_dir():
        raise NoData(f"No {what} yet: the folder {folder} does not exist. "
                     "Run the batch job to create it.")
    parts = sorted(p for p in folder.iterdir() if is_part_csv(p.name))
    if not parts:
        raise NoData(f"No {what} yet: {folder} holds no part-*.csv file "
                     "(the batch job may still be writing).")
    return parts


def read_part_csvs(folder: Path, what: str, required: tuple[str, ...],
                   types: Mapping[str, pa.DataType]) -> pd.DataFrame:
    """All part files of a Spark CSV folder as one frame, typed (`types` by column name; a
    name the file lacks is ignored); problems named plainly."""
    frames = [read_part_csv(path, what, required, types)
              for path in part_files(folder, what)]
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    if frame.empty:
        raise NoData(f"The {what} in {folder} has a header but no rows yet.")
    return frame


def read_part_csv(path: Path, what: str, required: tuple[str, ...],
                  types: Mapping[str, pa.DataType]) -> pd.DataFrame:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadData(f"The {what} file {path} cannot be read: {exc}.") from None
    if not raw.strip():
        raise NoData(f"The {what} file {path} is empty; waiting for the job to write it.")
    if not raw.endswith(b"\n"):
        raise BadData(f"The {what} file {path} ends in the middle of a line: it looks "
                      "half-written. Waiting for the job to finish it.")
    header = raw.split(b"\n", 1)[0].decode("utf-8", "replace").strip().split(",")
    missing = [c for c in required if c not in header]
    if missing:
        raise BadData(f"The {what} file {path} lacks the column(s) {', '.join(missing)} that "
                      f"the schema's analysis section implies; its header is "
                      f"{', '.join(header)}. Was it written for another schema?")
    try:
        table = pacsv.read_csv(
            pa.BufferReader(raw),
            # RFC 4180 as the job writes it ("" inside quotes; Arrow's defaults). A quoted
            # value may hold a line break; parsing for those is slower, so only when the
            # file has a quoted value at all.
            parse_options=pacsv.ParseOptions(quote_char='"', double_quote=True,
                                             escape_char=False,
                                             newlines_in_values=b'"' in raw),
            convert_options=pacsv.ConvertOptions(column_types=dict(types),
                                                 strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        detail = str(exc).splitlines()[0]
        raise BadData(f"The {what} file {path} is corrupt or half-written: {detail}.") from None
    return table.to_pandas()


def detail_types(columns: BatchColumns) -> dict[str, pa.DataType]:
    """The aggregate and KPI columns' types: dates and dimensions text, counts whole."""
    types = {name: pa.float64() for name in columns.measures}
    types.update({name: pa.int64() for name in (RECORD_COUNT, *columns.counts)})
    types.update({name: pa.string() for name in (columns.date, *columns.dimensions)})
    return types


def funnel_types(date: str) -> dict[str, pa.DataType]:
    """The funnel's columns' types; an empty next_state (a state with no step out) reads
    as ""."""
    types = {name: pa.string() for name in (date, STATE, NEXT_STATE)}
    types.update({name: pa.int64() for name in (REACHED, MOVED, STEPS)})
    types.update({name: pa.float64() for name in (CONVERSION, MEDIAN_S, P90_S)})
    return types
