"""``bar()``: a bar chart of your own, with the same rules as the workbook's charts."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .helpers import finish, is_number_column, plain
from .theme import READING_COLOURS, SOURCE_COLOURS, colour_scale, outlined


def bar(data, x, y, *more, color=None, title=None, description=None, source=None):
    """A bar chart of your own: ``bar(df, "topic", "claims", title=..., description=..., source=...)``.

    ``x`` and ``y`` name columns of ``data``; one of them must hold numbers (the bar lengths).
    ``title``, ``description`` (what a screen reader says) and ``source`` are required: a chart
    without its source is not finished.  If the table has a ``citation`` column, hovering over a
    bar shows it.
    """
    if more:
        raise TypeError(
            f"bar() takes the table, x and y in that order, and the rest by name: "
            f'charts.bar(df, {x!r}, {y!r}, color=..., title="...", description="...", source="..."); '
            f"it was also given {', '.join(map(repr, more))} without a name."
        )
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"bar() needs a pandas DataFrame as data, like load('claims'); got {type(data).__name__}."
        )
    for role, name in (("x", x), ("y", y), ("color", color)):
        if name is not None and name not in data.columns:
            raise ValueError(
                f"bar(): {role}={name!r} is not a column of this table. "
                f"The columns are: {', '.join(map(str, data.columns))}."
            )
    if len(data) == 0:
        raise ValueError("bar(): the table has no rows, so there is nothing to draw.")
    missing = [
        what
        for what, text in (("title", title), ("description", description), ("source", source))
        if not isinstance(text, str) or not text.strip()
    ]
    if missing:
        raise ValueError(
            f"bar(): please give {' and '.join(f'{m}=' for m in missing)} as text; every chart needs a "
            "title, a description (what a screen reader says) and a source, like: "
            f'charts.bar(df, {x!r}, {y!r}, title="What the chart shows", description="A bar for each '
            f'{x}; its length is the {y}.", source="the claims table, workbook.load(\'claims\')")'
        )

    if is_number_column(data[y]):
        value, category, horizontal = y, x, False
    elif is_number_column(data[x]):
        value, category, horizontal = x, y, True
    else:
        raise ValueError(
            f"bar(): neither {x!r} nor {y!r} holds numbers, so there is no bar length. "
            f"Number columns here: {', '.join(c for c in data.columns if is_number_column(data[c])) or 'none'}."
        )

    columns = list(
        dict.fromkeys([x, y] + ([color] if color else []) + (["citation"] if "citation" in data else []))
    )
    df = plain(data[columns])
    if df[category].isna().any():  # name the gap instead of letting the axis say "null"
        df[category] = ["(missing)" if v is None else str(v) for v in df[category]]
    category_type = "O" if is_number_column(data[category]) else "N"
    along = alt.X(f"{category}:{category_type}") if not horizontal else alt.Y(f"{category}:{category_type}")
    length = alt.Y(f"{value}:Q") if not horizontal else alt.X(f"{value}:Q")
    encoding = {"x": along, "y": length} if not horizontal else {"y": along, "x": length}
    outline = {}
    if color:
        colour_type = "Q" if is_number_column(data[color]) else "N"
        if color in ("source", "reading"):
            colours = SOURCE_COLOURS if color == "source" else READING_COLOURS
            encoding["color"] = alt.Color(f"{color}:N", scale=colour_scale(colours, df[color]))
        else:
            encoding["color"] = alt.Color(f"{color}:{colour_type}")
        if colour_type == "N":  # each kind also gets its own outline, so colour is not the only sign
            encoding.update(outlined(color, color, encoding["color"]))
            outline = {"stroke": "black", "strokeWidth": 1.5}
    encoding["tooltip"] = [f"{c}:{'Q' if is_number_column(data[c]) else 'N'}" for c in columns]
    chart = alt.Chart(alt.Data(values=df.to_dict(orient="records"))).mark_bar(**outline).encode(**encoding)
    return finish(chart, title=title, description=description, source=source)
