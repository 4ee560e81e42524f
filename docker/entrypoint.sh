#!/bin/sh
# Entry point of every container. It starts as root, finds which of the image's data folders
# the Compose file bind-mounted from the host, and runs the service as the owner of the first
# one, so the files it writes there belong to whoever owns the clone (root included) with no
# setting. HOST_UID and HOST_GID (.env, empty by default) override that owner. A mounted
# folder that this user still cannot write ends the service with one `error:` line naming
# the folder, the user and the fix (exit 2). Without a mounted folder (Kafka, the Spark
# master) the service runs as uid and gid 1000.
#
# Started as another user already (`docker run --user`), it runs the service as that user.
# Either way the user gets a passwd entry if it has none: the JVM (Hadoop's login, used by
# HDFS and Spark) refuses to run as a user without a name.
set -eu

# The image's data folders: the folder in the container, the .env setting that names the
# host folder, and that host folder by default. The first mounted one gives the owner.
FOLDERS="/hdfs:HDFS_DIR:./hdfs
/opt/spark-data:DATA_DIR:./data
/opt/spark-data/input:DATA_DIR:./data/input
/opt/spark-data/output:DATA_DIR:./data/output
/opt/spark-checkpoints:CHECKPOINTS_DIR:./checkpoints
/opt/spark-events:SPARK_EVENTS_DIR:./spark-events"
DEFAULT_USER=1000:1000

say_error() {
    echo "error: $*" >&2
    exit 2
}

# "rw" or "ro" when $1 is a mount point of this container, nothing when it is not.
mount_mode() {
    awk -v dir="$1" '$5 == dir { split($6, options, ","); mode = options[1] }
                     END { if (mode != "") print mode }' /proc/self/mountinfo
}

# Give uid $1 and gid $2 names if they have none (the JVM looks the user up).
name_user() {
    if [ "$(id -u)" = 0 ]; then
        getent group "$2" >/dev/null || echo "host$2:x:$2:" >>/etc/group
        getent passwd "$1" >/dev/null \
            || echo "host$1:x:$1:$2:host user:${HOME:-/tmp}:/bin/sh" >>/etc/passwd
    elif ! getent passwd "$1" >/dev/null 2>&1; then
        NSS_WRAPPER_PASSWD=$(mktemp /tmp/passwd.XXXXXX)
        { cat /etc/passwd; echo "host$1:x:$1:$2:host user:${HOME:-/tmp}:/bin/sh"; } \
            >"$NSS_WRAPPER_PASSWD"
        export NSS_WRAPPER_PASSWD NSS_WRAPPER_GROUP=/etc/group LD_PRELOAD=libnss_wrapper.so
    fi
}

# Run "$@" as the chosen user (setpriv when this is root, else as is).
as_user() {
    if [ "$(id -u)" = 0 ]; then
        setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
    else
        "$@"
    fi
}

owner="" source="" writable=""
fix="set HOST_UID and HOST_GID in .env to its owner"
for entry in $FOLDERS; do
    mode=$(mount_mode "${entry%%:*}")
    [ -n "$mode" ] || continue
    if [ -z "$owner" ]; then
        owner=$(stat -c %u:%g "${entry%%:*}")
        setting=${entry#*:}
        source="the owner of ${setting%%:*}'s folder"
    fi
    [ "$mode" = rw ] && writable="$writable $entry"
done
if [ "$(id -u)" != 0 ]; then
    uid=$(id -u) gid=$(id -g) source="the user the container was started as"
    fix="start the container as its owner"
else
    uid=${owner%%:*} gid=${owner##*:}
    [ -n "$owner" ] || { uid=${DEFAULT_USER%%:*} gid=${DEFAULT_USER##*:}; }
    for value in "${HOST_UID-}" "${HOST_GID-}"; do
        case $value in
            *[!0-9]*) say_error "HOST_UID=${HOST_UID-} HOST_GID=${HOST_GID-} in .env: each must be a number, or empty for the owner of the mounted folders" ;;
        esac
    done
    if [ -n "${HOST_UID-}${HOST_GID-}" ]; then
        uid=${HOST_UID:-$uid} gid=${HOST_GID:-$gid} source="HOST_UID/HOST_GID in .env"
    fi
fi
name_user "$uid" "$gid"

for entry in $writable; do
    dir=${entry%%:*} rest=${entry#*:}
    setting=${rest%%:*} host=${rest#*:}
    # A real write, not access(2): only that sees read-only exports, root squash or SELinux.
    # shellcheck disable=SC2016  # $1 expands in the inner shell
    if ! as_user sh -c 'probe=$(mktemp "$1/.sdp-write-check.XXXXXX") && rm -f "$probe"' \
            sh "$dir" 2>/dev/null; then
        what="cannot write $dir, the folder $setting in .env names ($host by default), as uid $uid gid $gid ($source)"
        if [ "$(stat -c %u "$dir")" = "$uid" ]; then  # its owner: the mode is what stops it
            say_error "$what, which owns it: on the host, let its owner write it (chmod -R u+w $host)"
        fi
        say_error "$what: on the host, give that folder to this user (sudo chown -R $uid:$gid $host) or $fix"
    fi
done
if [ "$(id -u)" = 0 ]; then
    exec setpriv --reuid="$uid" --regid="$gid" --clear-groups -- "$@"
fi
exec "$@"
