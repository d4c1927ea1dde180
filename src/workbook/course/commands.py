"""Instructors' commands: ``workbook release`` and ``workbook grade`` (thin wrappers around nbgrader)."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

from .._common import FAILED, OK, PARTLY, SKIP_PARTS, WORKBOOK_ROOT, CliError, _say
from . import journal


def _find_course(start: Path) -> Path | None:
    """The course folder ``start`` is in: the nearest folder upward with ``nbgrader_config.py``."""
    for folder in (start, *start.parents):
        if (folder / "nbgrader_config.py").is_file():
            return folder
    return None


def _course(args) -> Path:
    """The course to work on: ``--course``, else the course folder this command is run in.

    The workbook's own ``exercises/`` (the public checkout's) is used only when named with
    ``--course``: run inside it by accident, release and grade would write students' work and a
    gradebook into the package instead of a private course folder.
    """
    if args.course:
        course = Path(args.course).expanduser().resolve()
    else:
        found = _find_course(Path.cwd().resolve())
        if found is None:
            raise CliError(
                f"{Path.cwd()} is not in a course folder (none of it or its parents has "
                "nbgrader_config.py). Run this in your course folder (make one with "
                "`workbook course init DIR`), or name it with --course DIR."
            )
        course = found
        own = (WORKBOOK_ROOT / "exercises").resolve()
        if course == own:
            raise CliError(
                f"{course} is the workbook's own exercises folder: refusing to write releases, "
                "grades or students' work into the package. Make a private course folder "
                "(`workbook course init DIR`) and run this there, or name this one explicitly "
                f"with --course {course}."
            )
    if not (course / "nbgrader_config.py").is_file() or not (course / "source").is_dir():
        raise CliError(
            f"{course} is not a course folder (it needs nbgrader_config.py and source/). "
            "Run this in your course folder, or point at it with --course."
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
    done = _child(command, course)
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
            for problem in _unjudgeable(source_nb):
                if name not in failed:
                    failed.append(name)
                _say(f"  ! {name}/{source_nb.name} {problem}")
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


def _unjudgeable(notebook: Path) -> list[str]:
    """Tests of ``notebook`` the judge cannot run as written (:func:`workbook.course.judge.unjudgeable`)."""
    from .judge import unjudgeable

    cells = []
    for number, cell in enumerate(json.loads(notebook.read_text(encoding="utf-8")).get("cells", []), 1):
        if cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        is_test = bool(meta.get("grade")) and not meta.get("solution")
        source = cell.get("source", "")
        cells.append((meta.get("grade_id") or f"cell {number}", is_test, "".join(source)))
    return unjudgeable(cells)


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


def _autograde(course: Path, name: str, args, exclude: list[str]) -> subprocess.CompletedProcess:
    from .autograde import cores

    options = [f"--ParallelAutograde.workers={args.workers or 0}"]
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
    done = _child([sys.executable, "-m", "workbook.course.autograde", name, *options], course, capture=False)
    if args.verbose:
        _say(done.stdout)
    return done


# ------------------------------------------------------------------ stopping cleanly, one at a time

#: The signal that asked `workbook grade` to stop (None while running) and the child running now.
_STOP: dict = {"signal": None, "child": None}


def _on_signal(signum, _frame) -> None:
    """Stop cleanly: the child (autograde, nbgrader) gets the same signal and stops on its own."""
    _STOP["signal"] = signal.Signals(signum).name
    child = _STOP["child"]
    if child is not None and child.poll() is None:
        try:
            child.send_signal(signum)
        except OSError:
            pass


@contextlib.contextmanager
def _stoppable():
    previous = {s: signal.signal(s, _on_signal) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    _STOP.update(signal=None, child=None)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _die_with_parent() -> None:
    """In a child: get SIGTERM (and stop cleanly) when `workbook grade` itself is killed."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _child(command: list[str], course: Path, capture: bool = True) -> subprocess.CompletedProcess:
    """Run a child in the course folder; a stop signal is passed on to it (see :func:`_on_signal`)."""
    process = subprocess.Popen(
        command,
        cwd=course,
        env=_nbgrader_env(),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if capture else None,
        preexec_fn=_die_with_parent,
    )
    _STOP["child"] = process
    try:
        out, _ = process.communicate()
    finally:
        _STOP["child"] = None
    return subprocess.CompletedProcess(command, process.returncode, out, None)


@contextlib.contextmanager
def _grading_lock(course: Path):
    """One `workbook grade` at a time in a course folder (a second one is refused, not queued)."""
    import fcntl

    folder = course / journal.FOLDER
    folder.mkdir(exist_ok=True)
    with open(folder / "lock", "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise CliError(
                f"Another `workbook grade` is running in {course}: wait for it to finish "
                "(or stop it with Ctrl+C), then run this again."
            ) from None
        yield


# ---------------------------------------------------------------------------------- grading


@dataclasses.dataclass
class _Exercise:
    """One exercise to grade: who handed in, who cannot be graded (and why), who runs."""

    name: str
    students: list[str]
    flags: dict[str, str]
    vanished: list[str]

    @property
    def runnable(self) -> list[str]:
        return [s for s in self.students if s not in self.flags]


@dataclasses.dataclass
class _Outcome:
    """What grading found, for the report: per (exercise, student) why it is NOT GRADED, and more."""

    not_graded: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)
    attention: list[str] = dataclasses.field(default_factory=list)
    trouble: list[str] = dataclasses.field(default_factory=list)
    graded: list[str] = dataclasses.field(default_factory=list)
    stopped: str | None = None
    unfinished: dict[str, list[str]] = dataclasses.field(default_factory=dict)


def _plan(course: Path, names: list[str], args) -> tuple[list[_Exercise], list[str]]:
    """Who handed in what, and which submissions cannot be graded as they are (checked first)."""
    submitted = course / "submitted"
    plans, attention = [], []
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
        plans.append(_Exercise(name, students, _inspect(course, name, students), vanished))
    return plans, attention


def _run(course: Path, exercise: _Exercise, args, outcome: _Outcome) -> None:
    """Autograde (resuming from the journal), then feedback; stops early on a signal."""
    from .grading import record_handout

    name = exercise.name
    record_handout(course, name)
    for student, flag in exercise.flags.items():
        outcome.attention.append(f"{name}/{student}: {flag}")
        outcome.not_graded[(name, student)] = flag.split(": not graded", 1)[0] + ": not graded"
    if not exercise.runnable:
        outcome.graded.append(name)
        return
    if _STOP["signal"]:  # asked to stop before this exercise began
        outcome.stopped = _STOP["signal"]
        outcome.unfinished[name] = list(exercise.runnable)
        return
    done = _autograde(course, name, args, sorted(exercise.flags))
    entries = journal.read(course, name)
    for student in exercise.runnable:
        for note in entries.get(student, {}).get("notes", []):
            outcome.notes.append(f"  {student}: {note}")
    if _STOP["signal"]:
        outcome.stopped = _STOP["signal"]
        outcome.unfinished[name] = [
            s for s in exercise.runnable if entries.get(s, {}).get("state") != journal.FINISHED
        ]
        return
    for student in exercise.runnable:
        entry = entries.get(student, {})
        if entry.get("state") == journal.FINISHED:
            continue
        reason = entry.get("reason") or "its grading did not finish (see the log)"
        outcome.not_graded[(name, student)] = reason
        _say(
            f"  ! {student}: could not be graded ({reason}); see "
            f"`workbook grade {name} --student {student} -v` for details"
        )
    if done.returncode != 0 and all(
        entries.get(s, {}).get("state") == journal.FINISHED for s in exercise.runnable
    ):
        for line in _errors(done.stdout):
            _say(f"  ! {line}")
        outcome.trouble.append(name)
    feedback_args = ["generate_feedback", name, "--force"]
    if args.student:
        feedback_args.append(f"--student={args.student}")
    feedback = _nbgrader(course, *feedback_args, verbose=args.verbose)
    if _STOP["signal"]:
        outcome.stopped = _STOP["signal"]
        outcome.unfinished[name] = ["(feedback)"]
        return
    if feedback.returncode != 0:
        for line in _errors(feedback.stdout):
            _say(f"  ! {line}")
        outcome.trouble.append(f"{name} feedback")
    for student, flag in _feedback_check(course, name).items():
        outcome.attention.append(f"{name}/{student}: {flag}")
    outcome.graded.append(name)


def _audit(course: Path, exercise: _Exercise, before: dict[str, str], outcome: _Outcome) -> None:
    """Grading touched no submission, and no score is above its maximum."""
    after = _fingerprints(course, exercise.name)
    for path in sorted(set(before) | set(after)):
        if before.get(path) != after.get(path):
            outcome.attention.append(
                f"{path} changed while grading ({'gone' if path not in after else 'edited'}): "
                "grading must never touch a submission. Restore it from your copy."
            )
    _, over = _gradebook_checks(course, exercise.name, exercise.students)
    for student, flag in over.items():
        outcome.attention.append(f"{exercise.name}/{student}: {flag}")


def _mark_not_graded(csv_path: Path, outcome: _Outcome, plans: list[_Exercise]) -> list[dict]:
    """Rewrite nbgrader's CSV with a status and reason per row: NOT GRADED is never a score."""
    with open(csv_path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields = list(reader.fieldnames or [])
        rows = list(reader)
    handed_in = {(p.name, s) for p in plans for s in p.students}
    seen = set()
    for row in rows:
        key = (row["assignment"], row["student_id"])
        seen.add(key)
        if key in outcome.not_graded:
            row.update(raw_score="", score="", status="NOT GRADED", reason=outcome.not_graded[key])
        elif key in handed_in:
            row.update(status="graded", reason="")
        elif row["assignment"] in outcome.graded:
            row.update(status="no submission", reason="")
    for (name, student), reason in sorted(outcome.not_graded.items()):
        if (name, student) not in seen:
            maximum = next((r["max_score"] for r in rows if r["assignment"] == name), "")
            rows.append(
                {"assignment": name, "student_id": student, "max_score": maximum}
                | {"status": "NOT GRADED", "reason": reason}
            )
    rows.sort(key=lambda r: (r["assignment"], r["student_id"]))
    fields += [f for f in ("status", "reason") if f not in fields]
    temporary = csv_path.with_name(f".{csv_path.name}.partial")
    with open(temporary, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields, restval="")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(temporary, csv_path)
    return rows


def _report(course: Path, csv_path: Path, rows: list[dict], outcome: _Outcome, args) -> int:
    for line in outcome.notes:
        _say(line)
    for name in outcome.graded:
        _say(f"{name}:")
        for row in (r for r in rows if r["assignment"] == name):
            if args.student and row["student_id"] != args.student:
                continue
            if row.get("status") == "NOT GRADED":
                _say(f"  {row['student_id']:<20}   NOT GRADED ({row['reason']})")
            else:
                _say(f"  {row['student_id']:<20} {float(row['score']):5.1f} / {float(row['max_score']):.1f}")
    if outcome.attention:
        _say("Needs your attention:")
        for line in outcome.attention:
            _say(f"  ! {line}")
    _say(f"Grades: {csv_path}. Feedback: {course / 'feedback'}/<student>/<exercise>/.")
    _say(
        "Written answers need marking by hand (formgrader: `jupyter lab` in the course folder, "
        "Nbgrader > Formgrader); run `workbook grade` again afterwards to refresh feedback and grades."
    )
    not_graded = [f"{n}/{s}" for n, s in sorted(outcome.not_graded)]
    if not_graded or outcome.trouble or outcome.attention:
        if not_graded:
            _say(f"NOT GRADED: {len(not_graded)} submission(s): {', '.join(not_graded)}")
        _say("Not everything was graded cleanly: " + ", ".join(not_graded + outcome.trouble or ["see above"]))
        return PARTLY
    return OK


def _say_stopped(course: Path, outcome: _Outcome, args) -> int:
    signum = signal.Signals[outcome.stopped]
    left = [f"{name}: {', '.join(who)}" for name, who in outcome.unfinished.items() if who]
    again = ["workbook", "grade", *args.names]
    if args.course:
        again += ["--course", shlex.quote(str(course))]
    if args.student:
        again += ["--student", args.student]
    try:
        _say(f"Stopped ({outcome.stopped}). Every submission graded so far is saved and kept.")
        if left:
            _say("Not graded yet: " + "; ".join(left) + ".")
        _say(f"To finish, run the same command again: {' '.join(again)} (it grades only what is left).")
    except OSError:  # its terminal was closed (SIGHUP): nothing can be shown, the exit code says it
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - what is left unwritten goes nowhere
    return 128 + signum.value


def cmd_grade(args) -> int:
    import importlib.util

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
        from .autograde import SandboxedExecute

        _say(sandbox.caps(SandboxedExecute(config=_config(course)).limits()))  # per submission, or why not
    if not args.names:
        pattern = f"{args.student}/*" if args.student else "*/*"
        names = [n for n in names if any(p.name == n for p in submitted.glob(pattern))]
        if not names:
            raise CliError(
                f"No submissions in {submitted}: put each student's notebook at "
                "submitted/<student>/<exercise>/<exercise>.ipynb."
            )
    with _grading_lock(course), _stoppable():
        plans, attention = _plan(course, names, args)
        outcome = _Outcome(attention=attention)
        for exercise in plans:
            before = _fingerprints(course, exercise.name)
            _run(course, exercise, args, outcome)
            _audit(course, exercise, before, outcome)
            if outcome.stopped:
                return _say_stopped(course, outcome, args)
        csv_path = Path(args.to).expanduser() if args.to else course / "grades.csv"
        if not csv_path.is_absolute():
            csv_path = Path.cwd() / csv_path
        exported = _nbgrader(course, "export", "--to", str(csv_path), verbose=args.verbose)
        if _STOP["signal"]:
            outcome.stopped = _STOP["signal"]
            return _say_stopped(course, outcome, args)
        if exported.returncode != 0 or not csv_path.is_file():
            for line in _errors(exported.stdout):
                _say(f"  ! {line}")
            raise CliError("nbgrader export failed: no grades written.", PARTLY if outcome.graded else FAILED)
        rows = _mark_not_graded(csv_path, outcome, plans)
        return _report(course, csv_path, rows, outcome, args)
