"""The notebooks as files: committed clean, described by metadata, and in a sound sequence."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import workbook

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
KEYS = {"order", "title", "objectives", "readings", "minutes", "assumes", "introduces", "exercises"}

USES = [  # pattern in code -> the name a notebook must introduce
    (re.compile(r"""load\(\s*["'](\w+)["']"""), "table:{}"),
    (re.compile(r"\bcharts\.(\w+)\("), "charts.{}"),
    (re.compile(r"\bwidgets\.(\w+)\("), "widgets.{}"),
    (re.compile(r"\bcheck\("), "checks"),
    (re.compile(r"\bcite\("), "cite"),
    (re.compile(r"\bshow_paragraph\("), "show_paragraph"),
]


def _nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _code(nb: dict) -> str:
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def _used(nb: dict) -> set[str]:
    code = _code(nb)
    found = set()
    for pattern, template in USES:
        found |= {template.format(*m.groups()) for m in pattern.finditer(code)}
    return found


def test_there_are_nine_notebooks_in_order():
    assert len(NOTEBOOKS) >= 9
    orders = [_nb(p)["metadata"]["workbook"]["order"] for p in NOTEBOOKS]
    assert orders == list(range(len(NOTEBOOKS)))
    assert [int(p.name[:2]) for p in NOTEBOOKS] == orders


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path):
    nb = _nb(path)
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"cells {dirty} carry outputs: run `jupyter nbconvert --clear-output --inplace {path.name}`"
    assert "widgets" not in nb["metadata"], "widget state must not be committed"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_front_matter(path):
    nb = _nb(path)
    meta = nb["metadata"].get("workbook")
    assert meta and KEYS <= set(meta), f"metadata.workbook needs {sorted(KEYS)}"
    assert meta["objectives"] and meta["minutes"] > 0 and meta["title"]
    front = "".join(nb["cells"][0]["source"])
    assert nb["cells"][0]["cell_type"] == "markdown" and meta["title"] in front
    assert re.search(r"objective", front, re.I) and str(meta["minutes"]) in front
    sizes = workbook.load("readings").set_index("id")["paragraphs"]
    for ref in meta["readings"]:
        assert all(1 <= p <= sizes[ref["reading"]] for p in ref["paragraphs"])


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_has_a_chart_a_widget_and_tiered_exercises(path):
    nb = _nb(path)
    used = _used(nb)
    assert any(u.startswith("charts.") for u in used), "no chart"
    assert any(u.startswith("widgets.") for u in used), "no widget"
    exercises = nb["metadata"]["workbook"]["exercises"]
    assert len(exercises) >= 3
    code = _code(nb)
    prefix = path.name[:2]
    registered = workbook.checks.ids(prefix)
    for ex in exercises:
        assert ex.startswith(prefix + ".") and f'check("{ex}"' in code, f"exercise {ex} is never checked"
        assert ex in registered, f"{ex} is not registered in workbook/answers/n{prefix}.py"


def test_sequence_introduces_before_use():
    introduced: dict[str, str] = {}
    for path in NOTEBOOKS:
        nb = _nb(path)
        meta = nb["metadata"]["workbook"]
        used = _used(nb)
        for item in meta["introduces"]:
            assert item not in introduced, f"{path.name} introduces {item}, already introduced in {introduced[item]}"
            assert item in used, f"{path.name} lists {item} as introduced but never uses it"
            introduced[item] = path.name
        early = sorted(used - set(introduced))
        assert not early, f"{path.name} uses {early} before any notebook introduces it"
        for name in meta["assumes"]:
            assert any(p.stem == name for p in NOTEBOOKS[: meta["order"]]), f"{path.name} assumes unknown {name}"


def _data_figures() -> set[float]:
    figures = set()
    for table, cols in (("claims", ["value", "value_low", "value_high"]), ("records", ["value"])):
        df = workbook.load(table)
        for col in cols:
            figures |= {float(v) for v in df[col].dropna()}
    return {f for f in figures if f >= 100 or f != int(f)}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_figure_from_the_data_is_typed_into_a_cell(path):
    figures = _data_figures()
    code = re.sub(r"#.*", "", _code(_nb(path)))
    code = re.sub(r"""(["'])(?:(?!\1).)*\1""", "", code)  # ignore text in strings
    literals = {float(m.replace("_", "")) for m in re.findall(r"(?<![\w.])\d[\d_]*\.?\d*(?![\w.])", code)}
    typed = sorted(literals & figures)
    assert not typed, f"{path.name} types figures that belong to data/: {typed}; load them instead"


def test_instructors_guide_covers_every_notebook():
    guide = (NOTEBOOKS[0].parent.parent / "exercises" / "INSTRUCTORS.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert path.stem in guide
        for ex in _nb(path)["metadata"]["workbook"]["exercises"]:
            assert ex in guide, f"no discussion note for exercise {ex}"


#: Every notebook opens with this cell, so students meet the same tools in the same words each time.
FIRST_CELL = "from workbook import load, tables, cite, check, charts, widgets, show_paragraph, reading_upload"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_starts_with_the_same_first_cell(path):
    nb = _nb(path)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert "".join(code[0]["source"]).strip() == FIRST_CELL
    later = "\n".join("".join(c["source"]) for c in code[1:])
    assert not re.search(r"^\s*(import workbook|from workbook import)", later, re.M), \
        "tools come from the first cell only"
    assert "workbook." not in later, "use the names the first cell imports (tables(), show_paragraph())"
