#!/usr/bin/env python
"""Why the kernel's loader stays home-made: Frictionless against ``workbook.load`` at kernel start.

    .venv/bin/python benchmarks/data_check.py [--runs 3]

Each run starts fresh processes side by side (interleaved): one that imports pandas and loads every
stored table with the workbook's loader (what a student's first ``load`` costs), one that imports
Frictionless and validates data/datapackage.json (what checking the same tables with it would add
to a kernel), and one that imports pandas and reads every CSV with ``pd.read_csv`` and no checks
(the floor).  Prints medians in seconds; nothing is written.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "pd.read_csv, no checks (floor)": (
        "import pandas as pd, json; d = json.load(open('data/datapackage.json'));"
        "[pd.read_csv('data/' + r['path']) for r in d['resources']]"
    ),
    "workbook loader, every stored table": (
        "import workbook; from workbook.data import package; p = package();"
        "[p.table(n) for n in p.stored_names()]"
    ),
    "frictionless.validate(datapackage.json)": (
        "import frictionless; r = frictionless.validate('data/datapackage.json'); assert r.valid"
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(runs):
        for name, code in CASES.items():
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
            times[name].append(time.perf_counter() - started)
    floor = statistics.median(times[next(iter(CASES))])
    for name, seconds in times.items():
        median = statistics.median(seconds)
        print(f"{name:45s} {median:6.2f} s  ({median / floor:.1f}x the floor)")


if __name__ == "__main__":
    main()
