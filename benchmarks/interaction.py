"""How fast each widget-driven chart (or text) answers, in JupyterLab in headless Chromium.

From the input event (the keydown on a slider handle, the click on a toggle button, the change
of a dropdown) to the frame in which the new marks are drawn: a page-side clock starts at the
event (capture phase on ``window``), a MutationObserver watches the explorer's output, and the
clock stops at the first animation frame after the chart's SVG (or the explorer's text) differs
from what it was.  p50 and p95 over repeated interactions (back and forth, so every one is a
change), after two warm-up rounds.

Each widget is measured three times on the same page: on a quiet machine, then twice "under a
class's load", while ``--students`` simulated students (default 10; ``benchmarks/class_load.py``)
run the workbook's notebooks in a loop on the same machine, started before and stopped after
(always): once with the page (Chromium) as loaded as they are, and once with the page's threads at
nice -10, standing for a student's own laptop (on a hub the browsers are not on the server; the
Jupyter server and kernel stay at the class's priority).  Targets: every widget p95 <= 100 ms quiet
and <= 300 ms under the class's load.  For a chart drawn anew by the kernel (ChartBuilder) the
time is also split at the moment the kernel's new spec reaches the page.

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


# Before the page loads: note when the kernel's message carrying a chart's new spec arrives, so a
# chart's time splits into the kernel's part (event -> spec received) and the page's (-> painted).
JS_SPEC_CLOCK = """(() => {
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      if (!String(args[0]).includes('/api/kernels/')) return;
      this.addEventListener('message', (event) => {
        const b = window.__bench;
        if (!b || b.t0 === null || b.done || b.spec !== undefined) return;
        const data = event.data;
        const text = typeof data === 'string' ? data
          : data instanceof ArrayBuffer ? new TextDecoder().decode(data) : '';
        if (text.includes('"spec"')) b.spec = performance.now();
      });
    }
  };
})();"""

#: widget -> [(kernel's part, page's part)] in ms, for the interactions whose spec was seen arriving
SPLITS: dict[str, list[tuple[float, float]]] = {}


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
        took, spec = page.page.evaluate(
            "() => [window.__bench.t1 - window.__bench.t0, (window.__bench.spec ?? NaN) - window.__bench.t0]"
        )
        if step >= warmup:
            times.append(took)
            if spec == spec:  # not NaN: the new spec came from the kernel
                SPLITS.setdefault(name, []).append((spec, took - spec))
        page.wait_idle(
            max(60, patience * 3)
        )  # the kernel's part (text, Python state) finished before the next one
        page.pump(250)
    return times


#: The passes, in order: (key, heading).  "loaded": the page (Chromium) on the loaded machine at the
#: same priority as the class; "own device": the page's processes at nice -10, standing for the
#: student's own laptop, where a hub's browsers run (the class's load then falls on the server side:
#: the Jupyter server and the kernel, which stay at the class's priority).
PASSES = (
    ("quiet", "quiet"),
    ("loaded", "under a class's load, page on the loaded machine"),
    ("own_device", "under a class's load, page as on its own device"),
)
#: The nice value the page's processes get for the "own device" pass.
DEVICE_NICE = -10


def _page_processes() -> list[int]:
    """Every Chromium process this benchmark started (its descendants running /usr/lib/chromium)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            ppid = int(stat.rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    mine, todo = [], [os.getpid()]
    while todo:
        pid = todo.pop()
        for child in children.get(pid, []):
            todo.append(child)
            try:
                if "chromium" in os.readlink(f"/proc/{child}/exe"):
                    mine.append(child)
            except OSError:
                continue
    return mine


def _set_page_nice(value: int) -> int:
    """Give the page's processes the nice ``value``; how many threads were set.

    Linux schedules by nice only within an autogroup (one per session) when autogroups are on, and
    the class's students, the Jupyter server and this benchmark each run in their own session: so
    the page's autogroup gets the nice too (it holds this benchmark and Playwright's driver, which
    wait), and every thread of the page (nice is per thread) for machines without autogroups.
    """
    done = 0
    for pid in _page_processes():
        try:
            Path(f"/proc/{pid}/autogroup").write_text(str(value))
        except OSError:
            pass  # no autogroups here: the threads' own nice applies
        for tid in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else []:
            try:
                os.setpriority(os.PRIO_PROCESS, int(tid), value)
                done += 1
            except OSError:
                continue
    return done


def run(label: str, src: Path | None, rounds: int, browser, base: Path, students: int) -> tuple[dict, str]:
    """Every explorer's figures per pass (``PASSES``; only "quiet" without ``students``), and a line on the load."""
    notebooks = base / f"{label}-notebooks"
    notebooks.mkdir(parents=True)
    (notebooks / "explorers.ipynb").write_text(json.dumps(_notebook()), encoding="utf-8")
    old = os.environ.get("PYTHONPATH")
    if src is not None:
        os.environ["PYTHONPATH"] = str(src) + (os.pathsep + old if old else "")
    server = LabServer(base / label, notebooks)
    figures: dict[str, dict[str, list[float]]] = {key: {} for key, _ in PASSES}
    load_note = ""
    try:
        server.start()
        page = NotebookPage(
            server, browser, "notebooks/explorers.ipynb", base / "artifacts", viewport=(1440, 1800)
        )
        page.page.add_init_script(JS_SPEC_CLOCK)
        try:
            page.open()
            page.run_all()
            page.wait_rendered()
            if page.traffic.errors:
                raise RuntimeError(f"{label}: error running the explorers: {page.traffic.errors[0]}")
            step = 0
            for name in EXPLORERS:
                figures["quiet"][name] = measure(page, name, rounds)
                _say(label, "quiet", name, figures["quiet"][name])
            if students:
                with ClassLoad(students) as load:  # stopped on leaving, whatever happens
                    print(f"{label:>6} class of {students} busy after {load.wait_busy():.0f} s", flush=True)
                    for key, _ in PASSES[1:]:
                        step += 2 + rounds
                        if key == "own_device" and not _set_page_nice(DEVICE_NICE):
                            raise RuntimeError("could not raise the page's priority (run as root)")
                        try:
                            for name in EXPLORERS:
                                figures[key][name] = measure(page, name, rounds, patience=60, first=step)
                                load.sample()
                                _say(label, key, name, figures[key][name])
                        finally:
                            _set_page_nice(0)
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
    return {key: value for key, value in figures.items() if value}, load_note


#: (label, pass, widget) -> [(kernel's part, page's part)] of a pass, for the report
SPLIT_BY_PASS: dict[tuple[str, str, str], list[tuple[float, float]]] = {}


def _say(label: str, when: str, name: str, times: list[float]) -> None:
    splits = SPLITS.pop(name, [])
    where = ""
    if splits:
        SPLIT_BY_PASS[(label, when, name)] = splits
        kernel, page = [s[0] for s in splits], [s[1] for s in splits]
        where = f"  (kernel p50 {_pct(kernel, 50):.0f}/p95 {_pct(kernel, 95):.0f}, page p50 {_pct(page, 50):.0f}/p95 {_pct(page, 95):.0f})"
    print(
        f"{label:>6} {when:<10} {name:<17} p50 {_pct(times, 50):6.0f} ms  p95 {_pct(times, 95):6.0f} ms{where}",
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
    now: dict, before: dict | None, before_commit: str | None, rounds: int, load_note: str = ""
) -> str:
    """The RESULTS.md section: per widget, each pass's p50 / p95, old and new side by side."""
    headings = dict(PASSES)
    columns = []  # (header, figures)
    for key, _ in PASSES:
        if before and before.get(key):
            columns.append((f"before ({before_commit}) {headings[key]}", before[key]))
        if now.get(key):
            columns.append((f"now {headings[key]}", now[key]))
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
        "ClaimExplorer": "kernel sends the rows to show",
        "BudgetCalculator": "kernel sends the text",
    }
    for name, (_, _, what) in EXPLORERS.items():
        cells = [f"{name} ({what})", how[name]]
        cells += [f"{_pct(figures[name], 50):.0f} / {_pct(figures[name], 95):.0f}" for _, figures in columns]
        met = []
        for key, target in (
            ("quiet", TARGET_QUIET),
            ("loaded", TARGET_LOADED),
            ("own_device", TARGET_LOADED),
        ):
            if now.get(key):
                met.append(
                    f"{key.replace('_', ' ')} " + ("yes" if _pct(now[key][name], 95) <= target else "no")
                )
        cells.append(", ".join(met))
        lines.append("| " + " | ".join(cells) + " |")
    if load_note:
        lines += ["", f"The class's load: {load_note}."]
    splits = [(k, v) for k, v in SPLIT_BY_PASS.items() if k[0] == "now"]
    if splits:
        lines += [
            "",
            "Where a new chart's time goes (the kernel's part: input event -> the message with the new spec "
            "reaches the page; the page's part: -> painted), p50 / p95 ms: "
            + "; ".join(
                f"{name} {when.replace('_', ' ')}: kernel {_pct([a for a, _ in v], 50):.0f} / "
                f"{_pct([a for a, _ in v], 95):.0f}, page {_pct([b for _, b in v], 50):.0f} / "
                f"{_pct([b for _, b in v], 95):.0f}"
                for (_, when, name), v in splits
            )
            + ".",
        ]
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
  this machine. ClaimExplorer sends every claim's row to the page once (`widgets.RowsTable`); a
  filter sends the positions of the rows to show and the count, and the page hides the others in
  place. (Sending a style rule instead was slower on a loaded page: a new style sheet makes the
  browser match the whole page again.)
- **A new chart from the kernel** (ChartBuilder): ChartBuilder draws a different chart by design
  (another table or columns): Python builds each choice once (kept for when it comes back) without
  Altair validating it again and sets the chart's spec; Vega parses it anew. Its module is a few
  lines: the Vega bundle reaches the page once per kernel (`charts.shared_bundle`), so a new chart's
  model starts within anywidget's 2 s limit even on a loaded page. The new spec goes out before the
  drop-downs change (one message each). The kernel draws no picture between changes: the
  explorer's saved picture is the page's own drawing, sent back by the chart once it settles
  (`charts.shared_bundle`), and the saved stand-in follows 1 s after the last change. Before
  this, the kernel drew the picture with vl-convert (0.05-0.5 s of CPU) after each pause, and a
  change arriving meanwhile waited behind it: the "before" kernel part under load.
- **The page's part under load** is the browser's own work (Vega parsing and drawing the new
  chart, laying out the table) on the same two cores as the class. On a hub the students'
  browsers run on their own devices: the "own device" pass keeps the server and kernel at the
  class's priority and runs the page's threads at nice -10.
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
        "--only", nargs="+", choices=list(EXPLORERS), help="measure only these widgets (implies --no-write)"
    )
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
    if args.only:  # a partial table must not replace the whole one in RESULTS.md
        args.no_write = True
        for name in set(EXPLORERS) - set(args.only):
            del EXPLORERS[name]
    if args.from_json:
        raw = json.loads((ROOT / "benchmarks" / "interaction.json").read_text(encoding="utf-8"))
        for key, value in (raw.get("splits") or {}).items():
            SPLIT_BY_PASS[tuple(key.split("/"))] = [tuple(v) for v in value]  # type: ignore[misc]
        from results import write_section

        body = report(raw["now"], raw["before"], raw["before_commit"], raw["rounds"], raw.get("load", ""))
        write_section("interaction", TITLE, body + "\n\nRaw milliseconds: `benchmarks/interaction.json`.")
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
                before = None
                if args.before:
                    src = _export(args.before, base / "before-src")
                    before, _ = run("before", src, args.rounds, browser, base, args.students)
                now, load_note = run("now", None, args.rounds, browser, base, args.students)
            finally:
                browser.close()
    body = report(now, before, args.before, args.rounds, load_note)
    raw = {
        "rounds": args.rounds,
        "before_commit": args.before,
        "now": now,
        "before": before,
        "students": args.students,
        "load": load_note,
        "splits": {"/".join(key): value for key, value in SPLIT_BY_PASS.items()},
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
