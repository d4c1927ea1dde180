"""Answers for notebook 07 (the two readings compared): check ids "07.1" to "07.6".

Every expected value is computed from ``workbook.load`` when a check runs; no figure is typed in.
"""

from __future__ import annotations

from workbook import load
from workbook.checks import register

READINGS = ("sa1997", "essay2005")


def hedged_percent(reading: str) -> float:
    """Share of a reading's claims that carry any hedge (hedge other than 'none'), in percent."""
    claims = load("claims")
    own = claims[claims["reading"] == reading]
    return float((own["hedge"].astype(str) != "none").mean() * 100)


def _aid_spending() -> tuple[float, float]:
    """Japan's and the United States' aid in the record's money rows (same year, same unit)."""
    aid = load("records")
    aid = aid[(aid["subject"] == "aid") & (aid["unit"] == "usd bn")]
    japan = aid[aid["group"] == "Japan"]
    year = japan["year"].iloc[0]
    usa = aid[(aid["group"] == "United States") & (aid["year"] == year)]
    return float(japan["value"].iloc[0]), float(usa["value"].iloc[0])


def aid_margin_percent() -> float:
    """By how many percent Japan's aid exceeded the U.S.'s in the record."""
    japan, usa = _aid_spending()
    return (japan - usa) / usa * 100


def aid_error(reading: str) -> float:
    """The reading's error on the aid margin, in percentage points (0 if it states no margin)."""
    claims = load("claims")
    margin = claims[(claims["reading"] == reading) & (claims["topic"] == "aid")
                    & (claims["unit"] == "percent")]
    if margin.empty:
        return 0.0
    return float(abs(margin["value"].iloc[0] - aid_margin_percent()))


def larger_aid_error() -> str:
    errors = {r: aid_error(r) for r in READINGS}
    if errors["sa1997"] == errors["essay2005"]:
        return "equal"
    return max(errors, key=errors.get)


register(
    "07.1", kind="percent", expected=lambda: hedged_percent("sa1997"), tolerance=0.01,
    prompt="share of sa1997's claims that are hedged, in %",
    hints=("Take only sa1997's claims; a claim is hedged when its hedge is not 'none'.",
           "The mean of a True/False column is the share of True: (claims_sa['hedge'] != 'none').mean() * 100."),
)
register(
    "07.2", kind="percent", expected=lambda: hedged_percent("essay2005"), tolerance=0.01,
    prompt="share of essay2005's claims that are hedged, in %",
    hints=("Take only essay2005's claims; a claim is hedged when its hedge is not 'none'.",
           "The mean of a True/False column is the share of True; multiply by 100 for a percentage."),
)
register("07.3", kind="text", prompt="what the hedge counts say about each reading")
register(
    "07.4", kind="percent", expected=aid_margin_percent, tolerance=0.01,
    prompt="by how many percent Japan's aid exceeded the U.S.'s in the record",
    hints=("Divide by the U.S. figure: (japan - usa) / usa * 100.",
           "Use the two rows in 'usd bn' for Japan and the United States; the answer is close to double."),
)
register(
    "07.5", kind="choice", expected=larger_aid_error, choices=["sa1997", "essay2005", "equal"],
    prompt="which reading has the larger error on foreign aid",
    hints=("An error needs a claim: look at which reading gives figures on the topic 'aid'.",
           "Compare the aid claims table with your answer to 07.4."),
)
register("07.6", kind="text", prompt="how the 1997 and 2005 views differ")
