"""Grading one written question for six students: the grade-by-question widget against Formgrader.

Both are scripted in the same headless Chromium against the same JupyterLab, on two copies of one
course (ex02 released, six seeded answers; see tests/test_by_question.py): the same scores and the
same comment for the same students. Counted: keys pressed (a typed character is one key) and seconds
from the first answer on screen to the last saved, per answer. Formgrader is driven the way its
keyboard help says (type the score, Tab to the comment, type it, Esc, Ctrl+. to the next submission,
Shift+Tab back to the score): it has no rubric (the grader adds the points up) and no comment reuse.

    .venv/bin/python benchmarks/written_grading.py      # appends its section to benchmarks/RESULTS.md
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "browser")]

from labdriver import CHROMIUM_ARGS, LabServer, chromium_path  # noqa: E402
from test_by_question import EXERCISE, QUESTION, STUDENTS, build_course, course_env, grade_row  # noqa: E402
from test_grade_by_question import COMMENT, GRADER_CELL, PLAN, Keys, grade_in_lab  # noqa: E402

MATHJAX_STUB = (
    "window.MathJax = {Hub: {Config: function () {}, Queue: function () {}, Typeset: function () {},"
    " Startup: {signal: {Interest: function (f) { setTimeout(function () { f('End'); }, 0); }}}}};"
)


class CourseServer(LabServer):
    """JupyterLab whose root is the course folder itself (Formgrader reads nbgrader_config.py there)."""

    def __init__(self, base: Path, course: Path):
        super().__init__(base, course)
        self.root = course

    def prepare(self) -> None:
        for folder in self.jupyter_dirs.values():
            folder.mkdir(parents=True, exist_ok=True)


def grade_in_formgrader(server: LabServer, browser, course: Path) -> dict:
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "gradebook.db"), "alliance-workbook") as gb:
        owner = {gb.find_submission_notebook(EXERCISE, EXERCISE, s).id: s for s in STUDENTS}
    order = [owner[i] for i in sorted(owner)]  # Formgrader's own order: sorted submission ids
    first = sorted(owner)[0]
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, extra_http_headers={"Authorization": f"token {server.token}"}
    )
    # Formgrader loads MathJax from a CDN; offline that fails and its page never finishes starting
    # (no grades, no focus). A stand-in that only says "started" lets it run as it would online.
    context.route(
        lambda url: not url.startswith(server.url),
        lambda route: route.abort("blockedbyclient"),
    )
    # registered last, so asked first (Playwright tries the newest route first)
    context.route(
        "**/mathjax/**", lambda route: route.fulfill(content_type="text/javascript", body=MATHJAX_STUB)
    )
    page = context.new_page()
    try:
        url = f"{server.url}/formgrader/submissions/{first}/"
        page.goto(url, wait_until="load")
        page.wait_for_selector(f"#{QUESTION}")
        index = page.evaluate(f"$('.tabbable').index($('#{QUESTION}'))")
        page.goto(f"{server.url}/formgrader/submissions/{first}/?index={index}", wait_until="load")
        keys = Keys(page)

        def focused_on(element_id: str) -> None:
            """Get the keyboard focus to ``element_id`` as a keyboard user would: Enter (Formgrader's
            refocus key) if nothing is focused, then Tab or Shift+Tab until it is; every key counted."""
            page.wait_for_function(
                "window.formgrader && formgrader.grades.loaded && formgrader.comments.loaded"
            )
            where = "$('.tabbable').index(document.activeElement)"
            target = page.evaluate(f"$('.tabbable').index($('#{element_id}'))")
            try:
                page.wait_for_function(f"{where} >= 0", timeout=2000)
            except Exception:
                keys.press("Enter")
                page.wait_for_function(f"{where} >= 0", timeout=10000)
            for _ in range(40):
                now = page.evaluate(where)
                if now == target:
                    return
                keys.press("Tab" if now < target else "Shift+Tab")
                page.wait_for_function(f"{where} !== {now}", timeout=10000)
            raise RuntimeError(f"could not reach {element_id} by Tab")

        focused_on(QUESTION)
        start = time.monotonic()
        for n, student in enumerate(order):
            assert f"/submissions/{sorted(owner)[n]}/" in page.url, page.url
            items, comment = PLAN[student]
            if n:
                focused_on(QUESTION)
            keys.type(str(len(items)))
            keys.press("Tab")
            keys.press("Tab")
            if comment:
                keys.type(COMMENT)
            keys.press("Escape")
            page.wait_for_timeout(300)  # the change is saved by an XHR on blur
            if n < len(STUDENTS) - 1:
                with page.expect_navigation(wait_until="load"):
                    keys.press("Control+Period")
        seconds = time.monotonic() - start
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # every save landed
            if all(grade_row(course, s)[0] == float(len(PLAN[s][0])) for s in STUDENTS):
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("Formgrader's saves did not all reach the gradebook")
        return {"keys": keys.count, "seconds": seconds, "answers": len(STUDENTS)}
    finally:
        context.close()


def main() -> int:
    import nbformat
    from playwright.sync_api import sync_playwright

    base = Path(tempfile.mkdtemp(prefix="written-grading-"))
    try:
        env = course_env(base)
        os.environ.update(
            {k: env[k] for k in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR")}
        )
        widget_course = build_course(base / "widget", env)
        formgrader_course = base / "formgrader"
        shutil.copytree(widget_course, formgrader_course)
        # The copy's gradebook is the original's (same ids); nbgrader_config.py finds it beside itself.
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        nb.cells.append(nbformat.v4.new_code_cell(GRADER_CELL))
        nbformat.write(nb, widget_course / "grade_by_question.ipynb")
        load = os.getloadavg()[0]
        results = {}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                for name, course in (
                    ("grade by question (widget)", widget_course),
                    ("Formgrader", formgrader_course),
                ):
                    server = CourseServer(base / f"lab-{len(results)}", course)
                    try:
                        server.start()
                        if name.startswith("Formgrader"):
                            results[name] = grade_in_formgrader(server, browser, course)
                        else:
                            results[name] = grade_in_lab(server, browser, base, "grade_by_question.ipynb")
                    finally:
                        server.stop()
            finally:
                browser.close()
        load_after = os.getloadavg()[0]
        lines = [
            "",
            "## Written answers: grade by question against Formgrader (`benchmarks/written_grading.py`)",
            "",
            f"Run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average {load:.1f} before, "
            f"{load_after:.1f} after (2 cores, shared with other work). One written question (ex02 Q5, 2 points, "
            "a 2-item rubric) for 6 students, the same scores and the same 29-character comment for 4 of "
            "them, both scripted by keyboard in one headless Chromium. Seconds: first answer on screen to "
            "the last one saved (Formgrader includes a page load per student; the widget one kernel round "
            "trip per key). Not counted for Formgrader: looking up the mark scheme in another window.",
            "",
            "| grader | keys | keys per answer | seconds | seconds per answer |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, r in results.items():
            lines.append(
                f"| {name} | {r['keys']} | {r['keys'] / r['answers']:.1f} | {r['seconds']:.1f} | "
                f"{r['seconds'] / r['answers']:.2f} |"
            )
        text = "\n".join(lines) + "\n"
        print(text)
        with open(ROOT / "benchmarks" / "RESULTS.md", "a", encoding="utf-8") as handle:
            handle.write(text)
        return 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
