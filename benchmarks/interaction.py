"""How fast each widget-driven chart (or text) answers, in JupyterLab in headless Chromium.

From the input event (the keydown on a slider handle, the click on a toggle button, the change
of a dropdown) to the frame in which the new marks are drawn: a page-side clock starts at the
event (capture phase on ``window``), a MutationObserver watches the explorer's output, and the
clock stops at the first animation frame after the chart's SVG (or the explorer's text) differs
from what it was.  p50 and p95 over repeated interactions (back and forth, so every one is a
change), after two warm-up rounds.

Each widget is measured twice on the same page: on a quiet machine, then "under a class's load",
while ``--students`` simulated students (default 10; ``benchmarks/class_load.py``) run the
workbook's notebooks in a loop on the same machine, started before and stopped after (always).
Targets: every widget p95 <= 100 ms quiet and <= 300 ms under the class's load.

Run side by side in one go: the workbook as it is, and (``--before COMMIT``) the same explorers
from an older commit (its ``src/`` put first on the kernel's ``PYTHONPATH``).  Writes its own
section of benchmarks/RESULTS.md::

    .venv/bin/python benchmarks/interaction.py --before 1ab6409 --rounds 15 --students 10

Needs Debian's /usr/bin/chromium and the test extra (Playwright); starts its own private
``jupyter lab`` on 127.0.0.1 (via tests/browser/labdriver.py) and stops everything it started.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from class_load import ClassLoad  # noqa: E402
from labdriver import CHROMIUM_ARGS, LabServer, NotebookPage, chromium_path, missing_browser  # noqa: E402

TITLE = "Interaction latency: widget to painted chart, quiet and under a class's load (issues 13, 20)"
#: Targets for every widget's p95 (ms): on a quiet machine, and while a class runs notebooks on it.
TARGET_QUIET, TARGET_LOADED = 100, 300

#: name -> (code for its cell, control kind, what it drives)
EXPLORERS = {
    "PhaseStepper": ("widgets.PhaseStepper()", "slider", "chart"),
    "CeilingSlider": ("widgets.CeilingSlider()", "slider", "chart"),
    "ClaimVsRecord": ('widgets.ClaimVsRecord("personnel")', "toggle", "chart"),
    "PlacePicker": ("widgets.PlacePicker()", "dropdown", "chart"),
    "ChartBuilder": ("widgets.ChartBuilder()", "dropdown", "chart"),
    "ClaimExplorer": ("widgets.ClaimExplorer()", "dropdown", "text"),
    "BudgetCalculator": ("widgets.BudgetCalculator()", "slider", "text"),
}

JS_FIND = """(name) => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')];
  const cell = cells.find(c => (c.querySelector('.jp-InputArea') || c).textContent.includes('# ' + name));
  // the explorer's own output (the saved stand-in before it is hidden while the widget lives)
  const explorer = cell ? cell.querySelector('.workbook-explorer') : null;
  return explorer ? explorer.closest('.jp-OutputArea-output') : null;
}"""

JS_ARM = (
    """([name, what]) => {
  const root = ("""
    + JS_FIND
    + """)(name);
  const snap = () => what === 'chart'
    ? [...root.querySelectorAll('.vega-embed svg.marks, .vega-embed canvas')]
        .map(g => g.tagName.toLowerCase() === 'canvas' ? g.toDataURL() : g.outerHTML).join('|')
    : [...root.querySelectorAll('.widget-html-content')].map(h => h.innerHTML).join('|');
  if (!window.__benchListening) {
    window.__benchListening = true;
    for (const type of ['keydown', 'mousedown', 'click', 'input', 'change']) {
      window.addEventListener(type, () => { const b = window.__bench; if (b && b.t0 === null) b.t0 = performance.now(); }, true);
    }
  }
  const before = snap();
  const bench = window.__bench = {t0: null, t1: null};
  const observer = new MutationObserver(() => {
    if (bench.t0 === null || bench.t1 !== null || bench.done) return;
    const now = snap();
    if (!now || now === before) return;
    bench.done = true;
    observer.disconnect();
    requestAnimationFrame(() => { bench.t1 = performance.now(); });
  });
  observer.observe(root, {subtree: true, childList: true, attributes: true, characterData: true});
  return before.length;
}"""
)


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
            "source": f"# {name}\n{code}",
        }
        for name, (code, _, _) in EXPLORERS.items()
    ]
    return {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _act(page, root, kind: str, step: int) -> None:
    """One change, alternating direction so that every interaction changes the value."""
    if kind == "slider":
        root.query_selector(".noUi-handle").focus()
        page.keyboard.press("ArrowRight" if step % 2 == 0 else "ArrowLeft")
    elif kind == "toggle":
        root.query_selector_all(".widget-toggle-buttons button")[0 if step % 2 == 0 else 2].click()
    elif kind == "dropdown":
        root.query_selector("select").select_option(index=1 if step % 2 == 0 else 2)
    else:
        raise ValueError(kind)


def measure(
    page: NotebookPage, name: str, rounds: int, warmup: int = 2, patience: float = 20, first: int = 0
) -> list[float]:
    """``rounds`` timed changes of one explorer (after ``warmup``); ``first`` carries on the back and
    forth from an earlier pass (else its first change could set the value it already has)."""
    _, kind, what = EXPLORERS[name]
    root = page.page.evaluate_handle(JS_FIND, name).as_element()
    if root is None:
        raise RuntimeError(f"{name}: explorer not found on the page")
    root.scroll_into_view_if_needed()
    times = []
    for step in range(warmup + rounds):
        page.page.evaluate(JS_ARM, [name, what])
        _act(page.page, root, kind, first + step)
        page.page.wait_for_function(
            "() => window.__bench && window.__bench.t1 !== null", timeout=patience * 1000
        )
        took = page.page.evaluate("() => window.__bench.t1 - window.__bench.t0")
        if step >= warmup:
            times.append(took)
        page.wait_idle(
            max(60, patience * 3)
        )  # the kernel's part (text, Python state) finished before the next one
        page.pump(250)
    return times


def run(
    label: str, src: Path | None, rounds: int, browser, base: Path, students: int
) -> tuple[dict, dict, str]:
    """Quiet and (with ``students``) loaded figures of every explorer, and a line on the load."""
    notebooks = base / f"{label}-notebooks"
    notebooks.mkdir(parents=True)
    (notebooks / "explorers.ipynb").write_text(json.dumps(_notebook()), encoding="utf-8")
    old = os.environ.get("PYTHONPATH")
    if src is not None:
        os.environ["PYTHONPATH"] = str(src) + (os.pathsep + old if old else "")
    server = LabServer(base / label, notebooks)
    results: dict[str, list[float]] = {}
    loaded: dict[str, list[float]] = {}
    load_note = ""
    try:
        server.start()
        page = NotebookPage(
            server, browser, "notebooks/explorers.ipynb", base / "artifacts", viewport=(1440, 1800)
        )
        try:
            page.open()
            page.run_all()
            page.wait_rendered()
            if page.traffic.errors:
                raise RuntimeError(f"{label}: error running the explorers: {page.traffic.errors[0]}")
            for name in EXPLORERS:
                results[name] = measure(page, name, rounds)
                _say(label, "quiet", name, results[name])
            if students:
                with ClassLoad(students) as load:  # stopped on leaving, whatever happens
                    print(f"{label:>6} class of {students} busy after {load.wait_busy():.0f} s", flush=True)
                    for name in EXPLORERS:
                        loaded[name] = measure(page, name, rounds, patience=60, first=2 + rounds)
                        load.sample()
                        _say(label, "loaded", name, loaded[name])
                load_note = load.summary()
                print(f"{label:>6} {load_note}", flush=True)
        finally:
            page.close()
    finally:
        server.stop()
        if src is not None:
            if old is None:
                os.environ.pop("PYTHONPATH", None)
            else:
                os.environ["PYTHONPATH"] = old
    return results, loaded, load_note


def _say(label: str, when: str, name: str, times: list[float]) -> None:
    print(
        f"{label:>6} {when:<6} {name:<17} p50 {_pct(times, 50):6.0f} ms  p95 {_pct(times, 95):6.0f} ms",
        flush=True,
    )


def _pct(values: list[float], p: int) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _export(commit: str, into: Path) -> Path:
    """The ``src/`` (with ``data/`` and ``pyproject.toml``, by which it finds its data) of ``commit``, unpacked into ``into`` (git archive; the repository is not touched)."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "src", "data", "pyproject.toml"],
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def report(
    after: dict,
    before: dict | None,
    before_commit: str | None,
    rounds: int,
    after_loaded: dict | None = None,
    before_loaded: dict | None = None,
    load_note: str = "",
) -> str:
    """The RESULTS.md section: per widget, quiet and (if measured) loaded p50 / p95, old and new side by side."""
    columns = []  # (header, figures)
    if before:
        columns.append((f"before ({before_commit}) quiet", before))
    columns.append(("now quiet", after))
    if before_loaded:
        columns.append((f"before ({before_commit}) under a class's load", before_loaded))
    if after_loaded:
        columns.append(("now under a class's load", after_loaded))
    lines = [
        f"Chromium (Debian, headless) driving JupyterLab; {rounds} interactions per widget after 2 warm-ups, "
        "back and forth; time from the input event (keydown on the slider handle, click on a toggle button, "
        "change of a dropdown) to the first animation frame after the chart's SVG (or the explorer's text) "
        "changed. 2 shared cores, so absolute figures are noisy; all columns were measured in one run, "
        "each widget first on the quiet machine, then on the same page while simulated students ran the "
        "workbook's notebooks in a loop on the same machine (`benchmarks/class_load.py`). "
        f"Targets: p95 <= {TARGET_QUIET} ms quiet, <= {TARGET_LOADED} ms under the class's load.",
        "",
        "| widget (what it drives) | how it answers now | "
        + " | ".join(f"{header} p50 / p95 ms" for header, _ in columns)
        + " | targets met (now) |",
        "| --- | --- | " + "---: | " * len(columns) + "--- |",
    ]
    how = {
        "PhaseStepper": "chart param in the browser",
        "CeilingSlider": "chart param in the browser",
        "ClaimVsRecord": "chart param in the browser",
        "PlacePicker": "chart param in the browser",
        "ChartBuilder": "kernel draws a new chart",
        "ClaimExplorer": "kernel sends the table",
        "BudgetCalculator": "kernel sends the text",
    }
    for name, (_, _, what) in EXPLORERS.items():
        cells = [f"{name} ({what})", how[name]]
        cells += [f"{_pct(figures[name], 50):.0f} / {_pct(figures[name], 95):.0f}" for _, figures in columns]
        met = ["quiet " + ("yes" if _pct(after[name], 95) <= TARGET_QUIET else "no")]
        if after_loaded:
            met.append("loaded " + ("yes" if _pct(after_loaded[name], 95) <= TARGET_LOADED else "no"))
        cells.append(", ".join(met))
        lines.append("| " + " | ".join(cells) + " |")
    if load_note:
        lines += ["", f"The class's load: {load_note}."]
    lines += ["", FLOORS]
    return "\n".join(lines)


FLOORS = """\
What sets the floor:

- **Chart param in the browser** (PhaseStepper, CeilingSlider, ClaimVsRecord, PlacePicker): the control's
  change is copied, in the page, into a Vega-Lite param of the one chart drawn at the start
  (`workbook.access.Link`); Vega re-evaluates and repaints only what changed. No kernel trip, so
  the floor is Vega's own update and paint: a frame or two. The kernel still hears the change
  and updates the text beside the chart (and `.years_above`, `.rows`, ...) a little later.
- **Kernel round trip** (BudgetCalculator's sum, ClaimExplorer's table): browser -> kernel ->
  Python callback -> message back -> DOM. BudgetCalculator (one line of text) is that floor on
  this machine; ClaimExplorer's rows are written as HTML once, so a filter only joins rows, and
  what is left is the round trip plus laying out the table.
- **A new chart from the kernel** (ChartBuilder): ChartBuilder draws a different chart by design
  (another table or columns): Python builds each choice once (kept for when it comes back) without
  Altair validating it again and sets the chart's spec; Vega parses it anew. Its module is a few
  lines: the Vega bundle reaches the page once per kernel (`charts.shared_bundle`), so a new chart's
  model starts within anywidget's 2 s limit even on a loaded page. The saved picture is drawn
  once the student pauses (1 s).
- PlacePicker moved to a chart param (issue 20): `places_map(choosable=True)` lays out every
  place's name for every choice once, in Python, when the picker is made; the list's index is
  copied in the page into the map's `place` param, which picks the layout, the ring and the bold
  name. The kernel then writes the text beside the map (and redraws the saved picture).
- The issue's "before" figures (PhaseStepper 0.9-1.1 s) were taken on a busier machine; the
  columns above were measured side by side in one run."""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="also measure the explorers of this commit (side by side)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--no-write", action="store_true", help="print, do not write RESULTS.md")
    parser.add_argument(
        "--students",
        type=int,
        default=10,
        help="simulated students running notebooks for the 'under a class's load' column (0: none)",
    )
    parser.add_argument(
        "--from-json",
        action="store_true",
        help="rewrite the RESULTS.md section from benchmarks/interaction.json (no measuring)",
    )
    args = parser.parse_args(argv)
    if args.from_json:
        raw = json.loads((ROOT / "benchmarks" / "interaction.json").read_text(encoding="utf-8"))
        from results import write_section

        write_section(
            "interaction",
            TITLE,
            report(
                raw["now"],
                raw["before"],
                raw["before_commit"],
                raw["rounds"],
                raw.get("now_loaded"),
                raw.get("before_loaded"),
                raw.get("load", ""),
            )
            + "\n\nRaw milliseconds: `benchmarks/interaction.json`.",
        )
        return 0
    reason = missing_browser()
    if reason:
        print(f"cannot run: {reason}")
        return 2
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="wb-interaction-") as tmp:
        base = Path(tmp)
        home = base / "chromium-home"
        env = dict(
            os.environ,
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_CACHE_HOME=str(home / ".cache"),
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, env=env)
            try:
                before = before_loaded = None
                if args.before:
                    src = _export(args.before, base / "before-src")
                    before, before_loaded, _ = run("before", src, args.rounds, browser, base, args.students)
                after, after_loaded, load_note = run("now", None, args.rounds, browser, base, args.students)
            finally:
                browser.close()
    body = report(
        after, before, args.before, args.rounds, after_loaded or None, before_loaded or None, load_note
    )
    raw = {
        "rounds": args.rounds,
        "before_commit": args.before,
        "now": after,
        "before": before,
        "now_loaded": after_loaded,
        "before_loaded": before_loaded,
        "students": args.students,
        "load": load_note,
        "measured": time.strftime("%Y-%m-%d"),
    }
    print(body)
    if not args.no_write:
        from results import write_section

        write_section("interaction", TITLE, body + "\n\nRaw milliseconds: `benchmarks/interaction.json`.")
        (ROOT / "benchmarks" / "interaction.json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
