"""Checks for notebook 01, "Four phases" (essay2005 ¶4-8, the phases and events tables).

Every expected value is computed from ``workbook.load(...)`` when a check runs.
"""

from __future__ import annotations

from workbook.checks import exercise, written
from workbook.data import load

from ._shared import ASSERTION_KINDS, assertion_field

DECADES = ["the 1970s", "the 1980s", "the 1990s", "the 2000s"]


def _phase(number: int):
    phases = load("phases")
    return phases[phases["phase"] == number].iloc[0]


def phase_length(number: int) -> int:
    """A phase's end year minus its start year, as the phases table gives them."""
    row = _phase(number)
    return int(row["end_year"] - row["start_year"])


def events_in_phase(reading: str, number: int) -> int:
    """How many of ``reading``'s events start in a year within the phase (both ends included)."""
    row = _phase(number)
    events = load("events")
    inside = events["date"].dt.year.between(row["start_year"], row["end_year"])
    return int((inside & (events["reading"].astype(str) == reading)).sum())


@exercise(
    "01.1",
    move="contextualisation",
    kind="integer",
    prompt="how many years phase 2 lasts in the phases table",
    hints=(
        "A phase lasts from its start_year to its end_year. Which row is phase 2?",
        "Pick the one row with a condition (and .iloc[0]), then subtract one of its columns from the "
        "other; do not add 1.",
        "A similar length on another table: `s = "
        'load("sections").set_index("section_id").loc["sa1997-s03"]`, then `s["last_paragraph"] - '
        's["first_paragraph"]`.',
    ),
)
def phase_two_length() -> int:
    return phase_length(2)


@exercise(
    "01.2",
    move="contextualisation",
    kind="integer",
    prompt="how many sa1997 events fall in phase 3",
    hints=(
        "Two conditions: the event's year lies inside phase 3, and the event comes from sa1997.",
        ".between(a, b) keeps values from a to b, both ends included. Combine conditions with &, each"
        " in brackets, then .sum() counts the Trues.",
        "A similar count: the crises of the 1960s are `(event_year.between(1960, 1969) & "
        '(events["category"] == "crisis")).sum()`.',
    ),
)
def sa1997_events_in_phase_three() -> int:
    return events_in_phase("sa1997", 3)


attention = written(
    "01.3", move="sourcing", prompt="where each reading's attention falls on the timeline, and why"
)


@exercise(
    "01.4",
    move="close reading",
    kind="choice",
    choices=DECADES,
    prompt="which decade the essay meant by 'the first half of the1990s'",
    hints=(
        "When was the Soviet build-up that drives phase 2? When does the essay's own next phase begin?",
        "The essay's phase 3 opens with the Gulf War at the start of the 1990s, so phase 2 must end "
        "before it. Which whole decade lies between the late 1970s and that war?",
    ),
)
def decade_meant() -> str:
    """The one decade that lies wholly inside phase 2 as the phases table dates it."""
    row = _phase(2)
    start, end = int(row["start_year"]), int(row["end_year"])
    inside = [d for d in range(start - start % 10, end + 1, 10) if d >= start and d + 9 <= end]
    if len(inside) != 1:
        raise LookupError(f"expected one whole decade inside phase 2, found {inside}")
    return f"the {inside[0]}s"


decade_evidence = written(
    "01.5", move="corroboration", prompt="evidence for the decade the essay meant, and what the slip changes"
)


@exercise(
    "01.6",
    move="close reading",
    kind="choice",
    choices=ASSERTION_KINDS,
    prompt="what kind of assertion sa1997 ¶63 makes about Northeast Asia",
    hints=(
        "Read the words again: do they report what people think, how something has changed, or what is to come?",
        "Look at the verbs' tense: which kind of assertion can only be tested by waiting to see?",
    ),
)
def volatile_region_kind() -> str:
    """The kind of sa1997's assertion that Northeast Asia will stay volatile."""
    return assertion_field("sa1997-a63a", "kind")
