"""Kernel start with and without the workbook's kernel extension, side by side (issue 22).

Three rounds, alternating: start a kernel (IPython folder with or without the config that
``workbook setup`` writes), time its first cell (``x = 1``), then the notebooks' first cell.
Run: ``.venv/bin/python benchmarks/kernel_extension.py`` (prints JSON: seconds per round).
"""

import json
import os
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import start_new_kernel

from workbook import kernel

with_dir = Path(tempfile.mkdtemp())
kernel.install(ipython_dir=with_dir)
without_dir = Path(tempfile.mkdtemp())
res = {"without": [], "with": []}
for _round in range(3):
    for name, d in (("without", without_dir), ("with", with_dir)):
        os.environ["IPYTHONDIR"] = str(d)
        os.environ.setdefault("WORKBOOK_PROGRESS", str(Path(tempfile.gettempdir()) / "bench-progress.json"))
        t = time.monotonic()
        km, kc = start_new_kernel(kernel_name="python3")
        kc.execute_interactive("x = 1", timeout=120)
        t1 = time.monotonic() - t
        t = time.monotonic()
        kc.execute_interactive("from workbook import load, check, charts, widgets", timeout=120)
        t2 = time.monotonic() - t
        res[name].append((round(t1, 2), round(t2, 2)))
        kc.stop_channels()
        km.shutdown_kernel(now=True)
print(json.dumps(res))
