#!/usr/bin/env bash
# Run one HDFS daemon of the batch stack in the foreground:
#   start-hdfs.sh namenode   formats the NameNode's storage on its first start only
#   start-hdfs.sh datanode
# Storage is in the bind-mounted ./hdfs (see hdfs-site.xml), so it survives restarts.
set -euo pipefail

role=${1:-}
case $role in
    namenode) key=dfs.namenode.name.dir ;;
    datanode) key=dfs.datanode.data.dir ;;
    *) echo "usage: start-hdfs.sh namenode|datanode" >&2; exit 2 ;;
esac
dir=$(hdfs getconf -confKey "$key")
dir=${dir#file://}
parent=$(dirname "$dir")

# A host folder owned by another uid is not writable by the image's user; the image lets
# that user sudo, which is how it fixes its own /data volume too.
if [ ! -w "$parent" ] && ! sudo -n chmod o+rwx "$parent" 2>/dev/null; then
    echo "start-hdfs: $parent (./hdfs on the host) is not writable by uid $(id -u);" \
         "run 'chmod o+rwx hdfs' on the host" >&2
    exit 1
fi

if [ "$role" = namenode ] && [ ! -f "$dir/current/VERSION" ]; then
    echo "start-hdfs: first start, formatting the NameNode storage in $dir"
    # A fixed cluster id keeps the DataNode's storage valid if ./hdfs/namenode is wiped alone.
    hdfs namenode -format -force -nonInteractive -clusterid "${HDFS_CLUSTER_ID:-sdp-demo}"
fi
exec hdfs "$role"
