"""Running a notebook twice gives the same results, and running it asks nothing of the network.

nbval (``--nbval-lax`` on notebooks/) proves each notebook runs; this module runs each one twice
with nbclient inside a kernel whose sockets may reach only this machine, and compares the outputs.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))

GUARD = textwrap.dedent('''
    """Loaded by the test kernel only: record and refuse any connection that leaves this machine."""
    import os, socket
    _log = os.environ["WORKBOOK_NET_LOG"]
    _connect = socket.socket.connect

    def _guarded(self, address):
        host = address[0] if isinstance(address, tuple) else str(address)
        if self.family in (socket.AF_INET, socket.AF_INET6) and not (
                host.startswith("127.") or host in ("::1", "localhost", "0.0.0.0")):
            with open(_log, "a") as log:
                log.write(f"{host}\\n")
            raise OSError(f"network access blocked in tests: {host}")
        return _connect(self, address)

    socket.socket.connect = _guarded
''')

VOLATILE = re.compile(r"0x[0-9a-f]+|\d+\.\d+ ?s\b|model_id[^,}]*")


def _texts(nb) -> list[str]:
    """The text a student sees in each code cell's outputs, minus ids and timings."""
    seen = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        parts = []
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                data = out.get("data", {})
                if "application/vnd.jupyter.widget-view+json" in data:
                    parts.append("<widget>\n")
                else:
                    parts.append(str(data.get("text/plain", "")) + "\n")
            elif out.output_type == "error":
                parts.append(f"ERROR {out.ename}: {out.evalue}\n")
        # stream text may arrive in one message or several: join without separators
        seen.append(VOLATILE.sub("", "".join(parts)))
    return seen


@pytest.fixture(scope="module")
def guarded_env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("netguard")
    (folder / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    log = folder / "connections.log"
    log.write_text("")
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", "WORKBOOK_NET_LOG")}
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(folder), saved["PYTHONPATH"]) if p)
    os.environ["WORKBOOK_NET_LOG"] = str(log)
    yield log
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_runs_the_same_twice_and_offline(path, guarded_env):
    runs = []
    for _ in range(2):
        nb = nbformat.read(path, as_version=4)
        NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
        assert not errors, f"{path.name}: {errors[0]['ename']}: {errors[0]['evalue']}"
        runs.append(_texts(nb))
    assert runs[0] == runs[1], f"{path.name} gives different outputs on a second run"
    blocked = guarded_env.read_text().split()
    assert not blocked, f"{path.name} tried to reach the network: {sorted(set(blocked))}"


def test_the_guard_blocks_and_records_outside_connections(guarded_env):
    import subprocess
    import sys

    code = ("import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=1)\n"
            "except OSError as e:\n    print('blocked' if 'blocked' in str(e) else 'other')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ).stdout
    assert out.strip() == "blocked"
    assert "192.0.2.1" in guarded_env.read_text()
    guarded_env.write_text("")
