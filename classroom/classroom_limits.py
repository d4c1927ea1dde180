"""Per-student limits, enforced by the kernel: a cgroup (v1 memory, cpu, pids) for each user's server.

The hub (root) makes ``<its own cgroup>/<CLASSROOM_CGROUP>/<user>`` in each controller, writes the
limits from classroom.env, and moves the user's server into it before it drops to the user's uid;
everything the student starts (kernels, terminals, ``nohup`` jobs) is born inside and cannot leave
(moving a process between cgroups needs root).  Stopping the server (by the student, the idle
culler, a logout or remove-user) kills every process left in the cgroup.

Settings (classroom.env):
  CLASSROOM_MEMORY_LIMIT  memory of everything one person runs, e.g. 2G (default), 0: none
  CLASSROOM_CPU_LIMIT     CPU cores one person may keep busy, e.g. 1 (default), 0: none;
                          under contention every person gets an equal share, and the class
                          as a whole weighs as much as that many busy processes of the machine
  CLASSROOM_PIDS_LIMIT    processes and threads one person may run, 512 (default), 0: none
(Disk space: CLASSROOM_DISK_QUOTA, Linux user quotas set by add-user: see settings.sh.)

Also imported in every kernel (``hint``): when a student's code hits a limit, the error in the
notebook says which limit it was.
"""

from __future__ import annotations

import os
import resource
import signal
import time

CGROUP_ROOT = "/sys/fs/cgroup"
CONTROLLERS = ("memory", "cpu", "pids")
UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_size(text: str) -> int:
    """'2G' -> bytes; '0' or '' -> 0 (no limit)."""
    text = (text or "0").strip().upper().removesuffix("B")
    unit = text[-1:] if text[-1:] in UNITS else ""
    number = text[: len(text) - len(unit)]
    try:
        return int(float(number) * UNITS[unit])
    except ValueError:
        raise SystemExit(f"CLASSROOM_MEMORY_LIMIT={text!r}: expected a size such as 2G, 512M or 0") from None


def settings(env=os.environ) -> dict:
    """The limits from the environment (classroom.env), with the classroom's defaults."""
    try:
        cpu = float(env.get("CLASSROOM_CPU_LIMIT") or "1")
        pids = int(env.get("CLASSROOM_PIDS_LIMIT") or "512")
    except ValueError as error:
        raise SystemExit(f"CLASSROOM_CPU_LIMIT / CLASSROOM_PIDS_LIMIT: expected numbers ({error})") from None
    return {
        "memory": parse_size(env.get("CLASSROOM_MEMORY_LIMIT") or "2G"),
        "cpu": cpu,
        "pids": pids,
        "group": env.get("CLASSROOM_CGROUP") or "alliance-classroom",
        # whose cgroup holds the users' ones: the hub's (remove-user names the running hub's pid)
        "under": env.get("CLASSROOM_HUB_PID") or "self",
    }


def _own_cgroup(controller: str, pid: str = "self") -> str:
    """A process's cgroup in a v1 controller ('' when the controller is not mounted)."""
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _, names, path = line.rstrip("\n").split(":", 2)
            if controller in names.split(","):
                return path
    return ""


def paths(user: str, limits: dict) -> dict[str, str]:
    """controller -> the user's cgroup folder (under the hub's own cgroup)."""
    found = {}
    for controller in CONTROLLERS:
        mount = os.path.join(CGROUP_ROOT, controller)
        if os.path.isfile(os.path.join(mount, "cgroup.procs")):
            own = _own_cgroup(controller, limits.get("under", "self")).lstrip("/")
            found[controller] = os.path.join(mount, own, limits["group"], user)
    return found


def _write(folder: str, name: str, value) -> None:
    path = os.path.join(folder, name)
    if os.path.exists(path):
        with open(path, "w") as f:
            f.write(str(value))


def prepare(user: str, limits: dict) -> dict[str, str]:
    """Make the user's cgroups and write the limits (as root, in the hub); returns their folders."""
    folders = paths(user, limits)
    for controller, folder in folders.items():
        os.makedirs(folder, exist_ok=True)
        if controller == "memory":
            limit = limits["memory"] or -1
            _write(folder, "memory.limit_in_bytes", limit)
            try:
                _write(folder, "memory.memsw.limit_in_bytes", limit)  # no escape into swap
            except OSError:
                pass  # no swap accounting on this kernel
        elif controller == "cpu":
            _write(folder, "cpu.shares", SHARE)  # every person the same share when the CPU is busy
            period = 100_000
            _write(folder, "cpu.cfs_period_us", period)
            _write(folder, "cpu.cfs_quota_us", int(limits["cpu"] * period) if limits["cpu"] > 0 else -1)
            share_for_the_class(os.path.dirname(folder), starting=folder)
        elif controller == "pids":
            _write(folder, "pids.max", limits["pids"] if limits["pids"] > 0 else "max")
    return folders


#: cpu.shares of one person (the kernel's default for one cgroup, or one busy process in the root)
SHARE = 1024


def share_for_the_class(parent: str, starting: str = "") -> int:
    """Weigh the class's cgroup like as many busy processes as students have a server running.

    Under cgroup v1 the class's folder competes with its siblings (the hub, an instructor's grading
    run, whatever else the machine runs) as ONE entity: at the default share, 30 students starting
    together on a machine with a few other busy processes got a few of those processes' CPU between
    them, and their servers timed out (benchmarks/RESULTS.md, hub_load).  Written at every start and
    stop; returns the share written (0 when there is no cpu.shares to write).
    """
    try:
        names = os.listdir(parent)
    except OSError:
        return 0
    running = 0
    for name in names:
        folder = os.path.join(parent, name)
        if folder == starting:
            running += 1
        elif os.path.isdir(folder):
            try:
                with open(os.path.join(folder, "cgroup.procs")) as f:
                    running += any(line.strip() for line in f)
            except OSError:
                pass
    share = min(262_144, SHARE * max(1, running))  # the kernel's largest cpu.shares
    if not os.path.isfile(os.path.join(parent, "cpu.shares")):
        return 0
    _write(parent, "cpu.shares", share)
    return share


def enter(folders: dict[str, str], limits: dict) -> None:
    """Move the calling process into the user's cgroups (in the child, before it drops root)."""
    for folder in folders.values():
        _write(folder, "cgroup.procs", os.getpid())
    if limits["memory"]:
        # One process alone hitting the limit gets a MemoryError (which the kernel's hint explains)
        # instead of being killed by the kernel's OOM killer without a word.
        resource.setrlimit(resource.RLIMIT_DATA, (limits["memory"], limits["memory"]))


def processes(folders: dict[str, str]) -> set[int]:
    found = set()
    for folder in folders.values():
        try:
            with open(os.path.join(folder, "cgroup.procs")) as f:
                found |= {int(line) for line in f if line.strip()}
        except FileNotFoundError:
            pass
    return found


def end_all(user: str, limits: dict, timeout: float = 10) -> int:
    """Kill every process left in the user's cgroups; returns how many were killed."""
    folders = paths(user, limits)
    killed = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = processes(folders) - {os.getpid()}
        if not left:
            break
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
                killed.add(pid)
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    if "cpu" in folders:
        share_for_the_class(os.path.dirname(folders["cpu"]))
    return len(killed)


def remove(user: str, limits: dict) -> None:
    """Delete the user's (empty) cgroups."""
    end_all(user, limits)
    for folder in paths(user, limits).values():
        try:
            os.rmdir(folder)
        except OSError:
            pass


# ------------------------------------------------------------------------ in the student's kernel


def _explain(shell, etype, value, tb, tb_offset=None):
    shell.showtraceback((etype, value, tb), tb_offset=tb_offset)
    limits = settings()
    if issubclass(etype, MemoryError):
        which = f"the classroom's memory limit ({limits['memory'] / 1024**3:g} GB for everything you run)"
    elif getattr(value, "errno", None) == 11:  # EAGAIN from fork: the process limit
        which = (
            f"the classroom's process limit ({limits['pids']} processes and threads for everything you run)"
        )
    elif getattr(value, "errno", None) == 122:  # EDQUOT
        which = "your disk quota (the space your files may take in your home and the exchange)"
    elif getattr(value, "errno", None) == 28:  # ENOSPC
        which = "the end of the free disk space"
    else:
        return None
    print(
        f"\nYou reached {which}. Free some (restart or shut down other kernels, stop programs you "
        "started in a terminal) and run the cell again; ask your instructor if your work needs more."
    )
    return None


def hint() -> None:
    """In a kernel: make a limit's error say which limit (IPython's custom exception handler)."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    shell.set_custom_exc((MemoryError, OSError), _explain)
