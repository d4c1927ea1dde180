"""Instructors' commands: ``workbook release`` and ``workbook grade`` (thin wrappers around nbgrader)."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from ._common import FAILED, OK, PARTLY, SKIP_PARTS, WORKBOOK_ROOT, CliError, _say


def _course(args) -> Path:
    course = Path(args.course).expanduser().resolve() if args.course else WORKBOOK_ROOT / "exercises"
    if not (course / "nbgrader_config.py").is_file() or not (course / "source").is_dir():
        raise CliError(f"{course} is not a course folder (it needs nbgrader_config.py and source/). "
                       "Use --course to point at the exercises folder.")
    return course


def _assignments(course: Path) -> list[str]:
    return sorted(p.name for p in (course / "source").iterdir()
                  if p.is_dir() and not SKIP_PARTS.intersection({p.name}))


def _chosen(course: Path, names: list[str]) -> list[str]:
    known = _assignments(course)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise CliError(f"No exercise called {', '.join(unknown)} in {course / 'source'}. "
                       f"The exercises are: {', '.join(known)}.")
    return names or known


def _nbgrader_env() -> dict:
    env = dict(os.environ)
    # nbgrader runs `alembic` (and Jupyter kernels) by name: make this environment's tools findable
    # even when it was not activated.
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _nbgrader(course: Path, *arguments: str, verbose: bool = False) -> subprocess.CompletedProcess:
    import importlib.util

    if importlib.util.find_spec("nbgrader") is None:
        raise CliError("nbgrader is not installed in this environment: "
                       "pip install -e \".[instructor]\" (instructors only).")
    command = [sys.executable, "-m", "nbgrader", *arguments]
    _say("$ nbgrader " + " ".join(arguments))
    done = subprocess.run(command, cwd=course, env=_nbgrader_env(), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if verbose:
        _say(done.stdout)
    return done


def _errors(output: str) -> list[str]:
    """nbgrader's ERROR lines, without its tracebacks and the library noise."""
    lines = []
    for line in output.splitlines():
        if "| ERROR]" in line and "Traceback" not in line and "Please see" not in line:
            lines.append(line.split("| ERROR]", 1)[1].strip())
    return lines


def cmd_release(args) -> int:
    course = _course(args)
    names = _chosen(course, args.names)
    failed = []
    target = "*" if not args.names else None
    runs = [target] if target else names
    for name in runs:
        done = _nbgrader(course, "generate_assignment", name, "--force", verbose=args.verbose)
        if done.returncode != 0:
            failed.append(name)
            for line in _errors(done.stdout):
                _say(f"  ! {line}")
    from .grading import find_leaks

    leaks = []
    for name in names:
        released = course / "release" / name
        for source_nb in sorted((course / "source" / name).glob("*.ipynb")):
            student_nb = released / source_nb.name
            if not student_nb.is_file():
                if name not in failed:
                    failed.append(name)
                _say(f"  ! {name}: {student_nb.name} was not released")
                continue
            leaks += find_leaks(source_nb, student_nb)
    for leak in leaks:
        _say(f"  LEAK {leak}")
    ok = [n for n in names if n not in failed]
    if ok:
        _say(f"Released {len(ok)} exercise(s) into {course / 'release'}: {', '.join(ok)}")
    if args.validate and ok:
        notebooks = [str(p.relative_to(course)) for n in ok for p in sorted((course / "release" / n).glob("*.ipynb"))]
        sources = [str(p.relative_to(course)) for n in ok for p in sorted((course / "source" / n).glob("*.ipynb"))]
        checked = _nbgrader(course, "validate", *sources, verbose=args.verbose)
        passing = checked.stdout.count("Success! Your notebook passes all the tests.")
        inverted = _nbgrader(course, "validate", "--invert", *notebooks, verbose=args.verbose)
        blank_ok = inverted.stdout.count("Success! The notebook does not pass any tests.")
        _say(f"  solutions pass their tests: {passing}/{len(sources)}; "
             f"blank student versions fail every test: {blank_ok}/{len(notebooks)}")
        if passing != len(sources) or blank_ok != len(notebooks):
            failed.append("validation")
            _say("  ! validation failed: run `nbgrader validate` on the notebooks above for details")
    if failed or leaks:
        _say("Release NOT clean: " + ", ".join(failed + (["leaks"] if leaks else [])))
        return PARTLY if ok else FAILED
    _say("Hand out the notebooks in release/<exercise>/ (students copy them with "
         "`workbook start --exercises FOLDER`). Collected work goes to "
         "submitted/<student>/<exercise>/<exercise>.ipynb; then run `workbook grade`.")
    return OK


_STUDENT_LINE = re.compile(r"(?:submitted|autograded)/([^/]+)/([^/]+)/")
_CHANGED = re.compile(r"Attribute '(\w+)' for cell (\S+) has changed! \(should be: (\S*), got: (\S*)\)")
_MISSING = re.compile(r"Cell (\S+) was missing from the submission")
_FAILED_STUDENT = re.compile(r"error processing assignment '([^']+)' for student '([^']+)'")


def _release_checksums(course: Path, name: str) -> dict[str, str]:
    sums = {}
    for nb_path in (course / "release" / name).glob("*.ipynb"):
        nb = json.loads(nb_path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if "grade_id" in meta and "checksum" in meta:
                sums[meta["grade_id"]] = meta["checksum"]
    return sums


def _autograde_report(course: Path, name: str, output: str) -> tuple[dict[str, list[str]], list[str]]:
    """Per student, what autograde had to repair or stop; and the students it could not grade."""
    released = _release_checksums(course, name)
    notes: dict[str, list[str]] = {}
    student = None
    for line in output.splitlines():
        hit = _STUDENT_LINE.search(line.replace(os.sep, "/"))
        if hit and hit.group(2) == name:
            student = hit.group(1)
        if student is None:
            continue
        changed = _CHANGED.search(line)
        if changed:
            attr, cell, _, got = changed.groups()
            # Every test cell's checksum "changes" because the hidden tests are put back; the
            # student only edited it if it differs from the released cell too.
            if attr != "checksum" or got != released.get(cell, got):
                what = {"checksum": "edited by the student (a read-only cell)",
                        "cell_type": "cell type changed by the student",
                        "locked": "unlocked by the student",
                        "points": "points changed by the student"}.get(attr, f"{attr} changed")
                notes.setdefault(student, []).append(f"{cell}: {what}, restored")
        missing = _MISSING.search(line)
        if missing:
            notes.setdefault(student, []).append(f"{missing.group(1)}: deleted by the student, put back")
        if "Timeout waiting for execute reply" in line:
            notes.setdefault(student, []).append("a cell ran past the time limit and was stopped "
                                                 "(scored on what ran)")
    failed = [s for a, s in _FAILED_STUDENT.findall(output) if a == name]
    return notes, failed


def cmd_grade(args) -> int:
    course = _course(args)
    names = _chosen(course, args.names)
    submitted = course / "submitted"
    if not args.names:
        names = [n for n in names if any(submitted.glob(f"*/{n}"))]
        if not names:
            raise CliError(f"No submissions in {submitted}: put each student's notebook at "
                           "submitted/<student>/<exercise>/<exercise>.ipynb.")
    trouble = []
    graded = []
    for name in names:
        students = sorted(p.parent.name for p in submitted.glob(f"*/{name}") if p.is_dir())
        if not students:
            _say(f"{name}: no submissions (expected submitted/<student>/{name}/{name}.ipynb)")
            continue
        options = ["--force"] if args.regrade else []
        if args.timeout:
            options.append(f"--Execute.timeout={args.timeout}")
        done = _nbgrader(course, "autograde", name, *options, verbose=args.verbose)
        notes, failed = _autograde_report(course, name, done.stdout)
        for student in students:
            for note in notes.get(student, []):
                _say(f"  {student}: {note}")
        for student in failed:
            _say(f"  ! {student}: could not be graded (the notebook is unreadable or broken); "
                 f"see `nbgrader autograde {name} --student {student} --force` for details")
            trouble.append(f"{name}/{student}")
        if done.returncode != 0 and not failed:
            for line in _errors(done.stdout):
                _say(f"  ! {line}")
            trouble.append(name)
        feedback = _nbgrader(course, "generate_feedback", name, "--force", verbose=args.verbose)
        if feedback.returncode != 0:
            for line in _errors(feedback.stdout):
                _say(f"  ! {line}")
            trouble.append(f"{name} feedback")
        graded.append(name)
    csv_path = Path(args.to).expanduser() if args.to else course / "grades.csv"
    if not csv_path.is_absolute():
        csv_path = Path.cwd() / csv_path
    exported = _nbgrader(course, "export", "--to", str(csv_path), verbose=args.verbose)
    if exported.returncode != 0 or not csv_path.is_file():
        for line in _errors(exported.stdout):
            _say(f"  ! {line}")
        raise CliError("nbgrader export failed: no grades written.", PARTLY if graded else FAILED)
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["assignment"] in graded]
    for name in graded:
        _say(f"{name}:")
        for row in (r for r in rows if r["assignment"] == name):
            mark = "  NOT GRADED" if f"{name}/{row['student_id']}" in trouble else ""
            _say(f"  {row['student_id']:<20} {float(row['score']):5.1f} / "
                 f"{float(row['max_score']):.1f}{mark}")
    _say(f"Grades: {csv_path}. Feedback: {course / 'feedback'}/<student>/<exercise>/.")
    _say("Written answers need marking by hand (formgrader: `jupyter lab` in the course folder, "
         "Nbgrader > Formgrader); run `workbook grade` again afterwards to refresh feedback and grades.")
    if trouble:
        _say("Not everything was graded: " + ", ".join(trouble))
        return PARTLY
    return OK

