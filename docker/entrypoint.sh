#!/bin/sh
# Entry point of every container. Containers run as the host user (HOST_UID in .env), who has
# no entry in the image's passwd file; the JVM (Hadoop's login, used by HDFS and Spark) refuses
# to run as a user without a name, so give it one through nss_wrapper.
set -eu
if ! getent passwd "$(id -u)" >/dev/null 2>&1; then
    NSS_WRAPPER_PASSWD=$(mktemp /tmp/passwd.XXXXXX)
    { cat /etc/passwd; echo "sdp:x:$(id -u):$(id -g):sdp:${HOME:-/tmp}:/bin/sh"; } \
        >"$NSS_WRAPPER_PASSWD"
    export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP=/etc/group LD_PRELOAD=libnss_wrapper.so
fi
exec "$@"
