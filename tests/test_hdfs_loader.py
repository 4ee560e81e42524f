"""The batch stack's HDFS loader: the extract and its entity tables onto HDFS, other files
skipped and named; nothing at all when the generator wrote to HDFS itself (--allow-empty)."""

from __future__ import annotations

import uuid

import pytest
from hdfs import InsecureClient

from services.common.cli import run
from services.hdfs_loader import main
from tests.schemas import CARD, generate


def test_allow_empty_leaves_hdfs_alone_without_contacting_it(tmp_path, capsys):
    # The WebHDFS address is unreachable: success proves nothing was attempted.
    args = ["--source", str(tmp_path), "--webhdfs", "http://127.0.0.1:1", "--wait", "0"]
    assert run(main, [*args, "--allow-empty"]) == 0
    assert run(main, args) == 2
    assert "no extracts" in capsys.readouterr().err


@pytest.mark.hdfs
def test_the_entity_tables_go_to_hdfs_with_the_extract(hdfs_cluster, tmp_path, capsys):
    extract = generate(CARD, tmp_path, 200)
    table = tmp_path / "_entities" / "card_transactions.cards.csv"
    avro = generate(CARD, tmp_path, 100, fmt="avro", name="more")
    avro_table = tmp_path / "_entities" / "more.cards.avro"
    (tmp_path / "schema.json").write_text("{}")
    dest = f"/tests/loader-{uuid.uuid4().hex[:8]}/input"
    assert main(["--source", str(tmp_path), "--dest", dest, "--webhdfs",
                 hdfs_cluster.webhdfs_url, "--wait", "60"]) == 0
    client = InsecureClient(hdfs_cluster.webhdfs_url)
    assert sorted(f"{root}/{name}"[len(dest) + 1:] for root, _, files in client.walk(dest)
                  for name in files) == ["_entities/card_transactions.cards.csv",
                                         "_entities/more.cards.avro",
                                         "card_transactions.csv", "more.avro"]
    for path, relative in ((extract, extract.name), (table, "_entities/" + table.name),
                           (avro, avro.name), (avro_table, "_entities/" + avro_table.name)):
        with client.read(f"{dest}/{relative}") as remote:
            assert remote.read() == path.read_bytes()
    assert [line.split(" ", 3)[3] for line in capsys.readouterr().err.splitlines()
            if "not an extract" in line] == [
        f"extracts: skipped {tmp_path / 'schema.json'}: not an extract (read: *.csv, *.jsonl "
        "(each optionally .gz), *.parquet, *.avro)"]
