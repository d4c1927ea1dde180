"""Checks for notebook 05, "Neighbours and flashpoints" (sa1997 ¶15-28, ¶47-52; essay2005 ¶12-16).

Every expected value is computed from ``workbook.load(...)`` when a check runs.
"""

from __future__ import annotations

from workbook.checks import exercise, written
from workbook.data import load

from ._shared import MEASURES, assertion_field, count_rows

#: Seas a student might name (not all are in the places table: the Philippine Sea is a distractor, a
#: sea near Taiwan that the places table does not hold).
SEA_CHOICES = ["Sea of Japan", "East China Sea", "South China Sea", "Philippine Sea"]


@exercise(
    "05.1",
    move="contextualisation",
    kind="integer",
    prompt="how many places in the places table are disputed",
    hints=(
        "Which column says whether someone disputes a place, and what does it hold when nobody does?",
        "!= means 'is not'. A condition gives True or False for every row, and .sum() counts the Trues.",
        'A similar count: `(places["kind"] != "city").sum()` counts the places that are not cities.',
    ),
)
def disputed_places() -> int:
    """How many places in the places table someone disputes (dispute is not 'none')."""
    places = load("places")
    return int((places["dispute"].astype(str).str.strip() != "none").sum())


def topic_claims(reading: str, topic: str = "north_korea") -> int:
    """How many claims ``reading`` makes on ``topic``."""
    return count_rows(load("claims"), reading=reading, topic=topic)


@exercise(
    "05.2",
    move="contextualisation",
    kind="integer",
    prompt="how many north_korea claims sa1997 makes",
    hints=(
        "Two conditions on the claims table: the topic, and the reading.",
        "Combine the two conditions with &, each in brackets; .sum() counts the rows where both are True.",
        'A similar count: `((claims["reading"] == "essay2005") & (claims["hedge"] == '
        '"possibly")).sum()` counts essay2005\'s claims hedged with "possibly".',
    ),
)
def sa1997_north_korea_claims() -> int:
    return topic_claims("sa1997")


WEIGHT_CHOICES = ["sa1997", "essay2005", "the same"]


def topic_share(reading: str, topic: str = "north_korea") -> float:
    """A topic's claims as a share of all the reading's claims."""
    return topic_claims(reading, topic) / count_rows(load("claims"), reading=reading)


@exercise(
    "05.3",
    move="contextualisation",
    kind="choice",
    choices=WEIGHT_CHOICES,
    prompt="which reading gives North Korea more weight among its figures",
    hints=(
        "The two texts differ in length, so a raw count compares lengths as much as interest. What would "
        "compare like with like?",
        "Divide each reading's north_korea count by all of that reading's claims, then compare the two shares.",
    ),
)
def north_korea_weight() -> str:
    """The reading whose claims give North Korea the larger share (or 'the same')."""
    shares = {r: topic_share(r) for r in WEIGHT_CHOICES[:2]}
    if abs(shares["sa1997"] - shares["essay2005"]) < 1e-9:
        return "the same"
    return max(shares, key=lambda reading: shares[reading])


map_reading = written(
    "05.4", move="contextualisation", prompt="what the map shows about where the disputed places lie"
)


PLACE_VERDICTS = [
    "it undoes the point: no such dispute existed",
    "it does not: the dispute is real, only put in the wrong sea",
    "cannot tell from the tables",
]


@exercise(
    "05.5",
    move="corroboration",
    kind="choice",
    choices=PLACE_VERDICTS,
    prompt="whether the essay's wrong sea for the zone dispute weakens its point in ¶13",
    hints=(
        "Separate two questions: did Japan and China quarrel over their zones, and where?",
        "Find on the map which sea the places table says holds a Japan-China dispute over zones, and ask "
        "whether ¶13's argument depends on the sea's name.",
    ),
)
def eez_slip_verdict() -> str:
    """Whether the zone dispute is real (a Japan-China dispute in a sea of the places table) though misplaced."""
    places = load("places").set_index("place_id")
    disputants = str(places.loc["east_china_sea", "dispute"])
    real = "Japan" in disputants and "China" in disputants
    return PLACE_VERDICTS[1] if real else PLACE_VERDICTS[2]


def eez_dispute_sea() -> str:
    """The sea where the Japan-China economic-zone boundary is disputed (the places table's name)."""
    places = load("places").set_index("place_id")
    return str(places.loc["east_china_sea", "name"])


threat_picture = written(
    "05.6", move="contextualisation", prompt="how the threat picture changed between sa1997 and essay2005"
)


@exercise(
    "05.7",
    move="sourcing",
    kind="choice",
    choices=MEASURES,
    prompt="what would test essay2005's ranking of North Korea first among Tokyo's concerns",
    hints=(
        "Whose concerns are they? Who would have written them down at the time?",
        "A ranking of a government's worries is best checked in what that government itself published.",
    ),
)
def first_concern_measure() -> str:
    """What would test essay2005 ¶12's 'first and foremost' ranking of North Korea."""
    return assertion_field("essay2005-a12c", "measure_by")
