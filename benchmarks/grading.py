"""Sandboxed, parallel grading against plain nbgrader, side by side in one run.

    .venv/bin/python benchmarks/grading.py [--submissions 12] [--runs 5] [--assignment ex01_four_phases]

Builds one course (a temporary copy of exercises/, the assignment generated once) and N fake
submissions (even students hand in the model answers, odd ones the blank release), copies it three
times, and times, in alternating order per run:

1. plain ``nbgrader autograde NAME --force`` (nbgrader's own Execute, serial, unsandboxed);
2. ``python -m workbook.course.autograde NAME --force`` with 1 worker (every submission in the sandbox);
3. the same with one worker per core.

All three kernels run as graded kernels do (``WORKBOOK_KERNEL_EXTENSION=0``, ``WORKBOOK_PROGRESS=0``:
the sandbox sets them; plain gets them too, else its kernels would also set up the workbook's
displays and the ratio would measure that, not the sandbox).

Reports, as medians over the runs with their spread (lowest-highest): seconds, seconds per
submission and the ratio to plain (targets: sandbox at 1 worker <= 1.15x, all workers on 2 cores
<= 0.65x); and CPU seconds per submission (user+sys of the command and everything it started,
sandboxes included: measured in a cgroup of its own, which needs root; load distorts CPU time much
less than wall time). Also the load average before and after (a loaded machine makes the wall-clock
ratios unreliable: said in the section); checks the three gradebooks agree score for score; and
writes its section of benchmarks/RESULTS.md.
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
    env["WORKBOOK_KERNEL_EXTENSION"] = "0"  # every kernel as graded kernels run (see the docstring)
    env["WORKBOOK_PROGRESS"] = "0"
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


class CpuMeter:
    """CPU seconds of a command and of everything it starts, sandboxes included.

    ``getrusage(RUSAGE_CHILDREN)`` misses the sandboxes (bubblewrap's outer process exits without
    reaping its pid-namespace init), so the command runs in a cgroup made for it: cgroup v1's
    ``cpuacct`` when mounted, else a cgroup v2 folder (the command in a leaf below it, so cgroups the
    grader makes beside its own stay inside and are counted). Needs root; else ``None``.
    """

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.leaf: Path | None = None
        v1 = Path("/sys/fs/cgroup/cpuacct")
        v2 = next(
            (
                p
                for p in (Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/unified"))
                if (p / "cgroup.controllers").is_file()
            ),
            None,
        )
        for base, leaf in ((v1, None), (v2, "run")):
            if base is None or not (base / "cgroup.procs").is_file():
                continue
            folder = base / f"workbook-grading-bench-{os.getpid()}"
            try:
                folder.mkdir()
                if leaf:
                    (folder / leaf).mkdir()
            except OSError:
                continue
            self.folder, self.leaf = folder, folder / leaf if leaf else folder
            break

    def enter(self) -> None:
        """In the child, before exec: join the cgroup."""
        if self.leaf is not None:
            (self.leaf / "cgroup.procs").write_text(str(os.getpid()))

    def seconds(self) -> float | None:
        if self.folder is None:
            return None
        usage = self.folder / "cpuacct.usage"
        if usage.exists():
            return int(usage.read_text()) / 1e9
        stat = dict(line.split() for line in (self.folder / "cpu.stat").read_text().splitlines())
        return int(stat["usage_usec"]) / 1e6

    def remove(self) -> None:
        if self.folder is None:
            return
        for _ in range(50):  # the cgroup empties once the last killed sandbox process is gone
            try:
                if self.leaf != self.folder:
                    self.leaf.rmdir()
                self.folder.rmdir()
                return
            except OSError:
                time.sleep(0.1)


def timed(command: list[str], course: Path, env: dict) -> tuple[float, float | None]:
    """Wall-clock seconds and CPU seconds (None where no cgroup could be made) of one command."""
    meter = CpuMeter()
    try:
        started = time.perf_counter()
        done = subprocess.run(
            command, cwd=course, env=env, capture_output=True, text=True, preexec_fn=meter.enter
        )
        seconds = time.perf_counter() - started
        cpu = meter.seconds()
    finally:
        meter.remove()
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return seconds, cpu


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
    cpu: dict[str, list[float]] = {name: [] for name in runners}
    loads: list[float] = []
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
                this[name], used = timed(runners[name], course, env)
                if used is not None:
                    cpu[name].append(used / args.submissions)
                results[name] = scores(course, args.assignment)
                shown = "" if used is None else f", {used:.1f} CPU s"
                say(f"run {run + 1}/{args.runs}: {name}: {this[name]:.1f} s{shown}")
            if hasattr(os, "getloadavg"):
                loads.append(os.getloadavg()[0])
            first = results["plain"]
            agree &= all(r == first for r in results.values()) and len(first) == args.submissions
            for name in runners:
                seconds[name].append(this[name])
                ratios[name].append(this[name] / this["plain"])
    total = time.perf_counter() - began

    def spread(values: list[float], digits: int = 2) -> str:
        return f"{min(values):.{digits}f}–{max(values):.{digits}f}"

    rows = []
    for name in runners:
        ratio = statistics.median(ratios[name])
        target = {"plain": None, "sandbox, 1 worker": 1.15}.get(name, 0.65 if workers == 2 else None)
        verdict = "" if target is None else ("yes" if ratio <= target else "no")
        per_cpu = (
            f"{statistics.median(cpu[name]):.2f} ({spread(cpu[name])})"
            if len(cpu[name]) == args.runs
            else "n/a"
        )
        cpu_ratio = (
            f"{statistics.median(cpu[name]) / statistics.median(cpu['plain']):.2f}×"
            if len(cpu[name]) == len(cpu["plain"]) == args.runs
            else "n/a"
        )
        rows.append(
            (
                name,
                f"{statistics.median(seconds[name]):.1f} ({spread(seconds[name], 1)})",
                f"{statistics.median(seconds[name]) / args.submissions:.2f}",
                f"{ratio:.2f}× ({spread(ratios[name])})",
                per_cpu,
                cpu_ratio,
                "" if target is None else f"≤ {target}×",
                verdict,
            )
        )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    busiest = max([load_before, load, *loads])
    lines = [
        START,
        "## Grading: sandboxed and parallel against plain nbgrader",
        "",
        f"Written by `.venv/bin/python benchmarks/grading.py` on {time.strftime('%Y-%m-%d %H:%M')} "
        f"({total / 60:.1f} minutes; {workers} cores; load average {load_before:.1f} before, "
        f"{busiest:.1f} at most after a run, {load:.1f} at the end"
        + (
            "; the machine was LOADED by other work, so the wall-clock ratios are not those of idle cores"
            # its own 2-worker run keeps two sandboxes and the trusted pass busy: up to cores + 1
            if busiest > workers + 1
            else ""
        )
        + "). "
        f"`{args.assignment}`, {args.submissions} fake submissions (half the model answers, half the "
        f"blank release), {args.runs} run(s); the three are run one after the other in each run "
        "(order alternating), each on its own copy of the same course and gradebook, every kernel "
        "with `WORKBOOK_KERNEL_EXTENSION=0` as graded kernels run. Medians over the runs, the "
        "spread (lowest–highest) in brackets; a ratio is taken within a run. CPU: user+sys seconds "
        "of the command and all it started, sandboxes included (a cgroup per command), per "
        "submission.",
        "",
        "| grader | total (s) | s per submission | ratio to plain | CPU s per submission | CPU ratio | target | met? |",
        "|---|---:|---:|---:|---:|---:|---:|:-:|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(row) + " |")
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
