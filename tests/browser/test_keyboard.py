"""Every explorer driven by keyboard alone, in JupyterLab in headless Chromium (issue 13).

One scratch notebook holds one explorer per cell (so one kernel and one Run All serve all of
them).  For each explorer: focus starts on its cell, Tab reaches the control, a key a
screen-reader user expects (an arrow) changes it, and the chart (or the text) it drives changes,
with no mouse; the notebook must not take the key (its active cell stays, focus stays in the
control).  The controls must carry the names and states assistive technology reads.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

import pytest
from labdriver import NotebookPage, artifacts_dir, kernel_paused

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
    #: The chart must change with the kernel stopped (it answers in the browser); the text the
    #: kernel writes beside it follows once the kernel runs again.
    without_kernel: bool = False


PLANS = {
    "PhaseStepper": Plan("widgets.PhaseStepper()", ".widget-slider .noUi-handle", "ArrowRight", "chart"),
    "CeilingSlider": Plan("widgets.CeilingSlider()", ".widget-slider .noUi-handle", "ArrowLeft", "chart"),
    "ClaimVsRecord": Plan(
        'widgets.ClaimVsRecord("personnel")', ".widget-toggle-buttons button", "ArrowLeft", "chart"
    ),
    "PlacePicker": Plan(
        "widgets.PlacePicker()", ".widget-dropdown select", "ArrowDown", "chart", without_kernel=True
    ),
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
    what = "charts" if plan.expect == "chart" else "texts"
    held = kernel_paused(page.server, NOTEBOOK) if plan.without_kernel else contextlib.nullcontext()
    try:
        with held:
            page.page.keyboard.press(plan.key)
            after = page.wait_until(
                lambda: (s := _state(page, name)) and s[what] != before[what] and all(s["charts"]) and s,
                20,
                f"the {plan.expect} of {name} to change after {plan.key}"
                + (" with its kernel stopped" if plan.without_kernel else ""),
            )
            if plan.without_kernel:
                page.pump(300)
                assert _state(page, name)["texts"] == before["texts"], (
                    f"{name}: its text changed while the kernel was stopped: the measure is broken"
                )
    except TimeoutError:
        page.screenshot(label=f"keyboard-{name}")
        raise
    if plan.without_kernel:  # the kernel, running again, hears the change and writes the text
        page.wait_until(
            lambda: _state(page, name)["texts"] != before["texts"],
            30,
            f"{name}'s text after the kernel resumed",
        )
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


# --------------------------------------------------------------------------- keys stay in the control

#: One control of each kind: (explorer, selector inside it).
CONTROL_KINDS = {
    "dropdown": ("ClaimExplorer", ".widget-dropdown select"),
    "slider handle": ("CeilingSlider", ".widget-slider .noUi-handle"),
    "slider value box": ("BudgetCalculator", ".widget-slider .widget-readout"),
    "toggle buttons": ("ClaimVsRecord", ".widget-toggle-buttons button"),
    "play button": ("PhaseStepper", ".widget-play button"),
    "data table": ("CeilingSlider", "details.workbook-data-table > summary"),
}
#: JupyterLab's single-key commands in command mode: Markdown, raw, insert above/below, cut,
#: heading, hide output, delete (d d), merge (Shift+M), undo.
COMMAND_KEYS = ["m", "r", "a", "b", "x", "1", "o", "d", "d", "Shift+M", "z", "y"]

JS_NOTEBOOK = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const cells = [...panel.querySelectorAll('.jp-Cell')];
  return {cells: cells.map(c => [c.classList.contains('jp-CodeCell') ? 'code' : c.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw',
                                 (c.querySelector('.jp-InputArea') || c).textContent.slice(0, 40),
                                 !!c.querySelector('.workbook-explorer'),
                                 c.classList.contains('jp-mod-outputsScrolled') || !!c.querySelector('.jp-OutputArea-output')]),
          dirty: panel.querySelector('.jp-mod-dirty') !== null || document.title.startsWith('*')};
}"""

JS_FOCUS = """([name, selector]) => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')];
  const cell = cells.find(c => (c.querySelector('.jp-InputArea') || c).textContent.includes('# ' + name));
  const control = cell && cell.querySelector('.workbook-explorer ' + selector);
  if (!control) return false;
  control.scrollIntoView({block: 'center'});
  control.focus();
  return document.activeElement === control;
}"""

JS_WHERE = """(name) => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')];
  const cell = cells.find(c => (c.querySelector('.jp-InputArea') || c).textContent.includes('# ' + name));
  const root = cell.querySelector('.workbook-explorer');
  return {inRoot: root.contains(document.activeElement), inNotebook: !!document.activeElement.closest('.jp-Notebook')};
}"""


@pytest.mark.parametrize("kind", list(CONTROL_KINDS))
def test_letters_typed_in_a_control_never_reach_the_notebook(explorers_page, kind):
    """Type-ahead and digits stay in the control: the cell keeps its type, the notebook its cells."""
    page = explorers_page.page
    name, selector = CONTROL_KINDS[kind]
    before = page.evaluate(JS_NOTEBOOK)
    assert page.evaluate(JS_FOCUS, [name, selector]), f"{kind}: could not focus {selector} in {name}"
    for key in COMMAND_KEYS:
        page.keyboard.press(key)
        assert page.evaluate(JS_WHERE, name)["inRoot"], f"{kind}: focus left {name} after {key!r}"
    after = page.evaluate(JS_NOTEBOOK)
    assert after["cells"] == before["cells"], (
        f"{kind}: typing {COMMAND_KEYS} in {name} changed the notebook: {before['cells']} -> {after['cells']}"
    )
    # Escape is the way out: focus goes back to the notebook (command mode), the cell unchanged.
    page.keyboard.press("Escape")
    where = page.evaluate(JS_WHERE, name)
    assert not where["inRoot"] and where["inNotebook"], f"{kind}: Escape did not leave the control: {where}"
    assert page.evaluate(JS_NOTEBOOK)["cells"] == before["cells"]


# --------------------------------------------------------------------------- focus you can see

JS_FOCUS_STYLE = """([name, selector]) => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')];
  const cell = cells.find(c => (c.querySelector('.jp-InputArea') || c).textContent.includes('# ' + name));
  const control = cell.querySelector('.workbook-explorer ' + selector);
  control.scrollIntoView({block: 'center'});
  control.focus();
  const style = getComputedStyle(control);
  const background = getComputedStyle(cell.querySelector('.jp-OutputArea-output') || cell).backgroundColor;
  return {focused: document.activeElement === control, width: parseFloat(style.outlineWidth),
          style: style.outlineStyle, colour: style.outlineColor, background};
}"""


def _rgb(css: str) -> tuple:
    parts = [float(p) for p in css[css.index("(") + 1 : css.index(")")].replace("/", ",").split(",")]
    alpha = parts[3] if len(parts) > 3 else 1.0
    return tuple(alpha * c + (1 - alpha) * 255 for c in parts[:3]), alpha


def _contrast(a, b) -> float:
    def lum(rgb):
        lin = [(c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    low, high = sorted((lum(a), lum(b)))
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("kind", list(CONTROL_KINDS))
def test_focus_indicator_is_at_least_2px_and_3_to_1(explorers_page, kind):
    name, selector = CONTROL_KINDS[kind]
    seen = explorers_page.page.evaluate(JS_FOCUS_STYLE, [name, selector])
    assert seen["focused"], f"{kind}: could not focus it"
    assert seen["style"] not in ("none", "hidden") and seen["width"] >= 2, f"{kind}: focus outline {seen}"
    colour, _ = _rgb(seen["colour"])
    background, alpha = _rgb(seen["background"])
    background = background if alpha > 0 else (255, 255, 255)
    assert _contrast(colour, background) >= 3, f"{kind}: focus outline {seen} is under 3:1"


# --------------------------------------------------------------------------- reflow

JS_CLIPPED = """() => {
  const out = [];
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  for (const root of panel.querySelectorAll('.workbook-explorer')) {
    const cell = root.closest('.jp-CodeCell');
    const name = (cell.querySelector('.jp-InputArea') || cell).textContent.split('\\n')[0];
    const area = root.closest('.jp-OutputArea-output') || root.parentElement;
    const box = area.getBoundingClientRect();
    const parts = root.querySelectorAll('select, button, .noUi-handle, .widget-readout, .widget-label, summary, .widget-html-content, .vega-embed canvas, .vega-embed svg.marks');
    for (const el of parts) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
      if (r.left < box.left - 1 || r.right > box.right + 1) {
        out.push(`${name}: ${el.tagName.toLowerCase()}.${el.className} spans ${Math.round(r.left)}-${Math.round(r.right)} outside ${Math.round(box.left)}-${Math.round(box.right)}`);
      }
    }
    if (area.scrollWidth > area.clientWidth + 1) out.push(`${name}: the output scrolls sideways (${area.scrollWidth} > ${area.clientWidth})`);
  }
  return {clipped: out, width: window.innerWidth};
}"""


@pytest.mark.parametrize("width", [320, 720], ids=["320 CSS px", "200 % zoom of 1440 px"])
def test_explorers_reflow_with_no_control_outside_the_output(explorers_page, width):
    """WCAG 1.4.10: at 320 CSS px (and 1440 px at 200 % zoom, i.e. 720 CSS px) every control is inside its output."""
    page = explorers_page.page
    original = page.viewport_size
    # A reader at 320 px closes JupyterLab's file browser (it would take the whole width): do so.
    sidebar = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    opened = sidebar.count() > 0
    if opened:
        sidebar.first.click()
    try:
        page.set_viewport_size({"width": width, "height": 900})
        explorers_page.wait_until(
            lambda: page.evaluate(
                "(w) => { const p = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');"
                " return window.innerWidth === w && p.getBoundingClientRect().width <= w; }",
                width,
            ),
            10,
            f"the notebook to lay itself out at {width} px",
        )
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        seen = page.evaluate(JS_CLIPPED)
        if seen["clipped"]:
            explorers_page.screenshot(label=f"reflow-{width}")
        assert not seen["clipped"], f"at {width} px: " + "; ".join(seen["clipped"][:8])
    finally:
        page.set_viewport_size(original)
        if opened:
            page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab").first.click()
