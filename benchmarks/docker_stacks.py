"""The Docker way, timed: image builds, and each stack from `up` to its first result.

Prints the build of the one image (cold with --cold: no layer cache; else cached), a rebuild
after a change to one file under services/ (from a copy of the repository), the image size,
then for the batch stack the time from `docker compose up` to KPIs on the dashboard, and for
the streaming stack the time from `up` to the first closed window on its dashboard. Each
stack runs in a Compose project of its own with free ports and temporary folders (the
tests' helper), so a running demo is left alone. Needs a Docker daemon and the base image
(scripts/docker-engine.sh).

    .venv/bin/python benchmarks/docker_stacks.py [--cold] [--rows 100000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.infra import net  # noqa: E402
from tests.docker.stacks import FILES, IMAGE, compose_cli, stack_settings  # noqa: E402
from tests.polling import poll  # noqa: E402


def build(context: Path, *extra: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(["docker", "build", "-q", *extra, "-f", "docker/Dockerfile", "-t",
                           IMAGE, "."], cwd=context, capture_output=True, text=True,
                          check=False, env={**os.environ, "DOCKER_BUILDKIT": "0"})
    if done.returncode != 0:
        raise SystemExit(f"docker build failed:\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def rebuild_after_a_code_change(scratch: Path) -> float:
    copy = scratch / "repo"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        if (REPO / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, copy / name)
    with (copy / "services/outputs.py").open("a") as handle:
        handle.write(f"\n# benchmark change {time.time()}\n")
    seconds = build(copy)
    build(REPO)  # the image as the repository has it again
    return seconds


def time_stack(kind: str, target: str, url_variable: str, path: str, ready,
               scratch: Path, **overrides: str) -> tuple[float, float]:
    """Seconds from `up` to healthy, and from `up` to the first result."""
    root = scratch / kind
    settings = stack_settings(root, **overrides)
    env_file = root / "stack.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
    compose = ["docker", "compose", "-p", settings["COMPOSE_PROJECT_NAME"], "-f", FILES[kind],
               "--env-file", str(env_file)]
    started = time.perf_counter()
    try:
        subprocess.run([*compose, "up", "-d", "--wait", target], cwd=REPO, check=True,
                       capture_output=True)
        healthy = time.perf_counter() - started
        url = f"http://127.0.0.1:{settings[url_variable]}{path}"
        poll(f"the first result at {url}", lambda: net.get_json(url),
             until=lambda body: body is not None and ready(body), timeout=600, interval=0.5)
        return healthy, time.perf_counter() - started
    finally:
        subprocess.run([*compose, "down", "--volumes", "--timeout", "30"], cwd=REPO,
                       capture_output=True, check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="build without the layer cache")
    parser.add_argument("--rows", type=int, default=100_000, help="batch stack rows")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sdp-bench-") as tmp, compose_cli(Path(tmp)):
        scratch = Path(tmp)
        kind = "cold" if args.cold else "cached"
        seconds = build(REPO, *(["--no-cache"] if args.cold else []))
        print(f"image build ({kind}):          {seconds:7.1f} s")
        print(f"rebuild after a code change:   {rebuild_after_a_code_change(scratch):7.1f} s")
        size = subprocess.run(["docker", "image", "inspect", "-f", "{{.Size}}", IMAGE],
                              capture_output=True, text=True, check=True).stdout
        print(f"image size:                    {int(size) / 1e9:7.2f} GB")
        healthy, first = time_stack(
            "batch", "dashboard", "DASHBOARD_PORT", "/api/kpis",
            lambda body: body.get("status") == "ok", scratch, ROWS=str(args.rows))
        print(f"batch stack, {args.rows:,} rows: up -> healthy {healthy:.1f} s, "
              f"up -> KPIs {first:.1f} s")
        healthy, first = time_stack(
            "streaming", "streaming-dashboard", "STREAMING_DASHBOARD_PORT", "/api/windows",
            lambda body: (body.get("data") or {}).get("closed_windows"), scratch)
        print(f"streaming stack: up -> healthy {healthy:.1f} s, "
              f"up -> first closed window {first:.1f} s")


if __name__ == "__main__":
    main()
