"""The batch stack's HDFS loader when the generator wrote to HDFS itself (--allow-empty)."""

from __future__ import annotations

from services.common.cli import run
from services.hdfs_loader import main


def test_allow_empty_leaves_hdfs_alone_without_contacting_it(tmp_path, capsys):
    # The WebHDFS address is unreachable: success proves nothing was attempted.
    args = ["--source", str(tmp_path), "--webhdfs", "http://127.0.0.1:1", "--wait", "0"]
    assert run(main, [*args, "--allow-empty"]) == 0
    assert run(main, args) == 2
    assert "no extracts" in capsys.readouterr().err
