"""Citations: how a claim, event or record row is written out, in a form a student can paste into an essay.

Only formatting lives here (it needs no tables); ``cite(ref)``, which looks the row up, sits beside
``load`` in :mod:`workbook.data`.
"""

from __future__ import annotations


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


def __getattr__(name: str):
    # Old home of cite(): still found here for code that imports it from this module, looked up
    # only when asked for, so that importing this module never imports the loader.
    if name == "cite":
        from .data import cite

        return cite
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
