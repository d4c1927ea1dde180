#!/usr/bin/env python3
"""Set up the workbook in .venv and run it.

    python3 bootstrap.py lab                 # students: install (first time only), open JupyterLab
    python3 bootstrap.py test                # install with the test tools, run the whole test suite
    python3 bootstrap.py instructor [DIR]    # instructors: install nbgrader, make (or open) a
                                             # private course folder DIR with Formgrader

Only the Python 3 standard library is used here, so this works on a fresh machine. Packages are
installed with uv (fetched first with pip) when it can be had, else with pip, from pyproject.toml
pinned by constraints.txt. The environment is rebuilt only when either file changes. Anything after
``test`` is passed to pytest (e.g. ``python3 bootstrap.py test -k claims``); anything after ``lab``
to JupyterLab.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
CONSTRAINTS = ROOT / "constraints.txt"
START_NOTEBOOK = "notebooks/00_start_here.ipynb"
DEFAULT_COURSE = Path("~/alliance-workbook-course")
EXTRAS = {"lab": "", "test": "[test]", "instructor": "[instructor]"}
#: nbgrader's JupyterLab parts, hidden when a student opens the workbook (instructors keep them).
NBGRADER_SERVER_EXTENSIONS = ("formgrader", "validate_assignment", "assignment_list", "course_list")


def say(message: str) -> None:
    print(f"[bootstrap] {message}", flush=True)


def run(*args: str | Path, **kwargs) -> None:
    result = subprocess.run([str(a) for a in args], cwd=kwargs.pop("cwd", ROOT), **kwargs)
    if result.returncode != 0:
        sys.exit(f"[bootstrap] failed: {' '.join(map(str, args))} (exit {result.returncode})")


def install_quietly(command: list[str]) -> None:
    """Run the installer with one progress line instead of a line per package; all of it on failure."""
    process = subprocess.Popen(
        [str(c) for c in command],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )
    lines, packages, live = [], 0, sys.stdout.isatty()
    for line in process.stdout:
        lines.append(line)
        if line.lstrip().startswith(("+ ", "Collecting ", "Downloading ", "Building ")):
            packages += line.lstrip().startswith(("+ ", "Collecting "))
            if live:
                print(f"\r[bootstrap] installing: {packages} packages so far", end="", flush=True)
    process.wait()
    if live:
        print()
    if process.returncode != 0:
        sys.stdout.write("".join(lines[-60:]))
        sys.exit(f"[bootstrap] failed: {' '.join(map(str, command))} (exit {process.returncode})")
    say(f"{packages} packages installed or updated")


def _quiet(*command: str | Path) -> bool:
    return (
        subprocess.run(
            [str(c) for c in command], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ).returncode
        == 0
    )


def _installer() -> list[str]:
    """uv (much faster) when it can be put into .venv; else pip itself.

    The venv is made without pip (ensurepip alone can take 15 s): the system's pip installs uv into
    it (``pip --python``); without a system pip, ensurepip runs after all.
    """
    uv = BIN / ("uv.exe" if os.name == "nt" else "uv")
    has_pip = _quiet(PYTHON, "-m", "pip", "--version")
    if not uv.exists() and not has_pip:
        if not _quiet(sys.executable, "-m", "pip", "--python", PYTHON, "install", "--quiet", "uv"):
            has_pip = _quiet(PYTHON, "-m", "ensurepip", "--upgrade")
    if not uv.exists() and has_pip and not _quiet(PYTHON, "-m", "pip", "install", "--quiet", "uv"):
        say("uv could not be installed; using pip (slower)")
    if uv.exists():
        return [str(uv), "pip", "install", "--python", str(PYTHON)]
    if not has_pip:
        sys.exit("[bootstrap] neither uv nor pip could be installed into .venv: check the network.")
    return [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "on"]


def compile_bytecode() -> None:
    """Compile the installed packages' bytecode once, as pip does (uv leaves it to first import).

    The tests run with PYTHONDONTWRITEBYTECODE, so without it every process (pytest, each worker,
    kernel and ``workbook`` subprocess) compiled pandas, Altair, nbgrader... from source again: 7.6 s
    of a 21 s test collection (benchmarks/RESULTS.md). Files meant for other Pythons are skipped.
    """
    code = "import compileall, sysconfig; compileall.compile_dir(sysconfig.get_paths()['purelib'], quiet=2, workers=0)"
    _quiet(PYTHON, "-c", code)


def ensure_environment(mode: str) -> None:
    """Create .venv and install the workbook (editable) with the extras ``mode`` needs."""
    if sys.version_info < (3, 10):  # noqa: UP036 - bootstrap runs on whatever python3 the machine has
        sys.exit(f"[bootstrap] Python 3.10 or newer is needed; this is {sys.version.split()[0]}.")
    if not PYTHON.exists():
        say("creating .venv (first run only)")
        venv.EnvBuilder(with_pip=False).create(VENV)
    extras = EXTRAS[mode]
    unpinned = os.environ.get("WORKBOOK_UNPINNED") == "1"  # test against the newest releases
    pins = b"unpinned" if unpinned else (CONSTRAINTS.read_bytes() if CONSTRAINTS.exists() else b"")
    # "bytecode": venvs made before installs compiled their bytecode are redone once.
    recipe = (ROOT / "pyproject.toml").read_bytes() + pins + extras.encode() + b"bytecode"
    digest = hashlib.sha256(recipe).hexdigest()
    stamp = VENV / f".installed{extras or '[core]'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(
        f"installing alliance-workbook{extras} and its dependencies into .venv "
        "(the first time takes a minute or two; progress follows)"
    )
    started = time.monotonic()
    if unpinned:
        pinned = ["--upgrade"]
        say("WORKBOOK_UNPINNED=1: ignoring constraints.txt, installing the newest releases")
    else:
        pinned = ["-c", str(CONSTRAINTS)] if CONSTRAINTS.exists() else []
    installer = _installer()
    also = ["pip"] if "uv" in Path(installer[0]).name else []  # keep `.venv/bin/pip` for users
    install_quietly([*installer, *pinned, "-e", f".{extras}", *also])
    compile_bytecode()
    stamp.write_text(digest)
    say(f"installed in {time.monotonic() - started:.0f} s")


def student_config() -> Path:
    """A Jupyter config folder that hides nbgrader's menus and server extensions from students.

    It is put first on JUPYTER_CONFIG_PATH only when a student opens the workbook, so the same
    .venv still gives an instructor Formgrader (``bootstrap.py instructor``).
    """
    folder = VENV / "etc" / "workbook-student"
    (folder / "labconfig").mkdir(parents=True, exist_ok=True)
    (folder / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyter/nbgrader": True}}, indent=1)
    )
    extensions = {f"nbgrader.server_extensions.{name}": False for name in NBGRADER_SERVER_EXTENSIONS}
    (folder / "jupyter_server_config.json").write_text(
        json.dumps({"ServerApp": {"jpserver_extensions": extensions}}, indent=1)
    )
    return folder


def open_lab(arguments: list, env: dict | None = None, cwd: Path = ROOT) -> None:
    """Run JupyterLab until it is stopped; Ctrl+C stops it cleanly, without a traceback."""
    command = [str(BIN / "jupyter"), "lab", *map(str, arguments)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # JupyterLab refuses to run as root without it
    say("opening JupyterLab; press Ctrl+C in this window to stop it")
    process = subprocess.Popen(command, cwd=cwd, env=env)
    try:
        process.wait()
    except KeyboardInterrupt:
        say("stopping JupyterLab (your notebooks are saved as you last saved them)")
        try:
            process.send_signal(signal.SIGINT)  # JupyterLab asks for a second Ctrl+C: send it
            process.wait(timeout=10)
        except (KeyboardInterrupt, subprocess.TimeoutExpired):
            process.terminate()
            process.wait()
        say("stopped")


def setup_kernels() -> None:
    """Every kernel of .venv loads the workbook, and Lab opens without pop-ups (``workbook setup``)."""
    config = VENV / "etc" / "ipython" / "ipython_kernel_config.json"
    settings = VENV / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    try:
        if "workbook.kernel" in config.read_text() and "enableKernelInitNotification" in settings.read_text():
            return
    except OSError:
        pass
    if not _quiet(BIN / ("workbook.exe" if os.name == "nt" else "workbook"), "setup"):
        say("could not set up the kernels to load the workbook; each notebook's first cell does it")


def lab(args: list[str]) -> None:
    ensure_environment("lab")
    setup_kernels()
    env = dict(os.environ)
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        p for p in (str(student_config()), env.get("JUPYTER_CONFIG_PATH", "")) if p
    )
    open_lab([START_NOTEBOOK, *args], env=env)


def test(args: list[str]) -> None:
    """Run every tier of pytest; on both cores (one worker per test file) unless the arguments choose.

    ``-m ""`` undoes pyproject's default selection (the fast tier); a ``-m`` among ``args`` comes
    later and wins.
    """
    ensure_environment("test")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    chosen = any(a.startswith(("-n", "--numprocesses")) or a == "no:xdist" for a in args)
    workers = [] if chosen else ["-n", "2", "--dist", "loadfile"]
    run(PYTHON, "-m", "pytest", "-m", "", *workers, *args, env=env)


def instructor(args: list[str]) -> None:
    """Install nbgrader, make the private course folder if it is new, and open it with Formgrader."""
    ensure_environment("instructor")
    course = Path(args[0] if args else DEFAULT_COURSE).expanduser().absolute()
    if not (course / "nbgrader_config.py").is_file():
        run(BIN / "workbook", "course", "init", course)
    # Formgrader runs `alembic` (and kernels) by name: this environment's tools come first on PATH,
    # or a fresh course's gradebook cannot be made (HTTP 500) until a `workbook` command made it.
    env = dict(os.environ, PATH=os.pathsep.join(p for p in (str(BIN), os.environ.get("PATH", "")) if p))
    open_lab([*args[1:]], env=env, cwd=course)


def main(argv: list[str]) -> None:
    commands = {"lab": lab, "test": test, "instructor": instructor}
    if not argv or argv[0] not in commands:
        sys.exit(__doc__)
    try:
        commands[argv[0]](argv[1:])
    except KeyboardInterrupt:
        sys.exit("[bootstrap] interrupted")


if __name__ == "__main__":
    main(sys.argv[1:])
