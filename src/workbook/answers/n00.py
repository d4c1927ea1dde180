"""Checks for notebook 00, "Start here" (the readings, claims and sections tables).

Every expected value is computed from ``workbook.load(...)`` when a check runs.
"""

from __future__ import annotations

from workbook.checks import exercise, written
from workbook.data import load

from ._shared import count_rows


def claim_count(reading: str) -> int:
    """How many rows of the claims table belong to ``reading``."""
    return count_rows(load("claims"), reading=reading)


def claims_per_paragraph(reading: str) -> float:
    """A reading's claims divided by its paragraphs (blocks), from the readings table."""
    paragraphs = load("readings").set_index("id").loc[reading, "paragraphs"]
    return claim_count(reading) / float(paragraphs)


@exercise(
    "00.1",
    move="close reading",
    kind="integer",
    prompt="how many claims essay2005 makes",
    hints=(
        "Start from the worked example just above, which counts sa1997's claims: what do you need to change?",
        'A comparison like table["column"] == "value" gives True or False for every row, and .sum() '
        "counts the Trues. Ids must be spelled exactly as in the table.",
        'A similar count on another table: `(load("events")["category"] == "crisis").sum()` counts '
        'the events whose category is "crisis".',
    ),
)
def essay_claims() -> int:
    return claim_count("essay2005")


@exercise(
    "00.2",
    move="contextualisation",
    kind="number",
    abs_tol=0.01,
    prompt="essay2005's claims per paragraph",
    hints=(
        "Two numbers and one division: your count from 00.1, and essay2005's number of paragraphs.",
        '"X per Y" is X divided by Y. One cell of a table: table.set_index("id").loc[row id, "column"].',
        'A similar ratio: sa1997\'s events per paragraph is `(load("events")["reading"] == '
        '"sa1997").sum() / readings.set_index("id").loc["sa1997", "paragraphs"]`.',
    ),
)
def essay_claims_per_paragraph() -> float:
    return claims_per_paragraph("essay2005")


@exercise(
    "00.3",
    move="sourcing",
    kind="choice",
    choices=["sa1997", "essay2005"],
    prompt="which reading is the U.S. government publication",
    hints=(
        "Look at the 'kind' and 'publisher' columns of the readings table.",
        "Read the 'kind' column word by word: one of the two kinds says whose publication it is.",
    ),
)
def government_publication() -> str:
    """The id of the reading whose kind says it is a government publication."""
    readings = load("readings")
    hits = readings[readings["kind"].astype(str).str.contains("government", case=False)]
    if len(hits) != 1:
        raise LookupError(f"expected one government publication, found {len(hits)}")
    return str(hits["id"].iloc[0])


why_paragraphs = written("00.4", move="sourcing", prompt="why a citation needs a paragraph number")
