#!/usr/bin/env python3
"""Import cost of a Jupyter server against pandas, with jsonschema pinned as we ship it and as upstream.

    .venv/bin/python benchmarks/server_start.py [--runs 3] [--no-write]

A single-user server's start is mostly Python imports. jsonschema >= 4.25 adds ``rfc3987-syntax`` to
its ``format-nongpl`` extra (which jupyter-events requires), and that module builds an Earley parser
for RFC 3987 when it is imported: every server and every kernel that imports altair pays for it.
constraints.txt pins jsonschema below 4.25 (see the README's "Pinned around upstream" section).

This builds (with uv, from constraints.txt, in a temporary folder) one small venv per variant:

- ``as pinned``: constraints.txt as committed (jsonschema 4.24.x, no rfc3987-syntax);
- ``upstream newest``: the same with jsonschema 4.26.0 and rfc3987-syntax (the "before");
- ``extra removed``: jsonschema 4.26.0 with rfc3987-syntax uninstalled afterwards (what pip cannot
  express: shown only to tell the module's share; not a supported install).

then times ``import jupyter_server.serverapp``, ``import altair`` and ``import pandas`` in fresh
processes, variants and modules interleaved (so the machine's drift falls on all alike), and reports
the median of ``--runs`` processes each, with the load average beside the figures.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from results import write_section  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["jupyter-server", "jupyter-events", "pandas", "altair"]
MODULES = ["jupyter_server.serverapp", "altair", "pandas"]
UPSTREAM = {"jsonschema": "4.26.0", "rfc3987-syntax": "1.1.0", "lark": "1.3.1"}


def uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if not found:
        raise SystemExit("needs uv (it comes with the test extra: python3 bootstrap.py test)")
    return found


def constraints(overrides: dict[str, str]) -> str:
    """constraints.txt with some pins replaced (markers dropped for the replaced names)."""
    lines = []
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name = re.match(r"^([A-Za-z0-9_.-]+)==", line)
        if name and name.group(1).lower() in overrides:
            continue
        lines.append(line)
    lines += [f"{name}=={version}" for name, version in overrides.items()]
    return "\n".join(lines) + "\n"


def build(folder: Path, name: str, overrides: dict[str, str], remove: list[str]) -> Path:
    venv = folder / name.replace(" ", "-")
    subprocess.run([uv(), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
    pins = folder / f"{venv.name}.txt"
    pins.write_text(constraints(overrides))
    python = venv / "bin" / "python"
    subprocess.run(
        [uv(), "pip", "install", "-q", "--python", str(python), "-c", str(pins), *PACKAGES], check=True
    )
    if remove:
        subprocess.run([uv(), "pip", "uninstall", "-q", "--python", str(python), *remove], check=True)
    # Compile bytecode once, as an installed venv has it, so the first timed import is not a compile.
    subprocess.run([str(python), "-c", "; ".join(f"import {m}" for m in MODULES)], check=True)
    return python


def version(python: Path, package: str) -> str:
    code = f"import importlib.metadata as m\ntry: print(m.version({package!r}))\nexcept Exception: print('-')"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout.strip()


def timed_import(python: Path, module: str) -> float:
    start = time.perf_counter()
    subprocess.run([str(python), "-c", f"import {module}"], check=True)
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="fresh processes per module and variant")
    parser.add_argument("--no-write", action="store_true", help="print, do not update RESULTS.md")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="server-start-"))
    try:
        variants = {
            "as pinned": build(folder, "as pinned", {}, []),
            "upstream newest": build(folder, "upstream newest", UPSTREAM, []),
            "extra removed": build(folder, "extra removed", UPSTREAM, ["rfc3987-syntax"]),
        }
        load_before = os.getloadavg()
        times: dict[tuple[str, str], list[float]] = {}
        for run in range(args.runs):
            order = list(variants.items())
            if run % 2:
                order.reverse()
            for module in MODULES:
                for name, python in order:
                    times.setdefault((name, module), []).append(timed_import(python, module))
        load_after = os.getloadavg()
        rows = []
        for name, python in variants.items():
            med = {m: statistics.median(times[(name, m)]) for m in MODULES}
            rows.append(
                f"| {name} | {version(python, 'jsonschema')} | {version(python, 'rfc3987-syntax')} | "
                + " | ".join(f"{med[m]:.2f}" for m in MODULES)
                + f" | {med['jupyter_server.serverapp'] / med['pandas']:.1f}× |"
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    body = f"""Written by `.venv/bin/python benchmarks/server_start.py --runs {args.runs}` on
{time.strftime("%Y-%m-%d %H:%M")} UTC; {os.cpu_count()} cores, load average (1/5/15 min)
{"/".join(f"{x:.1f}" for x in load_before)} before and {"/".join(f"{x:.1f}" for x in load_after)} after.
Median of {args.runs} fresh processes each, variants interleaved. Seconds; target for
`import jupyter_server.serverapp` ≤ 2× `import pandas`.

| variant | jsonschema | rfc3987-syntax | `import jupyter_server.serverapp` | `import altair` | `import pandas` | server / pandas |
|---|---|---|---:|---:|---:|---:|
{chr(10).join(rows)}

"as pinned" is what the classroom, `bootstrap.py` and CI install; "upstream newest" is the same
with jsonschema's newest release (the before); "extra removed" is not installable with pip and is
shown only for rfc3987-syntax's share. Three processes on a loaded machine are noisy: read the rows
against each other, not as absolute seconds (in a -X importtime profile at load 9, rfc3987-syntax was 1.4 s of 2.7 s)."""
    print(body)
    if not args.no_write:
        write_section("server_start", "Server start: imports (`benchmarks/server_start.py`)", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
