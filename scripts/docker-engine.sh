#!/usr/bin/env bash
# Make a Docker engine answer on this machine where it can, for the `docker` tests and the
# Compose stacks: install Debian's docker.io (and debootstrap) when missing, start dockerd when
# none answers, and build the base image from Debian's packages when it is missing
# (scripts/docker-base-image.sh). Needs root and apt for the installs; without them it says
# why and exits 0, so the `docker` tests then skip with that reason.
set -euo pipefail
cd "$(dirname "$0")/.."

LOG=.cache/docker-engine.log
mkdir -p .cache

say() { echo "docker-engine: $*"; }

answers() { docker info >/dev/null 2>&1; }

if ! answers; then
    if [ "$(id -u)" -ne 0 ]; then
        say "no Docker daemon answers and this is not root: not starting one"
        exit 0
    fi
    if ! command -v dockerd >/dev/null || ! command -v debootstrap >/dev/null; then
        if ! command -v apt-get >/dev/null; then
            say "no dockerd and no apt-get to install it: not starting one"
            exit 0
        fi
        say "installing Debian's docker.io and debootstrap"
        if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                docker.io debootstrap; } >"$LOG" 2>&1; then
            tail -n 20 "$LOG" >&2
            say "could not install docker.io: not starting a daemon"
            exit 0
        fi
    fi
    say "starting dockerd (log: .cache/dockerd.log)"
    # Its own session, so it outlives this script and a Ctrl-C in the calling terminal.
    setsid dockerd >.cache/dockerd.log 2>&1 </dev/null &
    for _ in $(seq 1 60); do
        answers && break
        sleep 1
    done
    if ! answers; then
        tail -n 20 .cache/dockerd.log >&2
        say "dockerd did not answer within 60 s"
        exit 0
    fi
fi

base=$(sed -n 's/^BASE_IMAGE=//p' .env)
if ! docker image inspect "${base:=debian:bookworm-slim}" >/dev/null 2>&1; then
    if [ "$base" = debian:bookworm-slim ] && [ "$(id -u)" -eq 0 ]; then
        scripts/docker-base-image.sh "$base"
    else
        say "the base image $base is missing; build it with scripts/docker-base-image.sh"
    fi
fi
