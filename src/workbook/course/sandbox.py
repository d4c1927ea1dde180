"""The grading sandbox: run one submission's code where it can touch nothing but itself.

Each run is a bubblewrap (``bwrap``) container with no network, its own process, IPC and host-name
namespaces, a fresh ``/proc`` and ``/dev``, and a read-only view of only what Python needs (the
system's ``/usr``, this Python, its installed packages, the workbook package and its data). The
submission's files are copied into a small private tmpfs; nothing on the host is writable. Inside,
:mod:`workbook.course.sandbox_runner` starts the kernel and runs the cells, and the graders' tests run
in a separate Python on the values the kernel computed (:mod:`workbook.course.judge`); only JSON
comes back on a pipe, and :func:`run` checks it before anyone uses it.

As root, bwrap sets the container up and ``setpriv`` then drops to an unprivileged uid of its own
(one per parallel slot, so limits on processes are per submission), with no capabilities and
``no_new_privs``; a second, unprivileged bwrap forbids new user namespaces. As another user, bwrap
runs in a user namespace with ``--unshare-all --disable-userns``. Limits: ``prlimit`` (CPU seconds,
address space, processes, file size, no core files), tmpfs sizes, the per-cell and per-submission
wall clock, and a cap on what may come back; as root where cgroups are writable, also one cap on
memory, CPU and processes for all of a submission's processes together (:mod:`workbook.course.cgroup`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
from functools import cache
from pathlib import Path, PurePosixPath

from . import cgroup, timeline

#: The program the sandbox runs, started as a file so that it imports nothing of the workbook (whose
#: package imports pandas): only the standard library and pyzmq.
RUNNER = str(Path(__file__).resolve().with_name("sandbox_runner.py"))
#: Where the submission's files are, inside the sandbox (the kernel's working folder).
WORKDIR = "/submission"
#: Base of the uids used as root; slot k runs as BASE + offset + k (no account needed).
UID_BASE = 1_800_000_000


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one submission may use. Defaults suit the workbook's exercises (pandas, no charts)."""

    cell_seconds: float = 60  # wall clock per cell: then interrupted (CellTimeoutError)
    notebook_seconds: float = 600  # wall clock for the whole submission: then stopped
    cpu_seconds: int = 600  # CPU seconds per process (RLIMIT_CPU)
    memory_mb: int = 3072  # address space per process (RLIMIT_AS)
    processes: int = 256  # processes and threads of the submission (RLIMIT_NPROC; its cgroup's pids.max)
    total_memory_mb: int = 2048  # memory of all its processes together (its cgroup, as root; no swap)
    cores: float = 1.0  # CPU cores all its processes together may keep busy (its cgroup, as root)
    file_mb: int = 64  # largest file it may write (RLIMIT_FSIZE)
    disk_mb: int = 128  # its working folder and /tmp together (tmpfs sizes)
    output_chars: int = 100_000  # output kept per cell; the rest is cut with a note
    result_mb: int = 64  # everything it may send back
    files: int = 200  # files of the submission copied in
    files_mb: int = 50  # and their total size


def caps(limits: Limits) -> str:
    """One line for the grading output: which limits hold, per submission or only per process."""
    per_process = (
        f"{limits.memory_mb} MB of address space and {limits.cpu_seconds} CPU seconds per process, "
        f"{limits.processes} processes"
    )
    tree = cgroup.tree_or_reason()
    if isinstance(tree, cgroup.Tree):
        return (
            f"Limits per submission, all its processes together: {limits.total_memory_mb} MB of memory, "
            f"{limits.cores:g} CPU core(s), {limits.processes} processes (a cgroup v{tree.version} each); "
            f"and {per_process}."
        )
    return (
        f"Limits per process only ({per_process}): no cap on a submission's processes together, "
        f"because {tree}. Grade as root on a machine with cgroups for one cap per submission."
    )


class Unavailable(RuntimeError):
    """The sandbox cannot run on this machine; the message says why and how to fix it."""


@dataclasses.dataclass
class Outcome:
    """What came back from one run, checked: per cell index, its execution count and outputs."""

    cells: dict[int, dict]
    events: list[dict]
    started: bool  # the kernel started (else nothing of the student's ran)
    finished: bool  # the runner got to the end (else it was stopped or killed)
    problems: list[str]  # what went wrong, in words, for the report
    stderr: str  # the last lines the sandbox wrote to stderr (diagnostics)
    seconds: float
    # with WORKBOOK_GRADING_PROFILE only (workbook.course.timeline): the runner's phases (name,
    # time.monotonic()) and the CPU seconds it reported for itself and the kernel; never trusted
    phases: list[tuple[str, float]] = dataclasses.field(default_factory=list)
    cpu: dict[str, float] = dataclasses.field(default_factory=dict)


# ------------------------------------------------------------------------------------ availability


def _how_to_fix() -> str:
    return (
        "Install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; it is in .ci/run) "
        "and allow user namespaces (`sysctl -w kernel.unprivileged_userns_clone=1` or "
        "`user.max_user_namespaces` > 0), or run the grader as root. If every submission "
        "comes from someone you trust, `workbook grade --trusted-submissions` grades "
        "without the sandbox."
    )


@cache
def problem(kernel: bool = True) -> str | None:
    """Why the sandbox cannot run here (None when it can), once per process.

    With ``kernel`` (what ``workbook grade`` checks before it starts), a real kernel is started in a
    real sandbox and runs a cell. The grading process itself checks only the tools (a second kernel
    start would cost as much as a submission): a sandbox that cannot start a kernel there makes
    each submission NOT GRADED with bubblewrap's own message, never a 0.
    """
    if platform.system() != "Linux":
        return f"the grading sandbox needs Linux (this is {platform.system()}). " + _how_to_fix()
    if not shutil.which("bwrap"):
        return "bubblewrap (`bwrap`) is not installed. " + _how_to_fix()
    needed = ["prlimit"] + (["setpriv"] if os.geteuid() == 0 else [])
    missing = [tool for tool in needed if not shutil.which(tool)]
    if missing:
        return f"{', '.join(missing)} (util-linux) is missing. " + _how_to_fix()
    return _kernel_problem() if kernel else None


def default_kernel_argv(python: str | None = None) -> list[str]:
    """This Python's IPython kernel, with its history kept in memory (nothing written to disk)."""
    return [
        python or sys.executable,
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
        "--HistoryManager.hist_file=:memory:",
    ]


def _kernel_problem() -> str | None:
    """Start a real kernel and judge in a real sandbox and run a cell and a test: what grading does."""
    try:
        outcome = run(
            [
                {"index": 0, "source": "said = 'sandbox ok'"},
                {"index": 1, "source": "print(said)", "test": True},
            ],
            default_kernel_argv(),
            Limits(notebook_seconds=120),
        )
    except OSError as error:
        return f"bubblewrap could not start: {error}. " + _how_to_fix()
    printed = "".join(o.get("text", "") for o in outcome.cells.get(1, {}).get("outputs", []))
    if "sandbox ok" in printed:
        return None
    why = (outcome.stderr.strip().splitlines() or outcome.problems or ["no message"])[-1]
    if not outcome.started:
        return (
            f"a kernel could not start inside the grading sandbox ({why}). Check that this Python, "
            "its packages and the workbook are readable by every user. " + _how_to_fix()
        )
    errors = [
        f"{o['ename']}: {o['evalue']}" for o in outcome.cells.get(1, {}).get("outputs", []) if "ename" in o
    ]
    return (
        f"a kernel and its judge in the grading sandbox could not run a cell and a test ({(errors or [why])[-1]}). "
        + _how_to_fix()
    )


def check() -> None:
    """Raise :class:`Unavailable` with the reason and the fix when the sandbox cannot run."""
    reason = problem(kernel=False)
    if reason:
        raise Unavailable(reason)


# ------------------------------------------------------------------------------ what is visible


def _ancestors_and_self(path: Path) -> list[Path]:
    return [path, *path.parents]


class Sandbox:
    """The read-only view a sandbox gets: this Python, its packages, the workbook and its data."""

    def __init__(self, python: str | None = None):
        self.python = python or sys.executable

    @cache  # noqa: B019 - a handful of Sandbox objects per grading run, kept for its length anyway
    def binds(self) -> tuple[str, ...]:
        """Host folders bound read-only at the same path (nested ones left out)."""
        import workbook
        from workbook import data

        wanted = {
            Path(sys.prefix),
            Path(sys.base_prefix),
            Path(sys.exec_prefix),
            Path(os.path.realpath(self.python)).parent.parent,
            Path(workbook.__file__).resolve().parent,
        }
        folder = data.default_data_dir()
        if folder.is_dir():
            wanted.add(folder.resolve())
        for entry in sys.path:
            if entry and os.path.isdir(entry) and ("site-packages" in entry or "dist-packages" in entry):
                wanted.add(Path(entry))
        resolved = {Path(os.path.realpath(p)) for p in wanted if p.exists()}
        resolved.add(Path("/usr"))
        kept = sorted(p for p in resolved if not any(other != p and other in p.parents for other in resolved))
        return tuple(str(p) for p in kept)

    def refuse_if_exposed(self, *private: Path) -> None:
        """Refuse to run when a bound folder holds a private one (the course, its gradebook)."""
        for secret in private:
            secret = Path(os.path.realpath(secret))
            for bound in map(Path, self.binds()):
                if bound in _ancestors_and_self(secret):
                    raise Unavailable(
                        f"{secret} is inside {bound}, which the sandbox must show students' code "
                        "(the Python, its packages or the workbook's data). Move the course folder "
                        "out of it, e.g. copy exercises/ elsewhere and use --course."
                    )


#: Folders the sandbox mounts fresh before any bind (never re-created as a bind's parent).
_MOUNTED = ("/", "/proc", "/dev", "/tmp", WORKDIR)


def _ordered_dirs(binds: list[str]) -> list[str]:
    """Every ancestor of a bound folder, parents first (created world-readable, not 0700)."""
    made: list[str] = []
    for bind in binds:
        for parent in reversed(PurePosixPath(bind).parents):
            text = str(parent)
            if text not in _MOUNTED and text not in made and text not in binds:
                made.append(text)
    return made


def _uid(slot: int) -> int:
    return UID_BASE + (os.getpid() % 100_000) * 100 + slot


def _environment(limits: Limits) -> list[str]:
    env = {
        "HOME": "/tmp/home",
        "TMPDIR": "/tmp",
        "USER": "student",
        "LOGNAME": "student",
        "LANG": "C.UTF-8",
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "IPYTHONDIR": "/tmp/home/.ipython",
        "JUPYTER_CONFIG_DIR": "/tmp/home/.jupyter",
        "JUPYTER_DATA_DIR": "/tmp/home/.local/share/jupyter",
        "JUPYTER_RUNTIME_DIR": "/tmp/runtime",
        "JUPYTER_PLATFORM_DIRS": "1",
        "MPLCONFIGDIR": "/tmp/home/.matplotlib",
        "MPLBACKEND": "Agg",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        # A venv where `workbook setup` ran loads the workbook in every kernel; graded runs load
        # only what the submission imports (no friendly errors, no student's progress record).
        "WORKBOOK_KERNEL_EXTENSION": "0",
        "WORKBOOK_PROGRESS": "0",
        "NBGRADER_EXECUTION": "autograde",
        "WORKBOOK_FRIENDLY_ERRORS": "0",
    }  # graded runs show plain errors, as nbgrader expects
    # The data folder the grader itself loads (bound read-only): named outright, because inside the
    # sandbox a checkout is not recognisable as one (its pyproject.toml is not there).
    from workbook import data

    env["WORKBOOK_DATA"] = os.path.realpath(data.default_data_dir())
    args = ["--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args


def _command(binds: tuple[str, ...], slot: int, limits: Limits, files: list[tuple[int, str]]) -> list[str]:
    """The bwrap … command line (without the program to run) for one sandbox."""
    root = os.geteuid() == 0
    cmd = ["bwrap", "--die-with-parent", "--new-session"]
    if root:  # privileged bwrap: no user namespace; setpriv drops to the slot's uid below
        cmd += ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
    else:
        cmd += ["--unshare-all", "--unshare-user", "--disable-userns"]
    # The fresh /proc, /dev, /tmp and working folder first, the read-only binds after: bwrap sets
    # mounts up in order, so a venv, package or data folder under /tmp (or /var/tmp, or a folder
    # named like the working folder) is mounted on top of the fresh tmpfs instead of hidden by it.
    half = max(1, limits.disk_mb // 2) * 1024 * 1024
    cmd += ["--proc", "/proc", "--dev", "/dev"]
    cmd += ["--perms", "1777", "--size", str(half), "--tmpfs", "/tmp"]
    cmd += ["--perms", "0777", "--size", str(half), "--tmpfs", WORKDIR]
    bound = list(binds)
    for folder in _ordered_dirs(bound):
        cmd += ["--perms", "0755", "--dir", folder]
    for folder in bound:
        cmd += ["--ro-bind", folder, folder]
    for link in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(link):
            cmd += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link) and link not in bound:
            cmd += ["--ro-bind", link, link]
    for fd, relative in files:
        parent = PurePosixPath(WORKDIR, relative).parent
        if str(parent) != WORKDIR:
            cmd += ["--perms", "0777", "--dir", str(parent)]
        cmd += ["--perms", "0666", "--file", str(fd), str(PurePosixPath(WORKDIR, relative))]
    cmd += ["--chdir", WORKDIR, *_environment(limits)]
    limit = [
        "prlimit",
        f"--cpu={int(limits.cpu_seconds)}",
        f"--as={int(limits.memory_mb) << 20}",
        f"--fsize={int(limits.file_mb) << 20}",
        "--core=0",
        f"--nproc={_nproc(limits)}",
        "--",
    ]
    if root:
        uid = _uid(slot)
        cmd += [
            "setpriv",
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
            *limit,
            # an unprivileged bwrap inside, only to forbid new user namespaces
            "bwrap",
            "--unshare-user",
            "--disable-userns",
            "--dev-bind",
            "/",
            "/",
            "--die-with-parent",
            "--",
        ]
    else:
        cmd += limit
    return cmd


def _nproc(limits: Limits) -> int:
    """RLIMIT_NPROC counts every process of the real uid: as root each slot has its own uid."""
    if os.geteuid() == 0:
        return limits.processes
    mine = 0
    for pid in os.listdir("/proc"):
        try:
            if pid.isdigit() and os.stat(f"/proc/{pid}").st_uid == os.getuid():
                mine += len(os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
    return mine + limits.processes * (os.cpu_count() or 1)


# --------------------------------------------------------------------------------------- running


def submission_files(folder: Path, limits: Limits) -> tuple[list[tuple[Path, str]], list[str]]:
    """Regular files of a submission folder to copy in (notebooks excluded), and what was left out."""
    chosen, skipped, total = [], [], 0
    if not folder.is_dir():
        return chosen, skipped
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink():
            skipped.append(f"{relative} (a link)")
            continue
        if not path.is_file() or path.suffix == ".ipynb" or ".ipynb_checkpoints" in path.parts:
            continue
        size = path.stat().st_size
        if len(chosen) >= limits.files or total + size > limits.files_mb << 20:
            skipped.append(f"{relative} (over the limit of {limits.files} files / {limits.files_mb} MB)")
            continue
        chosen.append((path, relative))
        total += size
    return chosen, skipped


def run(
    cells: list[dict],
    kernel_argv: list[str],
    limits: Limits,
    slot: int = 0,
    folder: Path | None = None,
    sandbox: Sandbox | None = None,
) -> Outcome:
    """Run ``cells`` (``[{"index": i, "source": code}]``) in a fresh sandboxed kernel.

    ``folder``'s regular files (not notebooks, not links) become the kernel's working folder.
    The result is checked: only known cell indices, well-formed outputs, sizes within the limits.
    """
    sandbox = sandbox or Sandbox()
    started = time.monotonic()
    if _STOPPING:
        return Outcome({}, [], False, False, ["grading was stopped before this ran"], "", 0.0)
    group = None
    tree = cgroup.tree_or_reason()
    if isinstance(tree, cgroup.Tree):  # one cap for all its processes (else prlimit's alone)
        try:
            group = cgroup.Group.create(tree, limits.total_memory_mb, limits.cores, limits.processes)
        except cgroup.CgroupError as error:
            return Outcome({}, [], False, False, [f"its cgroup could not be made: {error}"], "", 0.0)
    left = ""
    try:
        outcome = _run(cells, kernel_argv, limits, slot, folder, sandbox, group)
    finally:
        oom = group.oom_kills() if group else 0
        try:
            if group:
                group.remove()  # also on failure and when grading is stopped
        except cgroup.CgroupError as error:
            left = f"{error} (the next grading run removes it)"
    if oom:
        outcome.problems.append(
            f"used more than {limits.total_memory_mb} MB across its processes: the out-of-memory killer stopped "
            f"{oom} of them (scored on what ran)"
        )
    if left:
        outcome.problems.append(left)
    outcome.seconds = time.monotonic() - started
    return outcome


def _run(
    cells: list[dict],
    kernel_argv: list[str],
    limits: Limits,
    slot: int,
    folder: Path | None,
    sandbox: Sandbox,
    group: cgroup.Group | None,
) -> Outcome:
    """:func:`run`'s sandbox itself, started inside ``group`` when there is one."""
    started = time.monotonic()
    opened: list[int] = []
    files, _ = submission_files(folder, limits) if folder else ([], [])
    try:
        for path, _relative in files:
            opened.append(os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC))
        command = _command(sandbox.binds(), slot, limits, [(fd, rel) for fd, (_p, rel) in zip(opened, files)])
        command += [sandbox.python, "-I", RUNNER]
        if group is not None:
            command = group.wrap(command)
        job = {
            "kernel_argv": kernel_argv,
            "cells": cells,
            "cell_seconds": limits.cell_seconds,
            "notebook_seconds": limits.notebook_seconds,
            "output_chars": limits.output_chars,
            "profile": timeline.ENABLED,
        }
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=opened,
            start_new_session=True,
        )
    finally:
        for fd in opened:
            os.close(fd)
    _RUNNING[process.pid] = process
    try:
        if _STOPPING:
            _kill(process)
        raw, stderr, killed = _collect(process, json.dumps(job).encode(), limits)
    finally:
        _RUNNING.pop(process.pid, None)
    return _check(raw, stderr, killed, cells, limits, time.monotonic() - started)


#: Sandboxes running now, by pid (so that a stop can end them all); set by :func:`stop_all`.
_RUNNING: dict[int, subprocess.Popen] = {}
_STOPPING = False


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # bwrap and all it started (its own session)
    except OSError:
        pass


def stop_all() -> None:
    """Kill every running sandbox of this process and start no new one (safe in a signal handler)."""
    global _STOPPING
    _STOPPING = True
    for process in list(_RUNNING.values()):
        _kill(process)


def _collect(process: subprocess.Popen, payload: bytes, limits: Limits) -> tuple[bytes, bytes, str]:
    """Feed the job, read the results (capped), and kill the sandbox at the wall-clock limit."""
    cap = limits.result_mb << 20
    deadline = time.monotonic() + limits.notebook_seconds + 30  # the runner stops itself before
    chunks, size, tail, killed = [], 0, b"", ""
    try:
        process.stdin.write(payload)
    except (BrokenPipeError, OSError):
        pass
    finally:
        try:
            process.stdin.close()
        except OSError:
            pass
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, "out")
    selector.register(process.stderr, selectors.EVENT_READ, "err")
    open_streams = 2
    while open_streams:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            killed = f"stopped after {limits.notebook_seconds + 30:.0f} s (the submission's time limit)"
            break
        for key, _ in selector.select(timeout=min(remaining, 1.0)):
            block = os.read(key.fileobj.fileno(), 1 << 16)
            if not block:
                selector.unregister(key.fileobj)
                open_streams -= 1
            elif key.data == "out":
                size += len(block)
                if size > cap:
                    killed = f"sent back more than {limits.result_mb} MB"
                    break
                chunks.append(block)
            else:
                tail = (tail + block)[-8192:]
        if killed:
            break
    if not killed:  # both pipes closed: the sandbox is ending on its own (let it, so it is reaped)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
    if process.poll() is None:
        try:
            process.kill()
        except OSError:
            pass
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    selector.close()
    process.stdout.close()
    process.stderr.close()
    return b"".join(chunks), tail, killed


_OUTPUT_FIELDS = {
    "stream": ("name", "text"),
    "display_data": ("data", "metadata"),
    "execute_result": ("data", "metadata", "execution_count"),
    "error": ("ename", "evalue", "traceback"),
}


def _clean_output(output, limits: Limits) -> dict | None:
    """A well-formed nbformat output built from what the sandbox sent, or None."""
    if not isinstance(output, dict) or output.get("output_type") not in _OUTPUT_FIELDS:
        return None
    kind = output["output_type"]
    clean = {"output_type": kind}
    for field in _OUTPUT_FIELDS[kind]:
        clean[field] = output.get(field)
    if kind == "stream":
        if clean["name"] not in ("stdout", "stderr") or not isinstance(clean["text"], str):
            return None
        if len(clean["text"]) > limits.output_chars:
            clean["text"] = (
                clean["text"][: limits.output_chars]
                + f"\n... output cut to {limits.output_chars:,} characters ...\n"
            )
    elif kind == "error":
        if (
            not all(isinstance(clean[f], str) for f in ("ename", "evalue"))
            or not isinstance(clean["traceback"], list)
            or not all(isinstance(t, str) for t in clean["traceback"])
        ):
            return None
        clean["ename"], clean["evalue"] = clean["ename"][:200], clean["evalue"][:5000]
        clean["traceback"] = [line[:5000] for line in clean["traceback"][:200]]
    else:
        data, metadata = clean["data"], clean["metadata"]
        if (
            not isinstance(data, dict)
            or not isinstance(metadata, dict)
            or not all(isinstance(k, str) and isinstance(v, (str, list, dict)) for k, v in data.items())
        ):
            return None
        if isinstance(data.get("text/plain"), list):
            data["text/plain"] = "".join(map(str, data["text/plain"]))
        if len(json.dumps(clean)) > limits.output_chars * 4:
            return {
                "output_type": "stream",
                "name": "stdout",
                "text": "... a displayed result too large to keep was left out ...\n",
            }
        if kind == "execute_result" and not isinstance(clean["execution_count"], (int, type(None))):
            clean["execution_count"] = None
    return clean


def _check(
    raw: bytes, stderr: bytes, killed: str, sent: list[dict], limits: Limits, seconds: float
) -> Outcome:
    wanted = {int(cell["index"]) for cell in sent}
    cells: dict[int, dict] = {}
    events: list[dict] = []
    problems: list[str] = [killed] if killed else []
    started = finished = False
    phases: list[tuple[str, float]] = []
    cpu: dict[str, float] = {}
    for line in raw.decode("utf-8", "replace").splitlines():
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            problems.append("the sandbox sent something that is not a result (ignored)")
            continue
        if not isinstance(record, dict):
            continue
        if "event" in record:
            kind = record.get("event")
            if kind == "kernel_started":
                started = True
            elif kind == "done":
                finished = True
            elif kind == "phase" and timeline.ENABLED:
                if isinstance(record.get("phase"), str) and isinstance(record.get("at"), float):
                    # printed on the grader's terminal: letters, digits, spaces and _.- only
                    phases.append(
                        (re.sub(r"[^\w .-]", "?", record["phase"], flags=re.ASCII)[:60], record["at"])
                    )
            elif kind == "cpu" and timeline.ENABLED:
                cpu = {k: float(v) for k, v in record.items() if isinstance(v, (int, float))}
            elif kind in ("timeout", "kernel_died", "stopped", "failed"):
                events.append(
                    {
                        k: record.get(k)
                        for k in ("event", "index", "reason", "notebook")
                        if isinstance(record.get(k), (int, str, bool))
                    }
                )
            continue
        index = record.get("index")
        if not isinstance(index, int) or index not in wanted or index in cells:
            continue
        outputs = record.get("outputs") if isinstance(record.get("outputs"), list) else []
        count = record.get("execution_count")
        cells[index] = {
            "execution_count": count if isinstance(count, int) else None,
            "outputs": [o for o in (_clean_output(x, limits) for x in outputs[:500]) if o],
        }
    for event in events:
        if event["event"] == "failed":
            problems.append(f"the runner failed: {event.get('reason', '')}")
        elif event["event"] == "kernel_died":
            problems.append(
                "the kernel stopped while running a cell (killed, out of memory or "
                "exited); the cells after it were not run"
            )
        elif event["event"] == "stopped":
            problems.append(f"stopped early: {event.get('reason', '')}")
    if not finished and not killed and started:
        problems.append(
            "the sandbox ended before the last cell (the submission's code stopped the "
            "grader's runner); the cells after it were not run"
        )
    tail = stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
    return Outcome(
        cells=cells,
        events=events,
        started=started,
        finished=finished,
        problems=problems,
        stderr="\n".join(tail),
        seconds=seconds,
        phases=phases,
        cpu=cpu,
    )
