"""The data behind a chart as HTML tables: the text alternative a screen reader can walk.

A picture with an aria-label is not enough for a reader who cannot see it: they need the rows.
:func:`table_html` reads a chart's own spec (so it works for every chart, the workbook's and a
student's) and writes a collapsed ``<details><summary>Show the data …</summary>`` holding the
description and one ``<table>`` per distinct set of marks, with the columns a hover shows
(the tooltip), so every row keeps its ``citation``.  :func:`with_data_table` puts that table
under a chart widget; the renderer (``offline.render``) calls it for every chart it draws.
"""

from __future__ import annotations

import datetime as _dt
import html
import re

from ..numbers import format_number

#: Nothing is cut from a table below this many rows; past it the rest is counted, not shown.
MAX_ROWS = 400
#: Position channels whose field is shown when a layer has no tooltip.
_ENCODED = ("x", "y", "x2", "y2", "latitude", "longitude", "theta", "text", "color", "shape", "size")


def _to_dict(chart_or_spec) -> dict:
    return chart_or_spec if isinstance(chart_or_spec, dict) else chart_or_spec.to_dict()


def _title(spec: dict) -> tuple[str, str]:
    """The chart's title and its subtitle (the "Source: ..." line), as plain text."""
    title = spec.get("title") or ""
    if isinstance(title, dict):
        text, sub = title.get("text", ""), title.get("subtitle", "")
    else:
        text, sub = title, ""
    join = lambda t: " ".join(t) if isinstance(t, list) else str(t or "")  # noqa: E731
    return join(text), join(sub)


def _layers(spec: dict, inherited=None):
    """Every single-view part of a (layered, concatenated) spec, with the data it draws."""
    data = spec.get("data", inherited)
    parts = [p for key in ("layer", "hconcat", "vconcat", "concat") for p in spec.get(key, [])]
    if spec.get("spec"):
        parts.append(spec["spec"])
    if "mark" in spec:
        yield spec, data
    for part in parts:
        yield from _layers(part, data)


def _rows(data, datasets: dict) -> list[dict] | None:
    """Inline rows of a layer (``values`` or a named dataset); None for generated or remote data."""
    if not isinstance(data, dict):
        return None
    if "values" in data and isinstance(data["values"], list):
        return data["values"]
    if "name" in data and data["name"] in datasets:
        return datasets[data["name"]]
    return None


def _field_of(channel) -> tuple[str, str] | None:
    """(field, header) of one encoding channel, or None when it shows a constant or nothing."""
    if not isinstance(channel, dict):
        return None
    if "condition" in channel and "field" not in channel:
        return _field_of(channel["condition"])
    field = channel.get("field")
    if not isinstance(field, str):
        return None
    title = channel.get("title")
    return field, str(title) if isinstance(title, str) and title else field


def _columns(encoding: dict) -> list[tuple[str, str]]:
    """The columns a table of this layer shows: its tooltip fields, else its encoded fields."""
    tooltip = encoding.get("tooltip")
    channels = tooltip if isinstance(tooltip, list) else [tooltip] if isinstance(tooltip, dict) else None
    if channels is None:
        channels = [encoding.get(name) for name in _ENCODED]
    columns = [c for c in (_field_of(ch) for ch in channels) if c]
    return list(dict.fromkeys(columns))


_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})T00:00:00(\.0+)?$")


def _cell(value) -> str:
    """One cell as text: numbers with thousands separators, midnight timestamps as dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):  # whole numbers under 10,000 are years or labels here
        return format_number(value, year=float(value).is_integer() and abs(value) < 10000)
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()
    text = str(value)
    match = _ISO.match(text)
    return match.group(1) if match else text


def tables(chart_or_spec) -> list[dict]:
    """The chart's data as tables: ``[{"columns": [header, ...], "rows": [[cell, ...], ...]}]``.

    Layers that show the same columns share one table (their rows merged, repeats dropped), so a
    line and its points, or a bar and its value label, are read out once.
    """
    spec = _to_dict(chart_or_spec)
    datasets = spec.get("datasets", {})
    grouped: dict[tuple, list] = {}
    for layer, data in _layers(spec):
        rows = _rows(data, datasets)
        columns = _columns(layer.get("encoding", {}))
        if rows is None or not columns:
            continue
        seen = grouped.setdefault(tuple(columns), [])
        for row in rows:
            cells = [_cell(row.get(field)) for field, _ in columns]
            if cells not in seen:
                seen.append(cells)
    return [{"columns": [header for _, header in key], "rows": rows} for key, rows in grouped.items() if rows]


def table_html(chart_or_spec, *, open_: bool = False) -> str:
    """A collapsed "Show the data" section: the chart's description and its data as tables.

    Escaped throughout; each table has a caption and column headers (``<th scope="col">``), so
    a screen reader announces the column with every cell.
    """
    spec = _to_dict(chart_or_spec)
    title, source = _title(spec)
    found = tables(spec)
    name = title or "this chart"
    parts = [
        f'<details class="workbook-data-table" data-lm-suppress-shortcuts="true"{" open" if open_ else ""}>',
        f"<summary>Show the data: {html.escape(name)}</summary>",
    ]
    if spec.get("description"):
        parts.append(f"<p>{html.escape(str(spec['description']))}</p>")
    if source:
        parts.append(f"<p>{html.escape(source)}</p>")
    if not found:
        parts.append("<p>This chart draws no rows of data.</p>")
    for number, table in enumerate(found, start=1):
        caption = name if len(found) == 1 else f"{name}: table {number} of {len(found)}"
        rows = table["rows"]
        shown = rows[:MAX_ROWS]
        more = f" ({len(rows) - len(shown)} more rows not shown)" if len(rows) > len(shown) else ""
        head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in table["columns"])
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in shown)
        parts.append(
            f'<div style="max-height:360px; overflow:auto" tabindex="0" role="region" '
            f'aria-label="{html.escape(caption, quote=True)}">'
            f"<table><caption>{html.escape(caption)}, {len(rows)} rows{html.escape(more)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
        )
    parts.append("</details>")
    return "".join(parts)


def with_data_table(bundle: dict, spec: dict) -> dict:
    """The display data of a chart widget plus, under it, its "Show the data" table.

    ``bundle`` is the chart widget's mimebundle; the result shows one box holding that very
    widget and an HTML widget with :func:`table_html`.  Anything unexpected returns ``bundle``.
    """
    if isinstance(bundle, tuple) and len(bundle) == 2 and isinstance(bundle[0], dict):  # (data, metadata)
        return with_data_table(bundle[0], spec), bundle[1]
    try:
        import ipywidgets as W
        from ipywidgets.widgets.widget import _instances

        view = bundle.get("application/vnd.jupyter.widget-view+json") if isinstance(bundle, dict) else None
        chart = _instances.get(view["model_id"]) if view else None
        if chart is None:
            return bundle
        from ..access import CHART_CLASS, Access

        box = W.VBox([chart, W.HTML(table_html(spec)), Access()])
        box.add_class(CHART_CLASS)
        out = box._repr_mimebundle_()
        for key, value in bundle.items():  # keep whatever else the chart offered (e.g. a static picture)
            if key != "application/vnd.jupyter.widget-view+json":
                out.setdefault(key, value)
        return out
    except Exception:  # noqa: BLE001 - a missing table must never cost the chart
        return bundle


def scrollable_dataframes(shell=None) -> bool:
    """Show every DataFrame in a box a keyboard can reach (Tab) and scroll (arrows).

    A wide table otherwise makes JupyterLab's output area scroll sideways, and that area cannot
    take focus (WCAG 2.1.1; axe's ``scrollable-region-focusable``).  The table inside is the one
    :mod:`workbook.table_display` writes, in a labelled ``role="region"``.  False outside IPython.
    """
    from ..table_display import install

    return install(shell, scrollable_html)


def scrollable_html(df) -> str | None:
    """A DataFrame as :mod:`workbook.table_display` writes it, in a box the keyboard can scroll."""
    from ..table_display import dataframe_html  # years as 1994, counts as 145,000 (issue 12)

    inner = dataframe_html(df)
    if inner is None:  # pandas' HTML display switched off
        return None
    rows, columns = df.shape
    # Regions are told apart by their columns, not only their size ("Table: 4 rows, 3 columns").
    names = ", ".join(map(str, list(df.columns)[:4])) + (", ..." if columns > 4 else "")
    label = html.escape(f"Table: {rows} rows, {columns} columns ({names})", quote=True)
    # pandas' blank corner above the row labels is an empty header cell: make it a plain cell.
    inner = inner.replace('<th class="blank level0" >&nbsp;</th>', '<td class="blank level0"></td>')
    return (
        f'<div class="workbook-table" tabindex="0" role="region" aria-label="{label}" '
        f'style="overflow:auto; max-width:100%">{inner}</div>'
    )
