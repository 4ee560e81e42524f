"""Reset the demo's data folders, and nothing else.

Only the contents of the repo's own data/input, data/output, hdfs, checkpoints and
spark-events folders are removed, whatever the current directory; symlinks are removed, never
followed; the empty skeleton (with its .gitkeep files) is recreated.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from services.common.cli import ArgumentParser, UsageError, run
from services.common.paths import REPO_ROOT

TARGETS = {
    "input": "data/input",
    "output": "data/output",
    "engines": "data/.engines",
    "hdfs": "hdfs",
    "checkpoints": "checkpoints",
    "spark-events": "spark-events",
}
SKELETON = ("data/input", "data/output", "hdfs", "checkpoints", "spark-events")
KEEP = ".gitkeep"


def folder(root: Path, target: str) -> Path:
    """The folder for a target name, checked to lie inside `root` (no symlink escapes)."""
    if target not in TARGETS:
        raise UsageError(f"unknown target {target!r}; accepted: {', '.join(TARGETS)} or all")
    path = root / TARGETS[target]
    if path.is_symlink() or (path.exists() and not path.resolve().is_relative_to(root.resolve())):
        raise UsageError(f"refusing to clean {path}: it leads outside {root}")
    return path


def entries(root: Path, targets: Sequence[str]) -> list[Path]:
    """What a clean would remove, in order."""
    found = []
    for target in targets:
        path = folder(root, target)
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.name != KEEP)
    return found


def remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path)


def recreate_skeleton(root: Path) -> None:
    for name in SKELETON:
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / KEEP).touch()
    (root / "data" / KEEP).touch()


def clean(root: Path, targets: Sequence[str], dry_run: bool) -> list[Path]:
    doomed = entries(root, targets)
    if not dry_run:
        for path in doomed:
            remove(path)
        recreate_skeleton(root)
    return doomed


def main(argv: Sequence[str] | None = None, root: Path = REPO_ROOT) -> int:
    parser = ArgumentParser(prog="cleanup_demo_data.py", description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", default=["all"],
                        help=f"what to clear: {', '.join(TARGETS)} or all (default)")
    parser.add_argument("--dry-run", action="store_true", help="list what would be removed")
    args = parser.parse_args(argv)
    targets = list(TARGETS) if "all" in args.targets else args.targets
    doomed = clean(root, targets, args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    for path in doomed:
        print(f"{verb} {path.relative_to(root)}")
    print(f"{verb} {len(doomed)} item(s) under {root}" + ("" if args.dry_run else
                                                           "; skeleton recreated"))
    return 0


if __name__ == "__main__":
    sys.exit(run(main))
