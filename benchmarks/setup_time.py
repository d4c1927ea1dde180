"""Fresh setup to a ready JupyterLab: the old bootstrap (venv + pip) against today's (uv), cold caches.

Each run copies the project into a new temporary folder, gives the installer an empty package cache
(and no machine-wide pip configuration, as on a student's laptop), runs ``bootstrap.py lab`` there
with JupyterLab told to stay on 127.0.0.1 without a browser, and stops the clock when
``/api/status`` answers. The two paths alternate (old, new, new, old ...) so drift cancels; the
ratio is the median of the per-pair ratios. Results go to their own section of RESULTS.md.

    .venv/bin/python benchmarks/setup_time.py [--runs 2]
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
#: The bootstrap before uv: pip install --quiet into a new venv.
OLD_BOOTSTRAP = "50b8e42"
PARTS = ("src", "data", "notebooks", "pyproject.toml", "README.md", "LICENSE", "constraints.txt")
LIMIT = 900  # seconds one setup may take before it counts as failed


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def project_copy(folder: Path, old: bool) -> None:
    for part in PARTS:
        src = ROOT / part
        if src.is_dir():
            shutil.copytree(src, folder / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, folder / part)
    if old:
        text = subprocess.run(["git", "show", f"{OLD_BOOTSTRAP}:bootstrap.py"], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout
        (folder / "bootstrap.py").write_text(text)
    else:
        shutil.copy2(ROOT / "bootstrap.py", folder / "bootstrap.py")


def one_setup(old: bool, scratch: Path) -> float:
    folder = Path(tempfile.mkdtemp(dir=scratch, prefix="old-" if old else "new-"))
    project_copy(folder, old)
    port, token = free_port(), secrets.token_hex(8)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_", "VIRTUAL_ENV"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_CACHE_DIR=str(folder / "pip-cache"),
               UV_CACHE_DIR=str(folder / "uv-cache"), HOME=str(folder / "home"),
               JUPYTER_CONFIG_DIR=str(folder / "home/.jupyter"), JUPYTER_DATA_DIR=str(folder / "home/.jd"),
               JUPYTER_RUNTIME_DIR=str(folder / "home/.jr"), IPYTHONDIR=str(folder / "home/.ipython"))
    command = [sys.executable, "bootstrap.py", "lab", "--no-browser", f"--ServerApp.port={port}",
               "--ServerApp.ip=127.0.0.1", f"--ServerApp.token={token}", "--ServerApp.open_browser=False"]
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while time.monotonic() - started < LIMIT:
            if process.poll() is not None:
                raise RuntimeError(f"bootstrap exited with {process.returncode} in {folder}")
            try:
                url = f"http://127.0.0.1:{port}/api/status?token={token}"
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return time.monotonic() - started
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"no JupyterLab after {LIMIT} s")
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2, help="pairs of setups (default 2)")
    parser.add_argument("--no-write", action="store_true", help="print instead of writing RESULTS.md")
    args = parser.parse_args(argv)
    old_times, new_times, ratios = [], [], []
    with tempfile.TemporaryDirectory(prefix="wb-setup-") as scratch:
        for run in range(args.runs):
            order = (True, False) if run % 2 == 0 else (False, True)
            pair = {}
            for old in order:
                pair[old] = one_setup(old, Path(scratch))
                print(f"run {run + 1}: {'pip (old)' if old else 'uv (new)'} {pair[old]:.1f} s", flush=True)
            old_times.append(pair[True])
            new_times.append(pair[False])
            ratios.append(pair[False] / pair[True])
    ratio = statistics.median(ratios)
    text = "\n".join([
        f"Measured by `benchmarks/setup_time.py` on {time.strftime('%Y-%m-%d %H:%M')}, {args.runs} pair(s), "
        "empty package caches, no machine-wide pip configuration, downloads from the package index.",
        "Clock: from `python3 bootstrap.py lab` in a fresh copy of the project to JupyterLab answering "
        "`/api/status`. Target: new ≤ 0.5× old.",
        "",
        "| setup | median (s) | runs (s) |",
        "|---|---:|---|",
        f"| old: venv + `pip install --quiet -e .` | {statistics.median(old_times):.1f} | "
        + ", ".join(f"{t:.1f}" for t in old_times) + " |",
        f"| new: venv + uv (`pip install uv`, then `uv pip install -c constraints.txt -e .`) | "
        f"{statistics.median(new_times):.1f} | " + ", ".join(f"{t:.1f}" for t in new_times) + " |",
        f"| **ratio new/old** | **{ratio:.2f}×** | {'meets' if ratio <= 0.5 else 'misses'} the 0.5× target |",
    ])
    if args.no_write:
        print(text)
    else:
        write_section("setup", "Fresh setup to a ready JupyterLab", text)
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
