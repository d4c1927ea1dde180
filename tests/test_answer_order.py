"""Every answer cell works with only the cells above it: no notebook leaks a name from further down.

An answer that uses a name set only further down (03's Summary once set ``record_before``) passes
after Run All and fails for the student who works from the top.  Each answer cell is filled with a
reference answer written as a student would write it, in the names its exercise points at
(``ANSWERS``; choices and written answers are plain values from tests/oracle.py), and:

* statically, every name that code reads must be set by a cell above it (fast);
* in a kernel, the cells run from the top in order; at each answer cell, each name that only a cell
  further down sets must be reported as not defined, with the workbook's friendly message saying
  that only a later cell sets it (never "run the cell that defines it"), then the filled answer cell
  and its check cells run and every check must pass.

One kernel per notebook, run in order, is equivalent to one fresh kernel per answer cell running
just the cells above it: when the answer cell runs, the cells above it, in order, are exactly what
this kernel has run (the not-defined probes raise before binding anything, so they leave no trace).
The earlier answer cells above it are filled too, as they are for a student who did those exercises.
"""

from __future__ import annotations

import ast
import builtins
import json
import re
from pathlib import Path

import nbformat
import pytest
from oracle import ORACLE

from workbook import checks
from workbook.cell_runs import assigned_names

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PLACEHOLDER = re.compile(r"^([A-Za-z_]\w*)[ \t]*=[ \t]*\.\.\.", re.M)
CHECK_CALL = re.compile(r"""\bcheck\(\s*["'](\d\d\.\w+)["']""")
#: Names every kernel has without any cell above: Python's builtins and what ``import workbook`` adds.
GIVEN = set(dir(builtins)) | {"display", "get_ipython", "progress", "check", "cite", "load", "tables"}

#: What a student writes in an answer cell, in the names the exercise (or its worked example) uses.
ANSWERS = {
    "answer_00_1": 'answer_00_1 = (claims["reading"] == "essay2005").sum()',
    "answer_00_2": (
        'answer_00_2 = (claims["reading"] == "essay2005").sum() / '
        'readings.set_index("id").loc["essay2005", "paragraphs"]'
    ),
    "answer_01_1": (
        'phase2 = phases[phases["phase"] == 2].iloc[0]\n'
        'answer_01_1 = phase2["end_year"] - phase2["start_year"]'
    ),
    "answer_01_2": (
        'phase3 = phases[phases["phase"] == 3].iloc[0]\n'
        'in_phase3 = event_year.between(phase3["start_year"], phase3["end_year"])\n'
        'answer_01_2 = (in_phase3 & (events["reading"] == "sa1997")).sum()'
    ),
    "answer_02_1": 'answer_02_1 = record.loc[record["above_one_pct"] & (record["year"] >= ceiling_year), "year"].tolist()',
    "answer_02_2": 'answer_02_2 = record.loc[record["year"].between(ceiling_year, dropped_year - 1), "value"].mean()',
    "answer_03_1": "answer_03_1 = (text_before - text_after) / text_before * 100",
    "answer_03_2": (
        'total_before = record.loc[record["group"] == "total (before)", "value"].item()\n'
        'total_then = record.loc[record["group"] == "total (after)", "value"].item()\n'
        "answer_03_2 = (total_before - total_then) / total_before * 100"
    ),
    "answer_04_1": (
        'to_us = recorded.loc[recorded["group"] == "U.S. vessels", "value"].item()\n'
        'to_all = recorded.loc[recorded["group"] == "all recipients", "value"].item()\n'
        "answer_04_1 = to_us / to_all * 100"
    ),
    "answer_05_1": 'answer_05_1 = (places["dispute"] != "none").sum()',
    "answer_05_2": 'answer_05_2 = (claims[claims["reading"] == "sa1997"]["topic"] == "north_korea").sum()',
    "answer_06_1": 'answer_06_1 = recorded["value"].sum()',
    "answer_06_2": "answer_06_2 = (claimed - answer_06_1) / answer_06_1 * 100",
    "answer_06_6": "answer_06_6 = (round_figure - shrine_total) / shrine_total * 100",
    "answer_07_1": 'answer_07_1 = claims_sa["hedged"].mean() * 100',
    "answer_07_2": 'answer_07_2 = claims_essay["hedged"].mean() * 100',
    "answer_07_4": "answer_07_4 = (japan - usa) / usa * 100",
    "by_kind": 'by_kind = claims.groupby(["reading", "kind"], observed=True).size().reset_index(name="claims")',
    "answer_08_1": (
        'answer_08_1 = by_kind.loc[(by_kind["reading"] == "essay2005") & (by_kind["kind"] == "count"), '
        '"claims"].item()'
    ),
}
WRITTEN = (
    "The chart and the tables show the claim beside the record, and where the two part; "
    "they cannot show why the author chose these words."
)
PASSED = {True: "Correct!", False: "written answers are not checked automatically"}
KINDS = {check_id: checks._REGISTRY[check_id].kind for check_id in checks.ids()}  # ids() loads them all


def _cells(path: Path) -> list[dict]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    for cell in cells:
        cell["source"] = "".join(cell["source"])
    return cells


def _check_id(name: str) -> str | None:
    match = re.fullmatch(r"answer_(\d\d)_(\w+)", name)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def fill(name: str) -> str:
    """The line(s) that answer ``name``: student code, else the reference value or a written answer."""
    if name in ANSWERS:
        return ANSWERS[name]
    check_id = _check_id(name)
    if check_id is None:
        raise KeyError(f"no reference answer for {name}: add one to ANSWERS")
    if KINDS[check_id] == "text":
        return f"{name} = {WRITTEN!r}"
    return f"{name} = {ORACLE[check_id]()!r}"


def answer_cells(cells: list[dict]) -> dict[int, str]:
    """Index of each answer cell (a code cell with ``name = ...`` placeholders) -> its filled source."""
    found = {}
    for i, cell in enumerate(cells):
        if cell["cell_type"] == "code":
            names = PLACEHOLDER.findall(cell["source"])
            if names:
                found[i] = "\n".join(fill(n) for n in names)
    return found


def read_names(code: str) -> set[str]:
    """The names ``code`` reads before (or without) setting them itself."""
    tree = ast.parse(code)
    read, bound = set(), set()
    for statement in tree.body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in bound:
                read.add(node.id)
        bound |= assigned_names(ast.unparse(statement))
    return read


def leaks(cells: list[dict]) -> list[str]:
    """Each name an answer cell (filled) or its check reads that no cell above it sets."""
    filled = answer_cells(cells)
    found, above = [], set(GIVEN)
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code":
            continue
        source = filled.get(i, cell["source"])
        if i in filled or CHECK_CALL.search(source):
            found += [f"cell {i + 1} reads {n}" for n in sorted(read_names(source) - above)]
        above |= assigned_names(source)
    return found


def set_only_below(cells: list[dict], index: int) -> set[str]:
    """Names that cells after ``index`` set and no cell up to it does (answers left out)."""
    up_to = set().union(
        *(assigned_names(c["source"]) for c in cells[: index + 1] if c["cell_type"] == "code")
    )
    below = set().union(
        *(assigned_names(c["source"]) for c in cells[index + 1 :] if c["cell_type"] == "code")
    )
    return {n for n in below - up_to - GIVEN if n not in ANSWERS and _check_id(n) is None}


# ------------------------------------------------------------------------------ fast, no kernel


def test_every_answer_cell_has_a_reference_answer_and_every_judged_check_one_cell():
    filled_ids = set()
    for path in NOTEBOOKS:
        for source in answer_cells(_cells(path)).values():
            filled_ids |= {_check_id(n) for n in assigned_names(source)} - {None}
    assert filled_ids == set(KINDS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_answers_and_checks_read_only_names_set_above(path):
    assert leaks(_cells(path)) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_each_exercise_points_only_at_names_set_above(path):
    """A name in backticks in an exercise's text (from its heading on) that the notebook sets is set above it."""
    cells, wrong = _cells(path), []
    for index in answer_cells(cells):
        text, i = "", index - 1
        while i >= 0 and not re.search(r"^#+ Exercise", text, re.M):
            text = cells[i]["source"] + "\n" + text if cells[i]["cell_type"] == "markdown" else text
            i -= 1
        text = re.split(r"^#+ Exercise", text, flags=re.M)[-1]  # from the exercise's own heading on
        named = set(re.findall(r"`([A-Za-z_]\w*)", text))
        wrong += [f"cell {index + 1} points at {n}" for n in sorted(named & set_only_below(cells, index))]
    assert wrong == []


def test_a_leak_like_03s_old_summary_is_found(monkeypatch):
    """03's Summary once set record_before, and an answer to 03.2 could use it: the scan says so."""
    cells = _cells(ROOT / "notebooks" / "03_force_structure.ipynb")
    at = next(i for i, c in enumerate(cells) if "answer_03_2 = ..." in c["source"])
    assert leaks(cells) == []
    monkeypatch.setitem(
        ANSWERS, "answer_03_2", "answer_03_2 = (record_before - total_after) / record_before * 100"
    )
    cells.append(
        {"cell_type": "code", "source": 'record_before = record.loc[record["group"] == "total (before)"]'}
    )
    assert leaks(cells) == [f"cell {at + 1} reads record_before"]
    assert "record_before" in set_only_below(cells, at)


# ------------------------------------------------------------------------------ in a kernel


def _text(outputs) -> str:
    parts = []
    for out in outputs:
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
        parts.append(str(out.get("data", {}).get("text/plain", "")))
        parts.append(str(out.get("data", {}).get("text/html", "")))
    return "\n".join(parts)


def _errors(outputs) -> list[str]:
    return [o["ename"] for o in outputs if o.get("output_type") == "error"]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_answer_passes_with_only_the_cells_above_it(path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    cells = _cells(path)
    filled = answer_cells(cells)
    nb = nbformat.read(path, as_version=4)
    saved = tmp_path / path.name  # what the friendly errors read as "the saved notebook"
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))  # no IPython profile of the user
    monkeypatch.setenv("JPY_SESSION_NAME", str(saved))
    monkeypatch.setenv("WORKBOOK_PROGRESS", str(tmp_path / "progress.json"))

    def save(index: int, cell, source: str) -> None:
        """The saved notebook with ``source`` in cell ``index`` (nbclient puts a probe cell there)."""
        cell.source, nb.cells[index] = source, cell
        saved.write_text(json.dumps(nb), encoding="utf-8")

    client = NotebookClient(
        nb,
        timeout=180,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    problems, probed, judged = [], 0, 0
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            if index in filled:
                target = PLACEHOLDER.findall(cells[index]["source"])[0]
                for name in sorted(set_only_below(cells, index)):
                    probe = f"{target} = {name}"
                    save(index, cell, probe)
                    run = nbformat.v4.new_code_cell(probe)
                    client.execute_cell(run, index)
                    said = _text(run.outputs)
                    probed += 1
                    if (
                        _errors(run.outputs) != ["NameError"]
                        or f"name {name} here: only a cell further down" not in said
                    ):
                        problems.append(
                            f"cell {index + 1}: {name} (set only below) is not reported: {said[:300]}"
                        )
                    elif "Run the cell that defines" in said:
                        problems.append(f"cell {index + 1}: the message for {name} sends the student below")
                save(index, cell, filled[index])
            client.execute_cell(cell, index)
            if _errors(cell.outputs):
                problems.append(f"cell {index + 1} failed: {_text(cell.outputs)[:500]}")
            for check_id in CHECK_CALL.findall(cell.source):
                judged += 1
                wanted = PASSED[KINDS[check_id] != "text"]
                if wanted not in _text(cell.outputs):
                    problems.append(f"check {check_id} (cell {index + 1}): {_text(cell.outputs)[:300]}")
    assert not problems, "\n".join(problems)
    assert judged == len(checks.ids(path.name[:2]))
    assert probed == sum(len(set_only_below(cells, i)) for i in filled)
