"""Checks for notebook 04, "Beyond Japan" (essay2005 ¶8: the Indian Ocean and Iraq after 9/11).

Every expected value is computed from ``workbook.load(...)`` when a check runs.
"""

from __future__ import annotations

from workbook.checks import register
from workbook.data import load


def _one(table, **match) -> float:
    """The ``value`` of the single row of ``table`` whose columns equal ``match``."""
    rows = table
    for column, wanted in match.items():
        rows = rows[rows[column].astype(str) == wanted]
    if len(rows) != 1:
        raise LookupError(f"expected one row matching {match}, found {len(rows)}")
    return float(rows["value"].iloc[0])


def us_share_of_japans_fuel() -> float:
    """Fuel delivered to U.S. vessels as a percentage of all fuel Japan delivered (same period)."""
    fuel = load("fuel_share")
    fuel = fuel[(fuel["source"] == "public record") & (fuel["unit"] == "kl")]
    return _one(fuel, group="U.S. vessels") / _one(fuel, group="all recipients") * 100


#: Hedge words that bound a figure from above, as "as much as" does ("the true value is at most this").
CEILING_HEDGES = ("as much as", "less than")


def ceiling_hedge_like_as_much_as() -> str:
    """The other hedge word in the claims table that, like "as much as", sets an upper bound."""
    used = set(load("claims")["hedge"].astype(str))
    others = [h for h in CEILING_HEDGES if h != "as much as" and h in used]
    if len(others) != 1:
        raise LookupError(f"expected one other upper-bound hedge in use, found {others}")
    return others[0]


HEDGE_CHOICES = ["approximately", "over", "more than", "less than", "down from", "probably", "possibly",
                 "several", "vague period"]

register(
    "04.1", kind="percent", expected=us_share_of_japans_fuel, abs_tol=0.5,
    prompt="the U.S. vessels' share of the fuel Japan delivered up to August 2007, in percent",
    hints=("Use the two public record rows in kilolitres that cover the same period: "
           "the group 'U.S. vessels' and the group 'all recipients'.",
           "Part divided by whole, times 100: the U.S. vessels' fuel is the part."),
)

register(
    "04.2", kind="text",
    prompt="what the fuel chart shows, and why the essay's share is not a bar on it",
)

register(
    "04.3", kind="choice", expected=ceiling_hedge_like_as_much_as, choices=HEDGE_CHOICES,
    prompt="which other hedge word sets the same kind of limit as 'as much as'",
    hints=("Ask of each word: does it tell you the true figure is at most, at least, or about the "
           "number given?",
           "'As much as' puts a ceiling on the figure. Which word in the list also puts a ceiling on it?"),
)

register(
    "04.4", kind="text",
    prompt="could the essay's fuel-share claim be checked, and what would you need",
)
