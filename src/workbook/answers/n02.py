"""Checks for notebook 02, "About one per cent" (essay2005 ¶6, records and defence_spending).

Every expected value is computed from ``workbook.load(...)`` when a check runs.
"""

from __future__ import annotations

from workbook.checks import exercise, written
from workbook.data import load

from ._shared import MEASURES, assertion_field, public_record, rows_where


def _ceiling_rows():
    rows = rows_where(load("records"), subject="defence_spending", group="ceiling")
    if rows.empty:
        raise LookupError("no ceiling rows in the records table")
    return rows.sort_values("year")


def ceiling_years() -> tuple[int, int]:
    """(year the ceiling was set, year it was dropped), from the records' ceiling rows."""
    rows = _ceiling_rows()
    return int(rows["year"].min()), int(rows["year"].max())


@exercise(
    "02.1",
    move="corroboration",
    kind="ids",
    wants="a list of years, like [1111, 2222]",
    item="year",
    prompt="the fiscal years from the ceiling's year on that were above one per cent",
    hints=(
        "Two conditions: the year is from the ceiling's year on, and the share is above one per cent "
        "(a column already says which years are).",
        "Keep rows with table[(condition 1) & (condition 2)], then take one column and turn it into a"
        " list with .tolist().",
        'A similar list on another table: `places = load("places")`, then `places[(places["kind"] == '
        '"islands") & (places["dispute"] != "none")]["name"].tolist()` lists the disputed islands.',
    ),
)
def years_above_since_ceiling() -> list[int]:
    """Recorded years above one per cent, from the ceiling's year on."""
    set_in, _ = ceiling_years()
    record = public_record(load("defence_spending"))
    above = record[record["above_one_pct"].fillna(False).astype(bool) & (record["year"] >= set_in)]
    return [int(y) for y in above["year"]]


@exercise(
    "02.2",
    move="corroboration",
    kind="percent",
    abs_tol=0.002,
    prompt="the average share from the ceiling's year to the year before it was dropped",
    hints=(
        "Which years: from ceiling_year to dropped_year - 1, both included. Which column: the share, "
        "not the year.",
        ".between(a, b) keeps the rows from a to b, both included; .mean() averages one column. The "
        "shares are already in per cent (a number near one).",
        'A similar average on another table: `phases = load("phases")`, `rows = '
        'phases[phases["start_year"].between(1970, 2000)]`, then `(rows["end_year"] - '
        'rows["start_year"]).mean()`.',
    ),
)
def mean_share_under_ceiling() -> float:
    """Average recorded share from the ceiling's year to the year before it was dropped."""
    set_in, dropped = ceiling_years()
    record = public_record(load("defence_spending"))
    return float(record.loc[record["year"].between(set_in, dropped - 1), "value"].mean())


chart_reading = written(
    "02.3", move="corroboration", prompt="what the chart shows about the essay's 'approximately' figure"
)


def ceiling_basis() -> str:
    """The basis (GNP or GDP) the ceiling was set on: the first ceiling row's basis."""
    return str(_ceiling_rows()["basis"].iloc[0])


SLIP_VERDICTS = [
    "the figure is far off",
    "the size holds but the yardstick is misnamed",
    "the record cannot say",
]


@exercise(
    "02.4",
    move="close reading",
    kind="choice",
    choices=SLIP_VERDICTS,
    prompt="what the essay's GDP (for the record's GNP) does to its 'approximately 1%'",
    hints=(
        "Two questions: is the record's share near 1 in the claim's years, and is it a share of the measure the "
        "essay names?",
        "Compare the claim's words with the 'basis' of the record, then the record's range in the claim's "
        "period with the claim's figure.",
    ),
)
def basis_slip_verdict() -> str:
    """Whether the essay's figure holds in size while naming the wrong yardstick (GDP for GNP)."""
    claim = rows_where(load("claims"), claim_id="essay2005-06d").iloc[0]
    record = public_record(load("defence_spending"))
    in_period = record[record["year"].between(claim["period_start"], claim["period_end"])]
    if in_period.empty:
        return SLIP_VERDICTS[2]
    close = abs(float(in_period["value"].mean()) - float(claim["value"])) <= 0.15
    misnamed = "GDP" in str(claim["evidence"]) and ceiling_basis() != "GDP"
    return SLIP_VERDICTS[1] if close and misnamed else SLIP_VERDICTS[0]


fair_hedge = written(
    "02.5", move="close reading", prompt="whether 'approximately' is a fair hedge, and a better phrase"
)


@exercise(
    "02.6",
    move="corroboration",
    kind="choice",
    choices=MEASURES,
    prompt="what would test essay2005's claim that Japan is far readier to use its forces",
    hints=(
        "Whose readiness is it: a budget's, an institution's, or the country's mood?",
        "A budget series measures what was spent, not what people would accept. What asks people?",
    ),
)
def readiness_measure() -> str:
    """What would measure essay2005 ¶12's 'far more ready to countenance the use of the military'."""
    return assertion_field("essay2005-a12b", "measure_by")
