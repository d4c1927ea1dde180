"""What every chart shares: plain data, a clear error for a missing column, a title with its source.

These are public so that explorers (``workbook.widgets``) and students' own charts use the same
rules as the workbook's builders.
"""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

from ..data import load
from ..numbers import format_number  # noqa: F401 - the one formatter, for chart labels too
from ..provenance import reading_label


def plain(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` holding only plain values (text, numbers, True/False, None).

    Altair writes the data into the chart as JSON.  pandas' nullable types (``Int64``,
    ``string``, ``category``, ``boolean``) and missing values (``<NA>``, ``NaT``) are turned into
    ordinary Python values first, so nothing surprising reaches the chart.
    """
    out = {}
    for name in df.columns:
        column = df[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            # Written without a time zone, so the browser reads it as a local date.
            values = [None if pd.isna(v) else v.strftime("%Y-%m-%dT%H:%M:%S") for v in column]
        elif pd.api.types.is_bool_dtype(column):
            values = [None if pd.isna(v) else bool(v) for v in column]
        elif pd.api.types.is_integer_dtype(column):
            values = [None if pd.isna(v) else int(v) for v in column]
        elif pd.api.types.is_float_dtype(column):
            values = [None if pd.isna(v) else float(v) for v in column]
        else:
            values = [
                None if _missing(v) else v if isinstance(v, (int, float, bool)) else str(v) for v in column
            ]
        out[name] = pd.Series(values, index=range(len(df)), dtype=object)
    return pd.DataFrame(out, index=range(len(df)), columns=list(df.columns))


def inline_data(df: pd.DataFrame) -> alt.Data:
    """Rows of ``df`` as inline chart data (plain values, so missing cells become JSON null)."""
    return alt.Data(values=plain(df).to_dict(orient="records"))


def _missing(value) -> bool:
    """True for a missing cell (None, NaN, <NA>, NaT); never for a list or other container."""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and other containers are not "missing"
        return False


def require(data: pd.DataFrame, columns: list[str], what: str) -> None:
    """Stop with a clear message if ``data`` lacks a column this chart needs."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{what} needs a pandas DataFrame; got {type(data).__name__}.")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(
            f"{what} needs the column(s) {', '.join(map(repr, missing))}; this table has: "
            f"{', '.join(map(str, data.columns))}."
        )


def wrap_subtitle(text: str, width: int = 95) -> list[str]:
    """Split a long subtitle into lines Vega can show."""
    return textwrap.wrap(text, width) or [text]


def readings_table() -> pd.DataFrame:
    """The readings table, indexed by reading id (for labels and citations)."""
    return load("readings").set_index("id")


def reading_names(readings) -> str:
    """'sa1997 = Title (author, years); essay2005 = ...' for a subtitle."""
    table = readings_table()
    return "; ".join(f"{r} = {reading_label(table.loc[r])}" for r in readings if r in table.index)


def record_sources(data: pd.DataFrame) -> str:
    """The distinct public sources behind the record rows of a derived table."""
    refs = data.loc[data["source"] == "public record", "ref"].dropna().astype(str)
    titles = load("records").set_index("record_id")["source_title"]
    return "; ".join(dict.fromkeys(str(titles[r]) for r in refs if r in titles.index))


def source_line(data: pd.DataFrame, readings=("sa1997", "essay2005")) -> str:
    """'the claim: essay2005 ¶6 (...); the record: <titles>' for the derived tables."""
    parts = []
    claims = data[data["source"] != "public record"]
    if len(claims):
        refs = ", ".join(
            dict.fromkeys(
                f"{ref.split('-')[0]} ¶{int(ref.split('-')[1][:2])}" for ref in claims["ref"].astype(str)
            )
        )
        used = [r for r in readings if any(s.startswith(r) for s in claims["source"].astype(str))]
        parts.append(f"the claim(s): {refs} ({reading_names(used)})")
    records = record_sources(data)
    if records:
        parts.append(f"the record: {records}")
    return "; ".join(parts) or "no rows to show"


def finish(chart, *, title: str, description: str, source: str):
    """Give a chart its title, a "Source: ..." subtitle and a description for screen readers.

    Every chart in the workbook goes through here, so none is left without its source.
    """
    if not source.lower().startswith("source"):
        source = f"Source: {source}"
    return chart.properties(
        title=alt.TitleParams(text=title, subtitle=wrap_subtitle(source)),
        description=description,
    )


def to_svg(chart) -> str:
    """The chart as SVG text, drawn without a browser or the internet (for tests and handouts)."""
    from .static import svg

    return svg(chart.to_dict())


def is_number_column(column: pd.Series) -> bool:
    """True for a column of numbers (also a plain ``object`` column that holds only numbers)."""
    if pd.api.types.is_bool_dtype(column):
        return False
    if pd.api.types.is_numeric_dtype(column):
        return True
    values = column.dropna().tolist()
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def placeholder(text: str):
    """A blank chart that just says ``text`` (shown when the choices can't be drawn)."""
    frame = pd.DataFrame({"text": [text], "citation": ["no data"]})
    chart = alt.Chart(inline_data(frame)).mark_text(fontSize=14).encode(text="text:N", tooltip=["citation:N"])
    return finish(
        chart.properties(width=400, height=60),
        title="Nothing to draw",
        description=text,
        source="none: no data is drawn",
    )
