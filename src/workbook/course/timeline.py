"""``WORKBOOK_GRADING_PROFILE=1``: when each submission's grading phases happened, and their CPU.

For finding where grading spends its time (benchmarks/RESULTS.md). With the variable set, the
autograde process records a timestamp per submission and phase (sanitized, sandbox started, kernel
started, cells run, results saved, …; the sandbox's runner sends its own), and prints them on stderr
at the end: per phase, the median seconds from the phase before, and the CPU seconds of the grading
process, of the runners and of the kernels. Off (the default) it records nothing.
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import threading
import time

_OFF = ("", "0", "no", "off", "false")
ENABLED = os.environ.get("WORKBOOK_GRADING_PROFILE", "0").strip().lower() not in _OFF

_LOCK = threading.Lock()
_EVENTS: list[tuple[float, str, str]] = []  # (time.monotonic(), submission, phase)
_CPU: dict[str, float] = {}  # "runner"/"kernel" CPU seconds reported by the sandboxes, summed


def _process_start() -> float:
    """When this process started, on the time.monotonic() clock (Linux; else: now)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
        return time.monotonic() - age
    except (OSError, ValueError, IndexError, AttributeError):
        return time.monotonic()


_STARTED = _process_start() if ENABLED else time.monotonic()


def mark(who: str, phase: str, at: float | None = None) -> None:
    """Record that ``who`` (a student, or "run") reached ``phase`` now (or at ``at``, monotonic)."""
    if ENABLED:
        with _LOCK:
            _EVENTS.append((time.monotonic() if at is None else at, who, phase))


def add_cpu(kind: str, seconds: float) -> None:
    """Add CPU seconds spent by ``kind`` (runner, kernel) inside a sandbox."""
    if ENABLED:
        with _LOCK:
            _CPU[kind] = _CPU.get(kind, 0.0) + float(seconds)


def report(stream=None) -> None:
    """Print the timeline's summary (and each submission's phases) when profiling is on."""
    if not ENABLED:
        return
    stream = stream or sys.stderr
    with _LOCK:
        events = sorted(_EVENTS)
    steps: dict[str, list[float]] = {}
    last: dict[tuple[str, bool], tuple[float, str]] = {}
    lines = []
    for at, who, phase in events:
        chain = (who, phase.startswith("save"))  # saving runs beside the next sandbox: its own chain
        before = last.get(chain)
        if before is not None:
            steps.setdefault(f"{before[1].strip()} -> {phase.strip()}", []).append(at - before[0])
        last[chain] = (at, phase)
        lines.append(f"  {at - _STARTED:8.3f}  {who:<14} {phase}")
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = ["grading profile (WORKBOOK_GRADING_PROFILE): seconds since start, submission, phase", *lines]
    out.append("median seconds per step (count):")
    order = {name: i for i, name in enumerate(steps)}
    for name, values in sorted(steps.items(), key=lambda kv: order[kv[0]]):
        out.append(f"  {statistics.median(values):7.3f}  {name} ({len(values)})")
    out.append(
        f"CPU seconds: grading process {me.ru_utime + me.ru_stime:.2f}, its children (waited for) "
        f"{children.ru_utime + children.ru_stime:.2f}; in the sandboxes, as reported: "
        + ", ".join(f"{k} {v:.2f}" for k, v in sorted(_CPU.items()))
        + f"; wall {time.monotonic() - _STARTED:.2f}"
    )
    stream.write("\n".join(out) + "\n")
    stream.flush()
