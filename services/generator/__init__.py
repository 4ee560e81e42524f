"""The generator engine: column-at-a-time blocks of rows from a `Dataset`, and their writers.

What other packages use: whole runs (`write_dataset`, `generate_table`), blocks one at a
time (`generate_blocks`, `make_block`, with `faker_pools` and `entity_tables` made once per
run) and the renderers, so a live event looks exactly as the same value in an extract.
"""

from services.generator.arrow_util import concat
from services.generator.block import BLOCK_SIZE
from services.generator.engine import (
    check_runnable,
    entity_tables,
    generate_blocks,
    generate_table,
    make_block,
    write_dataset,
)
from services.generator.faker_pools import faker_pools
from services.generator.render import (
    SECONDS,
    iso_text,
    json_strings,
    json_values,
    parquet_text,
    text,
)

__all__ = [
    "BLOCK_SIZE",
    "SECONDS",
    "check_runnable",
    "concat",
    "entity_tables",
    "faker_pools",
    "generate_blocks",
    "generate_table",
    "iso_text",
    "json_strings",
    "json_values",
    "make_block",
    "parquet_text",
    "text",
    "write_dataset",
]
