"""Answers for notebook 06 (the history issue): check ids "06.1" to "06.6".

Every expected value is computed from ``workbook.load`` when a check runs; no figure is typed in.
"""

from __future__ import annotations

from workbook import load
from workbook.checks import register

CLAIM_COUNT = "essay2005-21d"     # "over five hundred have in fact been so compensated"
CLAIM_SHRINE = "essay2005-22a"    # Yasukuni, "two and half million"


def _compensation():
    return load("compensation")


def recorded_total() -> float:
    """Individual recipients in the public record (Asian Women's Fund), all groups added up."""
    comp = _compensation()
    return float(comp.loc[comp["source"] == "public record", "value"].sum())


def claimed_count() -> float:
    """The essay's count, taken at face value (the floor that "over" sets)."""
    comp = _compensation()
    return float(comp.loc[comp["ref"] == CLAIM_COUNT, "value"].iloc[0])


def gap_percent() -> float:
    """By how many percent the essay's count exceeds the recorded total (base: the record)."""
    total = recorded_total()
    return (claimed_count() - total) / total * 100


def compensated_word() -> str:
    """Does the record describe state compensation?  Read from the records' own notes."""
    records = load("records")
    notes = " ".join(records.loc[records["subject"] == "compensation", "note"].dropna()).lower()
    if "not state compensation" in notes:
        return "no"
    if "state compensation" in notes:
        return "yes"
    return "cannot tell"


def shrine_gap_percent() -> float:
    """How far the essay's round Yasukuni figure is from the shrine's own total, in % of the record."""
    claims = load("claims").set_index("claim_id")
    records = load("records")
    shrine = records[(records["subject"] == "yasukuni") & (records["claim_id"] == CLAIM_SHRINE)]
    total = float(shrine["value"].max())            # the all-wars total, not the 1941-45 part
    claimed = float(claims.loc[CLAIM_SHRINE, "value"])
    return (claimed - total) / total * 100


register(
    "06.1", kind="integer", expected=lambda: int(round(recorded_total())),
    prompt="total individual recipients in the public record",
    hints=("Use only the rows whose source is 'public record', and add up their value column.",
           "recorded['value'].sum() adds the column up; leave out the essay's own row."),
)
register(
    "06.2", kind="percent", expected=gap_percent, tolerance=0.01,
    prompt="how far the essay's count is above the recorded total, in %",
    hints=("Divide by the record's total, not by the essay's figure: (claim - record) / record * 100.",
           "First compute the gap (claimed - your total from 06.1), then divide it by that total and "
           "multiply by 100."),
)
register("06.3", kind="text", prompt="what the chart and widget show, and what they cannot show")
register(
    "06.4", kind="choice", expected=compensated_word, choices=["yes", "no", "cannot tell"],
    prompt="is 'compensated' the right word for what the record describes?",
    hints=("Read the note column of the compensation records, and the glossary's 'Asian Women's Fund'.",
           "What did the fund pay, and from whose money? Is that what 'compensation' by a state means?"),
)
register("06.5", kind="text", prompt="why the word 'compensated' matters to the essay's argument")
register(
    "06.6", kind="percent", expected=shrine_gap_percent, abs_tol=0.06,
    prompt="how far the essay's Yasukuni figure is from the shrine's total, in %",
    hints=("Use the shrine's total for all wars (the larger Yasukuni record), and divide by it.",
           "(round_figure - shrine_total) / shrine_total * 100: the answer is small and positive."),
)
