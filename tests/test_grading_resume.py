"""Grading from anywhere, and resuming after any interruption, with the real `workbook grade`.

A fresh ``mktemp -d`` folder (a space and a non-ASCII letter in its name, under /tmp) holds a venv
(its packages reached through a .pth file) and a course with three students of ex01_four_phases.
One uninterrupted run from there is the reference; then copies of the same course are graded and
stopped at a stage (sanitize, run, save, feedback, export: see ``CASES`` for which signal where),
graded again, and compared with the reference row by row: gradebook and CSV. Where grading makes a
cgroup per submission, none is left behind. Marker: ``grading``.
"""

from __future__ import annotations

import csv
import fcntl
import json
import os
import pty
import select
import shutil
import signal
import site
import subprocess
import sys
import tempfile
import termios
from pathlib import Path
from types import SimpleNamespace

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is in the test and instructor extras")
from workbook.course import cgroup, regions, sandbox  # noqa: E402

pytestmark = pytest.mark.grading

if sandbox.problem():
    pytest.skip(f"the sandbox cannot run here: {sandbox.problem()}", allow_module_level=True)

ROOT = Path(__file__).resolve().parents[1]
NAME = "ex01_four_phases"


def nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def make_venv(folder: Path) -> Path:
    """A venv under ``folder`` from this Python, whose packages are this one's (a .pth file): fast."""
    subprocess.run(
        [os.path.realpath(sys.executable), "-m", "venv", "--without-pip", str(folder)],
        check=True,
        timeout=120,
    )
    inner = next((folder / "lib").glob("python3*/site-packages"))
    (inner / "_workbook_test.pth").write_text(
        f"import site; site.addsitedir({site.getsitepackages()[0]!r})\n"
    )
    return folder / "bin" / "python"


def make_course(folder: Path, env: dict) -> None:
    shutil.copytree(
        ROOT / "exercises",
        folder,
        ignore=shutil.ignore_patterns(
            "release",
            "submitted",
            "autograded",
            "feedback",
            "gradebook.db",
            "grades.csv",
            ".grading",
            "__pycache__",
        ),
    )
    with open(folder / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write("\nc.SandboxedExecute.memory_mb = 1536\nc.SandboxedExecute.processes = 64\n")
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", NAME, "--force"],
        cwd=folder,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    release = json.loads((folder / "release" / NAME / f"{NAME}.ipynb").read_text())
    source = json.loads((folder / "source" / NAME / f"{NAME}.ipynb").read_text())
    answers = {
        nbg(c)["grade_id"]: regions.unmarked(regions.cell_text(c), "solution")
        for c in source["cells"]
        if nbg(c).get("solution") and c["cell_type"] == "code"
    }
    for student, fill in (("full", set(answers)), ("part", {sorted(answers)[0]}), ("none", set())):
        nb = json.loads(json.dumps(release))
        for cell in nb["cells"]:
            if nbg(cell).get("grade_id") in fill:
                cell["source"] = answers[nbg(cell)["grade_id"]]
        path = folder / "submitted" / student / NAME / f"{NAME}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(nb), encoding="utf-8")


def grade_command(python: Path, course: Path) -> list[str]:
    return [str(python), "-m", "workbook.cli", "grade", NAME, "--course", str(course), "--workers", "2"]


def gradebook_rows(course: Path) -> list[tuple]:
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook("sqlite:///" + str(course / "gradebook.db")) as gb:
        for submission in gb.assignment_submissions(NAME):
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    rows.append(
                        (
                            submission.student.id,
                            notebook.name,
                            grade.name,
                            grade.auto_score,
                            grade.manual_score,
                        )
                    )
    return sorted(rows, key=repr)


def csv_rows(course: Path) -> list[dict]:
    with open(course / "grades.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def reference():
    base = Path(tempfile.mkdtemp(prefix="wb grade é "))  # a fresh `mktemp -d`: under /tmp
    try:
        python = make_venv(base / "venv ü")
        env = dict(
            os.environ,
            JUPYTER_CONFIG_DIR=str(base / "j" / "config"),
            JUPYTER_DATA_DIR=str(base / "j" / "data"),
            JUPYTER_RUNTIME_DIR=str(base / "j" / "runtime"),
            IPYTHONDIR=str(base / "j" / "ipython"),
            PYTHONWARNINGS="ignore",
            PYTHONUNBUFFERED="1",
            # the test venv borrows this one's packages, and so their data (nbconvert's templates)
            JUPYTER_PATH=str(Path(sys.prefix) / "share" / "jupyter"),
            PATH=os.pathsep.join([str(python.parent), str(Path(sys.executable).parent), os.environ["PATH"]]),
        )
        pristine = base / "pristine course"
        make_course(pristine, env)
        course = base / "course"
        shutil.copytree(pristine, course, symlinks=True)
        done = subprocess.run(
            grade_command(python, course), env=env, text=True, capture_output=True, timeout=900
        )
        yield SimpleNamespace(
            base=base,
            python=python,
            env=env,
            pristine=pristine,
            course=course,
            done=done,
            gradebook=gradebook_rows(course),
            csv=csv_rows(course),
        )
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_grades_from_a_course_and_venv_under_a_fresh_temporary_folder(reference):
    out = reference.done.stdout + reference.done.stderr
    assert reference.done.returncode == 0, out
    scores = {r["student_id"]: r for r in reference.csv}
    # written answers are marked by hand: the full solution gets every autograded point
    source = json.loads((reference.course / "source" / NAME / f"{NAME}.ipynb").read_text())
    autograded = sum(
        float(nbg(c)["points"]) for c in source["cells"] if nbg(c).get("grade") and c["cell_type"] == "code"
    )
    assert float(scores["full"]["score"]) == autograded > 0, out
    assert 0 < float(scores["part"]["score"]) < autograded, out
    assert float(scores["none"]["score"]) == 0 and scores["none"]["status"] == "graded"
    assert "NOT GRADED" not in out


#: The line `workbook grade` prints as it enters each stage (progress on stderr, commands it runs).
STAGES = {
    "sanitize": "submissions sanitized",
    "run": "submissions run",
    "save": "submissions saved",
    "feedback": "$ nbgrader generate_feedback",
    "export": "$ nbgrader export",
}
#: SIGKILL (a power cut) at every stage; each clean stop at two stages, so every stage gets one too.
#: Sent as they come in real life: SIGINT and SIGKILL to the whole process group (Ctrl+C, a power
#: cut), SIGTERM to the grader alone (`kill PID`), SIGHUP once by closing the grader's terminal (the
#: kernel hangs it up: nothing it prints after that is seen) and once to its process group.
CASES = [("SIGKILL", stage, "group") for stage in STAGES] + [
    ("SIGINT", "sanitize", "group"),
    ("SIGINT", "run", "group"),
    ("SIGTERM", "save", "process"),
    ("SIGTERM", "feedback", "process"),
    ("SIGHUP", "run", "terminal"),
    ("SIGHUP", "export", "group"),
]


def _group_names() -> list[str] | None:
    """Names of every grading cgroup now (None where grading makes no cgroups)."""
    tree = cgroup.tree_or_reason()
    return cgroup.names(tree) if isinstance(tree, cgroup.Tree) else None


def _session(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[3])
    except (OSError, IndexError, ValueError):
        return None


def cgroups_of(grader: int) -> list[str] | None:
    """The cgroups made by the grader started as ``grader`` (a session of its own) or any process
    it started (nbgrader runs as its child): named after their maker's pid. None where grading makes
    no cgroups.  Only that grader's: other tests grade, and kill and sweep graders, at the same time.
    """
    names = _group_names()
    if names is None:
        return None
    return [n for n in names if n.split(".", 1)[0].isdigit() and _session(int(n.split(".", 1)[0])) == grader]


def still_there(names: list[str] | None) -> list[str]:
    """Those of ``names`` that still exist."""
    now = set(_group_names() or [])
    return [n for n in names or [] if n in now]


def stop_at(
    command: list[str], env: dict, trigger: str, how: str, via: str
) -> tuple[int, str, int, list | None]:
    """Run the grader, send ``how`` when ``trigger`` shows; its exit code, what it printed, its pid,
    and its cgroups at that moment."""
    process = subprocess.Popen(
        command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    seen, groups = [], None
    try:
        for line in process.stdout:
            seen.append(line)
            if trigger in line:
                groups = cgroups_of(process.pid)
                if via == "process":
                    process.send_signal(signal.Signals[how])
                else:
                    os.killpg(process.pid, signal.Signals[how])
                break
        seen.append(process.stdout.read())
        return process.wait(timeout=300), "".join(seen), process.pid, groups
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.stdout.close()


def hang_up_at(command: list[str], env: dict, trigger: str) -> tuple[int, str, int, list | None]:
    """Run the grader on a terminal of its own and close that terminal when ``trigger`` shows."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        command,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # its controlling terminal
    )
    os.close(slave)
    seen, groups = "", None
    try:
        while trigger not in seen:
            ready, _, _ = select.select([master], [], [], 300)
            block = os.read(master, 65536) if ready else b""
            if not block:
                break
            seen += block.decode("utf-8", "replace")
        groups = cgroups_of(process.pid)
        os.close(master)  # the terminal goes away: the kernel sends SIGHUP to the grader
        master = -1
        return process.wait(timeout=300), seen, process.pid, groups
    finally:
        if master >= 0:
            os.close(master)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def check_resume(reference, how: str, stage: str, via: str) -> None:
    """Stop a grading run of a copy of the reference course at ``stage``; rerun; compare row by row."""
    trigger = STAGES[stage]
    course = reference.base / f"course {how} {stage}"
    shutil.copytree(reference.pristine, course, symlinks=True)
    command = grade_command(reference.python, course)
    if via == "terminal":
        code, out, grader, running = hang_up_at(command, reference.env, trigger)
    else:
        code, out, grader, running = stop_at(command, reference.env, trigger, how, via)
    assert trigger in out, out
    if how != "SIGKILL":
        assert code == 128 + signal.Signals[how].value, out
        if via != "terminal":  # a closed terminal shows nothing more, but the exit code says it
            assert f"Stopped ({how})" in out and "run the same command again" in out, out
        assert not still_there(running), "a stopped grader left its submissions' cgroups"
    elif stage == "run" and running is not None:
        # (left behind by the kill; another test's grader may already have swept them: any does)
        assert running, "killed while submissions ran, yet it had no cgroup to leave behind"
    again = subprocess.run(
        grade_command(reference.python, course),
        env=reference.env,
        text=True,
        capture_output=True,
        timeout=900,
    )
    assert again.returncode == 0, out + again.stdout + again.stderr
    assert gradebook_rows(course) == reference.gradebook
    assert csv_rows(course) == reference.csv
    assert not still_there(running), "the next run did not remove a killed grader's cgroups"


#: A power cut at every stage here; the clean stops in test_grading_stops.py (a file of their own,
#: so that the two halves run on both of CI's workers).
@pytest.mark.parametrize(("how", "stage", "via"), [c for c in CASES if c[0] == "SIGKILL"])
def test_interrupted_run_resumes_to_the_same_gradebook_and_csv(reference, how, stage, via):
    check_resume(reference, how, stage, via)
