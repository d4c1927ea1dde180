"""One cap per submission: a cgroup around each grading sandbox (memory, CPU, processes together).

The sandbox's ``prlimit`` limits are per process, so a submission starting three processes could
hold three times the memory. As root, where the cgroup filesystem is writable, each sandbox runs
instead in a cgroup made for that one submission, ``workbook-grading/<run>-<n>``, with a memory
cap (no swap), a CPU quota (cores) and a process cap over everything it starts. The sandbox's first
process joins the cgroup before it execs bubblewrap (:func:`Group.wrap`), so nothing of the
submission is ever outside it; after the run whatever is left is killed and the cgroup removed. A
grader killed outright leaves its cgroups behind: the next one removes them (:func:`sweep`).

Both layouts are handled: cgroup v2 (one tree with the memory, cpu and pids controllers) and v1 (a
tree per controller, as where the v2 tree has no controllers). In v2 a cgroup that holds processes
cannot hand controllers down ("no internal processes"), so ``workbook-grading`` is made beside the
grader's own cgroup (under its parent), or under the root when the grader is in the root cgroup;
in v1 it goes under the grader's own cgroup in each controller.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
import signal
import time
from functools import cache
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("memory", "cpu", "pids")
#: The folder (in each tree) holding one cgroup per submission being graded.
GROUP = "workbook-grading"
PERIOD_US = 100_000
#: ``<grader pid>.<its start time>-<n>``: whose it is, so that a dead grader's can be told apart.
_NAME = re.compile(r"^(\d+)\.(\d+)-(\d+)$")
_COUNTER = itertools.count()


class CgroupError(OSError):
    """A cgroup could not be found, made, limited or removed; the message names the path and why."""


@dataclasses.dataclass(frozen=True)
class Tree:
    """Where the submissions' cgroups go: ``bases`` (one per v1 controller, or one v2 folder)."""

    version: int
    bases: tuple[tuple[str, Path], ...]  # (controller, or "" for v2; the workbook-grading folder)


def _own(cgroup_file: Path) -> dict[str, str]:
    """controller -> this process's cgroup path in its tree ("" is the v2 tree)."""
    found = {}
    for line in cgroup_file.read_text().splitlines():
        _, names, path = line.split(":", 2)
        for name in names.split(",") if names else [""]:
            found[name] = path
    return found


def _v2_mount(root: Path) -> Path | None:
    for candidate in (root, root / "unified"):
        if (candidate / "cgroup.controllers").is_file():
            return candidate
    return None


def find(root: Path = ROOT, cgroup_file: Path = Path("/proc/self/cgroup")) -> Tree:
    """The tree to use: v2 when its memory, cpu and pids controllers are available, else v1."""
    try:
        own = _own(cgroup_file)
    except (OSError, ValueError) as error:
        raise CgroupError(f"cannot read {cgroup_file}: {error}") from None
    mount = _v2_mount(root)
    if mount is not None and "" in own:
        path = own[""].strip("/")
        # the parent: this cgroup holds processes (ours), so it cannot hand controllers down
        parent = mount / path if not path else (mount / path).parent
        try:  # what the parent may hand down (prepare enables them in it where needed)
            available = set((parent / "cgroup.controllers").read_text().split())
        except OSError:
            available = set()
        if set(CONTROLLERS) <= available:
            return Tree(2, (("", parent / GROUP),))
    bases = []
    for controller in CONTROLLERS:
        mount_v1 = root / controller
        if controller not in own or not (mount_v1 / "cgroup.procs").is_file():
            break
        bases.append((controller, mount_v1 / own[controller].strip("/") / GROUP))
    else:
        return Tree(1, tuple(bases))
    raise CgroupError(
        f"no cgroup tree under {root} offers the {', '.join(CONTROLLERS)} controllers "
        "(cgroup v2 with them, or v1 with each mounted)"
    )


def _write(path: Path, value) -> None:
    try:
        with open(path, "w") as f:
            f.write(str(value))
    except OSError as error:
        raise CgroupError(f"cannot write {value!r} to {path}: {error.strerror or error}") from None


def _mkdir(path: Path) -> None:
    try:
        path.mkdir(exist_ok=True)
    except OSError as error:
        raise CgroupError(f"cannot make the cgroup {path}: {error.strerror or error}") from None


def _enable(folder: Path) -> None:
    """v2: let ``folder``'s children have the memory, cpu and pids controllers."""
    try:
        enabled = set((folder / "cgroup.subtree_control").read_text().split())
    except OSError as error:
        raise CgroupError(f"cannot read {folder / 'cgroup.subtree_control'}: {error.strerror}") from None
    missing = [c for c in CONTROLLERS if c not in enabled]
    if missing:
        _write(folder / "cgroup.subtree_control", " ".join(f"+{c}" for c in missing))


def prepare(tree: Tree) -> None:
    """Make ``workbook-grading`` (kept between runs, empty) and, in v2, hand it the controllers.

    Its CPU weight is that of one busy process per core: the submissions inside (one per core by
    default) compete with the rest of the machine as one group, and at the default weight a busy
    machine would leave the whole grading run the share of a single process.
    """
    cores = os.cpu_count() or 1
    for controller, base in tree.bases:
        if tree.version == 2:
            _enable(base.parent)  # already so below a cgroup holding the grader; the root may need it
        _mkdir(base)
        if tree.version == 2:
            _enable(base)
            _write(base / "cpu.weight", min(10_000, 100 * cores))
        elif controller == "cpu":
            _write(base / "cpu.shares", 1024 * cores)


@cache
def tree_or_reason() -> Tree | str:
    """The tree to use, ready (once per process; a dead grader's cgroups removed), or why not."""
    if os.geteuid() != 0:
        return "the grader is not root (only root may make cgroups and move processes into them)"
    try:
        tree = find()
        prepare(tree)
    except (CgroupError, OSError) as error:
        return str(error)
    sweep(tree)
    return tree


def _start_time(pid: int) -> str | None:
    """A running process's start time (clock ticks since boot), to tell it from a later one with its
    pid; None when it is gone or dead (a zombie: killed, not yet collected by its parent)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X", "x") else fields[19]


@dataclasses.dataclass
class Group:
    """One submission's cgroup: a folder per tree (v1) or one (v2), limits written, none inside yet."""

    tree: Tree
    folders: tuple[tuple[str, Path], ...]

    @classmethod
    def create(cls, tree: Tree, memory_mb: int, cores: float, processes: int) -> Group:
        """Make a fresh cgroup with the limits; raises :class:`CgroupError` naming what failed."""
        name = f"{os.getpid()}.{_start_time(os.getpid())}-{next(_COUNTER)}"
        group = cls(tree, tuple((controller, base / name) for controller, base in tree.bases))
        try:
            for _controller, folder in group.folders:
                try:
                    folder.mkdir()
                except OSError as error:
                    raise CgroupError(f"cannot make the cgroup {folder}: {error.strerror}") from None
            group._limit(memory_mb << 20, cores, processes)
        except BaseException:
            try:
                group.remove(timeout=2)
            except CgroupError:
                pass  # the first error is the one to report; a dead grader's groups are swept
            raise
        return group

    def _limit(self, memory: int, cores: float, processes: int) -> None:
        quota = int(cores * PERIOD_US) if cores > 0 else -1
        for controller, folder in self.folders:
            if self.tree.version == 2:
                _write(folder / "memory.max", memory)
                if (folder / "memory.swap.max").exists():  # absent without swap accounting
                    _write(folder / "memory.swap.max", 0)
                _write(folder / "cpu.max", f"{quota if quota > 0 else 'max'} {PERIOD_US}")
                _write(folder / "pids.max", processes)
            elif controller == "memory":
                _write(folder / "memory.limit_in_bytes", memory)
                if (folder / "memory.memsw.limit_in_bytes").exists():  # no escape into swap
                    _write(folder / "memory.memsw.limit_in_bytes", memory)
            elif controller == "cpu":
                _write(folder / "cpu.cfs_period_us", PERIOD_US)
                _write(folder / "cpu.cfs_quota_us", quota)
            elif controller == "pids":
                _write(folder / "pids.max", processes)

    def wrap(self, command: list[str]) -> list[str]:
        """``command`` started by a shell that first moves itself into this cgroup, then execs it."""
        join = (
            'while [ "$1" != -- ]; do echo $$ > "$1" || '
            '{ echo "workbook: could not join the submission\'s cgroup ($1)" >&2; exit 125; }; '
            'shift; done; shift; exec "$@"'
        )
        procs = [str(folder / "cgroup.procs") for _c, folder in self.folders]
        return ["/bin/sh", "-c", join, "sh", *procs, "--", *command]

    def processes(self) -> set[int]:
        found: set[int] = set()
        for _controller, folder in self.folders:
            try:
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
            except (OSError, ValueError):
                pass
        return found

    def oom_kills(self) -> int:
        """How many of its processes the kernel killed for going over the memory cap."""
        for controller, folder in self.folders:
            name = "memory.events" if self.tree.version == 2 else "memory.oom_control"
            if controller in ("", "memory"):
                try:
                    for line in (folder / name).read_text().splitlines():
                        key, _, value = line.partition(" ")
                        if key == "oom_kill":
                            return int(value)
                except (OSError, ValueError):
                    return 0
        return 0

    def kill(self, timeout: float = 10) -> None:
        """Kill every process left inside (cgroup.kill where the kernel has it)."""
        deadline = time.monotonic() + timeout
        for _controller, folder in self.folders:
            if (folder / "cgroup.kill").exists():
                try:
                    _write(folder / "cgroup.kill", 1)
                except CgroupError:
                    pass
        while time.monotonic() < deadline:
            left = self.processes()
            if not left:
                return
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.02)

    def remove(self, timeout: float = 10) -> None:
        """Kill what is left and delete the cgroup (a process exiting may hold it a moment)."""
        self.kill(timeout)
        deadline = time.monotonic() + timeout
        for _controller, folder in self.folders:
            while folder.is_dir():
                try:
                    folder.rmdir()
                except FileNotFoundError:
                    break
                except OSError as error:
                    if time.monotonic() > deadline:
                        raise CgroupError(f"cannot remove the cgroup {folder}: {error.strerror}") from None
                    time.sleep(0.02)


def names(tree: Tree) -> list[str]:
    """The names of every submission's cgroup in ``tree`` now, any grader's."""
    found: set[str] = set()
    for _controller, base in tree.bases:
        try:
            found |= {p.name for p in base.iterdir() if p.is_dir()}
        except OSError:
            continue
    return sorted(found)


def stale(tree: Tree) -> list[Group]:
    """Cgroups left by graders no longer running (killed outright): theirs to remove."""
    found = []
    for name in names(tree):
        match = _NAME.match(name)
        if match and _start_time(int(match[1])) != match[2]:
            found.append(Group(tree, tuple((c, base / name) for c, base in tree.bases)))
    return found


def sweep(tree: Tree) -> int:
    """Remove the cgroups of dead graders (and kill what is still in them); how many were removed."""
    removed = 0
    for group in stale(tree):
        try:
            group.remove(timeout=5)
            removed += 1
        except CgroupError:
            pass  # tried again by the next grader
    return removed
