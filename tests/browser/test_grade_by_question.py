"""An instructor grades one written question for six students by keyboard only, in JupyterLab.

Rubric items by digit, a comment written once and reused with Shift+1, next with ``n``; then the
gradebook holds the scores, ``nbgrader generate_feedback`` shows each student the comment, and the
Canvas export has the totals. The keystrokes and seconds per answer go to the log (benchmarks/ uses
the same script side by side with Formgrader).
"""

from __future__ import annotations

import csv
import html
import io
import subprocess
import sys
import time
from pathlib import Path

import pytest
from labdriver import PANEL, LabServer, NotebookPage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
pytest.importorskip("nbgrader", reason="nbgrader is in the test and instructor extras")
from test_by_question import EXERCISE, QUESTION, STUDENTS, build_course, course_env, grade_row  # noqa: E402

COMMENT = "Name the years of Question 2."
#: Per student, in order: the rubric items ticked, and whether the comment is written (w) or reused (r).
PLAN = {
    "s01": ([1, 2], "w"),
    "s02": ([2], "r"),
    "s03": ([2], "r"),
    "s04": ([], "r"),
    "s05": ([1], ""),
    "s06": ([], ""),
}
GRADER_CELL = f'from workbook.course.by_question import grade_by_question\ngrade_by_question("{EXERCISE}", "{QUESTION}")'


class Keys:
    """The keyboard, counting every key pressed (a typed character counts as one)."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.count += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.count += len(text)


def grade_in_lab(server: LabServer, browser, artifacts: Path, notebook: str) -> dict:
    """Grade PLAN by keyboard in the widget; the keystrokes and seconds it took."""
    page = NotebookPage(server, browser, notebook, artifacts)
    try:
        page.open()
        page.run_all(timeout=120)
        box = page.page.locator(f"{PANEL} .wb-bq")
        box.wait_for(timeout=30_000)
        box.focus()
        keys = Keys(page.page)
        pos = page.page.locator(f"{PANEL} .wb-bq-pos")
        legend = page.page.locator(f"{PANEL} .wb-bq-rubric legend")
        start = time.monotonic()
        for n, student in enumerate(STUDENTS):
            pos.filter(has_text=f"answer {n + 1} of 6 ({student})").wait_for(timeout=15_000)
            items, comment = PLAN[student]
            for item in items:
                before = legend.inner_text()
                keys.press(str(item))
                page.wait_until(lambda b=before: legend.inner_text() != b, 15, f"item {item} for {student}")
            if not items:
                keys.press("0")
                legend.filter(has_text="Rubric: 0 /").wait_for(timeout=15_000)
            if comment == "w":
                keys.press("c")
                keys.type(COMMENT)
                keys.press("Escape")
                page.page.locator(f"{PANEL} .wb-bq-saved li", has_text=COMMENT).wait_for(timeout=15_000)
            elif comment == "r":
                keys.press("Shift+Digit1")
                page.wait_until(
                    lambda: page.page.locator(f"{PANEL} .wb-bq-comment").input_value() == COMMENT,
                    15,
                    f"the reused comment for {student}",
                )
            if n < len(STUDENTS) - 1:
                keys.press("n")
        seconds = time.monotonic() - start
        page.wait_until(
            lambda: "graded 6/6" in page.page.locator(f"{PANEL} .wb-bq").inner_text(), 15, "all graded"
        )
        return {"keys": keys.count, "seconds": seconds, "answers": len(STUDENTS)}
    finally:
        page.close()


def test_grading_one_question_by_keyboard_reaches_gradebook_feedback_and_canvas(browser, artifacts, tmp_path):
    import nbformat

    env = course_env(tmp_path)
    course = build_course(tmp_path / "course", env)
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.cells.append(nbformat.v4.new_code_cell(GRADER_CELL))
    nbformat.write(nb, course / "grade_by_question.ipynb")
    server = LabServer(tmp_path / "lab", course)
    try:
        server.start()
        result = grade_in_lab(server, browser, artifacts, "notebooks/grade_by_question.ipynb")
    finally:
        server.stop()
    graded = server.root / "notebooks"  # the server's copy of the course is the one graded
    print(f"grade by question: {result}")

    for student, (items, comment) in PLAN.items():
        score, needs, said = grade_row(graded, student)
        assert (score, needs) == (float(len(items)), False), student
        assert said == (COMMENT if comment else None), student

    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_feedback", EXERCISE, "--force"],
        cwd=graded,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for student, (_, comment) in PLAN.items():
        page = (graded / "feedback" / student / EXERCISE / f"{EXERCISE}.html").read_text(encoding="utf-8")
        assert (COMMENT in html.unescape(page)) == bool(comment), student

    from workbook.cli import main

    target = graded / "canvas.csv"
    main(["grades", "export", "--format", "canvas", "--course", str(graded), "--to", str(target)])
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
    totals = {r[2]: r[5] for r in rows[2:]}
    assert totals == {s: str(len(items)) for s, (items, _) in PLAN.items()}
