"""axe-core on the workbook in JupyterLab: no serious or critical violation in our own outputs.

axe-core (bundled by the PyPI package ``axe-playwright-python``; nothing is fetched) is injected
into the page and run on what the workbook puts there: every cell output (charts, explorers,
tables, text) and the rendered Markdown of the notebooks.  The nine notebooks are checked in the
same Run All as the other browser tests (``test_notebooks_in_browser.py`` calls
:func:`check_outputs`), so this costs one axe run per notebook, not another run of the notebook.

JupyterLab's own interface (menus, toolbars, side panels, the cell editor) is not ours.  Its
serious and critical violations are listed in ``KNOWN_UPSTREAM`` with the reason we cannot fix
them here; :func:`test_jupyterlab_itself_has_only_the_known_violations` fails when a new one
appears (or says when a listed one is gone), so the list stays short and true.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from labdriver import PANEL, NotebookPage, artifacts_dir

pytestmark = pytest.mark.browser

#: What fails a test: axe's two worst impact levels.
SERIOUS = ("serious", "critical")
#: WCAG 2.1 A and AA rules (and axe's best practices, reported but only failing when serious).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

#: The workbook's own content in a notebook: what its cells print and draw, and its Markdown.
OURS = [f"{PANEL} .jp-OutputArea-output", f"{PANEL} .jp-MarkdownOutput"]

#: Serious/critical violations in JupyterLab's own interface (not in anything the workbook draws),
#: by axe rule id, with why it is not fixed here.  Filled from the run in
#: test_jupyterlab_itself_has_only_the_known_violations.
KNOWN_UPSTREAM: dict[str, str] = {
    "aria-allowed-attr": "JupyterLab's toolbar buttons (the jp-button web component of @jupyterlab/ui-components, "
    "e.g. 'Upload Files', and nbgrader's 'Validate') carry aria-pressed on plain buttons",
    "aria-required-children": "the notebook's cell list (@jupyterlab/notebook's windowed list) is role=feed, "
    "but its cells are not role=article",
    "aria-input-field-name": "every code cell's editor (CodeMirror 6's .cm-content, role=textbox, in "
    "@jupyterlab/codemirror) has no accessible name: one serious node per code cell; reproduction in "
    "tests/browser/UPSTREAM.md",
    "button-name": "the collapse-heading toggle that JupyterLab adds beside each Markdown heading "
    "(.jp-collapseHeadingButton, @jupyterlab/cells) has no text or label",
}
#: Parts of JupyterLab's chrome that sit inside our outputs' areas (so the outputs check skips them).
UPSTREAM_INSIDE_OURS = [".jp-collapseHeadingButton"]


def _axe_source() -> str:
    """axe-core's script as the PyPI package ships it (no network)."""
    from importlib.resources import files

    return files("axe_playwright_python").joinpath("axe.min.js").read_text(encoding="utf-8")


def run_axe(page, include=None, exclude=None) -> list[dict]:
    """axe's violations (WCAG 2.1 A/AA and best practice) in ``include`` minus ``exclude``."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    context = {"include": [[s] for s in include] if include else [["html"]]}
    if exclude:
        context["exclude"] = [[s] for s in exclude]
    options = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
    result = page.evaluate("([context, options]) => axe.run(context, options)", [context, options])
    return result["violations"]


def serious(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v.get("impact") in SERIOUS]


def describe(violations: list[dict], nodes: int = 3) -> list[str]:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} element(s)): {v['help']}")
        for node in v["nodes"][:nodes]:
            lines.append(
                f"    {node['target']}: {node.get('failureSummary', '').splitlines()[-1:] or ''} "
                f"{node['html'][:160]}"
            )
    return lines


def _write(name: str, violations: list[dict]) -> Path:
    folder = artifacts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.axe.json"
    path.write_text(json.dumps(violations, indent=1)[:2_000_000], encoding="utf-8")
    return path


def check_outputs(notebook_page: NotebookPage) -> None:
    """No serious or critical axe violation in the notebook's outputs and Markdown (after Run All)."""
    page = notebook_page.page
    # Cells far outside the viewport are not laid out (content-visibility); axe needs them drawn.
    page.evaluate(f"""() => {{ for (const c of document.querySelectorAll('{PANEL} .jp-Cell'))
                               c.style.contentVisibility = 'visible'; }}""")
    violations = run_axe(page, include=OURS, exclude=UPSTREAM_INSIDE_OURS)
    path = _write(notebook_page.stem, violations)
    bad = serious(violations)
    assert not bad, (
        f"{notebook_page.stem}: axe found serious/critical violations in the workbook's outputs "
        f"(all in {path}):\n" + "\n".join(describe(bad))
    )


@pytest.fixture(scope="module")
def blank_page(lab_server, browser):
    """A Markdown cell and a code cell: JupyterLab's interface (and its cell editor) with nothing of ours in it."""
    folder = lab_server.root / "a11y"
    folder.mkdir(exist_ok=True)
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Blank"},
            # A code cell too: its editor is where most upstream violations are (issue 23).
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": "1 + 1"},
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (folder / "blank.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    page = NotebookPage(lab_server, browser, "a11y/blank.ipynb", artifacts_dir())
    try:
        page.open()
        yield page
    finally:
        page.close()


def test_jupyterlab_itself_has_only_the_known_violations(blank_page):
    violations = run_axe(blank_page.page, exclude=OURS)
    _write("jupyterlab-interface", violations)
    found = {v["id"]: v for v in serious(violations)}
    new = [found[rule] for rule in found if rule not in KNOWN_UPSTREAM]
    assert not new, (
        "serious/critical violations in JupyterLab's own interface that KNOWN_UPSTREAM does "
        "not list (add them with the reason, or fix them):\n" + "\n".join(describe(new))
    )
    gone = sorted(set(KNOWN_UPSTREAM) - set(found))
    if gone:
        import warnings

        warnings.warn(
            f"listed upstream violations no longer found (remove them from KNOWN_UPSTREAM): {gone}",
            stacklevel=2,
        )
