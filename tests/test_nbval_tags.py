"""Test plumbing stays out of what students read: nbval's markers are cell tags, and nbval honours them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import find_comment_markers, find_metadata_tags

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
TAG = "nbval-check-output"


def _code_cells(path):
    return [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_nbval_comment_in_what_students_read(path):
    cells = _code_cells(path)
    assert not [c["id"] for c in cells if "NBVAL" in "".join(c["source"])]
    assert not [c["id"] for c in cells if dict(find_comment_markers("".join(c["source"])))]


def test_the_checked_cells_carry_the_tag_nbval_reads():
    tagged = [c for p in NOTEBOOKS for c in _code_cells(p) if TAG in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) >= 9
    assert all(dict(find_metadata_tags(c["metadata"])) == {"check": True} for c in tagged)


def _tagged_notebook(folder: Path, stored: str) -> Path:
    cell = nbformat.v4.new_code_cell("print(6 * 7)", metadata={"tags": [TAG]}, execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored)]
    path = folder / f"tagged_{stored.strip()}.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return path


@pytest.mark.slow  # a subprocess or server of its own
def test_nbval_lax_compares_a_tagged_cell(tmp_path):
    """One nbval run over two tagged cells: the one whose stored output still matches passes, the other fails."""
    same, changed = _tagged_notebook(tmp_path, "42\n"), _tagged_notebook(tmp_path, "41\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-rA",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "--nbval-lax",
            "--rootdir",
            str(tmp_path),
            "-c",
            "/dev/null",
            same.name,
            changed.name,
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert f"PASSED {same.name}" in done.stdout and f"FAILED {changed.name}" in done.stdout, done.stdout[
        -2000:
    ]
