"""The graded exercises, run through the real nbgrader command line (marker: ``grading``).

One course is built per module: a copy of exercises/ in a temporary folder, with its own sqlite
gradebook and Jupyter folders, shared by every test through module-scoped fixtures. Nothing is
written into the repository.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest

import workbook

pytest.importorskip("nbgrader", reason="nbgrader is in the test and instructor extras")
from workbook.course import grading, regions  # noqa: E402  (grading imports nbgrader)

pytestmark = pytest.mark.grading

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
SOURCE = EXERCISES / "source"
ASSIGNMENTS = sorted(p.name for p in SOURCE.iterdir() if p.is_dir()) if SOURCE.is_dir() else []

#: Assignments graded with fake submissions. The second goes through `workbook grade`.
GRADED = ("ex02_one_percent", "ex06_history_issue")
#: Seconds a cell may run while grading in the tests (the looping submission is cut off after this).
TIMEOUT = 8
#: A well-formed but wrong answer to question 2: it passes the visible checks, fails the hidden ones.
WRONG = {
    "ex02_one_percent": ("ex02-q2-answer", 'years_back_below = sorted(int(y) for y in record["year"])'),
    "ex06_history_issue": ("ex06-q2-answer", "excess_over_paid_pct = 0.0"),
}
STUDENTS = ("solution", "blank", "partial", "loop", "tampered", "marker")
BROKEN = "broken"
MARKERS = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN MARK SCHEME",
    "END MARK SCHEME",
    "Mark scheme",
    "Model answer",
)


# ------------------------------------------------------------------------------------- helpers

text = regions.cell_text


def nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source_nb(name: str) -> dict:
    return read(SOURCE / name / f"{name}.ipynb")


def secret(name: str, kind: str) -> set[str]:
    """Distinctive lines found only inside the ``kind`` regions of a source notebook."""
    return regions.secret_lines(source_nb(name)["cells"])[kind]


def solutions(name: str) -> dict[str, str]:
    """grade_id -> the solution code of every answer cell, without the markers."""
    return {
        nbg(c)["grade_id"]: "\n".join(regions.inside(text(c), "solution"))
        for c in source_nb(name)["cells"]
        if nbg(c).get("solution")
    }


def points(name: str) -> dict[str, float]:
    """grade_id -> points of the autograded test cells, in notebook order."""
    return {
        nbg(c)["grade_id"]: float(nbg(c)["points"])
        for c in source_nb(name)["cells"]
        if nbg(c).get("grade") and c["cell_type"] == "code"
    }


def total_points(name: str) -> float:
    return sum(float(nbg(c)["points"]) for c in source_nb(name)["cells"] if nbg(c).get("grade"))


def answer_ids(name: str) -> list[str]:
    return [
        nbg(c)["grade_id"]
        for c in source_nb(name)["cells"]
        if nbg(c).get("solution") and c["cell_type"] == "code"
    ]


def nbgrader(course: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=course,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=900,
    )


class Background:
    """A command started now and waited for when a test needs its result (2 cores: overlap waits)."""

    def __init__(self, command: list[str], cwd: Path, env: dict, log: Path):
        self.log = log
        self.handle = open(log, "w", encoding="utf-8")
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, text=True, stdout=self.handle, stderr=subprocess.STDOUT
        )

    def result(self) -> subprocess.CompletedProcess:
        returncode = self.process.wait(timeout=900)
        self.handle.close()
        return subprocess.CompletedProcess(
            self.process.args, returncode, self.log.read_text(encoding="utf-8"), None
        )


def visible_text(html_page: str) -> str:
    """The text a student reads in an HTML page (tags and syntax-highlighting spans removed)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", html_page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


# ------------------------------------------------------------------------------ fake submissions


def submissions(course: Path, name: str) -> dict[str, dict]:
    """Notebooks as students might hand them in, built from the released version."""
    release = read(course / "release" / name / f"{name}.ipynb")
    sols = solutions(name)
    answers = answer_ids(name)
    wrong_id, wrong_code = WRONG[name]

    def version(fill, replace=None):
        nb = json.loads(json.dumps(release))
        for cell in nb["cells"]:
            gid = nbg(cell).get("grade_id")
            if replace and gid in replace:
                cell["source"] = replace[gid]
            elif gid in fill:
                cell["source"] = sols[gid]
        return nb

    essays = {
        gid: "A student's own written answer, citing essay2005 ¶6 and record r017."
        for gid in sols
        if gid not in answers
    }
    made = {
        "solution": version(set(answers), essays),
        "blank": version(set()),
        "partial": version({answers[0]}, {wrong_id: wrong_code}),
        "loop": version(set(answers), {answers[1]: "while True:\n    pass"}),
        # An answer that happens to contain nbgrader's marker (nbgrader's feedback used to fail on it).
        "marker": version(
            set(answers), {answers[0]: "# ### BEGIN HIDDEN TESTS (my notes)\n" + sols[answers[0]]}
        ),
    }
    # Tampered: the first test cell and the first written answer deleted, the last answer cell
    # deleted together with its tests and the answer retyped into a new plain cell, and the other
    # test cells edited to pass whatever happens.
    tampered = version(set(answers), essays)
    tests = list(points(name))
    written = [
        nbg(c)["grade_id"]
        for c in release["cells"]
        if nbg(c).get("solution") and c["cell_type"] == "markdown"
    ]
    gone = {tests[0], tests[-1], written[0]}
    cells = []
    for cell in tampered["cells"]:
        gid = nbg(cell).get("grade_id")
        if gid in gone:
            continue
        if gid == answers[-1]:
            cells.append(nbformat.v4.new_code_cell(sols[gid]))
            continue
        if gid in tests:
            cell["source"] = "assert True  # edited by the student"
        cells.append(cell)
    tampered["cells"] = cells
    made["tampered"] = tampered
    return made


# ------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def env(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("jupyter-home")
    environment = dict(os.environ)
    environment.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / "ipython"),
        PYTHONWARNINGS="ignore",
    )
    # nbgrader calls `alembic` by name when it creates a gradebook.
    environment["PATH"] = str(Path(sys.executable).parent) + os.pathsep + environment.get("PATH", "")
    return environment


def copy_course(target: Path) -> Path:
    shutil.copytree(
        EXERCISES,
        target,
        ignore=shutil.ignore_patterns(
            "release",
            "submitted",
            "autograded",
            "feedback",
            "gradebook.db",
            "grades.csv",
            ".ipynb_checkpoints",
            "__pycache__",
        ),
    )
    return target


@pytest.fixture(scope="module")
def course(tmp_path_factory, env) -> SimpleNamespace:
    """exercises/ copied to a temp folder, with every assignment generated once.

    The slow checks that only read the course (nbgrader validate on the source and on the release,
    and `workbook release` in a second copy) start in the background here and run while the
    submissions are graded; their tests wait for them.
    """
    base = tmp_path_factory.mktemp("course")
    folder = copy_course(base / "exercises")
    generated = nbgrader(folder, env, "generate_assignment", "*", "--force")
    nbgrader_cmd = [sys.executable, "-m", "nbgrader"]
    background = {
        "validate": Background(
            nbgrader_cmd + ["validate"] + [f"source/{n}/{n}.ipynb" for n in ASSIGNMENTS],
            folder,
            env,
            base / "validate.log",
        ),
        "invert": Background(
            nbgrader_cmd + ["validate", "--invert"] + [f"release/{n}/{n}.ipynb" for n in ASSIGNMENTS],
            folder,
            env,
            base / "invert.log",
        ),
    }
    second = copy_course(base / "wrapper-course")
    background["release"] = Background(
        [
            sys.executable,
            "-m",
            "workbook.cli",
            "release",
            GRADED[0],
            "--no-validate",
            "--course",
            str(second),
        ],
        base,
        env,
        base / "release.log",
    )
    return SimpleNamespace(path=folder, env=env, generated=generated, background=background, second=second)


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory) -> SimpleNamespace:
    """Fake submissions for GRADED, autograded (one by nbgrader, one by `workbook grade`)."""
    for name in GRADED:
        for student, nb in submissions(course.path, name).items():
            folder = course.path / "submitted" / student / name
            folder.mkdir(parents=True)
            (folder / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        broken = course.path / "submitted" / BROKEN / name
        broken.mkdir(parents=True)
        (broken / f"{name}.ipynb").write_text("{ this is not a notebook", encoding="utf-8")

    first, second = GRADED
    autograde = nbgrader(
        course.path, course.env, "autograde", first, "--force", f"--Execute.timeout={TIMEOUT}"
    )
    feedback = nbgrader(course.path, course.env, "generate_feedback", first, "--force")
    wrapper_csv = tmp_path_factory.mktemp("wrapper") / "grades.csv"
    wrapper = subprocess.run(
        [
            sys.executable,
            "-m",
            "workbook.cli",
            "grade",
            second,
            "--course",
            str(course.path),
            "--timeout",
            str(TIMEOUT),
            "--to",
            str(wrapper_csv),
        ],
        env=course.env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=900,
    )
    # `workbook grade` ends with `nbgrader export --to CSV`, which exports every assignment.
    with open(wrapper_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    scores = {
        (r["assignment"], r["student_id"]): float(r["score"]) for r in rows if r["status"] != "NOT GRADED"
    }
    not_graded = {(r["assignment"], r["student_id"]) for r in rows if r["status"] == "NOT GRADED"}
    maxima = {(r["assignment"], r["student_id"]): float(r["max_score"]) for r in rows}
    return SimpleNamespace(
        autograde=autograde,
        feedback=feedback,
        wrapper=wrapper,
        csv=wrapper_csv,
        scores=scores,
        maxima=maxima,
        not_graded=not_graded,
    )


def autograded_nb(course, name: str, student: str) -> dict:
    return read(course.path / "autograded" / student / name / f"{name}.ipynb")


# ------------------------------------------------------------------------- the source notebooks


def test_one_exercise_for_each_of_notebooks_01_to_07():
    numbers = {name[2:4] for name in ASSIGNMENTS if re.fullmatch(r"ex\d\d_\w+", name)}
    assert {f"{n:02d}" for n in range(1, 8)} <= numbers, ASSIGNMENTS
    for name in ASSIGNMENTS:
        assert (SOURCE / name / f"{name}.ipynb").is_file()


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_source_notebook_is_in_nbgrader_format(name):
    path = SOURCE / name / f"{name}.ipynb"
    nbformat.validate(nbformat.read(path, as_version=4))
    nb = read(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    kinds = {"test": 0, "hidden": 0, "answer": 0, "written": 0}
    ids = []
    for cell in nb["cells"]:
        assert not cell.get("outputs") and not cell.get("execution_count"), "commit without outputs"
        meta = nbg(cell)
        if not meta:
            continue
        assert meta["schema_version"] == 3
        assert {"grade_id", "grade", "solution", "locked"} <= set(meta)
        ids.append(meta["grade_id"])
        source = text(cell)
        if meta["grade"]:
            assert meta["points"] > 0
        if meta["grade"] and cell["cell_type"] == "code":
            kinds["test"] += 1
            assert meta["locked"] and not meta["solution"]
            kinds["hidden"] += "### BEGIN HIDDEN TESTS" in source and "### END HIDDEN TESTS" in source
        if meta["solution"]:
            assert "### BEGIN SOLUTION" in source and "### END SOLUTION" in source
            if cell["cell_type"] == "code":
                kinds["answer"] += 1
            else:
                assert meta["grade"], "a written answer is manually graded"
                assert "Mark scheme" in source and "Model answer" in source
                kinds["written"] += 1
    assert len(ids) == len(set(ids)), "grade ids must be unique"
    assert kinds["test"] >= 3 and kinds["hidden"] == kinds["test"], kinds
    assert kinds["answer"] == kinds["test"] and kinds["written"] >= 2, kinds


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_no_figure_from_the_readings_is_typed_into_a_cell(name):
    """Answers and tests take their numbers from load(); a reading's figure typed in is a bug."""
    claims = workbook.load("claims")
    figures = set()
    for column in ("value", "value_low", "value_high"):
        figures |= {float(v) for v in claims[column].dropna()}
    mechanics = {0.0, 1.0, 2.0, 3.0, 100.0}  # indexing, rounding, day/month/year ranks, percent
    for cell in source_nb(name)["cells"]:
        if cell["cell_type"] != "code":
            continue
        code = re.sub(r"(\"[^\"\n]*\"|'[^'\n]*')", '""', text(cell))  # ids like "sa1997-39a"
        for token in re.findall(r"(?<![\w.])\d[\d_]*(?:\.\d+)?", code):
            number = float(token.replace("_", ""))
            assert number in mechanics or number not in figures, f"{name}: {token} in {text(cell)!r}"


def test_nbgrader_config_sets_course_timeouts_and_feedback_preprocessors():
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(EXERCISES)).load_config()
    assert config.CourseDirectory.course_id == "alliance-workbook"
    assert 0 < config.Execute.timeout <= 300
    feedback = config.GenerateFeedback.preprocessors
    assert "workbook.course.grading.ClearHiddenTests" in feedback
    assert "workbook.course.grading.HideGradeTracebacks" in feedback
    assert "workbook.course.grading.RestoreMissingCells" in config.Autograde.sanitize_preprocessors
    # students' code runs sandboxed, also under plain `nbgrader autograde` in the course folder
    autograde = config.Autograde.autograde_preprocessors
    assert "workbook.course.autograde.SandboxedExecute" in autograde
    assert not any(p.endswith(".Execute") for p in autograde)
    assert autograde.index("workbook.course.autograde.SandboxedExecute") < autograde.index(
        "nbgrader.preprocessors.SaveAutoGrades"
    )


def test_feedback_preprocessor_cuts_test_tracebacks_only():
    nb = nbformat.v4.new_notebook()
    test = nbformat.v4.new_code_cell("assert x == 1\n_secret = 2")
    test.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "t",
        "points": 1,
        "solution": False,
        "locked": True,
        "schema_version": 3,
    }
    error = nbformat.v4.new_output(
        "error",
        ename="AssertionError",
        evalue="",
        traceback=["\x1b[0;31mAssertionError\x1b[0m", "_secret = 2"],
    )
    test.outputs = [error]
    student = nbformat.v4.new_code_cell("1/0")
    student.outputs = [
        nbformat.v4.new_output(
            "error",
            ename="ZeroDivisionError",
            evalue="division by zero",
            traceback=["1/0", "ZeroDivisionError"],
        )
    ]
    nb.cells = [test, student]
    out, _ = grading.HideGradeTracebacks().preprocess(nb, {})
    assert out.cells[0].outputs[0].traceback == ["AssertionError (one of the graders' checks failed)"]
    assert out.cells[1].outputs[0].traceback == ["1/0", "ZeroDivisionError"]


def _metadata_verdict(preprocessor, nb) -> str:
    try:
        preprocessor.preprocess(nb, {})
    except Exception as error:  # the verdicts compared: the type and message
        return f"{type(error).__name__}: {error}"
    return "valid"


def test_check_cell_metadata_judges_as_nbgrader_does():
    """Ours checks nbgrader's schema once per process; its verdicts are nbgrader's, cell for cell."""
    from nbgrader.preprocessors import CheckCellMetadata as Nbgraders

    source = nbformat.read(SOURCE / ASSIGNMENTS[0] / f"{ASSIGNMENTS[0]}.ipynb", as_version=4)
    graded = [i for i, c in enumerate(source.cells) if c.metadata.get("nbgrader", {}).get("grade")]
    breakages = {
        "points as text": lambda m: m.update(points="two"),
        "unknown key": lambda m: m.update(colour="red"),
        "no grade_id": lambda m: m.pop("grade_id"),
        "old schema": lambda m: m.update(schema_version=1),
        "new schema": lambda m: m.update(schema_version=99),
        "grade as text": lambda m: m.update(grade="yes"),
    }
    verdicts = {}
    for what, breaking in [("as released", None), *breakages.items()]:
        nb = nbformat.from_dict(json.loads(json.dumps(source)))
        if breaking is not None:
            breaking(nb.cells[graded[-1]].metadata["nbgrader"])
        ours = _metadata_verdict(grading.CheckCellMetadata(), nb)
        assert ours == _metadata_verdict(Nbgraders(), nb), what
        verdicts[what] = ours
    assert verdicts["as released"] == "valid"
    for what in ("points as text", "no grade_id", "grade as text"):
        assert verdicts[what].startswith("ValidationError: Notebook failed to validate"), verdicts
    assert verdicts["old schema"].startswith("SchemaTooOldError"), verdicts


# ------------------------------------------------------------------------- nbgrader: the release


def test_generate_assignment_releases_every_exercise(course):
    assert course.generated.returncode == 0, course.generated.stdout[-4000:]
    for name in ASSIGNMENTS:
        assert f"Updating/creating assignment '{name}'" in course.generated.stdout
        assert (course.path / "release" / name / f"{name}.ipynb").is_file()


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_has_no_solution_hidden_test_or_mark_scheme(course, name):
    released = read(course.path / "release" / name / f"{name}.ipynb")
    everything = "\n".join(text(c) for c in released["cells"])
    lines = {line.strip() for line in everything.splitlines()}
    for marker in MARKERS:
        assert marker not in everything, f"{name}: {marker!r} in the student version"
    hidden = secret(name, "hidden test")
    solution = secret(name, "solution")
    assert hidden and solution
    assert not hidden & lines, f"hidden tests released: {hidden & lines}"
    assert not solution & lines, f"solution code or mark scheme released: {solution & lines}"
    assert all(not c.get("outputs") for c in released["cells"])
    source = SOURCE / name / f"{name}.ipynb"
    assert grading.find_leaks(source, course.path / "release" / name / f"{name}.ipynb") == []


def test_leak_scan_catches_an_unreleased_notebook(tmp_path):
    name = ASSIGNMENTS[0]
    leaked = tmp_path / f"{name}.ipynb"
    shutil.copy(SOURCE / name / f"{name}.ipynb", leaked)
    problems = grading.find_leaks(SOURCE / name / f"{name}.ipynb", leaked)
    assert any("BEGIN HIDDEN TESTS" in p for p in problems)
    assert any("solution line" in p for p in problems)
    assert any("hidden test line" in p for p in problems)


# ------------------------------------------------------------------------- nbgrader: grading


@pytest.mark.parametrize("name", GRADED)
def test_solution_gets_every_autograded_point(graded, name):
    assert graded.scores[(name, "solution")] == sum(points(name).values())
    assert graded.maxima[(name, "solution")] == total_points(name)


@pytest.mark.parametrize("name", GRADED)
def test_answer_containing_the_hidden_test_marker_is_graded_and_gets_feedback(course, graded, name):
    assert graded.scores[(name, "marker")] == sum(points(name).values())
    page = course.path / "feedback" / "marker" / name / f"{name}.html"
    assert page.is_file(), "nbgrader's ClearHiddenTests used to fail on the student's marker"
    assert "my notes" in visible_text(page.read_text(encoding="utf-8")), "the student's own text stays"


@pytest.mark.parametrize("name", GRADED)
def test_blank_submission_gets_zero(graded, name):
    assert graded.scores[(name, "blank")] == 0


@pytest.mark.parametrize("name", GRADED)
def test_partly_right_gets_points_in_between(graded, name):
    first_test = next(iter(points(name).values()))
    assert graded.scores[(name, "partial")] == first_test
    assert 0 < graded.scores[(name, "partial")] < sum(points(name).values())


@pytest.mark.parametrize("name", GRADED)
def test_infinite_loop_times_out_and_is_scored_on_what_ran(course, graded, name):
    tests = list(points(name).values())
    assert graded.scores[(name, "loop")] == sum(tests) - tests[1]
    nb = autograded_nb(course, name, "loop")
    loop_cell = next(c for c in nb["cells"] if nbg(c).get("grade_id") == answer_ids(name)[1])
    assert any(o.get("ename") == "CellTimeoutError" for o in loop_cell["outputs"])
    later = nb["cells"][nb["cells"].index(loop_cell) + 1 :]
    assert all(c.get("execution_count") for c in later if c["cell_type"] == "code"), (
        "the cells after the loop still ran"
    )


@pytest.mark.parametrize("name", GRADED)
def test_deleted_edited_and_retyped_cells_are_graded_on_what_remains(course, graded, name):
    assert graded.scores[(name, "tampered")] == sum(points(name).values())
    nb = autograded_nb(course, name, "tampered")
    present = {nbg(c).get("grade_id"): c for c in nb["cells"]}
    source = {nbg(c)["grade_id"]: text(c) for c in source_nb(name)["cells"] if nbg(c)}
    for test_id in points(name):
        assert test_id in present, f"{test_id} was put back"
        assert source[test_id] in text(present[test_id]), f"{test_id} restored from the gradebook"


def test_broken_submission_is_reported_and_the_rest_is_graded(course, graded):
    name = GRADED[0]
    assert graded.autograde.returncode != 0
    assert f"error processing assignment '{name}' for student '{BROKEN}'" in graded.autograde.stdout
    for student in STUDENTS:
        assert (course.path / "autograded" / student / name / f"{name}.ipynb").is_file()
        assert (name, student) in graded.scores


def test_workbook_grade_runs_autograde_feedback_and_export(course, graded):
    name = GRADED[1]
    out = graded.wrapper.stdout
    assert graded.wrapper.returncode == 1, out  # one submission could not be graded
    assert f"$ autograde {name}: each in its own sandbox" in out
    assert f"$ nbgrader generate_feedback {name}" in out
    assert f"! {name}/{BROKEN}: {name}.ipynb is not a notebook (not valid JSON" in out
    assert f"workbook grade {name} --student {BROKEN}" in out, "says what to do"
    assert f"{BROKEN:<20}   NOT GRADED (" in out and (name, BROKEN) in graded.not_graded  # never a 0
    assert "loop: a cell ran past the time limit" in out
    assert "tampered:" in out and "deleted by the student, put back" in out
    assert "edited by the student (a read-only cell), restored" in out
    assert "solution:" not in out, "nothing to report about an untouched submission"
    assert "marker:" not in out
    for student in STUDENTS:
        assert (course.path / "feedback" / student / name / f"{name}.html").is_file()


def test_export_writes_a_csv_with_the_scores(graded):
    assert "$ nbgrader export --to" in graded.wrapper.stdout
    header = graded.csv.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert {"assignment", "student_id", "score", "max_score"} <= set(header)
    for name in GRADED:
        full = sum(points(name).values())
        assert graded.scores[(name, "solution")] == full
        assert graded.scores[(name, "blank")] == 0
        assert 0 < graded.scores[(name, "partial")] < full
        assert 0 < graded.scores[(name, "loop")] < full
        assert graded.scores[(name, "tampered")] == full
        assert graded.maxima[(name, "solution")] == total_points(name)


@pytest.mark.parametrize("name", GRADED)
def test_feedback_shows_no_hidden_test(course, graded, name):
    assert graded.feedback.returncode == 0, graded.feedback.stdout[-3000:]
    hidden = secret(name, "hidden test")
    pages = sorted((course.path / "feedback").glob(f"*/{name}/*.html"))
    assert {p.parent.parent.name for p in pages} == set(STUDENTS)
    for page in pages:
        raw = page.read_text(encoding="utf-8")
        if page.parent.parent.name != "marker":  # that student typed the marker into an answer
            assert "BEGIN HIDDEN TESTS" not in raw and "END HIDDEN TESTS" not in raw, page
        readable = visible_text(raw)
        shown = {" ".join(line.split()) for line in readable.splitlines()}
        for line in hidden:
            assert " ".join(line.split()) not in shown, f"{page}: hidden test shown: {line}"
        assert "Mark scheme" not in readable and "Model answer" not in readable
    # Students still learn which check failed and why: the wrong answer to question 2 gets the
    # hidden check's message, without its code.
    partial = visible_text(
        (course.path / "feedback" / "partial" / name / f"{name}.html").read_text(encoding="utf-8")
    )
    q2_tests = next(
        c
        for c in source_nb(name)["cells"]
        if nbg(c).get("grade_id") == WRONG[name][0].replace("-answer", "-tests")
    )
    hidden_code = "\n".join(regions.inside(text(q2_tests), "hidden test"))
    messages = re.findall(r'assert .+, "([^"]+)"', hidden_code)
    assert messages and any(f"AssertionError: {m}" in partial for m in messages)


# --------------------------------------- background checks (they ran while grading went on)


def test_validate_passes_on_every_source_notebook(course):
    done = course.background["validate"].result()  # nbgrader validate source/*/*.ipynb
    assert done.stdout.count("Success! Your notebook passes all the tests.") == len(ASSIGNMENTS), done.stdout[
        -4000:
    ]
    assert "VALIDATION FAILED" not in done.stdout


def test_validate_invert_on_the_release(course):
    done = course.background["invert"].result()  # nbgrader validate --invert release/*/*.ipynb
    assert done.stdout.count("Success! The notebook does not pass any tests.") == len(ASSIGNMENTS), (
        done.stdout[-4000:]
    )


def test_workbook_release_wrapper(course):
    folder, name = course.second, GRADED[0]
    done = course.background["release"].result()  # workbook release NAME --course SECOND_COPY
    assert done.returncode == 0, done.stdout
    assert "Released 1 exercise(s)" in done.stdout and "LEAK" not in done.stdout
    assert (folder / "release" / name / f"{name}.ipynb").is_file()
    assert not (folder / "release" / GRADED[1]).exists()
