"""cleanup_demo_data.py clears only the demo's folders inside the repo."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services import cleanup
from services.common.paths import REPO_ROOT


@pytest.fixture
def root(tmp_path: Path) -> Path:
    cleanup.recreate_skeleton(tmp_path)
    (tmp_path / "data/input/a.csv").write_text("x")
    (tmp_path / "data/output/analysis_csv").mkdir()
    (tmp_path / "data/output/analysis_csv/part-0.csv").write_text("x")
    (tmp_path / "hdfs/local-cluster").mkdir()
    (tmp_path / "checkpoints/stream").mkdir()
    (tmp_path / "spark-events/app-1").write_text("x")
    (tmp_path / "data/.engines/kafka").mkdir(parents=True)
    (tmp_path / "services").mkdir()
    (tmp_path / "services/keep.py").write_text("x")
    return tmp_path


def test_dry_run_lists_and_keeps_everything(root, capsys):
    assert cleanup.main(["--dry-run"], root=root) == 0
    out = capsys.readouterr().out
    assert "would remove data/input/a.csv" in out and "would remove 6 item(s)" in out
    assert (root / "data/input/a.csv").exists()


def test_clean_all_resets_the_skeleton_and_touches_nothing_else(root, capsys):
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir()
    (outside / "precious").write_text("x")
    (root / "data/output/link").symlink_to(outside)
    assert cleanup.main([], root=root) == 0
    for name in cleanup.SKELETON:
        assert sorted(p.name for p in (root / name).iterdir()) == [".gitkeep"]
    assert not (root / "data/.engines").exists() or not any((root / "data/.engines").iterdir())
    assert (root / "services/keep.py").exists()
    assert (outside / "precious").exists()


def test_targets_pick_folders(root):
    assert cleanup.main(["output", "checkpoints"], root=root) == 0
    assert (root / "data/input/a.csv").exists()
    assert not (root / "data/output/analysis_csv").exists()
    assert not (root / "checkpoints/stream").exists()


def test_refuses_unknown_targets_and_escaping_links(root, tmp_path_factory):
    with pytest.raises(cleanup.UsageError, match="unknown target '/etc'"):
        cleanup.main(["/etc"], root=root)
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (root / "checkpoints").rename(root / "checkpoints-old")
    (root / "checkpoints").symlink_to(elsewhere)
    with pytest.raises(cleanup.UsageError, match="leads outside"):
        cleanup.main(["checkpoints"], root=root)


def test_script_works_from_any_directory(tmp_path):
    done = subprocess.run([sys.executable, str(REPO_ROOT / "cleanup_demo_data.py"), "--dry-run"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"under {REPO_ROOT}" in done.stdout
    bad = subprocess.run([sys.executable, str(REPO_ROOT / "cleanup_demo_data.py"), "../.."],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown target" in bad.stderr
