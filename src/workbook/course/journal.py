"""The grading journal: which submissions a grading run started, finished, or could not grade.

Kept in the course folder as ``.grading/<assignment>.json`` and written only by the trusted grading
process, atomically (a temporary file, fsync, rename), so that after any interruption (Ctrl+C,
SIGTERM, SIGHUP, SIGKILL, power loss) the next ``workbook grade`` knows exactly which submissions to
grade again: every one not recorded as ``finished``. A submission is ``finished`` only once its
autograded notebook and its scores are saved.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import durable

STARTED, FINISHED, FAILED = "started", "finished", "failed"

#: The folder in a course that holds the journals (and the lock of a running grader).
FOLDER = ".grading"


def path(course: Path, assignment: str) -> Path:
    return Path(course) / FOLDER / f"{assignment}.json"


def _write_atomically(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    durable.replace(text.encode("utf-8"), target, prefix=".journal-")


class Journal:
    """student -> {"state": started|finished|failed, "reason": why not graded, "notes": [...]}."""

    def __init__(self, course: Path, assignment: str):
        self.path = path(course, assignment)
        self.students: dict[str, dict] = read(course, assignment)

    def state(self, student: str) -> str | None:
        return self.students.get(student, {}).get("state")

    def mark(
        self, student: str, state: str, reason: str | None = None, notes: list[str] | None = None
    ) -> None:
        entry: dict[str, object] = {"state": state}
        if reason:
            entry["reason"] = reason
        if notes:
            entry["notes"] = list(dict.fromkeys(notes))
        self.students[student] = entry
        _write_atomically(self.path, json.dumps(self.students, indent=1, sort_keys=True))


def read(course: Path, assignment: str) -> dict[str, dict]:
    """The journal of ``assignment`` (empty when there is none, or it is unreadable)."""
    try:
        data = json.loads(path(course, assignment).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, dict) and isinstance(v.get("state"), str)}


def wait_for_lock(course: Path):
    """Hold the course's autograde lock (waiting for a run still stopping); close the file to free it."""
    import fcntl

    folder = Path(course) / FOLDER
    folder.mkdir(exist_ok=True)
    lock = open(folder / "autograde.lock", "a+")  # noqa: SIM115 - held until the caller closes it
    fcntl.flock(lock, fcntl.LOCK_EX)
    return lock
