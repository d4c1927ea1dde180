"""Citations: where every figure comes from, in a form a student can paste into an essay."""

from __future__ import annotations

from .errors import UnknownName


def reading_label(reading) -> str:
    """'Title (author, year)' for a row of the readings table."""
    if reading.year_low != reading.year_high:
        years = f"c. {reading.year_low}-{reading.year_high}"
    else:
        years = str(reading.year)
    return f"{reading.short_title} ({reading.author}, {years})"


def claim_citation(row, reading) -> str:
    """'sa1997 ¶39: "evidence" — Title (author, year)' for a claim, event or phase row."""
    return f'{row.reading} ¶{row.paragraph}: "{row.evidence}" - {reading_label(reading)}'


def record_citation(row) -> str:
    """'Source title, <address> (kind)' for a row of the records table."""
    return f"{row.source_title}, {row.source_url} ({row.source_kind} source)"


def cite(ref: str) -> str:
    """A readable citation for a claim, event or record id, e.g. ``cite("sa1997-39a")``."""
    from .data import load

    if not isinstance(ref, str):
        raise TypeError(f"cite() expects an id as text, like cite('sa1997-39a'); got {ref!r}.")
    readings = load("readings").set_index("id")
    for table, key in (("claims", "claim_id"), ("events", "event_id")):
        df = load(table)
        hit = df[df[key] == ref]
        if len(hit):
            row = next(hit.itertuples(index=False))
            return claim_citation(row, readings.loc[row.reading])
    records = load("records")
    hit = records[records["record_id"] == ref]
    if len(hit):
        return record_citation(next(hit.itertuples(index=False)))
    raise UnknownName(f"No claim, event or record has the id {ref!r}. Claim ids look like 'sa1997-39a' "
                      "(reading, paragraph, letter); see workbook.load('claims')['claim_id'].")
