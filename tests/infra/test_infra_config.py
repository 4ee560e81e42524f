"""Config rendering for the engines: pure functions, no JVM."""

from __future__ import annotations

import base64
import re
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from services.infra import config, hdfs, kafka, spark


def parse_properties(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines())


def test_properties_are_sorted_escaped_and_java_booleans() -> None:
    text = config.render_properties({"b.flag": True, "a key": "x\\y", "c": 3})
    assert text == "a\\ key=x\\\\y\nb.flag=true\nc=3\n"


def test_hadoop_xml_round_trips_through_an_xml_parser() -> None:
    text = config.render_hadoop_xml({"dfs.replication": 1, "odd": "<&>", "on": False})
    props = {p.findtext("name"): p.findtext("value")
             for p in ET.fromstring(text).iter("property")}
    assert props == {"dfs.replication": "1", "odd": "<&>", "on": "false"}


def test_kafka_is_one_kraft_node_on_loopback() -> None:
    props = kafka.server_properties(9092, 9093, Path("/state/logs"))
    assert props["process.roles"] == "broker,controller"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9092"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert props["offsets.topic.replication.factor"] == 1
    assert props["log.dirs"] == "/state/logs"


def test_kafka_cluster_ids_are_random_16_byte_uuids() -> None:
    first, second = kafka.new_cluster_id(), kafka.new_cluster_id()
    assert first != second and len(first) == 22
    assert len(base64.urlsafe_b64decode(first + "==")) == 16


def test_kafka_cluster_ids_never_start_with_a_dash() -> None:
    """The storage tool reads `-t -Xy...` as an option and refuses to format: one start in
    64 would fail. 5,000 draws include such an id with a probability of 1 - (63/64)^5000."""
    ids = [kafka.new_cluster_id() for _ in range(5000)]
    assert not [i for i in ids if i.startswith("-")]
    assert len(set(ids)) == 5000 and {len(i) for i in ids} == {22}


def test_a_dash_draw_is_drawn_again(monkeypatch) -> None:
    dash, plain = uuid.UUID(bytes=b"\xf8" + bytes(15)), uuid.UUID(bytes=bytes(15) + b"\x01")
    draws = iter([dash, plain])
    monkeypatch.setattr(kafka.uuid, "uuid4", lambda: next(draws))
    assert base64.urlsafe_b64encode(dash.bytes).startswith(b"-")
    assert kafka.new_cluster_id() == "AAAAAAAAAAAAAAAAAAAAAQ"


def test_hdfs_cluster_ids_never_read_as_an_option() -> None:
    """`-format -clusterId <id>`: an id starting with '-' would be taken for an option."""
    ids = [hdfs.new_cluster_id() for _ in range(1000)]
    assert all(re.fullmatch(r"local-[0-9a-f]{8}", i) for i in ids), ids[:5]


def test_hdfs_binds_every_address_to_loopback_with_permissions_off() -> None:
    ports = dict(zip(hdfs.PORT_NAMES, range(9000, 9005), strict=True))
    site = hdfs.hdfs_site(ports, "/state")
    addresses = {k: v for k, v in site.items() if k.endswith(("address", "-address"))}
    assert len(addresses) == 5
    assert all(str(v).startswith("127.0.0.1:") for v in addresses.values())
    assert site["dfs.replication"] == 1
    assert site["dfs.permissions.enabled"] is False
    assert site["dfs.webhdfs.enabled"] is True
    assert hdfs.core_site(ports, "/state")["fs.defaultFS"] == "hdfs://127.0.0.1:9000"


def test_hdfs_readiness_needs_a_live_datanode_and_no_safe_mode(monkeypatch) -> None:
    answers = {
        "none": {"beans": [{"NumLiveDataNodes": 0, "FSState": "Operational"}]},
        "safe": {"beans": [{"NumLiveDataNodes": 1, "FSState": "safeMode"}]},
        "ready": {"beans": [{"NumLiveDataNodes": 1, "FSState": "Operational"}]},
        "down": None,
    }
    monkeypatch.setattr(hdfs.net, "get_json", lambda url: answers[url.split("?")[0]])
    assert [hdfs.cluster_ready(k) for k in answers] == [False, False, True, False]


def test_spark_counts_only_alive_workers_of_an_alive_master() -> None:
    assert spark.alive_workers({"status": "ALIVE", "workers": [{"state": "ALIVE"},
                                                               {"state": "DEAD"}]}) == 1
    assert spark.alive_workers({"status": "STANDBY", "workers": [{"state": "ALIVE"}]}) == 0
    assert spark.alive_workers(None) == 0


def test_spark_daemons_are_loopback_capped_and_skip_the_fixed_rest_port(tmp_path: Path) -> None:
    env = spark.daemon_env({"PATH": "/bin"}, tmp_path / "home", tmp_path / "conf")
    assert env["SPARK_LOCAL_IP"] == env["SPARK_MASTER_HOST"] == "127.0.0.1"
    assert env["SPARK_DAEMON_MEMORY"] == spark.DAEMON_MEMORY
    assert "spark.master.rest.enabled=false" in env["SPARK_MASTER_OPTS"]
    props = spark.history_properties(tmp_path / "events", 18081)
    assert props["spark.history.fs.logDirectory"] == (tmp_path / "events").as_uri()
    assert props["spark.history.ui.port"] == 18081
