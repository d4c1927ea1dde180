"""Checks for notebook 05, "Neighbours and flashpoints" (sa1997 ¶15-28, ¶47-52; essay2005 ¶12-16).

Every expected value is computed from ``workbook.load(...)`` when a check runs.
"""

from __future__ import annotations

from workbook.checks import register
from workbook.data import load


def disputed_places() -> int:
    """How many places in the places table someone disputes (dispute is not 'none')."""
    places = load("places")
    return int((places["dispute"].astype(str).str.strip() != "none").sum())


def topic_claims(reading: str, topic: str = "north_korea") -> int:
    """How many claims ``reading`` makes on ``topic``."""
    claims = load("claims")
    return int(((claims["reading"].astype(str) == reading) & (claims["topic"].astype(str) == topic)).sum())


def eez_dispute_sea() -> str:
    """The sea where the Japan-China economic-zone boundary is disputed (the places table's name)."""
    places = load("places").set_index("place_id")
    return str(places.loc["east_china_sea", "name"])


#: Seas a student might name (not all are in the places table: the Philippine Sea is where the 1996
#: carriers really went).
SEA_CHOICES = ["Sea of Japan", "East China Sea", "South China Sea", "Philippine Sea"]


register(
    "05.1", kind="integer", expected=disputed_places,
    prompt="how many places in the places table are disputed",
    hints=("Count the rows of the places table whose 'dispute' column is not 'none'.",
           "places[places['dispute'] != 'none'] keeps the disputed rows; len(...) counts them."),
)

register(
    "05.2", kind="integer", expected=lambda: topic_claims("sa1997"),
    prompt="how many north_korea claims sa1997 makes",
    hints=("Keep the claims whose topic is 'north_korea' and whose reading is 'sa1997', then count them.",
           "Combine the two conditions with &, each in brackets, then use len(...) or .sum()."),
)

register(
    "05.3", kind="integer", expected=lambda: topic_claims("essay2005"),
    prompt="how many north_korea claims essay2005 makes",
    hints=("Keep the claims whose topic is 'north_korea' and whose reading is 'essay2005', then count them.",
           "Combine the two conditions with &, each in brackets, then use len(...) or .sum()."),
)

register(
    "05.4", kind="text",
    prompt="what the map shows about where the disputed places lie",
)

register(
    "05.5", kind="choice", expected=eez_dispute_sea, choices=SEA_CHOICES,
    prompt="in which sea the Japan-China economic-zone boundary is disputed",
    hints=("Read the places table's notes for the seas, and the glossary entry for 'exclusive economic zone'.",
           "Look at where the Senkaku Islands are on the map: the zone quarrel is in the same sea."),
)

register(
    "05.6", kind="text",
    prompt="how the threat picture changed between sa1997 and essay2005",
)
