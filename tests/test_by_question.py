"""Grading one written question across submissions: rubric, comments, the gradebook (marker ``grading``).

The course is real nbgrader: ``generate_assignment`` on a copy of ex02, six students' submissions
made from the released notebook (their written answers seeded here), entered in the gradebook with
nbgrader's API. ``build_course`` is shared with the browser test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is in the test and instructor extras")

pytestmark = pytest.mark.grading

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = "ex02_one_percent"
QUESTION = "ex02-q5-written"
STUDENTS = [f"s{n:02d}" for n in range(1, 7)]
ANSWERS = {
    "s01": "Spending stayed close to but just under about 1 % (essay2005-06d) over the period.",
    "s02": "The share was about 3 % (essay2005-06d), far above the claim.",  # a wrong number: flagged
    "s03": "After the ceiling was dropped the share soon fell back below it, so there was no surge.",
    "s04": "It stayed near the claimed share; see sa1997-99z.",  # an unknown id: flagged
    "s05": "Close to the claim on average, a few hundredths of a point away.",
    "s06": "",  # handed in without an answer
}


def course_env(base: Path) -> dict:
    env = dict(os.environ)
    for name, sub in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
    ):
        env[name] = str(base / sub)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def build_course(folder: Path, env: dict) -> Path:
    """A course folder with ex02 released and six students' submissions in the gradebook."""
    from nbgrader.api import Gradebook

    from workbook.course.grades_export import tools_on_path

    tools_on_path()
    (folder / "source").mkdir(parents=True)
    shutil.copytree(ROOT / "exercises" / "source" / EXERCISE, folder / "source" / EXERCISE)
    shutil.copy(ROOT / "exercises" / "nbgrader_config.py", folder / "nbgrader_config.py")
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", EXERCISE, "--force"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    released = json.loads((folder / "release" / EXERCISE / f"{EXERCISE}.ipynb").read_text(encoding="utf-8"))
    with Gradebook("sqlite:///" + str(folder / "gradebook.db"), "alliance-workbook") as gb:
        for student in STUDENTS:
            nb = json.loads(json.dumps(released))
            for cell in nb["cells"]:
                if cell["metadata"].get("nbgrader", {}).get("grade_id") == QUESTION:
                    cell["source"] = ANSWERS[student] or cell["source"]
            for stage in ("submitted", "autograded"):
                target = folder / stage / student / EXERCISE / f"{EXERCISE}.ipynb"
                target.parent.mkdir(parents=True)
                target.write_text(json.dumps(nb), encoding="utf-8")
            gb.add_student(student, first_name=student.upper(), last_name="Student")
            gb.add_submission(EXERCISE, student)
            for name in ("ex02-q5-written", "ex02-q6-written"):
                gb.find_grade(name, EXERCISE, EXERCISE, student).needs_manual_grade = True
        gb.db.commit()
    return folder


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("bq")
    return build_course(base / "course", course_env(base))


def grade_row(course: Path, student: str, name: str = QUESTION):
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "gradebook.db"), "alliance-workbook") as gb:
        grade = gb.find_grade(name, EXERCISE, EXERCISE, student)
        comment = gb.find_comment(name, EXERCISE, EXERCISE, student)
        return grade.manual_score, grade.needs_manual_grade, comment.manual_comment


def test_the_rubric_comes_from_the_mark_scheme_and_flags_sit_beside_answers(course):
    from workbook.course.by_question import GradingSession

    session = GradingSession(course, EXERCISE, QUESTION)
    assert [i["points"] for i in session.state["items"]] == [1.0, 1.0]
    assert "mean or the average gap" in session.state["items"][0]["text"]  # a continued line is joined
    flagged = {a.student for a in session.answers if a.flags}
    assert flagged == {"s02", "s04"}
    assert [session.answers[i].student for i in session.visible("flagged")] == ["s02", "s04"]
    assert len(session.visible("not yet graded")) == 6


def test_scores_and_comments_reach_the_gradebook_and_follow_rubric_changes(course):
    from workbook.course.by_question import GradingSession

    session = GradingSession(course, EXERCISE, QUESTION)
    session.toggle("s01", 1)
    session.toggle("s01", 2)
    session.set_comment("s01", "Name the years of Question 2.")
    session.toggle("s03", 2)
    session.reuse_comment("s03", 1)
    session.zero("s06")
    assert grade_row(course, "s01") == (2.0, False, "Name the years of Question 2.")
    assert grade_row(course, "s03") == (1.0, False, "Name the years of Question 2.")
    assert grade_row(course, "s06")[:2] == (0.0, False)
    assert grade_row(course, "s02")[1] is True  # not graded yet: still waiting for a person
    assert [session.answers[i].student for i in session.visible("not yet graded")] == ["s02", "s04", "s05"]
    session.set_item(2, points=0.5)  # the rubric changes while grading: scores already given follow
    assert grade_row(course, "s01")[0] == 1.5 and grade_row(course, "s03")[0] == 0.5
    again = GradingSession(course, EXERCISE, QUESTION)  # kept in the course folder
    assert again.score("s01") == 1.5 and again.state["comments"] == ["Name the years of Question 2."]
    session.toggle("s01", 2)
    session.toggle("s01", 2)  # untick and tick again: same score
    assert grade_row(course, "s01")[0] == 1.5
