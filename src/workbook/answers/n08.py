"""Answers for notebook 08 (capstone): check ids "08.1" to "08.4".

08.1 is computed from ``workbook.load`` when a check runs; 08.3's answer is fixed (a reason, not
a figure).
"""

from __future__ import annotations

from workbook import load
from workbook.checks import Exercise, exercise, written

RUBRIC = "the rubric at the end of notebook 08"
MIXED_UNITS = "the values are in different units"
CHOICES_08_3 = [
    MIXED_UNITS,
    "some subjects have too few rows",
    "the colours are not colour-blind safe",
    "the records have no citations",
]


@exercise(
    "08.1",
    move="close reading",
    kind="integer",
    prompt="essay2005 claims of kind 'count', from your tidy table",
    hints=(
        "Build the tidy table first: one row per reading and kind, with the number of claims in each.",
        ".groupby([...], observed=True).size() counts the rows in each group; .reset_index(name=...) "
        "turns the result back into a table you can filter with two conditions.",
        'A similar tidy table: `load("events").groupby(["reading", "category"], '
        'observed=True).size().reset_index(name="events")` counts events per reading and category; '
        "then keep the one row you need.",
    ),
)
def essay_counts() -> int:
    """How many essay2005 claims are counts (kind 'count'), from a reading x kind tidy table."""
    claims = load("claims")
    tidy = claims.groupby(["reading", "kind"], observed=True).size().reset_index(name="claims")
    hit = tidy[(tidy["reading"] == "essay2005") & (tidy["kind"] == "count")]
    return int(hit["claims"].sum())


your_chart = written(
    "08.2", move="corroboration", prompt="what your chart shows and cannot show", rubric=RUBRIC
)

#: A FIXED answer, not computed: summing the records' values adds percentages, people and dollars
#: together (tests/test_answers_oracle.py checks the records do mix units).
why_misleading = Exercise(
    "08.3",
    move="close reading",
    kind="choice",
    expected=MIXED_UNITS,
    choices=CHOICES_08_3,
    prompt="why summing the records' value per subject misleads",
    hints=(
        "Look at the unit column of the records table: what is being added together?",
        "Print records['unit'].unique(). Can you add percentages, people and dollars?",
    ),
)

argument = written("08.4", move="corroboration", prompt="your argument (300-500 words)", rubric=RUBRIC)
