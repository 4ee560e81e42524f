"""Spark code shared by the batch and streaming jobs: session, cleansing, aggregates, I/O."""
