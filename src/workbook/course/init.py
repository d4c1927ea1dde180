"""``workbook course init DIR``: set up an instructor's private course folder from the instructor kit.

The kit (exercise sources with solutions, hidden tests and mark schemes, the instructor's guide and
the nbgrader configuration) comes from the ``alliance-workbook-instructor`` package, or from a
checkout's ``exercises/`` folder. It is never part of the student install.
"""

from __future__ import annotations

import os
import shutil
from importlib import util
from pathlib import Path

from .. import paths
from .._common import OK, SKIP_PARTS, CliError, _say

#: What a course folder is made of, relative to the kit.
KIT_FILES = ("nbgrader_config.py", "INSTRUCTORS.md", "README.md")


def kit_dir() -> Path:
    """Where the instructor kit is: the installed instructor package, else a checkout's exercises/."""
    spec = util.find_spec("workbook_instructor")
    if spec is not None and spec.submodule_search_locations:
        kit = Path(list(spec.submodule_search_locations)[0]) / "kit"
        if (kit / "source").is_dir():
            return kit
    root = paths.checkout_root()
    if root is not None and (root / "exercises" / "source").is_dir():
        return root / "exercises"
    raise CliError(
        "the instructor kit is not installed. Instructors: from a private copy of the "
        "repository run `python3 bootstrap.py instructor`, or `pip install "
        "alliance-workbook-instructor` from the wheel your course provides."
    )


def _settings(course_id: str | None, exchange: str | None) -> str:
    lines = ["", "# --- set by `workbook course init` ---"]
    if course_id:
        lines.append(f"c.CourseDirectory.course_id = {course_id!r}")
    if exchange:
        lines.append(f"c.Exchange.root = {exchange!r}")
    return "\n".join(lines) + "\n" if len(lines) > 2 else ""


def cmd_course_init(args) -> int:
    kit = kit_dir()
    course = Path(args.dir).expanduser().absolute()
    if course.exists() and (not course.is_dir() or any(course.iterdir())):
        raise CliError(
            f"{course} already exists and is not an empty folder: choose a new one "
            "(a course folder is never overwritten)."
        )
    course.mkdir(parents=True, exist_ok=True)
    os.chmod(course, 0o700)  # solutions and the gradebook live here: for the instructor's eyes only
    shutil.copytree(
        kit / "source", course / "source", ignore=shutil.ignore_patterns(*SKIP_PARTS), symlinks=False
    )
    for name in KIT_FILES:
        if (kit / name).is_file():
            shutil.copy2(kit / name, course / name)
    if (kit / "template").is_dir():
        shutil.copytree(kit / "template", course / "template", ignore=shutil.ignore_patterns(*SKIP_PARTS))
    extra = _settings(args.course_id, args.exchange)
    if extra:
        with open(course / "nbgrader_config.py", "a", encoding="utf-8") as config:
            config.write(extra)
    exercises = sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
    _say(f"Course folder: {course} (readable only by you)")
    _say(f"  source/ holds {len(exercises)} exercises with their solutions: {', '.join(exercises)}")
    _say("  nbgrader_config.py sets the course; the gradebook will be gradebook.db beside it.")
    _say("Next:")
    _say(f'  cd "{course}"')
    _say("  workbook release            # make the student versions in release/")
    _say("  workbook grade              # after collecting submissions into submitted/<student>/<exercise>/")
    _say("  INSTRUCTORS.md is your guide (model answers: keep it private).")
    return OK
