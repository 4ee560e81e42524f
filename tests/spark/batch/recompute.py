"""The batch tests' helpers: messy inputs, the job's settings and run, its CSV outputs read
back, and an independent pandas recomputation of what it must write."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from services.schema import Dataset, load_schema, parse_schema
from services.spark.batch_job import BatchJobSettings, publish
from services.spark.cleansing import Roles
from tests.schemas import CARD

TRUE_WORDS = {"true", "t", "yes", "y", "1"}
FALSE_WORDS = {"false", "f", "no", "n", "0"}


def messy_card_dataset(rows: int) -> Dataset:
    """The card schema with empty values sprinkled over a dimension, the metric and a flag."""
    raw = json.loads(CARD.read_text())
    for field in raw["schema"]["fields"]:
        if field["name"] in ("city", "amount", "is_chip"):
            field["null_prob"] = 0.03
    raw["entity_count"] = rows
    return parse_schema(raw, source=str(CARD), default_name="card_transactions")


def settings_for(tmp: Path, input_dir: Path, **extra) -> BatchJobSettings:
    env = {
        "SCHEMA_CONFIG_PATH": str(CARD),
        "INPUT_PATH": str(input_dir),
        "OUT_PARQUET": str(tmp / "out" / "analysis_parquet"),
        "OUT_LOCAL_CSV": str(tmp / "out" / "analysis_csv"),
        "INPUT_WAIT_SECONDS": "5",
        **extra,
    }
    return BatchJobSettings.from_env(env)


def read_inputs(paths: list[Path]) -> pd.DataFrame:
    frames = []
    for path in paths:
        name = path.name.lower()
        if ".csv" in name:
            frames.append(pd.read_csv(path, dtype=str, keep_default_na=False))
        else:
            frames.append(pd.read_json(path, lines=True, dtype=False).astype(object))
    return pd.concat(frames, ignore_index=True)


def expected_aggregates(paths: list[Path]) -> tuple[pd.DataFrame, pd.Series, int]:
    """The batch job's outputs recomputed from the input files with pandas alone."""
    df = read_inputs(paths)
    ts = pd.to_datetime(df["event_time"].astype(str).str.strip(), errors="coerce",
                        format="ISO8601")
    invalid = int(ts.isna().sum())
    df = df.assign(event_time_date=ts.dt.strftime("%Y-%m-%d"))[ts.notna()]
    for dim in ("city", "channel", "merchant_cat"):
        text = df[dim].astype(str).str.strip()
        df[dim] = text.where((text != "") & df[dim].notna() & (text != "None"), "UNKNOWN")
    amount = pd.to_numeric(df["amount"], errors="coerce")
    df["cents"] = np.round(amount.fillna(0.0) * 100).astype("int64")
    df["n_amount"] = amount.notna()
    flags = ("is_international", "is_chip", "is_contactless", "label_fraud")
    for flag in flags:
        df[flag] = df[flag].astype(str).str.strip().str.lower().isin(TRUE_WORDS)
    keys = ["event_time_date", "city", "channel", "merchant_cat"]
    grouped = df.groupby(keys)
    out = grouped.size().rename("record_count").to_frame()
    out["sum_cents"] = grouped["cents"].sum()
    out["n_amount"] = grouped["n_amount"].sum()
    for flag in flags:
        out[f"count_{flag}"] = grouped[flag].sum()
    out = out.reset_index()
    totals = out.drop(columns=keys).sum()
    return out, totals, invalid


KEYS = ["event_time_date", "city", "channel", "merchant_cat"]


def run_job(spark, settings) -> int:
    dataset = load_schema(settings.schema_path)
    return publish(spark, settings, dataset, Roles.of(dataset.analysis))


def read_part_csv(folder: Path) -> pd.DataFrame:
    parts = sorted(folder.glob("part-*.csv"))
    assert len(parts) == 1, parts
    return pd.read_csv(parts[0], keep_default_na=False, na_values=[""])
