"""Checks for notebook 03, "Force structure" (sa1997 ¶37-42 and the 1995 defence outline).

Every expected value is computed from ``workbook.load("personnel")`` when a check runs.
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


def _cut(before: float, after: float) -> float:
    """A fall from ``before`` to ``after``, as a percentage of ``before``."""
    return (before - after) / before * 100


def text_cut() -> float:
    """The cut the text's own two figures imply (claims sa1997-39b -> sa1997-39a)."""
    personnel = load("personnel")
    return _cut(_one(personnel, ref="sa1997-39b"), _one(personnel, ref="sa1997-39a"))


def record_cut() -> float:
    """The cut in the Ground SDF's total authorised strength that the public record gives."""
    record = load("personnel")
    record = record[record["source"] == "public record"]
    return _cut(_one(record, group="total (before)"), _one(record, group="total (after)"))


def service_of_text_figures() -> str:
    """The service of the public record rows linked to the text's two figures (sa1997-39a/39b)."""
    records = load("records")
    linked = set(records.loc[records["claim_id"].isin(["sa1997-39a", "sa1997-39b"]), "record_id"].astype(str))
    personnel = load("personnel")
    services = set(personnel.loc[personnel["ref"].astype(str).isin(linked), "service"].astype(str))
    if len(services) != 1:
        raise LookupError(f"expected one service for the text's figures, found {sorted(services)}")
    return services.pop()


SERVICE_CHOICES = ["all three services", "Ground SDF", "Maritime SDF", "Air SDF"]

register(
    "03.1", kind="percent", expected=text_cut, abs_tol=0.15,
    prompt="the percentage cut the text's own two figures imply",
    hints=("Use the text's 'before' figure (claim sa1997-39b) and its 'after' figure (sa1997-39a). "
           "A cut in percent is (before - after) divided by before, times 100.",
           "Divide by the starting (before) figure, not by the after figure; round to one decimal."),
)

register(
    "03.2", kind="percent", expected=record_cut, abs_tol=0.15,
    prompt="the percentage cut in Ground SDF total authorised strength, from the record",
    hints=("Use the public record rows whose group is 'total (before)' and 'total (after)', "
           "not the 'regular (after)' row.",
           "The after total includes the ready reserve. Compute (before - after) / before * 100."),
)

register(
    "03.3", kind="text",
    prompt="what the personnel chart shows about the text's figures and the record",
)

register(
    "03.4", kind="choice", expected=service_of_text_figures, choices=SERVICE_CHOICES,
    prompt="which service the text's 'SDF troops' figures belong to",
    hints=("Look at the 'service' column of the public record rows in the personnel table.",
           "Find the record row with the same value as the text's 'after' figure and read its service."),
)

register(
    "03.5", kind="text",
    prompt="what the text's sentence on troop numbers leaves out, and why it matters",
)
