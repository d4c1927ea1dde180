"""Sandboxed, parallel grading against plain nbgrader, side by side in one run.

    .venv/bin/python benchmarks/grading.py [--submissions 12] [--runs 5] [--assignment ex01_four_phases]

Builds one course (a temporary copy of exercises/, the assignment generated once) and N fake
submissions (even students hand in the model answers, odd ones the blank release), copies it three
times, and times, in alternating order per run:

1. plain ``nbgrader autograde NAME --force`` (nbgrader's own Execute, serial, unsandboxed);
2. ``python -m workbook.course.autograde NAME --force`` with 1 worker (every submission in the sandbox);
3. the same with one worker per core.

Reports seconds per submission and the ratios to plain (targets: sandbox at 1 worker <= 1.15x,
all workers on 2 cores <= 0.65x) as medians over the runs with their spread (lowest-highest), the
load average before and after (a loaded machine makes the ratios unreliable: said in the section),
checks the three gradebooks agree score for score, and writes its section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from workbook.course import regions  # noqa: E402
from workbook.course.autograde import cores  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
START, END = "<!-- grading-sandbox:start -->", "<!-- grading-sandbox:end -->"
PLAIN_PREPROCESSORS = """
# benchmark: nbgrader's own, unsandboxed Execute
c.Autograde.autograde_preprocessors = [
    "nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata"]
"""


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def environment(scratch: Path) -> dict:
    env = dict(os.environ)
    for key, sub in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("IPYTHONDIR", "ipython"),
    ):
        env[key] = str(scratch / "jupyter" / sub)
    env["PYTHONWARNINGS"] = "ignore"
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def build_course(scratch: Path, assignment: str, count: int, env: dict) -> Path:
    course = scratch / "base"
    shutil.copytree(
        ROOT / "exercises",
        course,
        ignore=shutil.ignore_patterns(
            "release",
            "submitted",
            "autograded",
            "feedback",
            "gradebook.db",
            "grades.csv",
            "release_history",
            ".ipynb_checkpoints",
            "__pycache__",
        ),
    )
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"],
        cwd=course,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"generate_assignment failed:\n{done.stdout}{done.stderr}")
    release = json.loads((course / "release" / assignment / f"{assignment}.ipynb").read_text())
    source = json.loads((course / "source" / assignment / f"{assignment}.ipynb").read_text())
    answers = {
        c["metadata"]["nbgrader"]["grade_id"]: regions.unmarked(regions.cell_text(c), "solution")
        for c in source["cells"]
        if c.get("metadata", {}).get("nbgrader", {}).get("solution") and c["cell_type"] == "code"
    }
    for k in range(count):
        nb = json.loads(json.dumps(release))
        if k % 2 == 0:
            for cell in nb["cells"]:
                gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                if gid in answers:
                    cell["source"] = answers[gid]
        folder = course / "submitted" / f"student{k:02d}" / assignment
        folder.mkdir(parents=True)
        (folder / f"{assignment}.ipynb").write_text(json.dumps(nb))
    return course


def variant(base: Path, name: str) -> Path:
    course = base.parent / name
    if course.exists():
        shutil.rmtree(course)
    shutil.copytree(base, course)
    if name == "plain":
        with open(course / "nbgrader_config.py", "a", encoding="utf-8") as f:
            f.write(PLAIN_PREPROCESSORS)
    return course


def timed(command: list[str], course: Path, env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=course, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return seconds


def scores(course: Path, assignment: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(assignment)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=12)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--assignment", default="ex01_four_phases")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    workers = cores()
    runners = {
        "plain": [sys.executable, "-m", "nbgrader", "autograde", args.assignment, "--force"],
        "sandbox, 1 worker": [
            sys.executable,
            "-m",
            "workbook.course.autograde",
            args.assignment,
            "--force",
            "--ParallelAutograde.workers=1",
        ],
        f"sandbox, {workers} workers": [
            sys.executable,
            "-m",
            "workbook.course.autograde",
            args.assignment,
            "--force",
            f"--ParallelAutograde.workers={workers}",
        ],
    }
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    ratios: dict[str, list[float]] = {name: [] for name in runners}
    agree = True
    began = time.perf_counter()
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    with tempfile.TemporaryDirectory(prefix="workbook-grading-bench-") as tmp:
        scratch = Path(tmp)
        env = environment(scratch)
        say(f"building {args.submissions} submissions of {args.assignment} …")
        base = build_course(scratch, args.assignment, args.submissions, env)
        for run in range(args.runs):
            order = list(runners) if run % 2 == 0 else list(reversed(runners))
            this: dict[str, float] = {}
            results = {}
            for name in order:
                course = variant(base, "plain" if name == "plain" else re.sub(r"\W+", "-", name))
                this[name] = timed(runners[name], course, env)
                results[name] = scores(course, args.assignment)
                say(f"run {run + 1}/{args.runs}: {name}: {this[name]:.1f} s")
            first = results["plain"]
            agree &= all(r == first for r in results.values()) and len(first) == args.submissions
            for name in runners:
                seconds[name].append(this[name])
                ratios[name].append(this[name] / this["plain"])
    total = time.perf_counter() - began
    rows = []
    for name in runners:
        per = statistics.median(seconds[name]) / args.submissions
        ratio = statistics.median(ratios[name])
        target = {"plain": None, "sandbox, 1 worker": 1.15}.get(name, 0.65 if workers == 2 else None)
        verdict = "" if target is None else ("yes" if ratio <= target else "no")
        spread = f"{min(ratios[name]):.2f}–{max(ratios[name]):.2f}"
        rows.append((name, statistics.median(seconds[name]), per, ratio, spread, target, verdict))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        START,
        "## Grading: sandboxed and parallel against plain nbgrader",
        "",
        f"Written by `.venv/bin/python benchmarks/grading.py` on {time.strftime('%Y-%m-%d %H:%M')} "
        f"({total / 60:.1f} minutes; {workers} cores; load average {load_before:.1f} before, {load:.1f} after"
        + (
            "; the machine was LOADED by other work, so these ratios are not those of idle cores"
            if max(load, load_before) > workers
            else ""
        )
        + "). "
        f"`{args.assignment}`, {args.submissions} fake submissions (half the model answers, half the "
        f"blank release), {args.runs} run(s); the three are run one after the other in each run "
        "(order alternating), each on its own copy of the same course and gradebook.",
        "",
        "| grader | median total (s) | s per submission | median ratio to plain | spread | target | met? |",
        "|---|---:|---:|---:|---:|---:|:-:|",
    ]
    for name, tot, per, ratio, spread, target, verdict in rows:
        lines.append(
            f"| {name} | {tot:.1f} | {per:.2f} | {ratio:.2f}× | {spread} | "
            f"{'' if target is None else f'≤ {target}×'} | {verdict} |"
        )
    lines += [
        "",
        f"Same scores in all three gradebooks, student by student: {'yes' if agree else 'NO'}.",
        "",
        END,
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
        if START in text and END in text:
            text = text[: text.index(START)] + section + text[text.index(END) + len(END) :]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
        RESULTS.write_text(text, encoding="utf-8")
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
