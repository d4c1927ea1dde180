"""Checks for notebook 01, "Four phases" (essay2005 ¶4-8, the phases and events tables).

Every expected value is computed from ``workbook.load(...)`` when a check runs.
"""

from __future__ import annotations

from workbook.checks import exercise, written
from workbook.data import load

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


@exercise("01.1", kind="integer", prompt="how many years phase 2 lasts in the phases table", hints=(
    "Pick phase 2's row (phases[\"phase\"] == 2), then subtract its start_year from its end_year.",
    "Take the end year minus the start year of phase 2 only; do not add 1, and do not use phase 4's row."))
def phase_two_length() -> int:
    return phase_length(2)


@exercise("01.2", kind="integer", prompt="how many sa1997 events fall in phase 3", hints=(
    "Take phase 3's row, keep the events whose year is between its start_year and end_year "
    "(between keeps both ends), and keep only sa1997's rows.",
    "Combine the two conditions with &: event_year.between(...) & (events[\"reading\"] == \"sa1997\"), "
    "then .sum(). Check that you used phase 3's years, not phase 4's."))
def sa1997_events_in_phase_three() -> int:
    return events_in_phase("sa1997", 3)


attention = written("01.3", prompt="where each reading's attention falls on the timeline, and why")


@exercise("01.4", kind="choice", choices=DECADES,
          prompt="which decade the essay meant by 'the first half of the1990s'", hints=(
              "When was the Soviet build-up that drives phase 2? When does the essay's own next phase begin?",
              "The essay's phase 3 opens with the Gulf War at the start of the 1990s, so phase 2 must end "
              "before it. Which whole decade lies between the late 1970s and that war?"))
def decade_meant() -> str:
    """The one decade that lies wholly inside phase 2 as the phases table dates it."""
    row = _phase(2)
    start, end = int(row["start_year"]), int(row["end_year"])
    inside = [d for d in range(start - start % 10, end + 1, 10) if d >= start and d + 9 <= end]
    if len(inside) != 1:
        raise LookupError(f"expected one whole decade inside phase 2, found {inside}")
    return f"the {inside[0]}s"


decade_evidence = written("01.5", prompt="evidence for the decade the essay meant, and what the slip changes")
