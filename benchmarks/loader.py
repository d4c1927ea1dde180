#!/usr/bin/env python
"""``workbook.load`` in this tree against another commit's loader, side by side in one run.

    .venv/bin/python benchmarks/loader.py                 # against main, 7 process pairs
    .venv/bin/python benchmarks/loader.py --base HEAD~3 --runs 9 --write

Each run starts two fresh processes in turn (base, this tree; then this tree, base, ...), each on
the same data/ (``WORKBOOK_DATA``): the first ``load`` of every table (parse and check everything),
a cold re-parse after ``clear_cache()`` repeated 5 times, and 20 warm rounds of ``load`` of every
table.  Figures are medians; each ratio is the median of the per-pair ratios.  The base tree is
taken with ``git archive`` into a temporary folder; nothing in the repository is written except,
with ``--write``, the "Loader" section of ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from results import write_section  # noqa: E402  (benchmarks/ is not a package)

PROBE = r"""
import json, time
t0 = time.perf_counter()
import workbook
names = list(workbook.tables()["name"])
t1 = time.perf_counter()
for n in names:
    workbook.load(n)
first = time.perf_counter() - t1
cold = []
for _ in range(5):
    workbook.clear_cache()
    t = time.perf_counter()
    for n in names:
        workbook.load(n)
    cold.append(time.perf_counter() - t)
warm = []
for _ in range(20):
    t = time.perf_counter()
    for n in names:
        workbook.load(n)
    warm.append(time.perf_counter() - t)
print(json.dumps({"first": first, "cold": min(cold), "warm": sorted(warm)[len(warm) // 2],
                  "file": workbook.__file__}))
"""


def measure(src: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(src), WORKBOOK_DATA=str(ROOT / "data"))
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                         check=True, timeout=120, cwd=tempfile.gettempdir())
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["file"].startswith(str(src)), f"imported {result['file']}, not the tree in {src}"
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="main", help="git commit to compare against (default main)")
    parser.add_argument("--runs", type=int, default=7, help="process pairs (default 7)")
    parser.add_argument("--write", action="store_true", help="write the section into RESULTS.md")
    args = parser.parse_args()
    base_rev = subprocess.run(["git", "rev-parse", "--short", args.base], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout.strip()
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "archive", base_rev, "src"], cwd=ROOT, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        trees = {"base": Path(tmp) / "src", "this": ROOT / "src"}
        runs = {"base": [], "this": []}
        for i in range(args.runs):
            order = ["base", "this"] if i % 2 == 0 else ["this", "base"]
            for which in order:
                runs[which].append(measure(trees[which]))
    rows = []
    for key, label in (("first", "first `load` of every table (parse + check all)"),
                       ("cold", "re-parse after `clear_cache()` (best of 5)"),
                       ("warm", "warm `load` of every table (median of 20)")):
        base = statistics.median(r[key] for r in runs["base"]) * 1000
        this = statistics.median(r[key] for r in runs["this"]) * 1000
        ratio = statistics.median(t[key] / b[key] for b, t in zip(runs["base"], runs["this"]))
        rows.append(f"| {label} | {base:.1f} | {this:.1f} | {ratio:.2f}× |")
    body = "\n".join([
        f"Measured by `benchmarks/loader.py`: {args.runs} pairs of fresh processes, base `{args.base}` "
        f"({base_rev}) against this tree, interleaved, on the same data/; medians, ratio = median of "
        "per-pair ratios. The loader now checks datapackage.json and every cell strictly and builds under a "
        "lock; the target is no measurable slow-down (ratios near 1.0 on a noisy machine).",
        "", "| what | base (ms) | this tree (ms) | ratio |", "|---|---:|---:|---:|", *rows])
    print(body)
    if args.write:
        write_section("loader", "`workbook.load`: this tree against the base commit", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
