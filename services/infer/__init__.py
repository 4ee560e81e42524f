"""Inferring a schema file from a sample of real data, and measuring how close generated
data comes to it (`services/batch/infer_schema.py` is the command line)."""
