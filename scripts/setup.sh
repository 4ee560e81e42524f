#!/usr/bin/env bash
# Idempotent set-up steps called by the Makefile; each says one line when it does work.
set -euo pipefail
cd "$(dirname "$0")/.."

LOG=.cache/setup.log
mkdir -p .cache

# Run a command quietly; on failure show its output and stop.
quietly() {
    if ! "$@" >"$LOG" 2>&1; then
        echo "setup: failed: $*" >&2
        tail -n 40 "$LOG" >&2
        exit 1
    fi
}

step_python() {
    if [ ! -x .venv/bin/python ]; then
        echo "setup: creating .venv"
        quietly python3 -m venv .venv
    fi
    echo "setup: installing Python packages into .venv"
    quietly .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip
    quietly .venv/bin/python -m pip install --disable-pip-version-check -e ".[dev]"
}

# A distribution that only runs unpacked (the schema registry's zip): unpack it in place, once
# (the set is fetched again only when its pom changes), and drop the zip.
unpack_zips() {
    local zip
    for zip in "$1"/*.zip; do
        [ -e "$zip" ] || continue
        quietly python3 -m zipfile -e "$zip" "$1"
        rm -f "$zip"
    done
}

# Resolve each jar set jvm/<set>/pom.xml into .cache/jvm/<set> (zips unpacked). A set is fetched
# again only when its pom changes (the pom's checksum is kept beside the jars), and skipped when the user points
# KAFKA_HOME, HADOOP_HOME or SPARK_KAFKA_JAR_DIR at an install of their own.
step_jvm() {
    local pom set dest sum own
    for pom in jvm/*/pom.xml; do
        set=$(basename "$(dirname "$pom")")
        dest=.cache/jvm/$set
        case $set in
            kafka) own=${KAFKA_HOME:-} ;;
            hadoop) own=${HADOOP_HOME:-} ;;
            spark-kafka) own=${SPARK_KAFKA_JAR_DIR:-} ;;
            *) own= ;;
        esac
        sum=$(sha256sum "$pom" | cut -d' ' -f1)
        if [ -n "$own" ] && [ -d "$own" ] || [ "$(cat "$dest/.pom.sha256" 2>/dev/null)" = "$sum" ]; then
            continue
        fi
        if ! command -v mvn >/dev/null; then
            echo "setup: Maven (mvn) is needed to fetch the $set jars; install it (apt-get install maven)" >&2
            exit 1
        fi
        echo "setup: fetching $set jars from Maven Central into $dest"
        rm -rf "$dest" "$dest.partial"
        quietly mvn -B -q -f "$pom" dependency:copy-dependencies -DoutputDirectory="$PWD/$dest.partial"
        unpack_zips "$dest.partial"
        echo "$sum" >"$dest.partial/.pom.sha256"
        mv "$dest.partial" "$dest"
    done
}

# Chart.js for the dashboards, from package-lock.json into node_modules/ (served by the apps,
# never from a CDN). Reinstalled only when node_modules is missing or older than the lock file.
step_node() {
    if [ -f node_modules/.package-lock.json ] && [ ! package-lock.json -nt node_modules/.package-lock.json ]; then
        return
    fi
    if ! command -v npm >/dev/null; then
        echo "setup: Node.js and npm are needed to install Chart.js; install them (apt-get install nodejs npm)" >&2
        exit 1
    fi
    echo "setup: installing Chart.js into node_modules (npm ci)"
    quietly npm ci --no-audit --no-fund --loglevel=error
}

# Debian's Chromium for the browser tests (Playwright's own browser download does not work here).
step_chromium() {
    if [ -x /usr/bin/chromium ]; then
        return
    fi
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "setup: installing Debian's chromium for the browser tests"
    quietly $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
    quietly $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium
}

for step in "$@"; do
    "step_${step}"
done
