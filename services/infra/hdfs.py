"""HDFS on one machine: a NameNode and a DataNode (replication 1, WebHDFS on, permissions off).

The NameNode is formatted once; its metadata and the DataNode's blocks stay in the state
folder across restarts. Ready means the DataNode has registered and safe mode is off.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from services.common import jars
from services.common.paths import REPO_ROOT
from services.infra import config, net
from services.infra.engine import LOOPBACK, Details, Engine, Network

DEFAULT_STATE_DIR = REPO_ROOT / "hdfs" / "local-cluster"
HEAP = "-Xmx384m"
NAMENODE_MAIN = "org.apache.hadoop.hdfs.server.namenode.NameNode"
DATANODE_MAIN = "org.apache.hadoop.hdfs.server.datanode.DataNode"
STATE_BEAN = "Hadoop:service=NameNode,name=FSNamesystemState"
# Hadoop 3.4 (Jersey 1, Guice) reflects into the JDK; JDK 17 refuses unless these are open.
JDK17_OPENS = tuple(f"--add-opens=java.base/{pkg}=ALL-UNNAMED" for pkg in (
    "java.lang", "java.lang.reflect", "java.io", "java.net", "java.nio", "java.util",
    "java.util.concurrent", "sun.nio.ch", "sun.net.dns", "sun.net.util"))
PORT_NAMES = ("namenode rpc port", "namenode http port", "datanode data port",
              "datanode http port", "datanode ipc port")


@dataclass(frozen=True)
class HdfsDetails(Details):
    uri: str
    webhdfs_url: str
    namenode_ui_url: str


def new_cluster_id() -> str:
    """A NameNode cluster id: a fixed prefix, so it never reads as a command-line option."""
    return f"local-{secrets.token_hex(4)}"


def core_site(ports: Mapping[str, int], state_dir: str,
              network: Network = LOOPBACK) -> dict[str, object]:
    return {
        "fs.defaultFS": f"hdfs://{network.host('namenode')}:{ports['namenode rpc port']}",
        "hadoop.tmp.dir": f"{state_dir}/tmp",
        "hadoop.security.authentication": "simple",
    }


def hdfs_site(ports: Mapping[str, int], state_dir: str,
              network: Network = LOOPBACK) -> dict[str, object]:
    """One DataNode; no safe-mode wait, no permission checks (any user writes). Daemons
    listen on `network.bind` and are reached by their host names (loopback locally)."""
    bind, namenode, datanode = network.bind, network.host("namenode"), network.host("datanode")
    return {
        "dfs.replication": 1,
        "dfs.namenode.name.dir": f"file://{state_dir}/namenode",
        "dfs.datanode.data.dir": f"file://{state_dir}/datanode",
        "dfs.namenode.rpc-address": f"{namenode}:{ports['namenode rpc port']}",
        "dfs.namenode.http-address": f"{namenode}:{ports['namenode http port']}",
        "dfs.namenode.rpc-bind-host": bind,
        "dfs.namenode.http-bind-host": bind,
        "dfs.datanode.address": f"{bind}:{ports['datanode data port']}",
        "dfs.datanode.http.address": f"{bind}:{ports['datanode http port']}",
        "dfs.datanode.ipc.address": f"{bind}:{ports['datanode ipc port']}",
        # WebHDFS redirects clients to the DataNode by this name: loopback locally.
        "dfs.datanode.hostname": datanode,
        "dfs.client.use.datanode.hostname": True,
        "dfs.webhdfs.enabled": True,
        "dfs.permissions.enabled": False,
        "dfs.namenode.safemode.extension": 0,
        "dfs.namenode.safemode.min.datanodes": 0,
        "dfs.heartbeat.interval": 1,
        "dfs.namenode.heartbeat.recheck-interval": 10000,
        "dfs.blockreport.initialDelay": 0,
    }


LOG4J = {
    "log4j.rootLogger": "INFO, out",
    "log4j.appender.out": "org.apache.log4j.ConsoleAppender",
    "log4j.appender.out.layout": "org.apache.log4j.PatternLayout",
    "log4j.appender.out.layout.ConversionPattern": "%d{ISO8601} %p %c{2}: %m%n",
    "log4j.logger.org.apache.hadoop.util.NativeCodeLoader": "ERROR",
    # One line per file operation and block: a log nobody can read. Warnings still show.
    "log4j.logger.org.apache.hadoop.hdfs.server.namenode.FSNamesystem.audit": "WARN",
    "log4j.logger.org.apache.hadoop.hdfs.StateChange": "WARN",
    "log4j.logger.BlockStateChange": "WARN",
    "log4j.logger.org.apache.hadoop.hdfs.server.datanode.DataNode.clienttrace": "WARN",
    "log4j.logger.org.apache.hadoop.hdfs.server.datanode.webhdfs": "WARN",
}


def cluster_ready(jmx_url: str) -> bool:
    """True once a DataNode is live and the NameNode is out of safe mode."""
    body = net.get_json(f"{jmx_url}?qry={STATE_BEAN}")
    beans = body.get("beans") if isinstance(body, dict) else None
    if not beans:
        return False
    state = beans[0]
    return state.get("NumLiveDataNodes", 0) >= 1 and state.get("FSState") == "Operational"


class Hdfs(Engine[HdfsDetails]):
    """`--port` is the NameNode RPC port (the one in the hdfs:// URI); the rest are free."""

    name = "hdfs"
    daemons = ("namenode", "datanode")
    details_type = HdfsDetails
    start_timeout = 90.0
    well_known_ports: ClassVar[Mapping[str, int]] = dict(
        zip(PORT_NAMES, (8020, 9870, 9866, 9864, 9867), strict=True))
    service_hosts: ClassVar[Mapping[str, str]] = {"namenode": "namenode",
                                                  "datanode": "datanode"}

    def _configure(self, ports: Mapping[str, int]) -> None:
        state = str(self.state_dir)
        config.write_text(self.conf_dir / "core-site.xml",
                          config.render_hadoop_xml(core_site(ports, state, self.network)))
        config.write_text(self.conf_dir / "hdfs-site.xml",
                          config.render_hadoop_xml(hdfs_site(ports, state, self.network)))
        config.write_text(self.conf_dir / "log4j.properties", config.render_properties(LOG4J))

    def _java(self) -> list[str]:
        # The conf folder comes first, so our *-site.xml win over any on the jar classpath.
        classpath = ":".join([str(self.conf_dir), *jars.hadoop_classpath(self.env)])
        return [jars.java_executable(self.env), HEAP, jars.QUICK_START, *JDK17_OPENS,
                "-Djava.net.preferIPv4Stack=true", f"-Dhadoop.log.dir={self.state_dir / 'logs'}",
                "-cp", classpath]

    def _prepare(self, daemon: str, ports: Mapping[str, int]) -> None:
        if daemon == "namenode" and not (
                self.state_dir / "namenode" / "current" / "VERSION").exists():
            self._run_tool("formatting the NameNode",
                           [*self._java(), NAMENODE_MAIN, "-format", "-nonInteractive",
                            "-clusterId", new_cluster_id()], "format")

    def _command(self, daemon: str, ports: Mapping[str, int]) -> tuple[list[str], None]:
        main = NAMENODE_MAIN if daemon == "namenode" else DATANODE_MAIN
        return [*self._java(), main], None

    def _http(self, ports: Mapping[str, int]) -> str:
        return f"http://{self.network.host('namenode')}:{ports['namenode http port']}"

    def _probe(self, daemon: str, ports: Mapping[str, int]) -> bool:
        """The NameNode answers JMX; the DataNode is live at the NameNode, safe mode off."""
        jmx = f"{self._http(ports)}/jmx"
        if daemon == "namenode":
            return net.get_json(f"{jmx}?qry={STATE_BEAN}") is not None
        return cluster_ready(jmx)

    def _details(self, ports: Mapping[str, int]) -> HdfsDetails:
        http = self._http(ports)
        return HdfsDetails(uri=f"hdfs://{self.network.host('namenode')}:"
                               f"{ports['namenode rpc port']}",
                           webhdfs_url=http, namenode_ui_url=f"{http}/dfshealth.html")
