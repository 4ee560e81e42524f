"""HDFS on one machine: a NameNode and a DataNode (replication 1, WebHDFS on, permissions off).

The NameNode is formatted once; its metadata and the DataNode's blocks stay in the state
folder across restarts. Ready means the DataNode has registered and safe mode is off.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from services.infra import config, jars, net
from services.infra.engine import Details, Engine

DEFAULT_STATE_DIR = jars.REPO / "hdfs" / "local-cluster"
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


def core_site(ports: dict[str, int], state_dir: str) -> dict[str, object]:
    return {
        "fs.defaultFS": f"hdfs://{net.HOST}:{ports['namenode rpc port']}",
        "hadoop.tmp.dir": f"{state_dir}/tmp",
        "hadoop.security.authentication": "simple",
    }


def hdfs_site(ports: dict[str, int], state_dir: str) -> dict[str, object]:
    """One DataNode on loopback; no safe-mode wait, no permission checks (any user writes)."""
    host = net.HOST
    return {
        "dfs.replication": 1,
        "dfs.namenode.name.dir": f"file://{state_dir}/namenode",
        "dfs.datanode.data.dir": f"file://{state_dir}/datanode",
        "dfs.namenode.rpc-address": f"{host}:{ports['namenode rpc port']}",
        "dfs.namenode.http-address": f"{host}:{ports['namenode http port']}",
        "dfs.datanode.address": f"{host}:{ports['datanode data port']}",
        "dfs.datanode.http.address": f"{host}:{ports['datanode http port']}",
        "dfs.datanode.ipc.address": f"{host}:{ports['datanode ipc port']}",
        # WebHDFS redirects clients to the DataNode by this name; it must be loopback too.
        "dfs.datanode.hostname": host,
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

    def _launch(self) -> HdfsDetails:
        ports = self._ports(PORT_NAMES[0], PORT_NAMES[1:])
        state = str(self.state_dir)
        config.write_text(self.conf_dir / "core-site.xml",
                          config.render_hadoop_xml(core_site(ports, state)))
        config.write_text(self.conf_dir / "hdfs-site.xml",
                          config.render_hadoop_xml(hdfs_site(ports, state)))
        config.write_text(self.conf_dir / "log4j.properties", config.render_properties(LOG4J))
        # The conf folder comes first, so our *-site.xml win over any on the jar classpath.
        classpath = ":".join([str(self.conf_dir), *jars.hadoop_classpath(self.env)])
        java = [jars.java_executable(self.env), HEAP, jars.QUICK_START, *JDK17_OPENS,
                "-Djava.net.preferIPv4Stack=true", f"-Dhadoop.log.dir={self.state_dir / 'logs'}",
                "-cp", classpath]
        if not (self.state_dir / "namenode" / "current" / "VERSION").exists():
            self._run_tool("formatting the NameNode",
                           [*java, NAMENODE_MAIN, "-format", "-nonInteractive", "-clusterId",
                            f"local-{secrets.token_hex(4)}"], "format")
        self._spawn("namenode", [*java, NAMENODE_MAIN])
        self._spawn("datanode", [*java, DATANODE_MAIN])
        http = f"http://{net.HOST}:{ports['namenode http port']}"
        self._wait_for("a live DataNode and safe mode off", lambda: cluster_ready(f"{http}/jmx"))
        return HdfsDetails(uri=f"hdfs://{net.HOST}:{ports['namenode rpc port']}",
                           webhdfs_url=http, namenode_ui_url=f"{http}/dfshealth.html")
