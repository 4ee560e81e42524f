"""The spellings of a missing value in CSV text: one list for every reader of extracts.

CSV has no null of its own: the generator writes a null as an empty cell, and exports from
R, pandas, Excel or databases write `NA`, `NULL`, `NaN`... A CSV value that is, once trimmed,
exactly one of NULL_SPELLINGS (case as listed) is read as null by the schema inference, the
producer's replay (services.extracts.csv_reader) and the batch job (services.spark.extracts).
JSON Lines and Parquet carry real nulls, so their text is never matched against the list:
a JSON string "NA" stays the text NA.

The list is pandas' default `na_values` less the spellings of C runtimes and of Excel that
no export we know of writes on its own line (`#N/A N/A`, `#NA`, `-1.#IND`, `-1.#QNAN`,
`1.#IND`, `1.#QNAN`, `-NaN`, `-nan`). A category whose real value is one of these words (a
discount type `None`) reads as null from CSV: write such data as JSON Lines or Parquet.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

NULL_SPELLINGS = ("", "NA", "N/A", "n/a", "#N/A", "<NA>", "null", "NULL", "None", "NaN",
                  "nan")


def spelled_null(trimmed: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Trimmed CSV text with every null spelling made a null."""
    is_null = pc.is_in(trimmed, value_set=pa.array(NULL_SPELLINGS, pa.string()))
    return pc.if_else(pc.fill_null(is_null, False), pa.scalar(None, pa.string()), trimmed)
