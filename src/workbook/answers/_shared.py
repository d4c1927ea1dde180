"""Small steps several notebooks' answers share: pick one row's value, count rows, percentages."""

from __future__ import annotations

import pandas as pd

RECORD = "public record"


def rows_where(table: pd.DataFrame, **match) -> pd.DataFrame:
    """The rows of ``table`` whose columns equal ``match`` (compared as text)."""
    rows = table
    for column, wanted in match.items():
        rows = rows[rows[column].astype(str) == str(wanted)]
    return rows


def one_value(table: pd.DataFrame, **match) -> float:
    """The ``value`` of the single row of ``table`` whose columns equal ``match``."""
    rows = rows_where(table, **match)
    if len(rows) != 1:
        raise LookupError(f"expected one row matching {match}, found {len(rows)}")
    return float(rows["value"].iloc[0])


def count_rows(table: pd.DataFrame, **match) -> int:
    """How many rows of ``table`` have columns equal to ``match``."""
    return len(rows_where(table, **match))


def public_record(table: pd.DataFrame) -> pd.DataFrame:
    """The public record's rows of a derived table (not the readings' claims)."""
    return table[table["source"] == RECORD]


def percent_difference(value: float, base: float) -> float:
    """How far ``value`` is above ``base``, as a percentage of ``base`` (negative when below)."""
    return (value - base) / base * 100


def percent_fall(before: float, after: float) -> float:
    """A fall from ``before`` to ``after``, as a percentage of ``before``."""
    return -percent_difference(after, before)


#: The kinds of assertion and the kinds of measure in the ``assertions`` table (its schema's enums).
ASSERTION_KINDS = [
    "public opinion",
    "leaders' opinion",
    "trend",
    "forecast",
    "superlative",
    "cause",
    "judgement",
    "unstated quantity",
]
MEASURES = ["poll", "series", "record of events", "documents", "cannot be measured"]


def assertion_field(assertion_id: str, column: str) -> str:
    """One column of one row of the ``assertions`` table, as text."""
    from workbook import load  # here, so that declaring the answers reads no data

    rows = rows_where(load("assertions"), assertion_id=assertion_id)
    if len(rows) != 1:
        raise LookupError(f"expected one assertion {assertion_id!r}, found {len(rows)}")
    return str(rows[column].iloc[0])
