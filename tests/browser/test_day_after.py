"""The student's day after: reopen a saved notebook with a fresh kernel and nothing looks broken.

One scratch notebook (an explorer, two self-checks, ``progress()``, a variable and an answer cell
that uses it) runs in JupyterLab, is saved and closed, then reopened with a new kernel:

- the explorer shows the saved stand-in of its last state, never "model not found";
- running the answer cell first gives the friendly message naming the cell that defines the
  variable, from the kernel extension alone (the notebook imports nothing before it);
- ``progress()`` listed the two checks passed in the first run.
"""

from __future__ import annotations

import json

import nbformat
import pytest
from labdriver import PANEL, NotebookPage, artifacts_dir

from workbook import checks

pytestmark = pytest.mark.browser

FOLDER = "day-after"
NAME = "00_day_after.ipynb"  # "00": progress() and the checks of notebook 00

JS_VISIBLE_TEXT = """([panelSel, needle]) => {
  const panel = document.querySelector(panelSel);
  return [...panel.querySelectorAll('.jp-OutputArea-output')]
    .filter(o => o.getClientRects().length > 0 && (o.innerText || '').includes(needle)).length;
}"""


def _two_checks() -> list[tuple[str, object]]:
    judged = [i for i in checks.ids("00") if checks.KINDS[checks._REGISTRY[i].kind].judged]
    return [(i, checks._REGISTRY[i]()) for i in judged[:2]]


def _cells() -> list[str]:
    (a, va), (b, vb) = _two_checks()
    return [
        "from workbook import widgets\ncalc = widgets.BudgetCalculator()\ncalc",  # 1
        "calc.share.value = 2.5",  # 2
        "record = 41",  # 3
        f"check({a!r}, {va!r})",  # 4
        f"check({b!r}, {vb!r})",  # 5
        'progress("00")',  # 6
        "answer_99 = record + 1",  # 7: run first after the reopen
    ]


def _cell_text(notebook: NotebookPage, index: int) -> str:
    return notebook.page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(index).inner_text()


def test_reopened_notebook_explains_and_shows_the_last_state(lab_server, browser):
    folder = lab_server.root / FOLDER
    folder.mkdir(exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in _cells()])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / NAME)
    relative, saved = f"{FOLDER}/{NAME}", folder / NAME
    (a, _), (b, _) = _two_checks()

    first = NotebookPage(lab_server, browser, relative, artifacts_dir())
    try:
        first.open()
        first.run_all(timeout=180)
        shown = _cell_text(first, 5)
        assert f"{a}" in shown and f"{b}" in shown and shown.count(": passed") >= 2, shown
        first.page.locator(f"{PANEL} .jp-Notebook").first.click()
        first.page.keyboard.press("Control+s")

        def stand_in_saved() -> bool:
            try:
                cells = json.loads(saved.read_text(encoding="utf-8"))["cells"]
            except (OSError, ValueError):
                return False
            return any(
                "(% of the economy): 2.5" in "".join(o.get("data", {}).get("text/html", ""))
                for o in cells[0].get("outputs", [])
            )

        first.wait_until(stand_in_saved, 30, "JupyterLab to save the explorer's last state")
    finally:
        first.close()

    second = NotebookPage(lab_server, browser, relative, artifacts_dir())
    try:
        second.open()
        second.pump(2500)  # the widget manager gives up on a missing model after ~2 s: let it
        assert second.page.evaluate(JS_VISIBLE_TEXT, [PANEL, "model not found"]) == 0
        assert second.page.evaluate(JS_VISIBLE_TEXT, [PANEL, "Error displaying widget"]) == 0
        assert second.page.evaluate(JS_VISIBLE_TEXT, [PANEL, "(% of the economy): 2.5"]) == 1
        # the answer cell first, in the fresh kernel: explained, not a bare NameError
        second.page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(6).locator(".jp-InputArea-editor").click()
        second.page.keyboard.press("Control+Enter")
        second.wait_until(
            lambda: "defines record first" in _cell_text(second, 6), 60, "the friendly message for record"
        )
        text = _cell_text(second, 6)
        assert "it is cell 3 of this notebook" in text and "record = 41" in text, text
        second.screenshot("day-after")
    finally:
        second.close()
