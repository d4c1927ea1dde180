"""Answers for notebook 08 (capstone): check ids "08.1" to "08.4".

Every expected value is computed from ``workbook.load`` when a check runs; no figure is typed in.
"""

from __future__ import annotations

from workbook import load
from workbook.checks import register

RUBRIC = "the rubric at the end of notebook 08"
MIXED_UNITS = "the values are in different units"
CHOICES_08_3 = [MIXED_UNITS, "some subjects have too few rows", "the colours are not colour-blind safe",
                "the records have no citations"]


def essay_counts() -> int:
    """How many essay2005 claims are counts (kind 'count'), from a reading x kind tidy table."""
    claims = load("claims")
    tidy = claims.groupby(["reading", "kind"], observed=True).size().reset_index(name="claims")
    hit = tidy[(tidy["reading"] == "essay2005") & (tidy["kind"] == "count")]
    return int(hit["claims"].sum())


def why_misleading() -> str:
    records = load("records")
    if records["unit"].nunique() > 1:
        return MIXED_UNITS
    if records["citation" if "citation" in records else "source_url"].isna().any():
        return "the records have no citations"
    return "some subjects have too few rows"


register(
    "08.1", kind="integer", expected=essay_counts,
    prompt="essay2005 claims of kind 'count', from your tidy table",
    hints=("Group the claims by reading and kind, count with .size(), then find the essay2005/count row.",
           "claims.groupby(['reading', 'kind'], observed=True).size().reset_index(name='claims'), then "
           "filter reading == 'essay2005' and kind == 'count'."),
)
register("08.2", kind="text", prompt="what your chart shows and cannot show", rubric=RUBRIC)
register(
    "08.3", kind="choice", expected=why_misleading, choices=CHOICES_08_3,
    prompt="why summing the records' value per subject misleads",
    hints=("Look at the unit column of the records table: what is being added together?",
           "Print records['unit'].unique(). Can you add percentages, people and dollars?"),
)
register("08.4", kind="text", prompt="your argument (300-500 words)", rubric=RUBRIC)
