"""Checks for notebook 03, "Force structure" (sa1997 ¶37-42 and the 1995 defence outline).

Every expected value is computed from ``workbook.load("personnel")`` when a check runs.
"""

from __future__ import annotations

from workbook.checks import exercise, written
from workbook.data import load

from ._shared import MEASURES, assertion_field, one_value, percent_fall, public_record, rows_where

SERVICE_CHOICES = ["all three services", "Ground SDF", "Maritime SDF", "Air SDF"]


@exercise(
    "03.1",
    move="close reading",
    kind="percent",
    abs_tol=0.15,
    prompt="the percentage cut the text's own two figures imply",
    hints=(
        "Use the text's own two figures: its 'before' (claim sa1997-39b) and its 'after' (sa1997-39a).",
        "A cut in percent is (before - after) divided by before, times 100: divide by the starting figure.",
        "A similar cut: a fall from 80 to 60 is (80 - 60) / 80 * 100 = 25 %: the 20 lost are a "
        "quarter of the 80 there were.",
    ),
)
def text_cut() -> float:
    """The cut the text's own two figures imply (claims sa1997-39b -> sa1997-39a)."""
    personnel = load("personnel")
    return percent_fall(one_value(personnel, ref="sa1997-39b"), one_value(personnel, ref="sa1997-39a"))


@exercise(
    "03.2",
    move="corroboration",
    kind="percent",
    abs_tol=0.15,
    prompt="the percentage cut in Ground SDF total authorised strength, from the record",
    hints=(
        "Use the public record's two totals, 'total (before)' and 'total (after)', not the 'regular "
        "(after)' row.",
        "The after total includes the ready reserve. A cut in percent is (before - after) / before * 100.",
        "A similar cut: a fleet going from 50 ships to 45 shrinks by (50 - 45) / 50 * 100 = 10 %.",
    ),
)
def record_cut() -> float:
    """The cut in the Ground SDF's total authorised strength that the public record gives."""
    record = public_record(load("personnel"))
    return percent_fall(one_value(record, group="total (before)"), one_value(record, group="total (after)"))


chart_reading = written(
    "03.3",
    move="corroboration",
    prompt="what the personnel chart shows about the text's figures and the record",
)


PERSONNEL_RECORDS = ["r031", "r032", "r033", "r034", "r035"]


@exercise(
    "03.4",
    move="corroboration",
    kind="choice",
    choices=PERSONNEL_RECORDS,
    prompt="which record shows that the text's 'before' figure cannot be the whole SDF",
    hints=(
        "If 180,000 were all three services, no record could count more people in all of them.",
        "Compare each personnel record's group and value with the text's 'before' figure: which one counts every "
        "service, and what does its size rule out?",
    ),
)
def record_ruling_out_whole_sdf() -> str:
    """The record of all services whose size exceeds the text's 'before' figure (so 180,000 is one service)."""
    before = float(rows_where(load("claims"), claim_id="sa1997-39b")["value"].iloc[0])
    records = rows_where(load("records"), subject="personnel")
    larger = records[(records["group"] == "all services") & (records["value"] > before)]
    if len(larger) != 1:
        raise LookupError(f"expected one all-services record above {before}, found {len(larger)}")
    return str(larger["record_id"].iloc[0])


def service_of_text_figures() -> str:
    """The service of the public record rows linked to the text's two figures (sa1997-39a/39b)."""
    records = load("records")
    linked = set(records.loc[records["claim_id"].isin(["sa1997-39a", "sa1997-39b"]), "record_id"].astype(str))
    personnel = load("personnel")
    services = set(personnel.loc[personnel["ref"].astype(str).isin(linked), "service"].astype(str))
    if len(services) != 1:
        raise LookupError(f"expected one service for the text's figures, found {sorted(services)}")
    return services.pop()


left_out = written(
    "03.5",
    move="contextualisation",
    prompt="what the text's sentence on troop numbers leaves out, and why it matters",
)


@exercise(
    "03.6",
    move="corroboration",
    kind="choice",
    choices=MEASURES,
    prompt="what would test sa1997's forecast that Japan will not soon project military power",
    hints=(
        "A forecast is tested by what happened next. Where would you find that?",
        "Not an opinion (no poll) and not a yearly figure (no series): what kind of source lists what a country "
        "later planned and acquired?",
    ),
)
def power_projection_measure() -> str:
    """What would test sa1997 ¶42's forecast about power projection."""
    return assertion_field("sa1997-a42a", "measure_by")
