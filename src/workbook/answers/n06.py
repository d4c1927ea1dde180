"""Answers for notebook 06 (the history issue): check ids "06.1" to "06.6".

Expected values are computed from ``workbook.load`` when a check runs, except 06.4, whose answer
is fixed: it is a reading of what the record describes, not a figure.
"""

from __future__ import annotations

from workbook import load
from workbook.checks import Exercise, exercise, written

from ._shared import ASSERTION_KINDS, assertion_field, percent_difference, public_record, rows_where

CLAIM_COUNT = "essay2005-21d"  # "over five hundred have in fact been so compensated"
CLAIM_SHRINE = "essay2005-22a"  # Yasukuni, "two and half million"


@exercise(
    "06.1",
    move="corroboration",
    kind="integer",
    prompt="total individual recipients in the public record",
    hints=(
        "Only the public record's rows: the essay's own row is the claim being checked.",
        ".sum() adds up all the values of one column of a table.",
        'A similar total on another table: `phases = load("phases")`, then `(phases["end_year"] - '
        'phases["start_year"]).sum()` adds up the lengths of all the phases.',
    ),
)
def recorded_total() -> int:
    """Individual recipients in the public record (Asian Women's Fund), all groups added up."""
    return int(round(float(public_record(load("compensation"))["value"].sum())))


def claimed_count() -> float:
    """The essay's count, taken at face value (the floor that "over" sets)."""
    comp = load("compensation")
    return float(comp.loc[comp["ref"] == CLAIM_COUNT, "value"].iloc[0])


@exercise(
    "06.2",
    move="corroboration",
    kind="percent",
    tolerance=0.01,
    prompt="how far the essay's count is above the recorded total, in %",
    hints=(
        "Which is the base? The question divides by the record's total, not by the essay's figure.",
        "How far A is above B, in percent of B: (A - B) / B * 100. Use your answer to 06.1 for the record.",
        "A similar gap: a text saying 120 where the record says 100 is (120 - 100) / 100 * 100 = 20 %"
        " above it.",
    ),
)
def gap_percent() -> float:
    """By how many percent the essay's count exceeds the recorded total (base: the record)."""
    return percent_difference(claimed_count(), recorded_total())


limits = written(
    "06.3", move="corroboration", prompt="what the chart and widget show, and what they cannot show"
)

#: A FIXED answer, not computed: the fund paid "atonement money" from private donations, which is
#: not state compensation (the records' own notes say so; tests/test_answers_oracle.py checks them).
compensated_word = Exercise(
    "06.4",
    move="close reading",
    kind="choice",
    expected="payments by the Japanese state, as legal compensation",
    choices=[
        "more recipients than the record counts",
        "payments by the Japanese state, as legal compensation",
        "payments made before the fund closed",
    ],
    prompt="what the essay would need to show for 'compensated' to be the right word",
    hints=(
        "A word can be wrong even when a count is right. What does 'compensate' say about who pays, and why?",
        "Read the record's notes: what did the fund pay, from whose money? What would have to differ?",
    ),
)

why_the_word_matters = written(
    "06.5", move="contextualisation", prompt="why the word 'compensated' matters to the essay's argument"
)


@exercise(
    "06.6",
    move="corroboration",
    kind="percent",
    abs_tol=0.06,
    prompt="how far the essay's Yasukuni figure is from the recorded exact total, in %",
    hints=(
        "Which Yasukuni row is the exact total for all wars? The largest of them.",
        "How far A is from B, in percent of B: (A - B) / B * 100. The record is the base.",
        "A similar gap: a round 3,000 against a record of 2,950 is (3000 - 2950) / 2950 * 100, about "
        "1.7 % above.",
    ),
)
def shrine_gap_percent() -> float:
    """How far the essay's round Yasukuni figure is from the recorded exact total (a secondary page), in %."""
    claims = load("claims").set_index("claim_id")
    shrine = rows_where(load("records"), subject="yasukuni", claim_id=CLAIM_SHRINE)
    total = float(shrine["value"].max())  # the all-wars total, not the 1941-45 part
    return percent_difference(float(claims.loc[CLAIM_SHRINE, "value"]), total)


@exercise(
    "06.7",
    move="close reading",
    kind="choice",
    choices=ASSERTION_KINDS,
    prompt="what kind of assertion essay2005 ¶21 makes about school textbooks",
    hints=(
        "Is there a number in the sentence? Is there a word that stands in for one?",
        "'The large majority' is a share, said without a figure. Which kind fits an amount given in words only?",
    ),
)
def textbooks_kind() -> str:
    """The kind of essay2005 ¶21's assertion about textbooks."""
    return assertion_field("essay2005-a21a", "kind")
