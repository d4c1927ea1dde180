#!/usr/bin/env python3
"""Set up the workbook in .venv and run it: the two commands of the README's quick start.

    python3 bootstrap.py lab     # install (first time only) and open JupyterLab at the start notebook
    python3 bootstrap.py test    # install with the test extras and run the whole test suite

Only the Python 3 standard library is used here, so this works on a fresh machine.  The
environment is rebuilt only when pyproject.toml changes.  Anything after ``test`` is passed to
pytest (e.g. ``python3 bootstrap.py test -k claims``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
START_NOTEBOOK = "notebooks/00_start_here.ipynb"
EXTRAS = {"lab": "", "test": "[test]"}


def say(message: str) -> None:
    print(f"[bootstrap] {message}", flush=True)


def run(*args: str | Path, **kwargs) -> None:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, **kwargs)
    if result.returncode != 0:
        sys.exit(f"[bootstrap] failed: {' '.join(map(str, args))} (exit {result.returncode})")


def ensure_environment(mode: str) -> None:
    """Create .venv and install the workbook (editable) with the extras ``mode`` needs."""
    if sys.version_info < (3, 10):
        sys.exit(f"[bootstrap] Python 3.10 or newer is needed; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        say("creating .venv (first run only)")
        venv.EnvBuilder(with_pip=True).create(VENV)
    extras = EXTRAS[mode]
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed{extras or '[core]'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"installing alliance-workbook{extras} and its dependencies into .venv (about a minute)")
    run(PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", f".{extras}")
    stamp.write_text(digest)


def hide_grading_menus() -> None:
    """nbgrader (installed by the test extras) adds instructor menus to JupyterLab: hide them from students."""
    if (VENV / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader").exists():
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        run(BIN / "jupyter", "labextension", "disable", "--level=sys_prefix", "@jupyter/nbgrader", **quiet)
        run(BIN / "jupyter", "server", "extension", "disable", "--sys-prefix", "nbgrader", **quiet)


def lab(args: list[str]) -> None:
    ensure_environment("lab")
    hide_grading_menus()
    command = [BIN / "jupyter", "lab", START_NOTEBOOK, *args]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses to run as root without it
    say("opening JupyterLab; press Ctrl+C twice in this window to stop it")
    run(*command)


def test(args: list[str]) -> None:
    ensure_environment("test")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    run(PYTHON, "-m", "pytest", *args, env=env)


def main(argv: list[str]) -> None:
    commands = {"lab": lab, "test": test}
    if not argv or argv[0] not in commands:
        sys.exit(__doc__)
    commands[argv[0]](argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
