#!/usr/bin/env bash
# One-shot job of the batch stack: wait until HDFS takes writes, create the platform's
# folders, and mirror the generated extracts of ./data/input into hdfs:///data/input.
set -euo pipefail

src=${LOCAL_INPUT_DIR:-/opt/spark-data/input}
wait_seconds=${HDFS_WAIT_SECONDS:-180}

ready() {
    hdfs dfsadmin -safemode get 2>/dev/null | grep -q 'Safe mode is OFF' &&
        hdfs dfsadmin -report -live 2>/dev/null | grep -Eq 'Live datanodes \([1-9]'
}

echo "hdfs-init: waiting for the NameNode to leave safe mode and a DataNode to register"
deadline=$((SECONDS + wait_seconds))
until ready; do
    if ((SECONDS >= deadline)); then
        echo "hdfs-init: HDFS was not ready within ${wait_seconds} s; see the namenode and" \
             "datanode logs" >&2
        exit 1
    fi
    sleep 3
done

hdfs dfs -mkdir -p /data/input /data/output /spark-events

# The extracts the batch job reads (extracts.py), directly in the folder; hidden names are
# files still being written.
mapfile -t extracts < <(find "$src" -maxdepth 1 -type f ! -name '.*' \
    \( -name '*.csv' -o -name '*.csv.gz' -o -name '*.jsonl' -o -name '*.jsonl.gz' \
       -o -name '*.json' -o -name '*.json.gz' \) | sort)
if ((${#extracts[@]} == 0)); then
    echo "hdfs-init: no extracts (*.csv, *.jsonl, optionally .gz) in ./data/input;" \
         "run the data-generator service first" >&2
    exit 1
fi

# Mirror, so extracts removed locally (generator --clear-output) leave HDFS too. `-put`
# writes each file under a ._COPYING_ name and renames it when complete.
hdfs dfs -rm -r -f -skipTrash '/data/input/*' >/dev/null
hdfs dfs -put -f "${extracts[@]}" /data/input/
echo "hdfs-init: uploaded ${#extracts[@]} extract(s) to hdfs:///data/input"
hdfs dfs -ls /data/input
