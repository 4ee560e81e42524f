"""The generator engine: column-at-a-time blocks of rows from a `Dataset`, and their writers.

What other packages use: whole runs (`write_dataset`, `generate_table`), blocks one at a
time (`generate_blocks`, `make_block`, with `faker_pools` and `entity_tables` made once per
run), the renderers, so a live event looks exactly as the same value in an extract, and what
the Spark engine (services.spark.generate) runs in its tasks: part plans and writers, the
output target, the entity tables' blocks, and the command line's settings and choices.
"""

from services.generator.block import BLOCK_SIZE
from services.generator.cdc_cli import cdc_parts
from services.generator.cli import GeneratorSettings, output_choice, run_seed
from services.generator.earlier import clear_earlier_extracts
from services.generator.encoders import encoder_for
from services.generator.engine import (
    ENTITY_FOLDER,
    entity_blocks,
    entity_tables,
    generate_blocks,
    generate_table,
    make_block,
    write_dataset,
)
from services.generator.fakers import faker_pools
from services.generator.links import EntityTable
from services.generator.parts import (
    DEFAULT_PART_BLOCKS,
    SUCCESS,
    PartPlan,
    PartWritten,
    write_part,
)
from services.generator.rates import pieces as rate_pieces
from services.generator.render import json_strings, json_values, text
from services.generator.target import Target, resolve_target

__all__ = [
    "BLOCK_SIZE",
    "DEFAULT_PART_BLOCKS",
    "ENTITY_FOLDER",
    "SUCCESS",
    "EntityTable",
    "GeneratorSettings",
    "PartPlan",
    "PartWritten",
    "Target",
    "cdc_parts",
    "clear_earlier_extracts",
    "encoder_for",
    "entity_blocks",
    "entity_tables",
    "faker_pools",
    "generate_blocks",
    "generate_table",
    "json_strings",
    "json_values",
    "make_block",
    "output_choice",
    "rate_pieces",
    "resolve_target",
    "run_seed",
    "text",
    "write_dataset",
    "write_part",
]
