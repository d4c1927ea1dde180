"""The workbook is loaded by the kernel (``workbook.kernel``), not by a notebook's first cell.

A kernel whose IPython configuration loads the extension (what ``workbook setup`` writes) runs a
saved notebook's cells out of order, as a student does the day after: an answer cell first, then a
check cell, with no ``import workbook`` at all.  And a plain ``import workbook`` in a script or a
terminal IPython leaves IPython and pandas alone.
"""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from workbook import kernel

SAVED = [
    "from workbook import load, check",  # 1: the first cell, never run here
    "## 2. The record\nSome prose.",  # 2: markdown
    'record = load("claims")\nrecord.head()',  # 3: defines record
    "answer_99_1 = len(record)",  # 4: an answer cell
]
RUN = [
    "answer_99_1 = len(record)",  # the answer cell, run first after a reopen
    'workbook_check = check\nimport workbook.checks as c\nc.register("99.1", kind="integer", expected=lambda: 7)',
    'check("99.1", 5)',
    'check("99.1", 7)',
    'progress("99")',
    "import pandas as pd\npd.DataFrame({'year': [1994.0], 'n': [145000.0]})",
    "from workbook import widgets\ncalc = widgets.BudgetCalculator()\ncalc",
    "calc.share.value = 2.5\ncalc.economy.value = 400",
]


@pytest.mark.slow
def test_a_kernel_with_the_extension_explains_and_checks_from_any_first_cell(tmp_path, monkeypatch):
    saved = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(s) if s.startswith("##") else nbformat.v4.new_code_cell(s)
            for s in SAVED
        ]
    )
    path = tmp_path / "99_day_after.ipynb"
    nbformat.write(saved, path)
    ipython_dir = tmp_path / "ipython"
    written = kernel.install(ipython_dir=ipython_dir)
    assert json.loads(written[0].read_text())["InteractiveShellApp"]["extensions"] == ["workbook.kernel"]
    record = tmp_path / "progress.json"
    monkeypatch.setenv("IPYTHONDIR", str(ipython_dir))
    monkeypatch.setenv("JPY_SESSION_NAME", str(path))
    monkeypatch.setenv("WORKBOOK_PROGRESS", str(record))

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in RUN])
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outs = [
        "\n".join(str(o.get("data", {}).get("text/plain", "")) + o.get("text", "") for o in c.outputs)
        for c in nb.cells
    ]
    errors = [[o.ename for o in c.outputs if o.output_type == "error"] for c in nb.cells]
    # the answer cell: still a NameError, explained with the cell that defines the name
    assert errors[0] == ["NameError"]
    assert "Run the cell that defines record first: it is cell 3 of this notebook" in outs[0]
    assert 'under "2. The record"' in outs[0] and "record = load(" in outs[0]
    # check exists without any import, and every judged try is in the student's record
    assert errors[1:] == [[]] * (len(RUN) - 1), outs
    assert "Not yet" in outs[2] and "Correct!" in outs[3]
    assert json.loads(record.read_text())["checks"]["99.1"]["tries"] == 2
    assert "99.1: passed" in outs[4] and "1 of 1 self-checks passed" in outs[4]
    # DataFrames through the workbook's display: a year without a separator, a count with one
    html = next(o.data["text/html"] for o in nb.cells[5].outputs if "text/html" in o.get("data", {}))
    assert "workbook-table" in html and ">1994<" in html and "145,000" in html
    # an explorer: a stand-in before its widget, updated in place to the last state (saved with it)
    standin, widget = nb.cells[6].outputs[:2]
    assert "application/vnd.jupyter.widget-view+json" in widget["data"]
    page = standin["data"]["text/html"]
    assert "workbook-static-chart" in page and "Run this cell to use it again" in page
    assert "(% of the economy): 2.5" in page and "= <b>10.00 trillion yen" in page, page[-800:]


def test_import_in_a_script_or_terminal_ipython_changes_nothing():
    code = (
        "import sys, workbook, workbook.charts, workbook.checks, altair as alt\n"
        "print(alt.renderers.active)\n"
        "from IPython.terminal.interactiveshell import TerminalInteractiveShell\n"
        "shell = TerminalInteractiveShell.instance()\n"
        "import importlib; importlib.reload(workbook)\n"
        "import pandas as pd\n"
        "html = shell.display_formatter.formatters['text/html']\n"
        "print(shell.custom_exceptions, len(shell.events.callbacks['pre_run_cell']), "
        "any('DataFrame' in str(k) for k in [*html.type_printers, *html.deferred_printers]), 'check' in shell.user_ns)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[0] == "default"
    assert out.split("\n")[1] == "() 0 False False"


def test_install_keeps_other_settings(tmp_path):
    config = tmp_path / "etc" / "ipython" / "ipython_kernel_config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"InteractiveShellApp": {"extensions": ["other.ext"]}, "X": {"y": 1}}))
    written = kernel.install(prefix=tmp_path)
    kernel.install(prefix=tmp_path)  # twice: still one entry
    data = json.loads(config.read_text())
    assert data["InteractiveShellApp"]["extensions"] == ["other.ext", "workbook.kernel"] and data["X"] == {
        "y": 1
    }
    settings = json.loads(written[1].read_text())
    assert settings["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert settings["@jupyterlab/notebook-extension:tracker"]["autoStartDefaultKernel"] is True
    # a Run All clicked while the kernel starts is announced, not dropped silently (README)
    assert settings["@jupyterlab/notebook-extension:tracker"]["enableKernelInitNotification"] is True


@pytest.mark.slow
def test_without_the_extension_import_workbook_sets_the_kernel_up(tmp_path, monkeypatch):
    """nbval and other plain kernels: the notebooks' first cell does it; charts when first imported."""
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))  # no config: no extension
    monkeypatch.setenv("WORKBOOK_PROGRESS", str(tmp_path / "progress.json"))
    cells = [
        "import altair as alt\nimport workbook\nprint(alt.renderers.active, 'check' in dir(), 'progress' in dir())",
        "from workbook import charts\nprint(alt.renderers.active)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    printed = ["".join(o.get("text", "") for o in c.outputs).strip() for c in nb.cells]
    assert printed == ["default True True", "workbook"]
