"""Written answers checked by machine: seeded faults are all flagged, good answers never are.

The seeded answers are written here, into copies of the exercises' notebooks, from the tables'
own rows (ids, evidence phrases, values), so a change to the data changes the seeds with it.
Each answer is checked twice: against the readings when a copy is found, and against the tables'
evidence phrases alone (an empty readings folder).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import workbook
from workbook import texts
from workbook.written_check import (
    KINDS,
    Sources,
    check_answer,
    check_notebook,
    requirements_for,
    written_cells,
)

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "exercises" / "source"


def row(table: str, key: str, ident: str) -> dict:
    frame = workbook.load(table)
    return frame[frame[key] == ident].iloc[0].to_dict()


def altered(phrase: str) -> str:
    """The phrase with one word changed (a misquote a reader could easily make)."""
    words = phrase.split()
    i = max(range(len(words)), key=lambda k: len(words[k]))
    words[i] = "notably" if words[i].lower() != "notably" else "plainly"
    return " ".join(words)


def filler(n: int) -> str:
    return " ".join(["The record and the claim are compared here year by year"] * (n // 10 + 1))


@pytest.fixture(scope="module")
def seeds():
    """(exercise, grade_id, answer, kinds expected): the faults, then the good answers (no kinds)."""
    spend = row("claims", "claim_id", "essay2005-06d")
    comfort = row("claims", "claim_id", "essay2005-21d")
    troops = row("claims", "claim_id", "sa1997-39a")
    r043 = row("records", "record_id", "r043")
    r044 = row("records", "record_id", "r044")
    e1 = row("events", "event_id", "sa1997-e01b")
    pct = spend["value"]
    ev_spend, ev_troops = spend["evidence"], troops["evidence"]
    faults = [
        (
            "ex02_one_percent",
            "ex02-q6-written",
            "The essay's figure (essay2005-06x) rests on sa1997-99z.",
            {"unknown-id"},
        ),
        ("ex02_one_percent", "ex02-q6-written", "Only record r999 supports it.", {"unknown-id"}),
        (
            "ex02_one_percent",
            "ex02-q6-written",
            "As essay2005 ¶40 puts it, spending stayed low.",
            {"unknown-id"},
        ),
        (
            "ex02_one_percent",
            "ex02-q6-written",
            f'The essay says "{altered(ev_spend)}" (essay2005-06d).',
            {"misquote"},
        ),
        (
            "ex03_force_structure",
            "ex03-q5-written",
            f'sa1997 ¶39 gives "{altered(ev_troops)}".',
            {"misquote"},
        ),
        (
            "ex02_one_percent",
            "ex02-q6-written",
            f"The essay puts spending at about {pct * 3:g} % (essay2005-06d), far from the record.",
            {"number-mismatch"},
        ),
        (
            "ex06_history_issue",
            "ex06-q5-written",
            f"The essay counts {int(comfort['value']) * 2} women (essay2005-21d) compensated.",
            {"number-mismatch"},
        ),
        (
            "ex06_history_issue",
            "ex06-q5-written",
            f"The Fund paid {int(r043['value']) + 40} women (r043).",
            {"number-mismatch"},
        ),
        (
            "ex03_force_structure",
            "ex03-q5-written",
            f"The outline sets {int(troops['value']) + 15000:,} active personnel (sa1997-39a).",
            {"number-mismatch"},
        ),
        (
            "ex01_four_phases",
            "ex01-q5-written",
            f"The treaty was revised in {int(e1['date'].year) + 2} (sa1997-e01b).",
            {"number-mismatch"},
        ),
        ("ex02_one_percent", "ex02-q5-written", filler(105), {"over-length"}),
        (
            "ex07_two_readings",
            "ex07-q5-written",
            "Both readings slip on dates, so check every year first.",
            {"no-citation"},
        ),
    ]
    good = [
        (
            "ex02_one_percent",
            "ex02-q6-written",
            f"The essay's “{ev_spend}” (essay2005-06d) says about {pct + 0.004:.3f} % hedged as "
            f"*{spend['hedge']}*; the record (r017) shows about {round(pct)} % that year.",
        ),
        (
            "ex02_one_percent",
            "ex02-q6-written",
            f'essay2005 ¶6 has "{ev_spend}", roughly {pct * 1.05:.2f} % by the record (essay2005-06d).',
        ),
        (
            "ex06_history_issue",
            "ex06-q5-written",
            f"The essay's over {int(comfort['value'])} (essay2005-21d) is more than the record's "
            f"{int(r043['value'] + r044['value'])} ({int(r043['value'])} plus {int(r044['value'])}: r043, r044).",
        ),
        (
            "ex03_force_structure",
            "ex03-q5-written",
            f'The "{ev_troops}" (sa1997-39a) are about {troops["value"] / 1000:.0f},000, the Ground SDF\'s '
            f"regulars alone ({int(troops['value']):,} in sa1997-39a), as Question 3 showed.",
        ),
        (
            "ex01_four_phases",
            "ex01-q5-written",
            f"The treaty was revised in {int(e1['date'].year)} (sa1997-e01b); phase 2 of the table starts in "
            "the late 1970s (essay2005-06a).",
        ),
        (
            "ex07_two_readings",
            "ex07-q5-written",
            "sa1997-11b dates the LDP's return to 1995; r056 says 1994.",
        ),
        ("ex02_one_percent", "ex02-q5-written", filler(60)[: len(filler(60)) // 2]),
    ]
    return faults, good


def seeded_notebook(tmp: Path, exercise: str, grade_id: str, answer: str, n: int) -> Path:
    """A copy of the exercise with one written answer replaced by ``answer``."""
    nb = json.loads((SOURCE / exercise / f"{exercise}.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade") and meta.get("solution"):
            cell["source"] = answer if meta["grade_id"] == grade_id else "YOUR ANSWER HERE"
    path = tmp / f"{n:02d}-{exercise}.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


@pytest.fixture(
    scope="module",
    params=["tables", "reading"],
    ids=["against-the-tables", "against-the-reading"],
)
def sources(request, tmp_path_factory):
    if request.param == "tables":
        return Sources(readings_folder=tmp_path_factory.mktemp("no-readings"))
    folder = texts.readings_folder()
    if folder is None:
        pytest.skip("no copy of the readings here (../shared/readings or WORKBOOK_READINGS)")
    return Sources(readings_folder=folder)


def test_every_seeded_fault_is_flagged_and_no_good_answer_is(seeds, sources, tmp_path):
    faults, good = seeds
    for n, (exercise, grade_id, answer, kinds) in enumerate(faults):
        path = seeded_notebook(tmp_path, exercise, grade_id, answer, n)
        results = {r.cell: r for r in check_notebook(path, sources)}
        got = {f.kind for f in results[grade_id].flags}
        assert got == kinds, f"{answer!r}: expected {kinds}, got {results[grade_id].flags}"
        for flag in results[grade_id].flags:
            assert flag.text and flag.detail
            assert flag.text.strip('"') in answer or flag.kind in ("over-length", "no-citation"), flag
        others = [r for cell, r in results.items() if cell != grade_id]
        assert all(not r.answered and not r.flags for r in others)
    for n, (exercise, grade_id, answer) in enumerate(good):
        path = seeded_notebook(tmp_path, exercise, grade_id, answer, 50 + n)
        result = {r.cell: r for r in check_notebook(path, sources)}[grade_id]
        assert result.answered and not result.flags, f"{answer!r} was flagged: {result.flags}"


def test_a_misquote_says_what_it_was_checked_against(seeds, sources, tmp_path):
    exercise, grade_id, answer, _ = seeds[0][3]
    path = seeded_notebook(tmp_path, exercise, grade_id, answer, 0)
    (flag,) = {r.cell: r for r in check_notebook(path, sources)}[grade_id].flags
    if sources.reading_text("essay2005") is None:
        assert "evidence phrases" in flag.detail and "no copy of the reading" in flag.detail
    else:
        assert "installed copy of the reading" in flag.detail


def test_a_quote_in_the_reading_but_not_in_the_tables_needs_the_reading(seeds, sources):
    """A true quotation the tables do not hold is confirmed only when the reading is there."""
    paras = texts.paragraphs("essay2005", texts.readings_folder()) if texts.readings_folder() else None
    if paras is None:
        pytest.skip("no copy of the readings here")
    words = paras[5].split()[10:16]  # six words of ¶6 the tables may not quote
    answer = f'essay2005 ¶6 also says "{" ".join(words)}".'
    flags = check_answer(answer, "", sources=sources).flags
    if sources.reading_text("essay2005") is not None:
        assert not flags
    elif not any(" ".join(words).lower() in e.lower() for e in sources.evidence("essay2005", 6)):
        assert [f.kind for f in flags] == ["misquote"]


def test_requirements_come_from_what_the_question_says():
    assert requirements_for("Explain. *Length: at most 100 words.*").max_words == 100
    assert not requirements_for('Use `cite("essay2005-06d")` and the hedge.').cite
    assert requirements_for("Say how the tables reveal it (a claim or event id and the record).").cite
    assert requirements_for("x", {"workbook": {"max_words": 30, "cite": True}}).max_words == 30
    with_limits = [
        requirements_for(prompt)
        for exercise in sorted(SOURCE.iterdir())
        for _, prompt in written_cells(
            json.loads((exercise / f"{exercise.name}.ipynb").read_text(encoding="utf-8"))
        )
    ]
    assert with_limits and all(r.max_words for r in with_limits), "every written question states its limit"


def test_the_command_gives_one_json_object_per_answer(seeds, tmp_path, capsys):
    from workbook.cli import main

    faults, _ = seeds
    path = seeded_notebook(tmp_path, *faults[5][:3], 0)
    assert main(["written", "check", str(path), "--json"]) == 0
    answers = json.loads(capsys.readouterr().out)
    assert {a["cell"] for a in answers} == {"ex02-q5-written", "ex02-q6-written"}
    flagged = [a for a in answers if a["flags"]]
    assert [a["cell"] for a in flagged] == ["ex02-q6-written"]
    assert all(set(a) >= {"notebook", "cell", "flags"} and a["notebook"] == str(path) for a in answers)
    assert [f["kind"] for f in flagged[0]["flags"]] == ["number-mismatch"]
    assert all(f["kind"] in KINDS and f["text"] and f["detail"] for f in flagged[0]["flags"])
    bad = tmp_path / "not-a-notebook.ipynb"
    bad.write_text("hello", encoding="utf-8")
    assert main(["written", "check", str(bad)]) == 2
    said = capsys.readouterr().err
    assert "is not a notebook" in said and "Traceback" not in said


def test_the_students_self_check_points_but_never_grades(seeds, tmp_path, capsys):
    faults, _ = seeds
    path = seeded_notebook(tmp_path, *faults[0][:3], 0)
    workbook.check_written(path)
    said = capsys.readouterr().out
    assert "unknown-id" in said and "sa1997-99z" in said and "ex02-q5-written: not answered yet" in said
    assert "point" not in said.split("(A self-check")[0].lower().replace("to point out", "")
    assert "score" not in said.lower() and "grade:" not in said.lower()
