"""Every notebook, run in JupyterLab in headless Chromium, the way a student sees it.

nbval proves that the cells run; it never runs JavaScript. These tests open each notebook in a
real JupyterLab, run all cells from the Run menu, wait for the kernel, and then check what was
drawn: no error output (errors raised in widget callbacks included), every Altair chart drawn,
every widget view displayed, widgets that really drive their chart or text, and not one request
to any host but the local server. Screenshots of each notebook go to the artifacts folder.

The tests of one notebook share one run of it (a module-scoped fixture), so pytest runs them
notebook by notebook: about 10-20 s a notebook.
"""

from __future__ import annotations

import contextlib
import time
import warnings
from dataclasses import dataclass

import pytest
from labdriver import REPORT, NotebookPage, artifacts_dir, kernel_paused, notebook_files, notebooks_dir

pytestmark = pytest.mark.browser

NOTEBOOKS = notebook_files()  # whatever notebooks exist at collection time


@dataclass(frozen=True)
class Interaction:
    """Operate one control the way a student would and say what must change.

    kind: "slider" (focus the handle, press ArrowRight three times), "dropdown" (click the
    select, ArrowDown, Enter) or "toggle" (click a ToggleButtons option that is not selected).
    label: part of the control's description (its ``.widget-label``) or, for toggle buttons, of
    the button's text; None = the first control of that kind in the notebook.
    expect: "chart" (a chart's drawing must change), "text" (an HTML/Output widget or output
    must change) or "any".
    without_kernel: the chart must change with the notebook's kernel stopped (it answers in the
    browser), and no text may change until the kernel runs again; then the text must follow.
    """

    kind: str
    label: str | None = None
    expect: str = "any"
    presses: int = 3
    without_kernel: bool = False


# Widgets specific to each notebook (by its number; see src/workbook/widgets.py). A notebook not
# listed gets the generic check: its first slider, dropdown or toggle buttons must change
# something drawn near it. Labels are matched against the control's description.
INTERACTIONS: dict[str, list[Interaction]] = {
    "00": [Interaction("dropdown", "Reading", expect="text")],  # ClaimExplorer: filter -> table
    "01": [Interaction("slider", "Phase", expect="chart")],  # PhaseStepper: phase -> highlighted band
    "02": [
        Interaction("slider", "Share spent", expect="text"),  # BudgetCalculator: share -> the sum
        Interaction("slider", "Ceiling", expect="chart"),
    ],  # CeilingSlider: ceiling -> points above it
    "03": [Interaction("toggle", "Show", expect="chart")],  # ClaimVsRecord: claim / record / both
    "04": [
        Interaction("toggle", "Show", expect="chart"),  # ClaimVsRecord (fuel)
        Interaction("dropdown", "Reading", expect="text"),
    ],  # ClaimExplorer
    "05": [
        Interaction("dropdown", "Place", expect="chart", without_kernel=True)
    ],  # PlacePicker: the map's param
    "06": [Interaction("toggle", "Show", expect="chart")],  # ClaimVsRecord (compensation)
    "07": [Interaction("dropdown", "Reading", expect="text")],  # ClaimExplorer
    "08": [Interaction("dropdown", "Table", expect="chart")],  # ChartBuilder: table -> a new bar chart
}
GENERIC = [Interaction("slider"), Interaction("dropdown"), Interaction("toggle")]


def _ids(name):
    return name.removesuffix(".ipynb") if name else "no-notebooks"


@pytest.fixture(scope="module", params=[p.name for p in NOTEBOOKS] or [None], ids=_ids)
def notebook_run(request):
    """Open the notebook, Run All, wait for the kernel and the drawing, screenshot it."""
    name = request.param
    if name is None:
        pytest.skip(
            f"no notebooks in {notebooks_dir()} (set WORKBOOK_BROWSER_NOTEBOOKS to test another folder)"
        )
    server = request.getfixturevalue("lab_server")
    browser = request.getfixturevalue("browser")
    page = NotebookPage(server, browser, f"notebooks/{name}", artifacts_dir())
    start = time.monotonic()
    try:
        page.open()
        page.run_all()
        page.timings["draw"] = page.wait_rendered()
        page.shots = page.screenshot()
    except Exception:
        page.screenshot(label="FAILED-setup")
        page.write_log()
        page.close()
        raise
    yield page
    page.timings["total"] = time.monotonic() - start
    REPORT["timings"][page.stem] = dict(page.timings)
    page.write_log()
    page.close()


def test_lab_environment(lab_server):
    """The private lab finds the venv's extensions although JUPYTER_DATA_DIR is a temp folder,
    reads the news/update override from the temp config, and writes only into the temp folders."""
    extensions = lab_server.labextensions()
    for needed in ("@jupyter-widgets/jupyterlab-manager", "anywidget"):
        assert needed in extensions, f"{needed} not loaded by the lab (it loads {extensions})"
    notification = lab_server.setting_defaults("@jupyterlab/apputils-extension:notification")
    assert notification.get("fetchNews") == "false" and notification.get("checkForUpdates") is False, (
        notification
    )
    runtime = lab_server.jupyter_dirs["JUPYTER_RUNTIME_DIR"]
    assert list(runtime.glob("jpserver-*.json")), f"the server did not write its runtime files into {runtime}"


def _fmt(items, limit=12):
    items = list(items)
    more = [f"… and {len(items) - limit} more"] if len(items) > limit else []
    return "\n  ".join([""] + [str(i) for i in items[:limit]] + more)


def test_cells_run_without_errors(notebook_run):
    traffic = notebook_run.traffic
    state = notebook_run.run_state()
    problems = [f"error in {e}" for e in traffic.errors]
    aborted = [c for c, status in traffic.replied.items() if status == "aborted"]
    if aborted:
        problems.append(f"{len(aborted)} cell(s) not run because an earlier cell failed")
    elif state.get("notRun"):
        problems.append(f"{state['notRun']} code cell(s) show no execution count after Run All")
    if traffic.stderr:
        warnings.warn(
            f"{notebook_run.stem}: stderr output (students see a red box):{_fmt(f'{w}: {t.strip()[:200]}' for w, t in traffic.stderr)}",
            stacklevel=2,
        )
    assert not problems, (
        f"{notebook_run.stem}:{_fmt(problems)}\n\nfirst traceback:\n{traffic.errors[0].traceback if traffic.errors else ''}"
    )


def test_widgets_display(notebook_run):
    state = notebook_run.output_state()
    problems = [f"'Loading widget…' never replaced in {w}" for w in state["loading"]]
    problems += [f"'Error displaying widget' in {w}" for w in state["widgetErrors"]]
    problems += [f"uncaught JavaScript error: {e}" for e in notebook_run.page_errors]
    assert not problems, f"{notebook_run.stem}:{_fmt(problems)}"


def test_altair_charts_draw(notebook_run):
    state = notebook_run.output_state()
    problems = [f"{e['where']}: {e['error']}" for e in state["jsErrors"]]
    for chart in state["charts"]:
        name = chart["title"] or chart["label"] or f"chart {chart['index'] + 1}"
        if chart["error"]:
            problems.append(f"{chart['where']}: {name}: Vega error: {chart['error']}")
        elif not chart["kind"]:
            problems.append(f"{chart['where']}: {name}: no svg or canvas inside .vega-embed")
        elif chart["width"] < 1 or chart["height"] < 1 or not chart["marks"]:
            problems.append(
                f"{chart['where']}: {name}: drawn empty ({chart['width']:.0f}x{chart['height']:.0f}, {chart['marks']} marks)"
            )
    problems += notebook_run.missing_charts(state)
    assert not problems, f"{notebook_run.stem}:{_fmt(problems)}"


def _find_control(page, interaction: Interaction):
    """The control to operate (a Playwright locator) and a description of it, or (None, None)."""
    scope = page.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    if interaction.kind == "slider":
        boxes = scope.locator(".widget-slider")
        inner = ".noUi-handle"
    elif interaction.kind == "dropdown":
        boxes = scope.locator(".widget-dropdown")
        inner = "select"
    elif interaction.kind == "toggle":
        boxes = scope.locator(".widget-toggle-buttons")
        inner = "button"
    else:
        raise ValueError(interaction.kind)
    for box in boxes.all():
        label = box.locator(".widget-label").first
        # text_content, not inner_text: a cell outside the viewport is not rendered (content-visibility)
        text = (label.text_content() or "").strip() if label.count() else ""
        if (
            interaction.label is None
            or interaction.label.lower() in text.lower()
            or (
                interaction.kind == "toggle"
                and interaction.label.lower() in (box.text_content() or "").lower()
            )
        ):
            control = box.locator(inner)
            if control.count():
                return box, control, text
    return None, None, None


def _operate(page, interaction: Interaction, control) -> str:
    """Change the control as a student would; returns what was done (old -> new value)."""
    kb = page.page.keyboard
    if interaction.kind == "slider":
        handle = control.first
        handle.scroll_into_view_if_needed()
        handle.focus()
        before = handle.get_attribute("aria-valuenow")
        key = (
            "ArrowLeft"
            if handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
            else "ArrowRight"
        )
        for _ in range(interaction.presses):
            kb.press(key)
            page.pump(150)
        after = handle.get_attribute("aria-valuenow")
        assert after != before, f"the slider did not move on {key} (value stays {before})"
        return f"slider {before} -> {after} ({key} x{interaction.presses})"
    if interaction.kind == "dropdown":
        # Click to open the list, move to the next (or previous) option, Enter to pick it: pressing
        # ArrowDown on a closed <select> does nothing in Chromium on Linux.
        select = control.first
        select.scroll_into_view_if_needed()
        options = select.locator("option").all_inner_texts()
        text_of = "s => s.options[s.selectedIndex] ? s.options[s.selectedIndex].text : ''"
        before = select.evaluate(text_of)
        key = "ArrowUp" if select.evaluate("s => s.selectedIndex") == len(options) - 1 else "ArrowDown"
        select.click()
        page.pump(200)
        kb.press(key)
        kb.press("Enter")
        page.pump(200)
        after = select.evaluate(text_of)
        assert after != before, (
            f"the dropdown did not change on click, {key}, Enter (still {before!r}; options {options})"
        )
        return f"dropdown {before!r} -> {after!r} (click, {key}, Enter)"
    if interaction.kind == "toggle":
        buttons = control.all()
        active = [b for b in buttons if "mod-active" in (b.get_attribute("class") or "")]
        others = [b for b in buttons if b not in active]
        target = others[-1] if others else buttons[-1]
        before = active[0].inner_text().strip() if active else None
        target.click()
        after = target.inner_text().strip()
        return f"toggle {before!r} -> {after!r} (click)"
    raise ValueError(interaction.kind)


def _changed(before, after, expect):
    drawn = all(after["charts"]) if after["charts"] else True  # no chart half-way through a redraw
    charts = before["charts"] != after["charts"]
    texts = before["texts"] != after["texts"]
    if expect == "chart":
        return charts and drawn
    if expect == "text":
        return texts
    return (charts or texts) and drawn


def test_widgets_drive_outputs(notebook_run):
    page = notebook_run
    specific = INTERACTIONS.get(page.stem.split("_")[0])
    plan = specific or GENERIC
    done, problems = [], []
    viewport = page.page.viewport_size
    page.page.set_viewport_size({"width": viewport["width"], "height": 1800})  # a whole widget in view
    try:
        _interact(page, plan, specific, done, problems)
    finally:
        page.page.set_viewport_size(viewport)
    if not done and not problems:
        pytest.skip("no slider, dropdown or toggle buttons in this notebook")
    assert not problems, f"{page.stem}:{_fmt(problems)}\nworked: {done}"


def _view_shot(page, element, path):
    """Screenshot of the notebook scrolled so that the widget's output starts at the top."""
    element.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.pump(300)
    page.page.screenshot(path=path)


def _interact(page, plan, specific, done, problems):
    for interaction in plan:
        box, control, label = _find_control(page, interaction)
        if control is None:
            if specific:
                problems.append(
                    f"no {interaction.kind} widget{f' labelled {interaction.label!r}' if interaction.label else ''} found"
                )
            continue
        page.wait_idle(60)
        errors_before = len(page.traffic.errors)
        before = page.snapshot(box)
        page.changes += 1
        shot = page.artifacts / f"{page.stem}--widget{page.changes}"
        output = (
            box.element_handle()
            .evaluate_handle("e => e.closest('.jp-OutputArea-output') || e.closest('.jp-Cell')")
            .as_element()
        )
        _view_shot(page, output, f"{shot}-before.png")
        held = (
            kernel_paused(page.server, page.notebook)
            if interaction.without_kernel
            else contextlib.nullcontext()
        )
        what = f"{label or interaction.kind}"
        try:
            with held:
                what += ": " + _operate(page, interaction, control)
                page.wait_until(
                    lambda: _changed(before, page.snapshot(box), interaction.expect),  # noqa: B023 - used at once
                    20,
                    f"the {interaction.expect} driven by the {interaction.kind} to change"
                    + (" with the kernel stopped" if interaction.without_kernel else ""),
                )
                if interaction.without_kernel and page.snapshot(box)["texts"] != before["texts"]:
                    problems.append(
                        f"{what}: text changed while the kernel was stopped (the check is broken)"
                    )
                    continue
            if interaction.without_kernel:
                page.wait_until(
                    lambda: page.snapshot(box)["texts"] != before["texts"],  # noqa: B023 - used at once
                    30,
                    "the text the kernel writes, once it runs again",
                )
        except TimeoutError:
            after = page.snapshot(box)
            page.wait_idle(60)
            _view_shot(page, output, f"{shot}-after.png")
            new_errors = page.traffic.errors[errors_before:]
            problems.append(
                f"{what}, but nothing it drives changed within 20s (expected: {interaction.expect}; "
                f"{len(after['charts'])} chart(s), {len(after['texts'])} text output(s) near it)"
                + (f"; kernel error: {new_errors[0]}" if new_errors else "")
            )
            continue
        page.wait_idle(60)
        page.pump(300)
        _view_shot(page, output, f"{shot}-after.png")
        new_errors = page.traffic.errors[errors_before:]
        if new_errors:
            problems.append(f"{what}: kernel error in the callback: {new_errors[0]}")
            continue
        done.append(what)
        if not specific:
            break  # the generic check: one working control is enough


def test_no_request_leaves_the_machine(notebook_run):
    """Every request the page made (HTTP, websockets, workers) went to the local server."""
    page = notebook_run
    assert page.requests, "no request was recorded at all: the recorder is broken"
    assert not page.foreign, (
        f"{page.stem}: requests to other hosts (aborted, so the page worked offline or broke):{_fmt(page.foreign)}"
    )


def test_outputs_pass_axe(notebook_run):
    """axe-core on this notebook's outputs and Markdown, in the same Run All (see test_accessibility.py)."""
    from test_accessibility import check_outputs

    check_outputs(notebook_run)
