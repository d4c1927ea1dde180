"""nbgrader helpers for the graded exercises (instructors only; needs the ``instructor`` extra).

Two preprocessors that ``exercises/nbgrader_config.py`` plugs into nbgrader, and the leak scan that
``workbook release`` and the tests run on the student version:

- :class:`HideGradeTracebacks` (feedback): a failed test cell shows students only
  ``ErrorName: message``, never the traceback, whose context lines would print the hidden tests.
  nbgrader's own ``ClearHiddenTests`` (also listed in the config) removes them from the cell source.
- :class:`RestoreMissingCells` (autograde): puts back test cells and written-answer cells that a
  student deleted, before the next cell that is still there (so after an answer the student retyped
  in a new cell).  nbgrader's ``OverwriteCells`` puts them after the cell that came just before in
  the source, and crashes on that student when that cell was deleted too.
- :func:`find_leaks`: solution code, hidden tests or mark schemes left in a released notebook.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.preprocessors import OverwriteCells

#: Region markers that must never reach a student (release) or, for hidden tests, feedback.
MARKERS = {
    "solution": ("BEGIN SOLUTION", "END SOLUTION"),
    "hidden test": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    "mark scheme": ("BEGIN MARK SCHEME", "END MARK SCHEME"),
}

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class HideGradeTracebacks(Preprocessor):
    """Cut the error output of every autograder test cell down to ``ErrorName: message``.

    A Python traceback prints the lines around the failing one, so a failed visible check would show
    the hidden tests below it.  Students still see which check failed and its message.
    """

    enabled = True  # an nbconvert Preprocessor is skipped unless enabled

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not utils.is_grade(cell):
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            name = _ANSI.sub("", str(output.get("ename", "Error")))
            message = _ANSI.sub("", str(output.get("evalue", ""))).strip()
            line = f"{name}: {message}" if message else name
            if name == "AssertionError" and not message:
                line += " (one of the graders' checks failed)"
            output["traceback"] = [line]
        return cell, resources


class RestoreMissingCells(OverwriteCells):
    """nbgrader's ``OverwriteCells`` that also survives neighbouring deletions.

    A deleted grade cell (autograder tests, written answer) comes back just before the next cell of
    the source notebook that the student kept (or at the end), so it runs after whatever the student
    wrote in its place, e.g. an answer retyped into a new cell.
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self.add_missing_cells = True

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        source_ids = [cell.name for cell in source_nb.source_cells]
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        grade_cells = sorted(source_nb.grade_cells,
                             key=lambda c: source_ids.index(c.name) if c.name in source_ids else 0)
        for grade_cell in grade_cells:
            present = {cell.metadata.get("nbgrader", {}).get("grade_id"): i
                       for i, cell in enumerate(nb.cells)}
            present.pop(None, None)
            if grade_cell.name in present or grade_cell.name not in source_ids:
                continue
            self.log.warning("Cell %s was missing from the submission: putting it back",
                             grade_cell.name)
            where = source_ids.index(grade_cell.name)
            new_cell = self.missing_cell_transform(
                source_nb.source_cells[where], grade_cell.max_score,
                is_solution=grade_cell.name in solution_ids)
            new_cell["id"] = re.sub(r"[^A-Za-z0-9_-]", "-", f"restored-{grade_cell.name}")[:64]
            position = len(nb.cells)
            for later in source_ids[where + 1:]:
                if later in present:
                    position = present[later]
                    break
            nb.cells.insert(position, new_cell)
        return nb, resources


def _regions(text: str, begin: str, end: str) -> list[str]:
    """The lines strictly inside each begin/end region of ``text``."""
    found, inside, current = [], False, []
    for line in text.splitlines():
        if begin in line:
            inside, current = True, []
        elif end in line and inside:
            inside = False
            found.append("\n".join(current))
        elif inside:
            current.append(line)
    return found


def _outside_regions(text: str) -> list[str]:
    """The lines of ``text`` that are outside every marked region."""
    kept, inside = [], None
    for line in text.splitlines():
        if inside is None:
            for begin, end in MARKERS.values():
                if begin in line:
                    inside = end
                    break
            else:
                kept.append(line)
        elif inside in line:
            inside = None
    return kept


def secret_lines(source_notebook: Path) -> dict[str, set[str]]:
    """Every non-trivial line that occurs only inside a solution, hidden-test or mark-scheme region.

    Lines that the source notebook also shows outside the regions (a shared import, say) are public
    anyway and are left out, as are short lines ("else:", a bare name) that prove nothing.
    """
    nb = json.loads(Path(source_notebook).read_text(encoding="utf-8"))
    secrets: dict[str, set[str]] = {kind: set() for kind in MARKERS}
    public: set[str] = set()
    for cell in nb["cells"]:
        text = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        public.update(line.strip() for line in _outside_regions(text))
        for kind, (begin, end) in MARKERS.items():
            for region in _regions(text, begin, end):
                for line in region.splitlines():
                    line = line.strip()
                    if len(line) >= 12:
                        secrets[kind].add(line)
    return {kind: lines - public for kind, lines in secrets.items()}


def find_leaks(source_notebook: Path, released_notebook: Path) -> list[str]:
    """What of the source's solutions, hidden tests and mark schemes a released notebook still holds.

    Returns readable problems (empty when the release is clean): a region marker, or any line from
    inside a solution, hidden-test or mark-scheme region of the source notebook.
    """
    nb = json.loads(Path(released_notebook).read_text(encoding="utf-8"))
    texts = []
    for cell in nb["cells"]:
        source = cell["source"]
        texts.append("".join(source) if isinstance(source, list) else source)
    released = "\n".join(texts)
    released_lines = {line.strip() for line in released.splitlines()}
    problems = []
    for kind, (begin, end) in MARKERS.items():
        for marker in (begin, end):
            if marker in released:
                problems.append(f"{released_notebook.name}: contains the marker {marker!r}")
    for kind, lines in secret_lines(source_notebook).items():
        for line in sorted(lines & released_lines):
            problems.append(f"{released_notebook.name}: {kind} line left in: {line}")
    return problems
