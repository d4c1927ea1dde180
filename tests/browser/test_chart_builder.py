"""ChartBuilder redraws its chart on every change, in JupyterLab in headless Chromium (issue 22).

A student changed ChartBuilder's table and columns and the chart stayed the starting chart while
the text beside it changed: the chart widget's model had taken longer than anywidget's 2 s to
initialise (its code was the whole 0.9 MB Vega bundle), and anywidget then drops every later
message to that model, so no new spec ever reached the page.  One scratch notebook shows a few
charts first (as the capstone does), then a ChartBuilder; the test picks tables and columns in the
drop-downs, as a student would, and after each choice the chart's SVG must change and its axis
titles and title must name the columns chosen.
"""

from __future__ import annotations

import base64
import json

import pytest
from labdriver import NotebookPage, artifacts_dir

from workbook.charts.static import compact

pytestmark = pytest.mark.browser

FOLDER = "builder"
NOTEBOOK = f"{FOLDER}/chart_builder.ipynb"
CELLS = [
    "from workbook import charts, widgets",
    "charts.spending_chart()",
    "charts.timeline()",
    "charts.claims_by_topic()",
    "# ChartBuilder\nbuilder = widgets.ChartBuilder()\nbuilder",
]
#: How many times slower the page's CPU runs while the notebook runs (Chromium's CPU throttling).
SLOWDOWN = 20
#: The choices, in order: (drop-down's name, the option to pick).
CHOICES = [
    ("Table", "records"),
    ("Bars for each (x)", "subject"),
    ("Table", "claims"),
    ("Bar length (y, numbers)", "paragraph"),
    ("Colour by", "(none)"),
    ("Table", "personnel"),
    ("Bars for each (x)", "service"),
    ("Table", "defence_spending"),
]

JS_ROOT = """() => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')];
  const cell = cells.find(c => (c.querySelector('.jp-InputArea') || c).textContent.includes('# ChartBuilder'));
  return cell ? cell.querySelector('.workbook-explorer') : null;
}"""

# What the page shows: the chart's SVG, its axis titles and title, and what each drop-down says.
JS_STATE = """(root) => {
  const svg = root.querySelector('.vega-embed svg.marks');
  const texts = sel => svg ? [...svg.querySelectorAll(sel)].map(t => t.textContent.trim()) : [];
  const selects = {};
  for (const s of root.querySelectorAll('select')) {
    const picked = s.options[s.selectedIndex];
    selects[s.getAttribute('aria-label') || ''] = picked ? picked.textContent : null;
  }
  const message = root.querySelector('.workbook-live');
  return {svg: svg ? svg.outerHTML : '', axes: texts('.role-axis-title text'),
          title: texts('.role-title-text text').join(' '), selects,
          message: message ? message.textContent : ''};
}"""


JS_STANDIN = """() => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')];
  const cell = cells.find(c => (c.querySelector('.jp-InputArea') || c).textContent.includes('# ChartBuilder'));
  const standin = cell && cell.querySelector('.workbook-explorer-standin');
  const img = standin && standin.querySelector('img');
  return standin ? {text: standin.textContent, src: img ? img.getAttribute('src') : ''} : null;
}"""


def _svg_of(src: str) -> str:
    """The SVG text inside a picture's ``data:image/svg+xml;base64,...`` address."""
    return base64.b64decode(src.partition("base64,")[2] or "").decode("utf-8", "replace")


def _notebook() -> dict:
    cells = [
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": source}
        for source in CELLS
    ]
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_ChartBuilder_redraws_on_every_change(lab_server, browser):
    folder = lab_server.root / FOLDER
    folder.mkdir(exist_ok=True)
    (folder / "chart_builder.ipynb").write_text(json.dumps(_notebook()), encoding="utf-8")
    page = NotebookPage(lab_server, browser, NOTEBOOK, artifacts_dir(), viewport=(1440, 1800))
    try:
        page.open()
        # A loaded machine (a class on one server, a slow laptop): the page's CPU runs 20x slower
        # while the widgets are created and first drawn, when anywidget's 2 s limit applies.
        cdp = page.context.new_cdp_session(page.page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": SLOWDOWN})
        page.run_all()
        page.wait_rendered(timeout=60)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
        assert not page.traffic.errors, f"error running the notebook: {page.traffic.errors[0]}"
        root = page.page.evaluate_handle(JS_ROOT).as_element()
        assert root is not None, "the ChartBuilder is not on the page"
        root.scroll_into_view_if_needed()
        state = page.wait_until(
            lambda: (s := root.evaluate(JS_STATE))["svg"] and s, 30, "the starting chart to draw"
        )
        assert state["title"], state
        for name, option in CHOICES:
            before = state
            root.query_selector(f'select[aria-label="{name}"]').select_option(label=option)
            what = f"the chart to redraw after choosing {option!r} in {name!r}"

            def redrawn(before=before, name=name, option=option):
                now = root.evaluate(JS_STATE)
                if now["selects"].get(name) != option or not now["svg"] or now["svg"] == before["svg"]:
                    return None
                x, y = now["selects"]["Bars for each (x)"], now["selects"]["Bar length (y, numbers)"]
                if sorted(now["axes"]) != sorted([x, y]) or now["title"] != f"{y} for each {x}":
                    return None
                return now

            try:
                state = page.wait_until(redrawn, 30, what)
            except TimeoutError:
                now = root.evaluate(JS_STATE)
                unchanged = now["svg"] == before["svg"]
                raise AssertionError(
                    f"{what}: chart {'unchanged' if unchanged else 'changed but wrong'}; "
                    f"drop-downs {now['selects']}, axes {now['axes']}, title {now['title']!r}, "
                    f"message {now['message']!r}; console errors {page.console_errors[:4]}; "
                    f"page errors {page.page_errors[:4]}"
                ) from None
        # The stand-in saved with the notebook (hidden while the explorer is live) follows, once the
        # student pauses: the last table chosen, and a picture captioned with the last chart's title.
        # Its picture is the page's own drawing of the last chart, sent back by the chart widget
        # (the kernel draws none between changes): the stand-in's SVG is that drawing, compacted.
        x, y = state["selects"]["Bars for each (x)"], state["selects"]["Bar length (y, numbers)"]

        def saved_last_chart():
            standin = page.page.evaluate(JS_STANDIN) or {"text": "", "src": ""}
            drawings = [compact(p) for p in page.traffic.pictures.values()]
            shown = _svg_of(standin["src"])
            texts = (f"Table: {CHOICES[-1][1]}", f"{y} for each {x}")
            return all(t in standin["text"] for t in texts) and shown in drawings and f">{y}<" in shown

        page.wait_until(
            saved_last_chart, 30, "the saved stand-in to show the page's drawing of the last chart"
        )
        saved = _svg_of((page.page.evaluate(JS_STANDIN) or {"src": ""})["src"])
        (artifacts_dir() / "chart-builder-standin.svg").write_text(saved, encoding="utf-8")
        page.screenshot("chart-builder")
    finally:
        page.write_log()
        page.close()
