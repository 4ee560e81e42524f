"""Real engines on one machine, started and stopped by the project: Kafka (KRaft), HDFS and a
Spark standalone cluster, each from jars resolved by `scripts/setup.sh jvm`, no Docker.

`python -m services.infra {kafka|hdfs|spark} {start|stop|status}`; the pytest fixtures in
`tests/conftest.py` use the same engine classes.
"""
