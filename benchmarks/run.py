#!/usr/bin/env python
"""What a notebook run, the import, loading and grading cost, against the floor they stand on.

    .venv/bin/python benchmarks/run.py             # everything, 3 runs (about 12 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --quick     # one pass, fewer repeats (about 3 minutes)
    .venv/bin/python benchmarks/run.py --only import,load --runs 5
    .venv/bin/python benchmarks/run.py --profile notebooks/02_one_percent.ipynb

Sections (``--only`` / ``--skip``, comma-separated):

* ``notebooks``: for each notebook, a fresh kernel that only runs ``import pandas, altair, ipywidgets``
  (the floor) and the real notebook, both executed by nbclient, interleaved pair by pair.
* ``nbval``: ``pytest --nbval-lax`` over all notebooks, serially and with ``-n 2 --dist loadfile``,
  each against the same runner over as many floor notebooks.
* ``import``: ``import workbook`` against ``import pandas, altair, ipywidgets``, fresh processes.
* ``load``: ``workbook.load`` of every table, first call and warm calls, in fresh processes.
* ``grading``: ``nbgrader autograde`` of N fake submissions of one assignment (in a temporary copy
  of ``exercises/``; the repository's ``exercises/`` is never written to).

Machines here are noisy, so every figure is a median over runs and every comparison is a ratio of
measurements taken side by side.  The results go to ``benchmarks/RESULTS.md`` (``--output``).
Nothing is written into the repository except that file (and, with ``--json``, the raw numbers).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
EXERCISES = ROOT / "exercises"
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
PYTHON = sys.executable

FLOOR_CODE = "import pandas, altair, ipywidgets"
SECTIONS = ["notebooks", "nbval", "import", "load", "grading"]
TARGETS = {"notebook": 1.2, "import": 1.1, "load_warm_ms": 50.0}


# --------------------------------------------------------------------------- small helpers


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def spread(values) -> str:
    values = [v for v in values if v is not None]
    if len(values) < 2:
        return ""
    return f"{min(values):.2f}–{max(values):.2f}"


def fmt(value, digits=2, unit="") -> str:
    return "—" if value is None else f"{value:.{digits}f}{unit}"


def verdict(value, target) -> str:
    if value is None:
        return "—"
    return "yes" if value <= target else "**no**"


def notebook_paths(pattern: str | None) -> list[Path]:
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if pattern:
        paths = [p for p in paths if re.search(pattern, p.name)]
    return paths


class Scratch:
    """A temporary folder for everything the benchmark writes, and an environment pointing there.

    Jupyter's and IPython's own files (config, runtime, profile) go there too, so a run neither
    reads a developer's personal startup files nor leaves anything in the home folder.
    """

    def __init__(self, keep: bool = False):
        self.path = Path(tempfile.mkdtemp(prefix="workbook-bench-"))
        self.keep = keep
        for sub in ("jupyter-config", "jupyter-data", "jupyter-runtime", "ipython"):
            (self.path / sub).mkdir()
        self.env = dict(os.environ)
        self.env.update(
            {
                "JUPYTER_CONFIG_DIR": str(self.path / "jupyter-config"),
                "JUPYTER_DATA_DIR": str(self.path / "jupyter-data"),
                "JUPYTER_RUNTIME_DIR": str(self.path / "jupyter-runtime"),
                "IPYTHONDIR": str(self.path / "ipython"),
                "JUPYTER_PLATFORM_DIRS": "1",
                "PYDEVD_DISABLE_FILE_VALIDATION": "1",
                # nbgrader runs `alembic` and kernels by name: find the ones beside this python first
                "PATH": os.pathsep.join([str(Path(PYTHON).parent), os.environ.get("PATH", "")]),
            }
        )
        self.env.pop("PYTHONDONTWRITEBYTECODE", None)  # a student's kernel has its bytecode cached
        self._saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env)  # kernels started in this process inherit it

    def close(self) -> None:
        os.environ.clear()
        os.environ.update(self._saved)
        if not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)


# --------------------------------------------------------------------------- running notebooks


def floor_notebook():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(FLOOR_CODE)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def execute(nb, cwd: Path) -> dict:
    """Run a notebook in a fresh python3 kernel with nbclient; wall time and where it went."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}
    )
    error = None
    start = time.perf_counter()
    try:
        client.execute(stderr=subprocess.DEVNULL)
    except CellExecutionError as exc:
        error = str(exc).strip().splitlines()[-1][:200]
    except Exception as exc:  # a kernel that died, a timeout: report it, keep benchmarking
        error = f"{type(exc).__name__}: {exc}"[:200]
    total = time.perf_counter() - start
    cells = []
    for index, cell in enumerate(nb.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type != "code" or "iopub.execute_input" not in timing:
            continue
        began = dt.datetime.fromisoformat(timing["iopub.execute_input"].replace("Z", "+00:00"))
        ended = dt.datetime.fromisoformat(
            timing.get("shell.execute_reply", timing["iopub.execute_input"]).replace("Z", "+00:00")
        )
        code = " ⏎ ".join(
            line.strip()
            for line in cell.source.splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        )
        code = code if len(code) <= 70 else code[:69] + "…"
        cells.append({"index": index, "seconds": (ended - began).total_seconds(), "code": code})
    return {
        "seconds": total,
        "cells": cells,
        "error": error,
        "cell_seconds": sum(c["seconds"] for c in cells),
    }


def bench_notebooks(paths: list[Path], runs: int) -> dict:
    import nbformat

    results = {
        p.stem: {
            "floor": [],
            "notebook": [],
            "ratio": [],
            "cells": [],
            "cell_seconds": [],
            "floor_cell_seconds": [],
            "error": None,
        }
        for p in paths
    }
    # Not counted: bytecode, the file cache and any cache a library builds on first use (as a
    # student's machine has after the first notebook) are warm before anything is timed.
    say(f"warming up (a floor kernel and {paths[0].stem}; not counted)")
    execute(floor_notebook(), NOTEBOOKS)
    execute(nbformat.read(paths[0], as_version=4), paths[0].parent)
    for run in range(runs):
        for i, path in enumerate(paths):
            entry = results[path.stem]
            floor_first = (run + i) % 2 == 0  # alternate the order so drift cancels out
            order = ["floor", "notebook"] if floor_first else ["notebook", "floor"]
            pair = {}
            for kind in order:
                nb = floor_notebook() if kind == "floor" else nbformat.read(path, as_version=4)
                pair[kind] = execute(nb, path.parent)
            entry["floor"].append(pair["floor"]["seconds"])
            entry["floor_cell_seconds"].append(pair["floor"]["cell_seconds"])
            if pair["notebook"]["error"]:
                entry["error"] = pair["notebook"]["error"]
                entry["notebook"].append(None)
                entry["ratio"].append(None)
            else:
                entry["notebook"].append(pair["notebook"]["seconds"])
                entry["ratio"].append(pair["notebook"]["seconds"] / pair["floor"]["seconds"])
                entry["cells"].append(pair["notebook"]["cells"])
                entry["cell_seconds"].append(pair["notebook"]["cell_seconds"])
            say(
                f"run {run + 1}/{runs} {path.stem}: floor {pair['floor']['seconds']:.2f} s, "
                f"notebook {pair['notebook']['seconds']:.2f} s"
                + (f"  FAILED: {pair['notebook']['error']}" if pair["notebook"]["error"] else "")
            )
    for entry in results.values():
        entry["floor_median"] = median(entry["floor"])
        entry["notebook_median"] = median(entry["notebook"])
        entry["ratio_median"] = median(entry["ratio"])
        entry["slowest"] = slowest_cells(entry["cells"])
        entry["floor_cells_median"] = median(entry["floor_cell_seconds"])
        entry["cells_median"] = median(entry["cell_seconds"])
    return results


def slowest_cells(runs_cells: list[list[dict]], top: int = 3) -> list[dict]:
    """The cells that take longest, by their median over runs."""
    if not runs_cells:
        return []
    by_index: dict[int, dict] = {}
    for cells in runs_cells:
        for c in cells:
            by_index.setdefault(c["index"], {"code": c["code"], "seconds": []})["seconds"].append(
                c["seconds"]
            )
    ranked = sorted(
        ({"index": i, "code": v["code"], "seconds": median(v["seconds"])} for i, v in by_index.items()),
        key=lambda c: -c["seconds"],
    )
    return ranked[:top]


# --------------------------------------------------------------------------- nbval


def run_pytest(args: list[str], cwd: Path, scratch: Scratch) -> dict:
    command = [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=scratch.env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    tail = (proc.stdout.strip().splitlines() or [""])[-1]
    return {"seconds": seconds, "ok": proc.returncode == 0, "summary": tail[:200]}


def bench_nbval(paths: list[Path], runs: int, scratch: Scratch, modes_wanted=("serial", "-n 2")) -> dict:
    floors = scratch.path / "floor-notebooks"
    floors.mkdir(exist_ok=True)
    import nbformat

    for path in paths:
        nbformat.write(floor_notebook(), floors / path.name)
    (floors / "pytest.ini").write_text("[pytest]\naddopts = -ra\n")
    # explicit both ways: the repository's addopts may already say `-n 2`
    modes = {"serial": ["-n", "0"], "-n 2": ["-n", "2", "--dist", "loadfile"]}
    modes = {mode: extra for mode, extra in modes.items() if mode in modes_wanted}
    results = {mode: {"floor": [], "suite": [], "ratio": [], "summary": "", "ok": True} for mode in modes}
    real_args = ["--nbval-lax", *[str(p.relative_to(ROOT)) for p in paths]]
    floor_args = [
        "--nbval-lax",
        "-c",
        str(floors / "pytest.ini"),
        "--rootdir",
        str(floors),
        *[str(floors / p.name) for p in paths],
    ]
    for run in range(runs):
        for mode, extra in modes.items():
            order = ["floor", "suite"] if run % 2 == 0 else ["suite", "floor"]
            pair = {}
            for kind in order:
                if kind == "floor":
                    pair[kind] = run_pytest([*extra, *floor_args], floors, scratch)
                else:
                    pair[kind] = run_pytest([*extra, *real_args], ROOT, scratch)
            entry = results[mode]
            entry["floor"].append(pair["floor"]["seconds"])
            entry["suite"].append(pair["suite"]["seconds"])
            entry["ratio"].append(pair["suite"]["seconds"] / pair["floor"]["seconds"])
            entry["summary"] = pair["suite"]["summary"]
            entry["ok"] = entry["ok"] and pair["suite"]["ok"]
            say(
                f"run {run + 1}/{runs} nbval {mode}: floor suite {pair['floor']['seconds']:.1f} s, "
                f"notebooks {pair['suite']['seconds']:.1f} s ({pair['suite']['summary']})"
            )
    for entry in results.values():
        entry["floor_median"] = median(entry["floor"])
        entry["suite_median"] = median(entry["suite"])
        entry["ratio_median"] = median(entry["ratio"])
    return results


# --------------------------------------------------------------------------- import

IMPORTS = {
    "bare": FLOOR_CODE,
    "workbook": "import workbook",
    "notebook_header": "import workbook\nfrom workbook import load, cite, check, charts, widgets",
    "python": "pass",
}


def time_process(code: str, scratch: Scratch) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [PYTHON, "-c", code], env=scratch.env, cwd=scratch.path, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"`{code}` failed: {proc.stderr.strip().splitlines()[-1:]}")
    return seconds


def bench_import(repeats: int, scratch: Scratch) -> dict:
    results = {name: [] for name in IMPORTS}
    errors = {}
    for name, code in IMPORTS.items():  # warm-up: bytecode and file cache
        try:
            time_process(code, scratch)
        except RuntimeError as exc:
            errors[name] = str(exc)
    ratios = {"workbook": [], "notebook_header": []}
    for rep in range(repeats):
        names = [n for n in IMPORTS if n not in errors]
        if rep % 2:
            names.reverse()
        times = {name: time_process(IMPORTS[name], scratch) for name in names}
        for name, seconds in times.items():
            results[name].append(seconds)
        for name in ratios:
            if name in times:
                ratios[name].append(times[name] / times["bare"])
    say("import: " + ", ".join(f"{n} {median(v):.2f} s" for n, v in results.items() if v))
    return {
        "seconds": {n: median(v) for n, v in results.items()},
        "spread": {n: spread(v) for n, v in results.items()},
        "ratio": {n: median(v) for n, v in ratios.items()},
        "ratio_spread": {n: spread(v) for n, v in ratios.items()},
        "errors": errors,
    }


# --------------------------------------------------------------------------- load

LOAD_SCRIPT = textwrap.dedent("""
    import json, sys, time
    import workbook
    names = list(workbook.tables()["name"]) if hasattr(workbook, "tables") else []
    t0 = time.perf_counter()
    first = {}
    for name in names:
        s = time.perf_counter(); workbook.load(name); first[name] = time.perf_counter() - s
    first_all = time.perf_counter() - t0
    warm = {name: [] for name in names}
    warm_all = []
    for _ in range(int(sys.argv[1])):
        t0 = time.perf_counter()
        for name in names:
            s = time.perf_counter(); workbook.load(name); warm[name].append(time.perf_counter() - s)
        warm_all.append(time.perf_counter() - t0)
    print(json.dumps({"names": names, "first": first, "first_all": first_all,
                      "warm": {n: sorted(v)[len(v) // 2] for n, v in warm.items()},
                      "warm_all": sorted(warm_all)[len(warm_all) // 2]}))
""")


def bench_load(runs: int, scratch: Scratch) -> dict:
    script = scratch.path / "load_bench.py"
    script.write_text(LOAD_SCRIPT)
    samples = []
    for _ in range(runs):
        proc = subprocess.run(
            [PYTHON, str(script), "20"], env=scratch.env, cwd=scratch.path, capture_output=True, text=True
        )
        if proc.returncode != 0:
            return {"error": proc.stderr.strip().splitlines()[-1:]}
        samples.append(json.loads(proc.stdout))
    names = samples[0]["names"]
    result = {
        "names": names,
        "first": {n: median([s["first"][n] for s in samples]) for n in names},
        "warm": {n: median([s["warm"][n] for s in samples]) for n in names},
        "first_all": median([s["first_all"] for s in samples]),
        "warm_all": median([s["warm_all"] for s in samples]),
        "warm_all_spread": spread([s["warm_all"] * 1000 for s in samples]),
    }
    say(
        f"load: first call of all {result['first_all'] * 1000:.0f} ms, warm {result['warm_all'] * 1000:.1f} ms"
    )
    return result


# --------------------------------------------------------------------------- grading


def _nbgrader(args: list[str], course: Path, scratch: Scratch) -> tuple[float, subprocess.CompletedProcess]:
    command = [
        PYTHON,
        "-m",
        "nbgrader",
        *args,
        f"--CourseDirectory.root={course}",
        f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}",
        "--log-level=ERROR",
    ]
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=course, env=scratch.env, capture_output=True, text=True)
    return time.perf_counter() - start, proc


def _fake_submissions(course: Path, assignment: str, count: int) -> None:
    """Students 0, 2, 4 … hand in the model answers; 1, 3, 5 … hand in the blank release."""
    import nbformat

    from workbook.course import regions

    release = course / "release" / assignment
    source = course / "source" / assignment
    for k in range(count):
        target = course / "submitted" / f"student{k:02d}" / assignment
        shutil.copytree(release, target)
        (target / "timestamp.txt").write_text("2025-01-01 12:00:00.000000 UTC")
        if k % 2:
            continue
        for nb_path in target.glob("*.ipynb"):
            model = source / nb_path.name
            if not model.exists():
                continue
            answers = {}
            for cell in nbformat.read(model, as_version=4).cells:
                meta = cell.metadata.get("nbgrader", {})
                if meta.get("solution") and meta.get("grade_id"):
                    answers[meta["grade_id"]] = regions.unmarked(cell.source, "solution")
            nb = nbformat.read(nb_path, as_version=4)
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if grade_id in answers:
                    cell.source = answers[grade_id]
            nbformat.write(nb, nb_path)


def _scores(course: Path, assignment: str, count: int) -> dict:
    """Scores from the gradebook: a check that the fake submissions really were graded."""
    try:
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            scores = {}
            for k in range(count):
                sub = gb.find_submission(assignment, f"student{k:02d}")
                scores[f"student{k:02d}"] = (sub.code_score, sub.max_code_score, sub.max_score)
        return scores
    except Exception as exc:  # the benchmark still reports the timing
        return {"error": f"{type(exc).__name__}: {exc}"[:200]}


def bench_grading(runs: int, submissions: int, assignment: str | None, scratch: Scratch) -> dict:
    if not (EXERCISES / "source").is_dir():
        return {"error": "exercises/source/ does not exist yet"}
    assignments = sorted(p.name for p in (EXERCISES / "source").iterdir() if p.is_dir())
    if not assignments:
        return {"error": "exercises/source/ has no assignment"}
    assignment = assignment or assignments[0]
    ignore = shutil.ignore_patterns(
        "gradebook.db", "release", "submitted", "autograded", "feedback", ".ipynb_checkpoints", "__pycache__"
    )
    result = {
        "assignment": assignment,
        "submissions": submissions,
        "generate": [],
        "overhead": [],
        "total": [],
        "per_submission": [],
        "marginal": [],
        "floor": [],
        "ratio": [],
        "error": None,
    }
    for run in range(runs):
        course = scratch.path / f"course{run}"
        shutil.copytree(EXERCISES, course, ignore=ignore)
        seconds, proc = _nbgrader(["generate_assignment", assignment, "--force"], course, scratch)
        if proc.returncode != 0:
            result["error"] = (
                "generate_assignment failed: " + (proc.stderr.strip().splitlines() or [""])[-1][:200]
            )
            return result
        result["generate"].append(seconds)
        _fake_submissions(course, assignment, submissions)
        # fixed cost of the command itself (start-up, gradebook): autograde a student who handed nothing in
        overhead, _ = _nbgrader(["autograde", assignment, "--student=nobody"], course, scratch)
        floor = execute(floor_notebook(), course)["seconds"]
        seconds, proc = _nbgrader(["autograde", assignment, "--force"], course, scratch)
        graded = (
            len(list((course / "autograded").glob(f"*/{assignment}")))
            if (course / "autograded").exists()
            else 0
        )
        if proc.returncode != 0 or graded != submissions:
            tail = (proc.stderr.strip().splitlines() or [""])[-1][:200]
            result["error"] = f"autograde graded {graded}/{submissions}: {tail}"
        result["scores"] = _scores(course, assignment, submissions)
        result["overhead"].append(overhead)
        result["floor"].append(floor)
        result["total"].append(seconds)
        result["per_submission"].append(seconds / submissions)
        marginal = (seconds - overhead) / submissions
        result["marginal"].append(marginal)
        result["ratio"].append(marginal / floor)
        say(
            f"run {run + 1}/{runs} grading {assignment}: {submissions} submissions in {seconds:.1f} s "
            f"(command overhead {overhead:.1f} s, floor kernel {floor:.2f} s)"
        )
        shutil.rmtree(course, ignore_errors=True)
    for key in ("generate", "overhead", "total", "per_submission", "marginal", "floor", "ratio"):
        result[f"{key}_median"] = median(result[key])
    return result


# --------------------------------------------------------------------------- profile one notebook

PROFILE_START = "import cProfile as _bench_cp\n_bench_pr = _bench_cp.Profile()\n_bench_pr.enable()"
PROFILE_END = "_bench_pr.disable()\n_bench_pr.dump_stats({path!r})"


def profile_notebook(path: Path, scratch: Scratch, top: int = 30) -> None:
    """Run one notebook in a kernel under cProfile and print where its time goes."""
    import pstats

    import nbformat

    stats_file = scratch.path / "notebook.prof"
    nb = nbformat.read(path, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(PROFILE_START))
    nb.cells.append(nbformat.v4.new_code_cell(PROFILE_END.format(path=str(stats_file))))
    result = execute(nb, path.parent)
    print(
        f"{path.name}: {result['seconds']:.2f} s wall, {result['cell_seconds']:.2f} s in cells"
        + (f", FAILED: {result['error']}" if result["error"] else "")
    )
    for c in sorted(result["cells"], key=lambda c: -c["seconds"])[:8]:
        print(f"  cell {c['index']:>3} {c['seconds']:6.2f} s  {c['code']}")
    if stats_file.exists():
        stats = pstats.Stats(str(stats_file))
        print("== by cumulative time, library and workbook code ==")
        stats.sort_stats("cumulative").print_stats(
            r"workbook|altair|vl_convert|anywidget|ipywidgets|pandas|jsonschema", top
        )
        print("== by own time ==")
        stats.sort_stats("tottime").print_stats(top)


# --------------------------------------------------------------------------- the report


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in (
        "pandas",
        "altair",
        "ipywidgets",
        "anywidget",
        "vl-convert-python",
        "ipykernel",
        "nbclient",
        "nbval",
        "nbgrader",
    ):
        with contextlib.suppress(PackageNotFoundError):
            parts.append(f"{name} {version(name)}")
    return ", ".join(parts)


def report(results: dict, args, started: float) -> str:
    minutes = (time.perf_counter() - started) / 60
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{args.command_line}` on {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} "
        f"({minutes:.1f} minutes). How to run it and what each figure means: [README](README.md); "
        "where the time goes and what to change: [Findings](README.md#findings).",
        "",
        f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}, Python "
        f"{platform.python_version()}; {versions()}.",
        "",
        f"Each time is the **median of {args.runs} runs**; each ratio is the median of the ratios of "
        "measurements taken side by side (floor, notebook, floor, notebook …), so it is the figure to "
        "trust on a noisy machine. Range = lowest–highest over runs.",
        "",
    ]

    nbs = results.get("notebooks")
    if nbs:
        lines += [
            "## 1. Notebooks against the floor",
            "",
            f"Floor: a fresh `python3` kernel that runs only `{FLOOR_CODE}`. Both are run by nbclient "
            "(kernel start, every cell, shutdown). Target: ratio ≤ 1.2×.",
            "",
            "Where the time goes: *cells* is the time the kernel spent running cells (for the floor, "
            "its one import cell); the rest of each total is starting and stopping the kernel, which "
            "is the same for both.",
            "",
            "| notebook | floor (s) | notebook (s) | ratio | range | ≤ 1.2×? | floor cells (s) | "
            "notebook cells (s) | slowest cells (median s) |",
            "|---|---:|---:|---:|---|:-:|---:|---:|---|",
        ]
        for name, e in nbs.items():
            if e["error"] and e["notebook_median"] is None:
                error = e["error"].replace("|", "\\|")
                lines.append(f"| `{name}` | {fmt(e['floor_median'])} | fails | — | | — | | | {error} |")
                continue
            slow = "; ".join(f"{c['seconds']:.2f} `{c['code']}`".replace("|", "\\|") for c in e["slowest"])
            lines.append(
                f"| `{name}` | {fmt(e['floor_median'])} | {fmt(e['notebook_median'])} | "
                f"{fmt(e['ratio_median'])}× | {spread(e['ratio'])} | "
                f"{verdict(e['ratio_median'], TARGETS['notebook'])} | {fmt(e['floor_cells_median'])} | "
                f"{fmt(e['cells_median'])} | {slow} |"
            )
        ok = [e for e in nbs.values() if e["ratio_median"] is not None]
        if ok:
            floor_sum = sum(e["floor_median"] for e in ok)
            nb_sum = sum(e["notebook_median"] for e in ok)
            lines.append(
                f"| **all {len(ok)}** | {floor_sum:.2f} | {nb_sum:.2f} | {nb_sum / floor_sum:.2f}× | | "
                f"{verdict(nb_sum / floor_sum, TARGETS['notebook'])} | | | |"
            )
        lines.append("")

    nbval = results.get("nbval")
    if nbval:
        lines += [
            "## 1b. The nbval suite",
            "",
            "`pytest --nbval-lax` over every notebook, against the same command over as many floor "
            "notebooks (so pytest's own start-up is in both).",
            "",
            "| runner | floor suite (s) | notebooks (s) | ratio | range | result |",
            "|---|---:|---:|---:|---|---|",
        ]
        for mode, e in nbval.items():
            lines.append(
                f"| `pytest --nbval-lax {'-n 0' if mode == 'serial' else '-n 2 --dist loadfile'}`"
                + f" | {fmt(e['floor_median'], 1)} | {fmt(e['suite_median'], 1)} | "
                f"{fmt(e['ratio_median'])}× | {spread(e['ratio'])} | {e['summary']} |"
            )
        if len(nbval) == 2 and all(e["suite_median"] for e in nbval.values()):
            gain = nbval["serial"]["suite_median"] / nbval["-n 2"]["suite_median"]
            lines += ["", f"Speed-up of `-n 2` over serial: {gain:.2f}× (2 cores)."]
        lines.append("")

    imp = results.get("import")
    if imp:
        s, r = imp["seconds"], imp["ratio"]
        lines += [
            "## 2. Import",
            "",
            f"Fresh `python -c` processes, interleaved; median of {args.import_repeats} each. "
            "Target: `import workbook` ≤ 1.1× the bare import.",
            "",
            "| what | median (s) | range (s) | ratio to bare | ≤ 1.1×? |",
            "|---|---:|---|---:|:-:|",
            f"| `python -c pass` (interpreter only) | {fmt(s.get('python'))} | {imp['spread'].get('python', '')} | | |",
            f"| `{FLOOR_CODE}` (bare) | {fmt(s.get('bare'))} | {imp['spread'].get('bare', '')} | 1.00× | |",
            f"| `import workbook` | {fmt(s.get('workbook'))} | {imp['spread'].get('workbook', '')} | "
            f"{fmt(r.get('workbook'))}× | {verdict(r.get('workbook'), TARGETS['import'])} |",
            f"| `import workbook` + `from workbook import load, cite, check, charts, widgets` "
            f"(a notebook's first cell) | {fmt(s.get('notebook_header'))} | "
            f"{imp['spread'].get('notebook_header', '')} | {fmt(r.get('notebook_header'))}× | "
            f"{verdict(r.get('notebook_header'), TARGETS['import'])} |",
            "",
        ]
        for name, err in imp.get("errors", {}).items():
            lines.append(f"- `{name}` failed: {err}")

    load = results.get("load")
    if load:
        lines += ["## 3. `workbook.load`", ""]
        if "error" in load:
            lines += [f"Failed: {load['error']}", ""]
        else:
            lines += [
                f"In a fresh process: every table in `workbook.tables()` order (the first call parses and "
                f"checks every stored table), then 20 warm rounds. Median over {max(3, args.runs)} processes. "
                "Target: warm ≤ 50 ms for all tables together.",
                "",
                "| table | first call (ms) | warm call (ms) |",
                "|---|---:|---:|",
            ]
            for n in load["names"]:
                lines.append(f"| `{n}` | {load['first'][n] * 1000:.1f} | {load['warm'][n] * 1000:.2f} |")
            warm_all = load["warm_all"] * 1000
            lines += [
                f"| **all {len(load['names'])} together** | **{load['first_all'] * 1000:.0f}** | "
                f"**{warm_all:.1f}** ({'meets' if warm_all <= TARGETS['load_warm_ms'] else 'misses'} "
                f"≤ 50 ms) |",
                "",
            ]

    grading = results.get("grading")
    if grading:
        lines += ["## 4. Grading", ""]
        if grading.get("error") and not grading.get("total"):
            lines += [f"Not measured: {grading['error']}", ""]
        else:
            g = grading
            lines += [
                f"`nbgrader autograde {g['assignment']}` of {g['submissions']} fake submissions (half the model "
                "answers, half the blank release) in a temporary copy of `exercises/`, fresh gradebook each run.",
                "",
                "| figure | median | range |",
                "|---|---:|---|",
                f"| `generate_assignment` (once per assignment) | {fmt(g['generate_median'], 1)} s | {spread(g['generate'])} |",
                f"| `autograde`, all {g['submissions']} submissions | {fmt(g['total_median'], 1)} s | {spread(g['total'])} |",
                f"| **seconds per submission** (total / {g['submissions']}) | **{fmt(g['per_submission_median'])} s** | {spread(g['per_submission'])} |",
                f"| command overhead (autograde with no submission) | {fmt(g['overhead_median'], 1)} s | {spread(g['overhead'])} |",
                f"| marginal seconds per submission ((total − overhead) / {g['submissions']}) | {fmt(g['marginal_median'])} s | {spread(g['marginal'])} |",
                f"| floor kernel, measured alongside | {fmt(g['floor_median'])} s | {spread(g['floor'])} |",
                f"| marginal per submission / floor kernel | {fmt(g['ratio_median'])}× | {spread(g['ratio'])} |",
                "",
            ]
            scores = g.get("scores", {})
            if scores and "error" not in scores:
                model = sorted({f"{s:g}/{m:g}" for k, (s, m, _) in scores.items() if int(k[-2:]) % 2 == 0})
                blank = sorted({f"{s:g}/{m:g}" for k, (s, m, _) in scores.items() if int(k[-2:]) % 2 == 1})
                total = next(iter(scores.values()))[2]
                lines += [
                    f"Autograded points in the last run (a check that real grading happened): model answers "
                    f"{', '.join(model)}; blank release {', '.join(blank) or '—'} (the other "
                    f"{total - next(iter(scores.values()))[1]:g} of {total:g} points are written answers, "
                    "marked by hand).",
                    "",
                ]
            if g.get("error"):
                lines += [f"Warning: {g['error']}", ""]

    lines += ["## Targets", "", "| figure | target | met? |", "|---|---|:-:|"]
    if nbs:
        ok = [e["ratio_median"] for e in nbs.values() if e["ratio_median"] is not None]
        worst = max(ok) if ok else None
        failed = [n for n, e in nbs.items() if e["ratio_median"] is None]
        lines.append(
            f"| every notebook ≤ 1.2× its floor | worst {fmt(worst)}×"
            + (f"; {len(failed)} fail to run" if failed else "")
            + f" | "
            f"{verdict(worst, TARGETS['notebook']) if not failed else '**no**'} |"
        )
    if imp:
        lines.append(
            f"| `import workbook` ≤ 1.1× bare | {fmt(imp['ratio'].get('workbook'))}× | "
            f"{verdict(imp['ratio'].get('workbook'), TARGETS['import'])} |"
        )
    if load and "error" not in load:
        lines.append(
            f"| every table warm ≤ 50 ms together | {load['warm_all'] * 1000:.1f} ms | "
            f"{verdict(load['warm_all'] * 1000, TARGETS['load_warm_ms'])} |"
        )
    if grading and grading.get("total"):
        lines.append(f"| grading | {fmt(grading['per_submission_median'])} s per submission | (no target) |")
    lines.append("")
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one run of each section, 3 import repeats, nbval only with -n 2, "
        "2 submissions (about 3 minutes)",
    )
    parser.add_argument("--runs", type=int, help="runs of each section (default 3; --quick: 1)")
    parser.add_argument("--only", help=f"comma-separated sections to run ({', '.join(SECTIONS)})")
    parser.add_argument("--skip", help="comma-separated sections to leave out")
    parser.add_argument("--notebooks", metavar="REGEX", help="only notebooks whose file name matches")
    parser.add_argument(
        "--submissions", type=int, help="fake submissions to autograde (default 6; --quick: 2)"
    )
    parser.add_argument("--assignment", help="assignment to grade (default: the first in exercises/source/)")
    parser.add_argument(
        "--output", type=Path, default=RESULTS, help="markdown report (default benchmarks/RESULTS.md)"
    )
    parser.add_argument("--no-write", action="store_true", help="print the report instead of writing it")
    parser.add_argument("--json", type=Path, help="also write the raw measurements here")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (for debugging)")
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="NOTEBOOK",
        help="run one notebook under cProfile and print where its time goes (nothing else)",
    )
    args = parser.parse_args(argv)
    args.command_line = " ".join(
        [".venv/bin/python benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])]
    )
    args.runs = args.runs or (1 if args.quick else 3)
    args.import_repeats = 3 if args.quick else max(10, 3 * args.runs)
    args.submissions = args.submissions or (2 if args.quick else 6)
    sections = args.only.split(",") if args.only else list(SECTIONS)
    sections = [s for s in sections if s not in (args.skip or "").split(",")]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {sorted(unknown)}; choose from {SECTIONS}")

    scratch = Scratch(keep=args.keep)
    started = time.perf_counter()
    results: dict = {}
    try:
        if args.profile:
            profile_notebook(args.profile.resolve(), scratch)
            return 0
        paths = notebook_paths(args.notebooks)
        if ("notebooks" in sections or "nbval" in sections) and not paths:
            say("no notebooks found in notebooks/: skipping the notebook sections")
        if "import" in sections:
            say(f"import: {args.import_repeats} interleaved repeats")
            results["import"] = bench_import(args.import_repeats, scratch)
        if "load" in sections:
            results["load"] = bench_load(max(3, args.runs), scratch)
        if "notebooks" in sections and paths:
            say(f"notebooks: {len(paths)} notebooks × {args.runs} runs, each beside a floor kernel")
            results["notebooks"] = bench_notebooks(paths, args.runs)
        if "nbval" in sections and paths:
            if "notebooks" not in sections:
                import nbformat

                say(f"warming up ({paths[0].stem}; not counted)")
                execute(nbformat.read(paths[0], as_version=4), paths[0].parent)
            modes = ("-n 2",) if args.quick else ("serial", "-n 2")
            results["nbval"] = bench_nbval(paths, args.runs, scratch, modes)
        if "grading" in sections:
            results["grading"] = bench_grading(args.runs, args.submissions, args.assignment, scratch)
            if results["grading"].get("error"):
                say(f"grading: {results['grading']['error']}")
    finally:
        scratch.close()

    text = report(results, args, started)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
    if args.no_write:
        print(text)
    else:
        args.output.write_text(text, encoding="utf-8")
        say(f"wrote {args.output.relative_to(ROOT) if args.output.is_relative_to(ROOT) else args.output}")
    say(f"done in {(time.perf_counter() - started) / 60:.1f} minutes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
