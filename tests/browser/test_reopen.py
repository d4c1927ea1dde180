"""A saved notebook reopened with a new kernel shows each chart's saved picture, not a widget error.

Chart widgets live in the kernel, so after a reopen JupyterLab has no model for them ("Error
displaying widget: model not found").  The workbook shows a static picture (SVG with the chart's
description as alt text, a caption with its source and "run this cell ...") right before each
chart widget; a style rule shows only one of the two.  This test runs a notebook with a chart and
an explorer in JupyterLab, saves it, closes it (its kernel session is deleted), reopens it with a
new kernel, and looks at the page; then runs it again and expects the live charts back.
"""

from __future__ import annotations

import json
import time

import nbformat
import pytest
from labdriver import PANEL, NotebookPage, artifacts_dir

pytestmark = pytest.mark.browser

FOLDER = "reopen"
NAME = "charts_reopen.ipynb"
CELLS = [
    "from workbook import charts, widgets",
    "charts.spending_chart()",
    "slider = widgets.CeilingSlider()\nslider",
]
#: A source title the spending chart quotes from data/records.csv (its saved picture once cut it to "1.0%").
SOURCE_TITLE = "Time, 'Japan: the 1.004% solution'"
#: A saved notebook must stay small: two pictures of tens of kB, never the ~0.9 MB widget bundle.
MAX_SAVED_BYTES = 250_000

JS_FIGURES = """(panelSel) => {
  const panel = document.querySelector(panelSel);
  const shown = e => !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  return [...panel.querySelectorAll('figure.workbook-static-chart')].map(f => {
    const img = f.querySelector('img');
    return {visible: shown(f), alt: img ? img.getAttribute('alt') : null,
            loaded: !!img && img.complete && img.naturalWidth > 0,
            caption: (f.querySelector('figcaption') || {}).textContent || ''};
  });
}"""
JS_VISIBLE_TEXT = """([panelSel, needle]) => {
  const panel = document.querySelector(panelSel);
  return [...panel.querySelectorAll('.jp-OutputArea-output')]
    .filter(o => o.getClientRects().length > 0 && (o.innerText || '').includes(needle)).length;
}"""
JS_LIVE_CHARTS = """(panelSel) => {
  const panel = document.querySelector(panelSel);
  return [...panel.querySelectorAll('.vega-embed')]
    .filter(v => v.getClientRects().length > 0 && v.querySelector('svg.marks, canvas')).length;
}"""


def _write_notebook(root) -> str:
    folder = root / FOLDER
    folder.mkdir(exist_ok=True)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / NAME)
    return f"{FOLDER}/{NAME}"


def _saved_outputs(path) -> list[dict]:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [o for cell in nb["cells"] for o in cell.get("outputs", [])]


def _pictures_saved(path) -> bool:
    return (
        sum(
            "workbook-static-chart" in "".join(o.get("data", {}).get("text/html", ""))
            for o in _saved_outputs(path)
        )
        >= 2
    )


def test_saved_notebook_reopens_with_pictures_and_runs_live_again(lab_server, browser):
    relative = _write_notebook(lab_server.root)
    saved = lab_server.root / relative
    first = NotebookPage(lab_server, browser, relative, artifacts_dir())
    try:
        first.open()
        first.run_all(timeout=180)
        first.wait_until(
            lambda: first.page.evaluate(JS_LIVE_CHARTS, PANEL) >= 2, 60, "both live charts to draw"
        )
        figures = first.page.evaluate(JS_FIGURES, PANEL)
        assert len(figures) == 2, f"expected a saved picture before each chart widget, found {figures}"
        assert not any(f["visible"] for f in figures), "the saved picture shows beside the live chart"
        first.page.locator(f"{PANEL} .jp-Notebook").first.click()
        first.page.keyboard.press("Control+s")
        first.wait_until(
            lambda: _pictures_saved(saved), 30, "JupyterLab to save the notebook with its outputs"
        )
        first.screenshot("live")
    finally:
        first.close()  # closes the page and deletes the kernel session: the widget models are gone

    size = saved.stat().st_size
    text = saved.read_text(encoding="utf-8")
    assert size < MAX_SAVED_BYTES, f"saved notebook is {size:,} bytes"
    assert "application/vnd.jupyter.widget-state+json" not in text  # no widget state (0.9 MB a chart)

    second = NotebookPage(lab_server, browser, relative, artifacts_dir())
    try:
        second.open()
        second.wait_until(lambda: len(second.page.evaluate(JS_FIGURES, PANEL)) >= 2, 30, "the saved outputs")
        second.wait_until(
            lambda: all(f["visible"] and f["loaded"] for f in second.page.evaluate(JS_FIGURES, PANEL)),
            30,
            "the saved pictures to show",
        )
        second.pump(2500)  # the widget manager gives up on a missing model after ~2 s: let it
        second.screenshot("reopened")
        figures = second.page.evaluate(JS_FIGURES, PANEL)
        assert [f["visible"] for f in figures] == [True, True]
        assert all(f["loaded"] for f in figures), "a saved picture did not load"
        assert "defence budget" in figures[0]["alt"] and "ceiling" in figures[0]["alt"], figures[0]["alt"]
        for figure in figures:
            assert "Source:" in figure["caption"] and "Run this cell" in figure["caption"], figure["caption"]
            assert SOURCE_TITLE in figure["caption"], figure["caption"]  # the data's words, not "1.0%"
        # What a screen reader gets: each figure named by its whole caption.  (JupyterLab skips drawing
        # cells out of view, content-visibility: auto, so their innerText reads as "" while the caption
        # is still in the page and in the accessibility tree: measure the tree, not innerText.)
        figures_named = second.page.locator(PANEL).get_by_role("figure")  # by accessible name (substring)
        assert figures_named.count() == 2
        for part in ("Source:", SOURCE_TITLE, "Run this cell"):
            assert second.page.locator(PANEL).get_by_role("figure", name=part).count() == 2, part
        assert second.page.evaluate(JS_VISIBLE_TEXT, [PANEL, "model not found"]) == 0
        assert second.page.evaluate(JS_VISIBLE_TEXT, [PANEL, "Error displaying widget"]) == 0
        # the widget's output is there (its error only hidden): the picture stands in for it
        assert second.page.locator(f"{PANEL} .jp-OutputArea-output", has_text="model not found").count() == 2

        second.run_all(timeout=180)
        second.wait_until(
            lambda: second.page.evaluate(JS_LIVE_CHARTS, PANEL) >= 2, 60, "the charts to be live again"
        )
        time.sleep(0.5)
        assert not any(f["visible"] for f in second.page.evaluate(JS_FIGURES, PANEL))
    finally:
        second.close()
