"""``workbook grades export``: Canvas's and Moodle's import formats, from a real nbgrader gradebook.

The gradebook is made with nbgrader's own API (an assignment with an autograded and a written cell,
three students: graded, written answer not yet graded, no submission), marker ``grading``.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

pytest.importorskip("nbgrader", reason="nbgrader is in the test and instructor extras")

from workbook.cli import main  # noqa: E402
from workbook.course.grades_export import read_gradebook, render, tools_on_path  # noqa: E402

pytestmark = pytest.mark.grading
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    from nbgrader.api import Gradebook

    folder = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "exercises" / "nbgrader_config.py", folder / "nbgrader_config.py")
    (folder / "source").mkdir()
    url = "sqlite:///" + str(folder / "gradebook.db")
    tools_on_path()
    with Gradebook(url, "alliance-workbook") as gb:
        gb.add_assignment("ex02_one_percent")
        gb.add_notebook("ex02_one_percent", "ex02_one_percent")
        gb.add_grade_cell(
            "ex02-q1-tests", "ex02_one_percent", "ex02_one_percent", max_score=1, cell_type="code"
        )
        gb.add_grade_cell(
            "ex02-q5-written", "ex02_one_percent", "ex02_one_percent", max_score=2, cell_type="markdown"
        )
        gb.add_student(
            "s01", first_name="Ada", last_name="Ng, Jr", email="ada@example.edu", lms_user_id="9101"
        )
        gb.add_student("s02", first_name="Bo", last_name="Li", email="bo@example.edu")
        gb.add_student("s03", first_name="Cy", last_name="Ro", email="cy@example.edu")
        for student in ("s01", "s02"):
            gb.add_submission("ex02_one_percent", student)
            auto = gb.find_grade("ex02-q1-tests", "ex02_one_percent", "ex02_one_percent", student)
            auto.auto_score = 1
            auto.needs_manual_grade = False
        written = gb.find_grade("ex02-q5-written", "ex02_one_percent", "ex02_one_percent", "s01")
        written.manual_score = 1.5
        written.needs_manual_grade = False
        still = gb.find_grade("ex02-q5-written", "ex02_one_percent", "ex02_one_percent", "s02")
        still.needs_manual_grade = True
        gb.db.commit()
    return folder


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_canvas_format_has_the_points_possible_row_and_the_totals(course, capsys):
    code = main(["grades", "export", "--format", "canvas", "--course", str(course), "--to", "-"])
    out, err = capsys.readouterr()
    assert code == 1 and "s02 / ex02_one_percent: ex02-q5-written" in err  # not yet graded by hand
    table = rows(out)
    assert table[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ex02_one_percent"]
    assert table[1][0].strip() == "Points Possible" and table[1][5] == "3"
    by_id = {r[2]: r for r in table[2:]}
    assert by_id["s01"][0] == "Ng, Jr, Ada" and by_id["s01"][1] == "9101" and by_id["s01"][5] == "2.5"
    assert by_id["s02"][5] == "1"
    assert by_id["s03"][5] == ""  # no submission: left empty, never 0


def test_moodle_and_plain_csv_with_the_per_question_breakdown(course):
    grades = read_gradebook("sqlite:///" + str(course / "gradebook.db"), "alliance-workbook")
    moodle = rows(render(grades, "moodle", per_question=True))
    assert moodle[0] == [
        "First name",
        "Last name",
        "ID number",
        "Email address",
        "ex02_one_percent",
        "ex02_one_percent: ex02-q1-tests",
        "ex02_one_percent: ex02-q5-written",
    ]
    assert moodle[1] == ["Ada", "Ng, Jr", "s01", "ada@example.edu", "2.5", "1", "1.5"]
    plain = rows(render(grades, "csv"))
    assert plain[0][-2:] == ["total", "max_score"]
    assert [r[-2:] for r in plain[1:]] == [["2.5", "3"], ["1", "3"], ["0", "3"]]


def test_a_file_is_written_whole_and_a_wrong_name_is_refused(course, capsys):
    target = course / "out" / "canvas.csv"
    assert main(["grades", "export", "--format", "canvas", "--course", str(course), "--to", str(target)]) == 1
    assert rows(target.read_text(encoding="utf-8"))[2][2] == "s01"
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".tmp")]
    assert main(["grades", "export", "ex99", "--course", str(course), "--to", "-"]) == 2
    assert "no assignment ex99" in capsys.readouterr().err
