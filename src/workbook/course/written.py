"""``workbook written check``: the machine's first pass over students' written answers.

For every manually graded cell of a submission it lists unknown ids, misquotes, numbers that disagree
with the row they cite, answers over the question's word limit and missing citations (the checks live
in the student wing, :mod:`workbook.written_check`, so students run the same ones as a self-check).
Here: checking whole submissions and assignments, and the command line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .._common import FAILED, OK, CliError, _say
from ..written_check import AnswerCheck, NotebookProblem, Sources, check_notebook, report

__all__ = ["check_submission", "check_assignment", "cmd_written"]


def check_submission(path: str | Path, sources: Sources | None = None) -> list[AnswerCheck]:
    """The findings for every written answer in one submitted notebook."""
    return check_notebook(path, sources or Sources())


def submissions(course: Path, assignment: str, stage: str = "submitted") -> dict[str, Path]:
    """student id -> that student's notebook for ``assignment`` (nbgrader's folder layout)."""
    found = {}
    for student in sorted((course / stage).glob("*")):
        nb = student / assignment / f"{assignment}.ipynb"
        if nb.is_file():
            found[student.name] = nb
    return found


def check_assignment(
    course: str | Path, assignment: str, sources: Sources | None = None
) -> dict[str, list[AnswerCheck]]:
    """student id -> findings, for every submission of an assignment in a course folder."""
    sources = sources or Sources()
    out = {}
    for student, path in submissions(Path(course), assignment).items():
        try:
            out[student] = check_notebook(path, sources)
        except NotebookProblem:
            out[student] = []
    return out


def _notebooks(paths: list[str]) -> list[Path]:
    found = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        else:
            found.append(path)
    return found


def cmd_written(args) -> int:
    """Check the written answers of the given notebooks (or folders of them); print text or JSON."""
    notebooks = _notebooks(args.paths)
    if not notebooks:
        raise CliError(f"no notebooks (.ipynb) found in {', '.join(args.paths)}", FAILED)
    sources = Sources()
    results: list[AnswerCheck] = []
    problems = []
    for path in notebooks:
        try:
            results += check_notebook(path, sources)
        except NotebookProblem as exc:
            problems.append(str(exc))
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=1, ensure_ascii=False))
    else:
        current = None
        for r in results:
            if r.notebook != current:
                current = r.notebook
                _say(f"== {current}")
            _say(report([r]))
    for problem in problems:
        print(f"workbook written check: {problem}", file=sys.stderr)
    if problems and not results:
        return FAILED
    return 1 if problems else OK
