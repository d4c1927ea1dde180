"""Every self-check and every graded question names the historian's move it trains, and the
instructors' guide reports the exercises by move (Stanford's *Reading Like a Historian*)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from workbook import checks
from workbook.checks import MOVES

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "exercises" / "INSTRUCTORS.md"
START, END = "<!-- moves:start -->", "<!-- moves:end -->"


def graded_moves() -> dict[str, str]:
    """grade_id -> move, for every graded cell of the nbgrader sources."""
    found = {}
    for path in sorted((ROOT / "exercises" / "source").glob("ex*/ex*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            meta = cell.get("metadata", {})
            if meta.get("nbgrader", {}).get("grade"):
                found[meta["nbgrader"]["grade_id"]] = meta.get("workbook", {}).get("move", "")
    return found


def moves_table() -> str:
    """The guide's table of exercises by move, as it should read now."""
    lines = ["| move | self-checks | graded questions |", "|---|---|---|"]
    graded = graded_moves()
    for move in MOVES:
        own = [i for i in checks.ids() if checks._REGISTRY[i].move == move]
        questions = sorted({re.sub(r"-(tests|written)$", "", g) for g, m in graded.items() if m == move})
        lines.append(
            f"| {move} | {', '.join(own)} ({len(own)}) | {', '.join(questions)} ({len(questions)}) |"
        )
    return "\n".join(lines)


def test_every_self_check_names_its_move():
    untagged = [i for i in checks.ids() if checks._REGISTRY[i].move not in MOVES]
    assert not untagged, f"self-checks without a move (add move=... in workbook/answers): {untagged}"


def test_every_graded_question_names_its_move():
    graded = graded_moves()
    assert graded
    untagged = sorted(g for g, m in graded.items() if m not in MOVES)
    assert not untagged, f"graded cells without metadata.workbook.move (one of {MOVES}): {untagged}"


def test_every_move_is_trained():
    graded = set(graded_moves().values())
    own = {checks._REGISTRY[i].move for i in checks.ids()}
    assert set(MOVES) <= graded and set(MOVES) <= own


def test_a_wrong_move_is_refused():
    try:
        checks.Exercise("99.1", "text", move="guessing")
    except ValueError as exc:
        assert "move must be one of" in str(exc)
    else:
        raise AssertionError("an unknown move was accepted")


def test_the_guide_reports_by_move():
    text = GUIDE.read_text(encoding="utf-8")
    assert START in text and END in text, f"INSTRUCTORS.md needs a section between {START} and {END}"
    current = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert current == moves_table(), (
        "INSTRUCTORS.md's table by move is stale; it should read:\n" + moves_table()
    )
