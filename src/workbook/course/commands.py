"""Instructors' commands: ``workbook release`` and ``workbook grade`` (thin wrappers around nbgrader)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from .._common import FAILED, OK, PARTLY, SKIP_PARTS, WORKBOOK_ROOT, CliError, _say


def _course(args) -> Path:
    course = Path(args.course).expanduser().resolve() if args.course else WORKBOOK_ROOT / "exercises"
    if not (course / "nbgrader_config.py").is_file() or not (course / "source").is_dir():
        raise CliError(
            f"{course} is not a course folder (it needs nbgrader_config.py and source/). "
            "Use --course to point at the exercises folder."
        )
    return course


def _assignments(course: Path) -> list[str]:
    return sorted(
        p.name for p in (course / "source").iterdir() if p.is_dir() and not SKIP_PARTS.intersection({p.name})
    )


def _chosen(course: Path, names: list[str]) -> list[str]:
    known = _assignments(course)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise CliError(
            f"No exercise called {', '.join(unknown)} in {course / 'source'}. "
            f"The exercises are: {', '.join(known)}."
        )
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
        raise CliError(
            "nbgrader is not installed in this environment: "
            'pip install -e ".[instructor]" (instructors only).'
        )
    command = [sys.executable, "-m", "nbgrader", *arguments]
    _say("$ nbgrader " + " ".join(arguments))
    done = subprocess.run(
        command, cwd=course, env=_nbgrader_env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
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
    from .grading import find_leaks, record_handout

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
    for name in ok:
        record_handout(course, name)  # so a regrade knows what these students received
    if ok:
        _say(f"Released {len(ok)} exercise(s) into {course / 'release'}: {', '.join(ok)}")
    if args.validate and ok:
        notebooks = [
            str(p.relative_to(course)) for n in ok for p in sorted((course / "release" / n).glob("*.ipynb"))
        ]
        sources = [
            str(p.relative_to(course)) for n in ok for p in sorted((course / "source" / n).glob("*.ipynb"))
        ]
        checked = _nbgrader(course, "validate", *sources, verbose=args.verbose)
        passing = checked.stdout.count("Success! Your notebook passes all the tests.")
        inverted = _nbgrader(course, "validate", "--invert", *notebooks, verbose=args.verbose)
        blank_ok = inverted.stdout.count("Success! The notebook does not pass any tests.")
        _say(
            f"  solutions pass their tests: {passing}/{len(sources)}; "
            f"blank student versions fail every test: {blank_ok}/{len(notebooks)}"
        )
        if passing != len(sources) or blank_ok != len(notebooks):
            failed.append("validation")
            _say("  ! validation failed: run `nbgrader validate` on the notebooks above for details")
    if failed or leaks:
        _say("Release NOT clean: " + ", ".join(failed + (["leaks"] if leaks else [])))
        return PARTLY if ok else FAILED
    _say(
        "Hand out the notebooks in release/<exercise>/ (students copy them with "
        "`workbook start --exercises FOLDER`). Collected work goes to "
        "submitted/<student>/<exercise>/<exercise>.ipynb; then run `workbook grade`."
    )
    return OK


def _config(course: Path):
    """The course's nbgrader configuration (read, not run by nbgrader: traitlets' loader)."""
    from traitlets.config.loader import PyFileConfigLoader

    return PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()


def _db_url(course: Path) -> str:
    url = _config(course).CourseDirectory.get("db_url")
    return str(url) if url else "sqlite:///" + str(course / "gradebook.db")


def _expected_notebooks(course: Path, name: str) -> list[str]:
    released = sorted(p.name for p in (course / "release" / name).glob("*.ipynb"))
    return released or sorted(p.name for p in (course / "source" / name).glob("*.ipynb"))


def _notebook_problem(path: Path) -> str | None:
    """Why a handed-in notebook cannot be graded (empty, not JSON, no cells), or None."""
    if path.stat().st_size == 0:
        return f"{path.name} is empty (0 bytes)"
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        return f"{path.name} is not a notebook (not text)"
    except ValueError as error:
        return f"{path.name} is not a notebook (not valid JSON: {error})"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return f"{path.name} is not a notebook (no list of cells)"
    if not nb["cells"]:
        return f"{path.name} has no cells"
    return None


def _inspect(course: Path, name: str, students: list[str]) -> dict[str, str]:
    """student -> why their submission of ``name`` cannot be graded, and what to do (checked first)."""
    submitted = course / "submitted"
    expected = _expected_notebooks(course, name)
    again = f"then grade again: workbook grade {name} --student {{student}}"
    flags = {}
    for student in students:
        folder = submitted / student / name
        for level in (submitted / student, folder):
            if level.is_symlink():
                flags[student] = (
                    f"{level.relative_to(course)} is a link (to {os.readlink(level)}), not "
                    f"a folder: not graded. Put the student's own files there, {again}"
                )
                break
        if student in flags:
            continue
        links = [p for p in folder.rglob("*") if p.is_symlink()]
        if links:
            shown = ", ".join(f"{p.relative_to(folder)} -> {os.readlink(p)}" for p in links[:3])
            flags[student] = (
                f"handed in links, which grading never follows ({shown}): not graded. "
                f"Ask for the real files, {again}"
            )
            continue
        for notebook in expected:
            path = folder / notebook
            if not path.is_file():
                others = sorted(p.name for p in folder.glob("*.ipynb") if p.name not in expected)
                if others:
                    flags[student] = (
                        f"handed in {', '.join(others)} but the exercise's notebook is "
                        f"{notebook}: not graded. Rename it to {notebook}, {again}"
                    )
                else:
                    flags[student] = (
                        f"no {notebook} in {folder.relative_to(course)} (the submission "
                        f"is missing or was deleted): nothing graded. Put it back, {again}"
                    )
                break
            problem = _notebook_problem(path)
            if problem:
                flags[student] = (
                    f"{problem}: not graded. Ask the student for the notebook they meant to hand in, {again}"
                )
                break
    return {student: text.replace("{student}", student) for student, text in flags.items()}


def _fingerprints(course: Path, name: str) -> dict[str, str]:
    """sha256 of every file handed in for ``name`` (to prove grading changed none of them)."""
    prints = {}
    for path in sorted((course / "submitted").glob(f"*/{name}/**/*")):
        if path.is_file() and not path.is_symlink():
            prints[str(path.relative_to(course))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints


def _gradebook_checks(course: Path, name: str, students: list[str]) -> tuple[list[str], dict[str, str]]:
    """Students graded before whose submission vanished; and scores above their maximum."""
    from nbgrader.api import Gradebook, MissingEntry

    vanished, over = [], {}
    with Gradebook(_db_url(course)) as gb:
        try:
            submissions = gb.assignment_submissions(name)
        except MissingEntry:
            return vanished, over
        for submission in submissions:
            student = submission.student.id
            if student not in students and not (course / "submitted" / student / name).exists():
                vanished.append(student)
            problems = []
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.score is not None and grade.score > grade.max_score + 1e-9:
                        problems.append(f"{grade.name} has {grade.score:g} of at most {grade.max_score:g}")
            if not problems and submission.score > submission.max_score + 1e-9:
                problems.append(f"total {submission.score:g} of at most {submission.max_score:g}")
            if problems:
                over[student] = (
                    "score above its maximum (" + "; ".join(problems) + "): the gradebook "
                    "was changed outside grading, or a test printed a number. Check the "
                    f"cell in formgrader, then regrade: workbook grade {name} --student {student}"
                )
    return vanished, over


def _feedback_check(course: Path, name: str) -> dict[str, str]:
    """Feedback pages that would show hidden tests or mark schemes: withheld (deleted), by student."""
    from .grading import feedback_leaks

    withheld = {}
    for page in sorted((course / "feedback").glob(f"*/{name}/*.html")):
        student = page.parent.parent.name
        source = course / "source" / name / f"{page.stem}.ipynb"
        if not source.is_file():
            continue
        submitted = course / "submitted" / student / name / f"{page.stem}.ipynb"
        leaks = feedback_leaks(source, page, submitted if submitted.is_file() else None)
        if leaks:
            page.unlink()
            withheld[student] = (
                f"feedback withheld: {page.name} would show {len(leaks)} hidden-test or "
                f"mark-scheme line(s) (e.g. {leaks[0]}); the submission's code may have "
                f"printed them. Look at autograded/{student}/{name}/ before handing "
                "anything back."
            )
    return withheld


def _autograde(
    course: Path, name: str, args, exclude: list[str], report: Path
) -> subprocess.CompletedProcess:
    from .autograde import cores

    options = [f"--ParallelAutograde.report={report}", f"--ParallelAutograde.workers={args.workers or 0}"]
    if args.regrade or args.student:
        options.append("--force")
    if args.student:
        options.append(f"--student={args.student}")
    if exclude:
        options.append("--CourseDirectory.student_id_exclude=" + ",".join(exclude))
    if args.timeout:
        options.append(f"--Execute.timeout={args.timeout}")
    if args.trusted_submissions:
        options.append("--SandboxedExecute.trusted_submissions=True")
    how = (
        "UNSANDBOXED (--trusted-submissions), one at a time"
        if args.trusted_submissions
        else f"each in its own sandbox, {args.workers or cores()} at a time"
    )
    _say(f"$ autograde {name}: {how}")
    done = subprocess.run(
        [sys.executable, "-m", "workbook.course.autograde", name, *options],
        cwd=course,
        env=_nbgrader_env(),
        text=True,
        stdout=subprocess.PIPE,
        stderr=None,
    )
    if args.verbose:
        _say(done.stdout)
    return done


def cmd_grade(args) -> int:
    import importlib.util

    from .grading import record_handout

    course = _course(args)
    names = _chosen(course, args.names)
    submitted = course / "submitted"
    if importlib.util.find_spec("nbgrader") is None:
        raise CliError(
            "nbgrader is not installed in this environment: "
            'pip install -e ".[instructor]" (instructors only).'
        )
    if args.workers is not None and args.workers < 1:
        raise CliError("--workers must be 1 or more.")
    if not args.trusted_submissions:
        from . import sandbox

        reason = sandbox.problem()
        if reason:
            raise CliError(
                "Refusing to grade: students' code would run with your rights and reach "
                f"everything you can. Why: {reason}"
            )
    if not args.names:
        pattern = f"{args.student}/*" if args.student else "*/*"
        names = [n for n in names if any(p.name == n for p in submitted.glob(pattern))]
        if not names:
            raise CliError(
                f"No submissions in {submitted}: put each student's notebook at "
                "submitted/<student>/<exercise>/<exercise>.ipynb."
            )
    trouble: list[str] = []
    attention: list[str] = []
    graded = []
    for name in names:
        students = sorted(p.parent.name for p in submitted.glob(f"*/{name}") if p.is_dir() or p.is_symlink())
        if args.student:
            students = [s for s in students if s == args.student]
        vanished, _ = _gradebook_checks(course, name, students)
        if args.student:
            vanished = [s for s in vanished if s == args.student]
        for student in vanished:
            attention.append(
                f"{name}/{student}: graded before, but submitted/{student}/{name} is gone "
                "(the submission vanished). Its old grades are kept; find the notebook "
                f"and put it back, then: workbook grade {name} --student {student}"
            )
        if not students:
            _say(f"{name}: no submissions (expected submitted/<student>/{name}/{name}.ipynb)")
            continue
        record_handout(course, name)
        flags = _inspect(course, name, students)
        for student, flag in flags.items():
            attention.append(f"{name}/{student}: {flag}")
            trouble.append(f"{name}/{student}")
        runnable = [s for s in students if s not in flags]
        before = _fingerprints(course, name)
        if runnable:
            with tempfile.TemporaryDirectory(prefix="workbook-grade-") as scratch:
                report_path = Path(scratch) / "report.json"
                done = _autograde(course, name, args, sorted(flags), report_path)
                try:
                    report = json.loads(report_path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    report = {}
            for student in sorted(report):
                for note in report[student]["notes"]:
                    _say(f"  {student}: {note}")
            for student in sorted(report):
                if report[student]["failed"]:
                    _say(
                        f"  ! {student}: could not be graded ({report[student]['failed']}); see "
                        f"`workbook grade {name} --student {student} -v` for details"
                    )
                    trouble.append(f"{name}/{student}")
            if done.returncode != 0 and not any(report[s]["failed"] for s in report):
                for line in _errors(done.stdout):
                    _say(f"  ! {line}")
                trouble.append(name)
            feedback_args = ["generate_feedback", name, "--force"]
            if args.student:
                feedback_args.append(f"--student={args.student}")
            feedback = _nbgrader(course, *feedback_args, verbose=args.verbose)
            if feedback.returncode != 0:
                for line in _errors(feedback.stdout):
                    _say(f"  ! {line}")
                trouble.append(f"{name} feedback")
            for student, flag in _feedback_check(course, name).items():
                attention.append(f"{name}/{student}: {flag}")
        after = _fingerprints(course, name)
        for path in sorted(set(before) | set(after)):
            if before.get(path) != after.get(path):
                attention.append(
                    f"{path} changed while grading ({'gone' if path not in after else 'edited'}): "
                    "grading must never touch a submission. Restore it from your copy."
                )
        _, over = _gradebook_checks(course, name, students)
        for student, flag in over.items():
            attention.append(f"{name}/{student}: {flag}")
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
            if args.student and row["student_id"] != args.student:
                continue
            mark = "  NOT GRADED" if f"{name}/{row['student_id']}" in trouble else ""
            _say(
                f"  {row['student_id']:<20} {float(row['score']):5.1f} / {float(row['max_score']):.1f}{mark}"
            )
    if attention:
        _say("Needs your attention:")
        for line in attention:
            _say(f"  ! {line}")
    _say(f"Grades: {csv_path}. Feedback: {course / 'feedback'}/<student>/<exercise>/.")
    _say(
        "Written answers need marking by hand (formgrader: `jupyter lab` in the course folder, "
        "Nbgrader > Formgrader); run `workbook grade` again afterwards to refresh feedback and grades."
    )
    if trouble or attention:
        _say("Not everything was graded cleanly: " + ", ".join(trouble or ["see above"]))
        return PARTLY
    return OK
