"""No figure in the guides' prose can go stale: each one that comes from the data is checked against it.

``tests/prose_figures.csv`` lists, for each such figure, the file it is in, a phrase of that file
holding it (white space collapsed), the figure as written, and an expression that computes it from
the tables.  A figure matches when the computed value, rounded to the figure's decimals, equals it
(text figures must be equal).  If the data change, or someone edits the phrase, the row fails and
says which figure to fix.  Lines that announce a figure as "current data" must hold a listed phrase.
"""

from __future__ import annotations

import csv
import json
import re
from functools import cache
from pathlib import Path

import pytest

import workbook
from workbook.checks import Exercise

ROOT = Path(__file__).resolve().parents[1]
TABLE = Path(__file__).with_name("prose_figures.csv")
GUIDED = ["exercises/INSTRUCTORS.md", "notebooks/WRITTEN_ANSWERS.md"]


def rows() -> list[dict]:
    with TABLE.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@cache
def prose(path: str) -> str:
    """A file's prose with white space collapsed: a notebook's markdown cells, or a text file."""
    file = ROOT / path
    if file.suffix == ".ipynb":
        cells = json.loads(file.read_text(encoding="utf-8"))["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = file.read_text(encoding="utf-8")
    return squash(text)


# --------------------------------------------------------------------------- what expressions may use


def answer(check_id: str):
    """The expected value of a self-check, as the answers module computes it."""
    module = __import__(f"workbook.answers.n{check_id[:2]}", fromlist=["_"])
    found = [v for v in vars(module).values() if isinstance(v, Exercise) and v.check_id == check_id]
    return found[0]()


def namespace() -> dict:
    load = workbook.load
    claims, records, events = load("claims"), load("records"), load("events")
    phases, readings = load("phases"), load("readings")

    def load_assertions():
        return load("assertions")

    def rec(record_id):
        return float(records.set_index("record_id").loc[record_id, "value"])

    def claim(claim_id):
        return float(claims.set_index("claim_id").loc[claim_id, "value"])

    def count(table, **match):
        mask = True
        for column, wanted in match.items():
            mask = mask & (table[column].astype(str) == wanted)
        return int(mask.sum())

    def phase(n):
        return phases.set_index("phase").loc[n]

    def pct(value, base):
        return (value - base) / base * 100

    def weighed_paragraphs():
        weighed = claims[claims["claim_id"].isin(records["claim_id"])]
        parts = []
        for reading in ("essay2005", "sa1997"):
            paras = sorted(set(weighed.loc[weighed["reading"] == reading, "paragraph"].astype(int)))
            parts.append(f"{reading} " + ", ".join(f"¶{p}" for p in paras))
        return " and ".join(parts)

    def spending_max_since(year):
        budget = records[(records["subject"] == "defence_spending") & (records["group"] == "initial budget")]
        return float(budget.loc[budget["year"] >= year, "value"].max())

    return {k: v for k, v in locals().items() if k != "load"} | {"answer": answer}


def matches(figure: str, value) -> bool:
    """Whether ``value`` written like ``figure`` (same decimals, thousands commas ignored) is ``figure``."""
    number = figure.replace(",", "")
    if not re.fullmatch(r"-?\d+(\.\d+)?", number) or isinstance(value, str):
        return str(value) == figure
    decimals = len(number.split(".")[1]) if "." in number else 0
    return round(float(value), decimals) == float(number)


@pytest.mark.parametrize(
    "row", rows(), ids=lambda r: f"{Path(r['file']).name}: {r['figure']} in {r['phrase'][:40]}"
)
def test_each_listed_figure_is_in_its_file_and_agrees_with_the_data(row):
    phrase = squash(row["phrase"])
    assert row["figure"] in phrase, f"the figure {row['figure']!r} is not in its phrase {phrase!r}"
    assert phrase in prose(row["file"]), (
        f"{row['file']} no longer says {phrase!r}: update it and tests/prose_figures.csv"
    )
    value = eval(row["expression"], namespace())  # noqa: S307 (expressions are the project's own test table)
    assert matches(row["figure"], value), (
        f"{row['file']} says {row['figure']!r} ({phrase!r}), but the data give {value!r}: fix the prose"
    )


def test_the_checker_catches_a_wrong_figure():
    """A stale figure (the guide's old 45 for essay2005's claims) would not pass."""
    assert not matches("45", answer("00.1"))
    assert matches(f"{answer('00.2'):.2f}", answer("00.2"))


@pytest.mark.parametrize("path", GUIDED)
def test_every_line_announcing_current_data_holds_a_listed_figure(path):
    listed = [squash(r["phrase"]) for r in rows() if r["file"] == path]
    text = (ROOT / path).read_text(encoding="utf-8")
    for paragraph in re.split(r"\n\s*\n", text):
        flat = squash(paragraph)
        for sentence in re.findall(r"[^.]*current data[^.]*", flat):
            assert any(p in flat for p in listed if p in flat and _near(p, sentence, flat)), (
                f"{path}: a figure announced as current data is not in tests/prose_figures.csv: {sentence!r}"
            )


def _near(phrase: str, sentence: str, paragraph: str) -> bool:
    """Whether ``phrase`` overlaps ``sentence`` in ``paragraph`` (so it checks that sentence's figure)."""
    start = paragraph.find(sentence)
    p = paragraph.find(phrase)
    return start != -1 and p != -1 and p < start + len(sentence) and start < p + len(phrase)
