"""Spark Structured Streaming: windowed revenue from Kafka; settings from the environment,
see README.
The work is done by services.commands.streaming_job (`sdp-streaming-job` once installed)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run by path: find `services`
from services.commands import streaming_job

if __name__ == "__main__":
    sys.exit(streaming_job())
