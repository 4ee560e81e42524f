"""The inference reads Avro extracts as it reads their CSV twins: the same schema inferred
(but the output format it names), and --compare of an Avro synthetic extract against a CSV
real one gives the report of the CSV pair."""

from __future__ import annotations

import json

from services.commands import infer_schema as main
from services.common.paths import SCHEMAS
from tests.infer.extracts import generate, infer


def test_an_avro_extract_infers_the_schema_of_its_csv_twin(tmp_path):
    schema = SCHEMAS / "card_transactions.json"
    csv = generate(schema, tmp_path / "card.csv", 20_000)
    avro = generate(schema, tmp_path / "card.avro", 20_000)
    from_csv, from_avro = infer(csv), infer(avro)
    assert from_avro.pop("output") == {"format": "avro"}
    from_csv.pop("output")
    said = from_avro.pop("description")
    assert said == from_csv.pop("description").replace("card.csv", "card.avro")
    assert from_avro == from_csv


def test_compare_takes_an_avro_extract(tmp_path, capsys):
    schema = SCHEMAS / "retail_orders.json"
    real = generate(schema, tmp_path / "r.csv", 30_000, 1)
    reports = {}
    for suffix in ("csv", "avro"):
        synthetic = generate(schema, tmp_path / f"s.{suffix}", 30_000, 9)
        out = tmp_path / f"{suffix}.json"
        assert main(["--compare", str(real), str(synthetic), "--json", str(out)]) == 0
        reports[suffix] = json.loads(out.read_text())
    assert reports["avro"]["summary"]["ok"]
    assert reports["avro"] == reports["csv"]
