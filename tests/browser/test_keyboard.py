"""Every explorer driven by keyboard alone, in JupyterLab in headless Chromium (issue 13).

One scratch notebook holds one explorer per cell (so one kernel and one Run All serve all of
them).  For each explorer: focus starts on its cell, Tab reaches the control, a key a
screen-reader user expects (an arrow) changes it, and the chart (or the text) it drives changes,
with no mouse; the notebook must not take the key (its active cell stays, focus stays in the
control).  The controls must carry the names and states assistive technology reads.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from labdriver import NotebookPage, artifacts_dir

pytestmark = pytest.mark.browser

FOLDER = "a11y"
NOTEBOOK = f"{FOLDER}/explorers.ipynb"


@dataclass(frozen=True)
class Plan:
    """Which explorer, which control to Tab to (a CSS selector inside it), which key, what must change."""

    code: str
    control: str
    key: str
    expect: str  # "chart" or "text"


PLANS = {
    "PhaseStepper": Plan("widgets.PhaseStepper()", ".widget-slider .noUi-handle", "ArrowRight", "chart"),
    "CeilingSlider": Plan("widgets.CeilingSlider()", ".widget-slider .noUi-handle", "ArrowLeft", "chart"),
    "ClaimVsRecord": Plan(
        'widgets.ClaimVsRecord("personnel")', ".widget-toggle-buttons button", "ArrowLeft", "chart"
    ),
    "PlacePicker": Plan("widgets.PlacePicker()", ".widget-dropdown select", "ArrowDown", "chart"),
    "ChartBuilder": Plan("widgets.ChartBuilder()", ".widget-dropdown select", "ArrowDown", "chart"),
    "ClaimExplorer": Plan("widgets.ClaimExplorer()", ".widget-dropdown select", "ArrowDown", "text"),
    "BudgetCalculator": Plan(
        "widgets.BudgetCalculator()", ".widget-slider .noUi-handle", "ArrowRight", "text"
    ),
}


def _notebook() -> dict:
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": "from workbook import widgets",
        }
    ]
    cells += [
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": f"# {name}\n{plan.code}",
        }
        for name, plan in PLANS.items()
    ]
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


@pytest.fixture(scope="module")
def explorers_page(lab_server, browser):
    folder = lab_server.root / FOLDER
    folder.mkdir(exist_ok=True)
    (folder / "explorers.ipynb").write_text(json.dumps(_notebook()), encoding="utf-8")
    page = NotebookPage(lab_server, browser, NOTEBOOK, artifacts_dir(), viewport=(1440, 1800))
    try:
        page.open()
        page.run_all()
        page.wait_rendered()
        assert not page.traffic.errors, f"errors while running the explorers: {page.traffic.errors[0]}"
        yield page
    finally:
        page.write_log()
        page.close()


# Per explorer: its root, what it drives, where focus is, which cell is active.
JS_STATE = """([name, control]) => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')];
  const cell = cells.find(c => (c.querySelector('.jp-InputArea') || c).textContent.includes('# ' + name));
  const root = cell && cell.querySelector('.workbook-explorer');
  if (!root) return null;
  const charts = [...root.querySelectorAll('.vega-embed')].map(v => {
    const g = v.querySelector('svg.marks, canvas');
    return !g ? '' : g.tagName.toLowerCase() === 'canvas' ? g.toDataURL() : g.outerHTML;
  });
  const texts = [...root.querySelectorAll('.widget-html-content')].map(h => h.innerHTML);
  const active = document.activeElement;
  const activeCells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell.jp-mod-active')];
  return {charts, texts, inRoot: root.contains(active), onControl: !!(active && active.matches(control) && root.contains(active)),
          activeCell: activeCells.length ? cells.indexOf(activeCells[0]) : -1,
          focused: active ? (active.tagName + '.' + active.className) : ''};
}"""

JS_FOCUS_CELL = """(name) => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')];
  const cell = cells.find(c => (c.querySelector('.jp-InputArea') || c).textContent.includes('# ' + name));
  cell.scrollIntoView({block: 'start'});
  const start = cell.querySelector('.jp-OutputArea') || cell;
  start.setAttribute('tabindex', '-1');
  start.focus();
  return document.activeElement === start;
}"""

# The names and states a screen reader reads from the explorer's controls.
JS_NAMES = """(name) => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')];
  const cell = cells.find(c => (c.querySelector('.jp-InputArea') || c).textContent.includes('# ' + name));
  const root = cell.querySelector('.workbook-explorer');
  const out = [];
  for (const h of root.querySelectorAll('.noUi-handle')) out.push(['slider', h.getAttribute('aria-label') || '']);
  for (const s of root.querySelectorAll('select')) out.push(['select', s.getAttribute('aria-label') || (s.labels && s.labels[0] ? s.labels[0].textContent : '')]);
  for (const b of root.querySelectorAll('button')) out.push(['button', b.getAttribute('aria-label') || b.textContent.trim(), b.getAttribute('aria-pressed')]);
  for (const g of root.querySelectorAll('[role=group]')) out.push(['group', g.getAttribute('aria-label') || '']);
  return out;
}"""


def _state(page, name):
    return page.page.evaluate(JS_STATE, [name, PLANS[name].control])


@pytest.mark.parametrize("name", list(PLANS))
def test_explorer_works_from_the_keyboard_alone(explorers_page, name):
    page, plan = explorers_page, PLANS[name]
    assert page.page.evaluate(JS_FOCUS_CELL, name), "could not put focus on the explorer's cell"
    for _press in range(1, 16):
        page.page.keyboard.press("Tab")
        state = _state(page, name)
        if state and state["onControl"]:
            break
    else:
        pytest.fail(
            f"{name}: 15 Tabs from its cell never reached {plan.control} (focus on {state and state['focused']})"
        )
    before = state
    page.page.keyboard.press(plan.key)
    what = "charts" if plan.expect == "chart" else "texts"
    try:
        after = page.wait_until(
            lambda: (s := _state(page, name)) and s[what] != before[what] and all(s["charts"]) and s,
            20,
            f"the {plan.expect} of {name} to change after {plan.key}",
        )
    except TimeoutError:
        page.screenshot(label=f"keyboard-{name}")
        raise
    assert after["inRoot"], f"{name}: focus left the explorer after {plan.key} (now on {after['focused']})"
    assert after["activeCell"] == before["activeCell"], (
        f"{name}: the notebook took {plan.key} (active cell moved)"
    )


@pytest.mark.parametrize("name", list(PLANS))
def test_every_control_has_a_name_and_state(explorers_page, name):
    controls = explorers_page.page.evaluate(JS_NAMES, name)
    assert controls, f"{name}: no controls found"
    unnamed = [c for c in controls if not c[1].strip()]
    assert not unnamed, f"{name}: controls without an accessible name: {unnamed}"
    toggles = [c for c in controls if c[0] == "button" and c[2] is not None]
    if name == "ClaimVsRecord":
        assert [c[2] for c in toggles].count("true") == 1, (
            f"{name}: one button must be aria-pressed: {toggles}"
        )
    if name == "PhaseStepper":
        assert {"Play", "Stop", "Repeat"} <= {c[1] for c in controls if c[0] == "button"}, controls


def test_explorers_pass_axe(explorers_page):
    """axe-core: no serious or critical violation in the explorers (after they were operated)."""
    from test_accessibility import check_outputs

    check_outputs(explorers_page)
