"""Checks for notebook 04, "Beyond Japan" (essay2005 ¶8: the Indian Ocean and Iraq after 9/11).

Expected values are computed from ``workbook.load(...)`` when a check runs, except 04.3, whose
answer is fixed: it is about what the hedge words mean, which no table records.
"""

from __future__ import annotations

from workbook.checks import Exercise, exercise, written
from workbook.data import load

from ._shared import ASSERTION_KINDS, assertion_field, one_value, public_record

HEDGE_CHOICES = [
    "approximately",
    "over",
    "more than",
    "less than",
    "down from",
    "probably",
    "possibly",
    "several",
    "vague period",
]


@exercise(
    "04.1",
    move="corroboration",
    kind="percent",
    abs_tol=0.5,
    prompt="the U.S. vessels' share of the fuel Japan delivered up to August 2007, in percent",
    hints=(
        "Part and whole must be in the same unit and cover the same period: the two rows in kilolitres.",
        "A share in percent is part divided by whole, times 100; the U.S. vessels' fuel is the part.",
        'A similar share: `c = load("claims")`, `sa = c[c["reading"] == "sa1997"]`, then `(sa["kind"]'
        ' == "count").sum() / len(sa) * 100` is the share of sa1997\'s claims that are counts.',
    ),
)
def us_share_of_japans_fuel() -> float:
    """Fuel delivered to U.S. vessels as a percentage of all fuel Japan delivered (same period)."""
    fuel = public_record(load("fuel_share"))
    fuel = fuel[fuel["unit"] == "kl"]
    return one_value(fuel, group="U.S. vessels") / one_value(fuel, group="all recipients") * 100


chart_reading = written(
    "04.2",
    move="close reading",
    prompt="what the fuel chart shows, and why the essay's share is not a bar on it",
)

#: A FIXED answer, not computed: like "as much as", "less than" says the true figure is at most
#: the number given (an upper bound).  tests/test_answers_oracle.py checks the claims use it.
upper_bound_hedge = Exercise(
    "04.3",
    move="close reading",
    kind="choice",
    expected="less than",
    choices=HEDGE_CHOICES,
    prompt="which other hedge word sets the same kind of limit as 'as much as'",
    hints=(
        "Ask of each word: does it tell you the true figure is at most, at least, or about the number given?",
        "'As much as' puts a ceiling on the figure. Which word in the list also puts a ceiling on it?",
    ),
)

checkable = written(
    "04.4", move="sourcing", prompt="could the essay's fuel-share claim be checked, and what would you need"
)


@exercise(
    "04.5",
    move="close reading",
    kind="choice",
    choices=ASSERTION_KINDS,
    prompt="what kind of assertion essay2005 ¶19 makes about how Japan took the new missions",
    hints=(
        "Whose view is it about: the government's, the author's, or the voters'?",
        "The sentence says how a whole people has reacted so far. Which kind of assertion is about what a public "
        "thinks?",
    ),
)
def tolerance_kind() -> str:
    """The kind of essay2005 ¶19's assertion that Japanese opinion has been tolerant."""
    return assertion_field("essay2005-a19a", "kind")
