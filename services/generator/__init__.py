"""The generator engine: column-at-a-time blocks of rows from a `Dataset`, and their writers."""

from services.generator.engine import BLOCK_SIZE, generate_blocks, generate_table, write_dataset

__all__ = ["BLOCK_SIZE", "generate_blocks", "generate_table", "write_dataset"]
