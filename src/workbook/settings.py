"""Every setting of the workbook in one list: the ``WORKBOOK_*`` environment variables.

``workbook config`` prints them with their current values.  A test fails when any code in the
repository reads a ``WORKBOOK_*`` variable that is not listed here, so this list stays whole.
(The classroom's ``CLASSROOM_*`` variables are listed in classroom/README.md; the course's knobs
are nbgrader's own config keys, in the course folder's ``nbgrader_config.py``.)
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    """One environment variable: who reads it, what it does when unset, and what it is for."""

    name: str
    read_by: str  # "kernel" (a student's notebooks), "bootstrap.py", or "tests"
    default: str
    meaning: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "WORKBOOK_DATA",
        "kernel",
        "the data package shipped with the workbook",
        "folder holding datapackage.json and the tables to load instead (the grading sandbox and "
        "the classroom set it)",
    ),
    Setting(
        "WORKBOOK_READINGS",
        "kernel",
        "~/.local/share/alliance-workbook/readings",
        "where `workbook readings add` keeps the copies of the readings, and where they are looked for first",
    ),
    Setting(
        "WORKBOOK_CACHE",
        "kernel",
        "$XDG_CACHE_HOME/alliance-workbook (else ~/.cache/alliance-workbook)",
        "where the offline chart JavaScript is kept between kernels",
    ),
    Setting(
        "WORKBOOK_FRIENDLY_ERRORS",
        "kernel",
        "on",
        "0, off, no or false: show IPython's usual tracebacks instead of the explained ones",
    ),
    Setting(
        "WORKBOOK_NO_SPEEDUPS",
        "kernel",
        "speed-ups on",
        "anything but empty or 0: use Altair exactly as shipped (charts look the same, only slower)",
    ),
    Setting(
        "WORKBOOK_UNPINNED",
        "bootstrap.py",
        "pinned by constraints.txt",
        "1: install the newest releases instead of constraints.txt (to test against them)",
    ),
    Setting(
        "WORKBOOK_ARTIFACTS",
        "tests",
        "test-artifacts/ in the checkout",
        "where the browser and hub tests put screenshots and logs",
    ),
    Setting(
        "WORKBOOK_BROWSER_NOTEBOOKS",
        "tests",
        "notebooks/",
        "folder whose notebooks the browser tests run",
    ),
    Setting("WORKBOOK_CHROMIUM", "tests", "/usr/bin/chromium", "the Chromium binary the browser tests drive"),
    Setting(
        "WORKBOOK_HUB_PREFIX",
        "tests",
        "/opt/alliance-classroom-test",
        "where the hub test and benchmark install the classroom (kept between runs)",
    ),
    Setting("WORKBOOK_HUB_AUTH", "tests", "pam", "the hub test's authenticator (CLASSROOM_AUTH)"),
    Setting(
        "WORKBOOK_HUB_RUN_TIMEOUT",
        "tests",
        "180",
        "seconds the hub test waits for a student's notebook to run",
    ),
    Setting(
        "WORKBOOK_PROGRESS",
        "kernel",
        "$XDG_DATA_HOME/alliance-workbook/progress.json (in a kernel only)",
        "the file where check() records a student's tries for progress(); 0 turns recording off",
    ),
    Setting(
        "WORKBOOK_KERNEL_EXTENSION",
        "kernel",
        "on",
        "0, off, no or false: the workbook never sets itself up in a kernel, at start or on import (the grading sandbox)",
    ),
    Setting(
        "WORKBOOK_GRADING_PROFILE",
        "workbook grade",
        "off",
        "1: autograde prints, per submission, when each grading phase happened and the CPU seconds "
        "of the grader, the sandboxes' runners and kernels (finding where grading time goes)",
    ),
    Setting(
        "WORKBOOK_SETUP_PREFIX",
        "workbook setup",
        "this Python's sys.prefix",
        "where `workbook setup` writes the kernel and Lab settings (the tests point it at a scratch folder)",
    ),
    Setting(
        "WORKBOOK_NET_LOG",
        "tests",
        "unset",
        "set by the install test itself: the file where its network guard records refused connections",
    ),
)

NAMES = frozenset(s.name for s in SETTINGS)


def current(environ=None) -> list[tuple[Setting, str | None]]:
    """Each setting with its value in ``environ`` (default: this process's), None when unset."""
    environ = os.environ if environ is None else environ
    return [(s, environ.get(s.name) or None) for s in SETTINGS]


def report(environ=None) -> str:
    """The settings as text: name, current value (or the default in use), who reads it, what for."""
    lines = []
    for setting, value in current(environ):
        shown = f"= {value}" if value is not None else f"(unset: {setting.default})"
        lines.append(f"{setting.name} {shown}\n    read by {setting.read_by}: {setting.meaning}")
    return "\n".join(lines)


def cmd_config(args) -> int:
    """``workbook config``: print every setting with its current value."""
    print(report())
    return 0
