"""Load the extracts of a local folder into an HDFS folder (the batch stack's loader); see
--help.
The work is done by services.commands.load_hdfs (`sdp-load-hdfs` once installed)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # run by path: find `services`
from services.commands import load_hdfs

if __name__ == "__main__":
    sys.exit(load_hdfs())
