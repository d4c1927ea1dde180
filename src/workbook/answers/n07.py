"""Answers for notebook 07 (the two readings compared): check ids "07.1" to "07.6".

Every expected value is computed from ``workbook.load`` when a check runs; no figure is typed in.
"""

from __future__ import annotations

from workbook import load
from workbook.checks import exercise, written

from ._shared import assertion_field, percent_difference, rows_where

READINGS = ("sa1997", "essay2005")


def hedged_percent(reading: str) -> float:
    """Share of a reading's claims that carry any hedge (hedge other than 'none'), in percent."""
    own = rows_where(load("claims"), reading=reading)
    return float((own["hedge"].astype(str) != "none").mean() * 100)


@exercise(
    "07.1",
    move="close reading",
    kind="percent",
    tolerance=0.01,
    prompt="share of sa1997's claims that are hedged, in %",
    hints=(
        "Only sa1997's claims. A claim is hedged when its hedge is anything but 'none'.",
        "The mean of a True/False column is the share of Trues; times 100 makes it a percentage.",
        'A similar share: `(places["kind"] == "islands").mean() * 100` is the percentage of places '
        "that are islands.",
    ),
)
def sa1997_hedged() -> float:
    return hedged_percent("sa1997")


@exercise(
    "07.2",
    move="close reading",
    kind="percent",
    tolerance=0.01,
    prompt="share of essay2005's claims that are hedged, in %",
    hints=(
        "Only essay2005's claims. A claim is hedged when its hedge is anything but 'none'.",
        "The mean of a True/False column is the share of Trues; times 100 makes it a percentage.",
        'A similar share: `(events["category"] == "crisis").mean() * 100` is the percentage of events'
        " that are crises.",
    ),
)
def essay2005_hedged() -> float:
    return hedged_percent("essay2005")


hedge_counts = written("07.3", move="sourcing", prompt="what the hedge counts say about each reading")


def _aid_spending() -> tuple[float, float]:
    """Japan's and the United States' aid in the record's money rows (same year, same unit)."""
    aid = rows_where(load("records"), subject="aid", unit="usd bn")
    japan = aid[aid["group"] == "Japan"]
    year = japan["year"].iloc[0]
    usa = aid[(aid["group"] == "United States") & (aid["year"] == year)]
    return float(japan["value"].iloc[0]), float(usa["value"].iloc[0])


@exercise(
    "07.4",
    move="corroboration",
    kind="percent",
    tolerance=0.01,
    prompt="by how many percent Japan's aid exceeded the U.S.'s in the record",
    hints=(
        "Divide by the U.S. figure: the question asks how far Japan's aid was above it.",
        "How far A is above B, in percent of B: (A - B) / B * 100, with both in the same unit and year.",
        "A similar margin: a country giving 15 where another gives 10 gives (15 - 10) / 10 * 100 = 50"
        " % more.",
    ),
)
def aid_margin_percent() -> float:
    """By how many percent Japan's aid exceeded the U.S.'s in the record."""
    return percent_difference(*_aid_spending())


def aid_error(reading: str) -> float:
    """The reading's error on the aid margin, in percentage points (0 if it states no margin)."""
    margin = rows_where(load("claims"), reading=reading, topic="aid", unit="percent")
    if margin.empty:
        return 0.0
    return float(abs(margin["value"].iloc[0] - aid_margin_percent()))


@exercise(
    "07.5",
    move="corroboration",
    kind="choice",
    choices=["sa1997", "essay2005", "equal"],
    prompt="which reading has the larger error on foreign aid",
    hints=(
        "An error needs a claim: look at which reading gives figures on the topic 'aid'.",
        "Compare the aid claims table with your answer to 07.4.",
    ),
)
def larger_aid_error() -> str:
    errors = {r: aid_error(r) for r in READINGS}
    if errors["sa1997"] == errors["essay2005"]:
        return "equal"
    return max(errors, key=errors.get)


views = written("07.6", move="contextualisation", prompt="how the 1997 and 2005 views differ")


AID_VERDICTS = ["true as written", "false", "the record cannot tell"]


@exercise(
    "07.7",
    move="corroboration",
    kind="choice",
    choices=AID_VERDICTS,
    prompt="does the record bear out sa1997's 'Since 1993 ... the world's largest provider of foreign aid'",
    hints=(
        "Find the record the assertion links to, and compare its year with the year the text gives.",
        "If Japan was already the largest donor before 1993 and stayed so, is 'since 1993' wrong, or just late?",
    ),
)
def aid_lead_verdict() -> str:
    """Whether the linked record bears out sa1997 ¶74's superlative about aid."""
    records = load("records").set_index("record_id")
    first_year = float(records.loc[assertion_field("sa1997-a74a", "record_id"), "value"])
    stated = float(rows_where(load("claims"), claim_id="sa1997-74a")["value"].iloc[0])
    return AID_VERDICTS[0] if first_year <= stated else AID_VERDICTS[1]
