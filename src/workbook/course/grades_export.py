"""``workbook grades export``: the gradebook's totals in the import formats of Canvas and Moodle, or plain CSV.

Read from nbgrader's gradebook (its API, so manual scores given in Formgrader or the grade-by-question
view are included). Formats, as the LMSs' own documentation gives them:

- ``canvas``: Canvas's Gradebook CSV (Grades → Import): ``Student`` ("Last, First"), ``ID`` (Canvas's
  user id: nbgrader's ``lms_user_id``), ``SIS User ID`` (nbgrader's student id), ``SIS Login ID``,
  ``Section``, then one column per assignment; the second row is ``Points Possible``. Canvas matches a
  row by ID or SIS User ID and makes a new assignment for a column it does not know.
- ``moodle``: Moodle's CSV grade import (Grades → Import → CSV file): one header row, a row per
  student; map ``Email address`` (or ``ID number``, nbgrader's student id) to the user in the import
  form, and each assignment column to its grade item.
- ``csv``: student id, names, email, each assignment's score, total and maximum.

``--per-question`` adds a column per graded cell (``exercise: grade_id``). A student with no
submission gets an empty cell, never a 0 (an LMS leaves an empty cell alone); a submission with
written answers not yet graded is reported, so totals are not sent out half done by accident.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .._common import FAILED, OK, PARTLY, CliError, _say

FORMATS = ("canvas", "moodle", "csv")


@dataclass
class Assignment:
    name: str
    max_score: float
    questions: list[tuple[str, float]] = field(default_factory=list)  # (grade_id, max), notebook order


@dataclass
class Grades:
    """Everything an export needs, read once from the gradebook."""

    assignments: list[Assignment]
    students: list[dict]  # id, first_name, last_name, email, lms_user_id
    totals: dict[tuple[str, str], float]  # (student, assignment) -> score
    questions: dict[tuple[str, str, str], float]  # (student, assignment, grade_id) -> score
    ungraded: dict[tuple[str, str], list[str]]  # (student, assignment) -> grade_ids needing a manual grade


def tools_on_path() -> None:
    """nbgrader runs ``alembic`` by name on a new gradebook: make this environment's tools findable."""
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def read_gradebook(db_url: str, course_id: str = "default_course", names: list[str] | None = None) -> Grades:
    """The scores of every student in every assignment (or only ``names``), from nbgrader's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    tools_on_path()
    with Gradebook(db_url, course_id) as gb:
        chosen = [a for a in gb.assignments if not names or a.name in names]
        assignments = []
        for a in chosen:
            questions = [(c.name, float(c.max_score)) for nb in a.notebooks for c in nb.grade_cells]
            assignments.append(Assignment(a.name, float(a.max_score), questions))
        students = [
            {
                "id": s.id,
                "first_name": s.first_name or "",
                "last_name": s.last_name or "",
                "email": s.email or "",
                "lms_user_id": s.lms_user_id or "",
            }
            for s in sorted(gb.students, key=lambda s: s.id)
        ]
        totals, questions, ungraded = {}, {}, {}
        for a in chosen:
            for s in students:
                try:
                    sub = gb.find_submission(a.name, s["id"])
                except MissingEntry:
                    continue
                totals[(s["id"], a.name)] = float(sub.score)
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        questions[(s["id"], a.name, grade.name)] = float(grade.score)
                        if grade.needs_manual_grade:
                            ungraded.setdefault((s["id"], a.name), []).append(grade.name)
    return Grades(assignments, students, totals, questions, ungraded)


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}".rstrip("0").rstrip(".")


def _columns(grades: Grades, per_question: bool) -> list[tuple[str, str, str | None, float]]:
    """(header, assignment, grade_id or None, points possible) for every score column."""
    cols = []
    for a in grades.assignments:
        cols.append((a.name, a.name, None, a.max_score))
        if per_question:
            cols += [(f"{a.name}: {gid}", a.name, gid, top) for gid, top in a.questions]
    return cols


def _score(grades: Grades, student: str, assignment: str, grade_id: str | None) -> float | None:
    if grade_id is None:
        return grades.totals.get((student, assignment))
    return grades.questions.get((student, assignment, grade_id))


def render(grades: Grades, fmt: str, per_question: bool = False) -> str:
    """The export as CSV text in one of FORMATS."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}: choose one of {', '.join(FORMATS)}.")
    cols = _columns(grades, per_question)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if fmt == "canvas":
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"] + [c[0] for c in cols])
        writer.writerow(["    Points Possible", "", "", "", ""] + [_number(c[3]) for c in cols])
        for s in grades.students:
            name = ", ".join(p for p in (s["last_name"], s["first_name"]) if p) or s["id"]
            scores = [_number(_score(grades, s["id"], c[1], c[2])) for c in cols]
            writer.writerow([name, s["lms_user_id"], s["id"], "", ""] + scores)
    elif fmt == "moodle":
        writer.writerow(["First name", "Last name", "ID number", "Email address"] + [c[0] for c in cols])
        for s in grades.students:
            scores = [_number(_score(grades, s["id"], c[1], c[2])) for c in cols]
            writer.writerow([s["first_name"], s["last_name"], s["id"], s["email"]] + scores)
    else:
        top = sum(a.max_score for a in grades.assignments)
        writer.writerow(
            ["student_id", "first_name", "last_name", "email"] + [c[0] for c in cols] + ["total", "max_score"]
        )
        for s in grades.students:
            scores = [_score(grades, s["id"], c[1], c[2]) for c in cols]
            total = sum(grades.totals.get((s["id"], a.name), 0.0) for a in grades.assignments)
            writer.writerow(
                [s["id"], s["first_name"], s["last_name"], s["email"]]
                + [_number(v) for v in scores]
                + [_number(total), _number(top)]
            )
    return out.getvalue()


def _write(path: Path, text: str) -> None:
    """Write the file whole or not at all (a half-written export must never reach an LMS)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def cmd_grades_export(args) -> int:
    from .commands import _config, _course, _db_url

    course = _course(args)
    try:
        import nbgrader.api  # noqa: F401
    except ImportError:
        raise CliError(
            "nbgrader is not installed: install the instructor kit (python3 bootstrap.py instructor)"
        ) from None
    config = _config(course)
    course_id = str(config.CourseDirectory.get("course_id") or "default_course")
    db_url = _db_url(course)
    if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///") :]).is_file():
        raise CliError(
            f"there is no gradebook yet at {db_url[len('sqlite:///') :]}: run `workbook grade` first"
        )
    grades = read_gradebook(db_url, course_id, args.names or None)
    known = {a.name for a in grades.assignments}
    missing = [n for n in args.names if n not in known]
    if missing:
        raise CliError(
            f"the gradebook has no assignment {', '.join(missing)}; it has: {', '.join(sorted(known)) or 'none'}"
        )
    text = render(grades, args.format, args.per_question)
    if args.to == "-":
        sys.stdout.write(text)
    else:
        target = Path(args.to) if args.to else course / f"grades-{args.format}.csv"
        _write(target, text)
        _say(
            f"Wrote {len(grades.students)} students × {len(grades.assignments)} assignments "
            f"({args.format}{', per question' if args.per_question else ''}) to {target}"
        )
    if grades.ungraded:
        print(
            f"Not yet graded by hand: {len(grades.ungraded)} submission(s) still have written answers "
            "without a manual score, so their totals are incomplete:",
            file=sys.stderr,
        )
        for (student, assignment), cells in sorted(grades.ungraded.items()):
            print(f"  {student} / {assignment}: {', '.join(cells)}", file=sys.stderr)
        return PARTLY
    return OK if grades.students else FAILED
