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

for step in "$@"; do
    "step_${step}"
done
