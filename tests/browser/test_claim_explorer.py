"""ClaimExplorer shows exactly the claims its filters keep, in JupyterLab in headless Chromium (issue 20).

The explorer sends every claim's row to the page once; a filter sends only which rows to show, and
the page hides the others in place.  A student picks a reading and a hedge word with the keyboard-reachable
drop-downs; the rows the page shows (laid out, not hidden) must be exactly the claims with that
reading and hedge word, as many as the count the explorer announces.
"""

from __future__ import annotations

import json

import pytest
from labdriver import NotebookPage, artifacts_dir

from workbook import load

pytestmark = pytest.mark.browser

FOLDER = "claims"
NOTEBOOK = f"{FOLDER}/claim_explorer.ipynb"

# The explorer's count and the first cell (claim_id) of every row the page lays out.
JS_SHOWN = """() => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell')];
  const cell = cells.find(c => (c.querySelector('.jp-InputArea') || c).textContent.includes('# ClaimExplorer'));
  const root = cell && cell.querySelector('.workbook-explorer');
  if (!root) return null;
  const count = root.querySelector('.workbook-live b');
  const rows = [...root.querySelectorAll('tbody tr')].filter(r => r.getClientRects().length > 0);
  return {count: count ? Number(count.textContent) : null,
          shown: rows.map(r => r.cells[0].textContent.trim())};
}"""


def test_ClaimExplorer_shows_exactly_the_claims_its_filters_keep(lab_server, browser):
    folder = lab_server.root / FOLDER
    folder.mkdir(exist_ok=True)
    cells = ["from workbook import widgets", "# ClaimExplorer\nwidgets.ClaimExplorer()"]
    notebook = {
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": c}
            for c in cells
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (folder / "claim_explorer.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    claims = load("claims")
    hedge = str(claims.loc[claims["reading"] == "sa1997", "hedge"].dropna().iloc[0])
    page = NotebookPage(lab_server, browser, NOTEBOOK, artifacts_dir(), viewport=(1440, 1800))
    try:
        page.open()
        page.run_all()
        page.wait_idle(60)
        assert not page.traffic.errors, f"error running the notebook: {page.traffic.errors[0]}"
        everything = page.wait_until(lambda: page.page.evaluate(JS_SHOWN), 30, "the explorer to draw")
        assert everything["count"] == len(claims) == len(everything["shown"])
        for label, value, keep in (
            ("Reading", "sa1997", claims["reading"] == "sa1997"),
            ("Hedge word", hedge, (claims["reading"] == "sa1997") & (claims["hedge"] == hedge)),
        ):
            page.page.locator(f'.workbook-explorer select[aria-label="{label}"]').select_option(value)
            expected = list(claims.loc[keep, "claim_id"])

            def filtered(expected=expected):
                now = page.page.evaluate(JS_SHOWN)
                return now if now and now["count"] == len(expected) and now["shown"] == expected else None

            try:
                page.wait_until(filtered, 30, f"only the claims with {label} {value} to show")
            except TimeoutError:
                now = page.page.evaluate(JS_SHOWN)
                raise AssertionError(
                    f"after {label} {value}: count {now and now['count']}, {len(now['shown']) if now else 0} "
                    f"rows shown, {len(expected)} expected; first shown {now and now['shown'][:5]}"
                ) from None
        page.screenshot("claim-explorer")
    finally:
        page.write_log()
        page.close()
