"""A reading's claim beside the public record: defence spending, personnel, fuel, compensation.

Each builder takes one of the derived tables (``workbook.load("personnel")``, ...) or a part of it
(only the claims, only the records), so an explorer can show either side alone.
"""

from __future__ import annotations

import json
import math
import textwrap

import altair as alt
import pandas as pd

from ..data import load
from ..provenance import record_citation
from .helpers import finish, format_number, inline_data, require, source_line
from .labels import free_spot, segment_boxes
from .theme import HIGHLIGHT, MUTED, READING_COLOURS, SOURCE_COLOURS, TEXT_MUTED, colour_scale, outlined


def _bars_with_values(df, y, x, tooltip, colour) -> list:
    """Two layers: horizontal bars, and each bar's value written at its end (e.g. "145,000")."""
    bars = alt.Chart(inline_data(df)).mark_bar().encode(y=y, x=x, tooltip=tooltip, color=colour)
    values = (
        alt.Chart(inline_data(df))
        .mark_text(align="left", dx=4)
        .encode(y=y, x=x, text=alt.Text("value:Q", format=","), tooltip=tooltip)
    )
    return [bars, values]


#: Name of the Vega-Lite param holding the spending ceiling (percent); an explorer moves it in the browser.
CEILING_PARAM = "ceiling"


def _ceiling_text(official, when_official: str, otherwise: str) -> str:
    """A Vega expression: ``when_official`` at the official ceiling, else ``otherwise`` (an expression)."""
    if official is None:
        return otherwise
    return f"{CEILING_PARAM} == {float(official)} ? {json.dumps(when_official)} : {otherwise}"


def spending_chart(data=None, ceiling=1.0):
    """Japan's defence budget as a share of GNP by year, with essay2005's "approximately 1%".

    Years above ``ceiling`` (in percent) are drawn as purple triangles; the claim is a thick line
    across the years it covers, labelled with its hedge word.
    """
    data = load("defence_spending") if data is None else data
    require(
        data,
        ["source", "year", "value", "hedge", "period_start", "period_end", "ref", "citation"],
        "spending_chart()",
    )
    ceiling = float(ceiling)
    records = data[data["source"] == "public record"].copy()
    claims = data[(data["source"] != "public record") & data["value"].notna()].copy()

    above, below = f"above {format_number(ceiling)}%", f"at or below {format_number(ceiling)}%"
    records["compared"] = [above if v > ceiling else below for v in records["value"]]
    if "basis" not in records.columns:
        records["basis"] = "not given"
    records = records[["source", "year", "value", "basis", "compared", "citation"]]

    claims["label"] = [
        f'{s.split(" ")[0]}: "{"" if h == "none" else h + " "}{format_number(v)}%" ({a}-{b})'
        for s, h, v, a, b in zip(
            claims["source"], claims["hedge"], claims["value"], claims["period_start"], claims["period_end"]
        )
    ]
    claims = claims[["source", "value", "hedge", "period_start", "period_end", "label", "citation"]].copy()

    label, citation = f"ceiling you chose: {format_number(ceiling)}%", "your choice (not a source)"
    records_table = load("records")
    official = records_table[
        (records_table["subject"] == "defence_spending") & (records_table["group"] == "ceiling")
    ].sort_values("year")
    official_value = official_label = official_citation = None
    if len(official):  # the real 1976 guideline
        first = next(official.itertuples(index=False))
        official_value = float(first.value)
        official_label = f"{first.year} guideline: {format_number(official_value)}% of {first.basis}"
        official_citation = record_citation(first)
        if ceiling == official_value:
            label, citation = official_label, official_citation
    line_frame = pd.DataFrame({"ceiling": [ceiling], "label": [label], "citation": [citation]})
    # The ceiling is a param: the rule, its label and the "above" marks follow it in the browser.
    # (The rows above hold the starting values, which the data table shows.)
    ceiling_exprs = {
        "ceiling": CEILING_PARAM,
        "label": _ceiling_text(
            official_value,
            official_label or "",
            f"'ceiling you chose: ' + format({CEILING_PARAM}, '.3~g') + '%'",
        ),
        "citation": _ceiling_text(
            official_value, official_citation or "", json.dumps("your choice (not a source)")
        ),
    }
    compared = f"datum.value > {CEILING_PARAM} ? 'above' : 'at or below'"
    legend_label = f"datum.label + ' ' + format({CEILING_PARAM}, '.3~g') + '%'"

    # Fixed scales, so the labels can be placed where they cover no point, line or other label.
    width, height = 700, 320
    known = [int(y) for y in records["year"]] + [int(y) for y in claims["period_start"].dropna()]
    known += [int(y) for y in claims["period_end"].dropna()]
    first_year, last_year = (min(known), max(known)) if known else (1950, 2000)
    years = (first_year - 1, last_year + 1)
    values = [float(v) for v in records["value"]] + [float(v) for v in claims["value"]] + [ceiling]
    top = math.ceil(max(values) * 1.12 / 0.2) * 0.2
    to_x = lambda year: (year - years[0]) / (years[1] - years[0]) * width  # noqa: E731
    to_y = lambda value: height - value / top * height  # noqa: E731

    points = [(to_x(y), to_y(v)) for y, v in zip(records["year"], records["value"])]
    obstacles = [(x - 6, y - 6, x + 6, y + 6) for x, y in points]
    obstacles += segment_boxes(sorted(points))
    obstacles += [
        (to_x(a), to_y(v) - 4, to_x(b), to_y(v) + 4)
        for a, b, v in zip(claims["period_start"], claims["period_end"], claims["value"])
    ]
    line_y = to_y(ceiling)
    obstacles.append((0, line_y - 3, width, line_y + 3))  # the ceiling's dashed line: no label across it
    claim_spots = []
    for a, _end, v, text in zip(
        claims["period_start"], claims["period_end"], claims["value"], claims["label"]
    ):
        spot = free_spot(
            text,
            12,
            [(to_x(a) - dx, to_y(v) + dy) for dx in range(0, 400, 20) for dy in (-22, -36, -50, 10, 24)],
            obstacles,
            width,
            height,
        )
        claim_spots.append(spot)
        obstacles.append(spot["box"])
    claims["label_x"], claims["label_y"] = [s["x"] for s in claim_spots], [s["y"] for s in claim_spots]

    ceiling_spot = free_spot(
        label,
        11,
        [(x, line_y + dy) for dy in (-16, 4, -26, 14) for x in range(width - 6, 0, -15)],
        obstacles,
        width,
        height,
        align="right",
    )
    line_frame["label_x"], line_frame["label_y"] = ceiling_spot["x"], ceiling_spot["y"]

    year = alt.X(
        "year:Q",
        title="fiscal year",
        axis=alt.Axis(format="d"),
        scale=alt.Scale(domain=list(years), nice=False, zero=False),
    )
    value = alt.Y(
        "value:Q",
        title="defence budget, % of national output",
        scale=alt.Scale(domain=[0, top], nice=False, zero=True),
    )
    tooltip = [
        alt.Tooltip("year:Q", format="d"),
        alt.Tooltip("value:Q", title="% of output"),
        alt.Tooltip("basis:N", title="share of"),
        alt.Tooltip("citation:N"),
    ]
    pixels_x, pixels_y = alt.X("label_x:Q", scale=None, axis=None), alt.Y("label_y:Q", scale=None, axis=None)

    line = (
        alt.Chart(inline_data(records))
        .mark_line(color=READING_COLOURS["public record"], strokeWidth=1.5)
        .encode(x=year, y=value, tooltip=tooltip)
    )
    points = (
        alt.Chart(inline_data(records))
        .transform_calculate(compared=compared)
        .mark_point(filled=True, size=80, opacity=1)
        .encode(
            x=year,
            y=value,
            tooltip=tooltip,
            color=alt.Color(
                "compared:N",
                title="public record",
                scale=alt.Scale(
                    domain=["above", "at or below"], range=[HIGHLIGHT, READING_COLOURS["public record"]]
                ),
                legend=alt.Legend(labelExpr=legend_label),
            ),
            shape=alt.Shape(
                "compared:N",
                title="public record",
                scale=alt.Scale(domain=["above", "at or below"], range=["triangle-up", "circle"]),
                legend=alt.Legend(labelExpr=legend_label),
            ),
        )
    )
    rule = (
        alt.Chart(inline_data(line_frame))
        .transform_calculate(**ceiling_exprs)
        .mark_rule(strokeDash=[6, 4], color=MUTED, strokeWidth=1.5)
        .encode(
            y=alt.Y("ceiling:Q", scale=alt.Scale(domain=[0, top], nice=False)),
            tooltip=["label:N", "citation:N"],
        )
    )
    # The label rides with the ceiling when it moves in the browser, at the free spot found above
    # for the starting value (the same distance from the line).
    rule_text = (
        alt.Chart(inline_data(line_frame))
        .transform_calculate(**ceiling_exprs)
        .mark_text(
            align="right", baseline="top", fontSize=11, dy=ceiling_spot["y"] - line_y, color=TEXT_MUTED
        )
        .encode(
            y=alt.Y("ceiling:Q", scale=alt.Scale(domain=[0, top], nice=False)),
            x=alt.value(ceiling_spot["x"]),
            text="label:N",
            tooltip=["label:N", "citation:N"],
        )
    )
    claim_tooltip = [alt.Tooltip("label:N", title="claim"), alt.Tooltip("citation:N")]
    # The claim is a broad band drawn *under* the record's points, so none is hidden; solid, so
    # that it keeps 3:1 against the background (a translucent band was 1.8:1).
    claim_rule = (
        alt.Chart(inline_data(claims))
        .mark_rule(strokeWidth=6, color=READING_COLOURS["essay2005"])
        .encode(
            x=alt.X("period_start:Q", scale=alt.Scale(domain=list(years), nice=False, zero=False)),
            x2="period_end:Q",
            y=alt.Y("value:Q", scale=alt.Scale(domain=[0, top], nice=False)),
            tooltip=claim_tooltip,
        )
    )
    claim_text = (
        alt.Chart(inline_data(claims))
        .mark_text(align="left", baseline="top", color=READING_COLOURS["essay2005"])
        .encode(x=pixels_x, y=pixels_y, text="label:N", tooltip=claim_tooltip)
    )

    chart = alt.layer(rule, claim_rule, line, points, rule_text, claim_text).properties(
        width=width, height=height
    )
    chart = chart.add_params(alt.param(name=CEILING_PARAM, value=ceiling))
    n_above = int((records["compared"] == above).sum())
    return finish(
        chart,
        title="Japan's defence budget as a share of national output",
        description=(
            f"Line chart of {len(records)} years of Japan's initial defence budget as a percent "
            f"of GNP. {n_above} of them are above the {format_number(ceiling)}% ceiling and are drawn "
            "as purple triangles."
            + (
                " A thick red line shows the essay's claim across the years it refers to."
                if len(claims)
                else ""
            )
        ),
        source=source_line(data),
    )


_STAGE_ORDER = ["before the 1995 outline", "after the 1995 outline", "for scale"]


def personnel_chart(data=None):
    """Troop numbers: sa1997's claims next to the recorded figures, before and after 1995."""
    data = load("personnel") if data is None else data
    require(data, ["source", "stage", "service", "group", "value", "hedge", "citation"], "personnel_chart()")
    df = data.copy()
    is_claim = df["source"] != "public record"
    df["bar"] = [
        f"{stage} | {source}: {service}" if claim else f"{stage} | {source}: {service}, {group}"
        for stage, source, service, group, claim in zip(
            df["stage"], df["source"], df["service"], df["group"], is_claim
        )
    ]
    rank = {s: i for i, s in enumerate(_STAGE_ORDER)}
    df["order"] = [(rank.get(s, 99), 0 if c else 1, i) for i, (s, c) in enumerate(zip(df["stage"], is_claim))]
    df = df.sort_values("order")
    df = df[["bar", "stage", "source", "service", "group", "value", "hedge", "citation"]]

    y = alt.Y("bar:N", title=None, sort=list(df["bar"]))
    x = alt.X("value:Q", title="personnel", axis=alt.Axis(format=",d"))
    tooltip = [
        "source:N",
        "stage:N",
        "service:N",
        "group:N",
        alt.Tooltip("value:Q", format=","),
        "hedge:N",
        "citation:N",
    ]
    colour = alt.Color("source:N", title="who says so", scale=colour_scale(SOURCE_COLOURS, df["source"]))
    chart = alt.layer(*_bars_with_values(df, y, x, tooltip, colour)).properties(
        width=420, height=alt.Step(30)
    )
    return finish(
        chart,
        title="Self-Defense Force personnel: the reading's figures and the record",
        description=(
            f"Horizontal bar chart of {len(df)} personnel figures, grouped by whether they are "
            "from before or after the 1995 defence outline; colour shows whether each figure is "
            "a reading's claim or a public record."
        ),
        source=source_line(data),
    )


def fuel_chart(data=None):
    """Fuel Japan's ships supplied in the Indian Ocean (kl), with essay2005's share claim as a note.

    The claim is a share of all the fuel coalition warships used; the records give Japan's own
    deliveries, so the two cannot share an axis: the claim is written under the bars instead.
    """
    data = load("fuel_share") if data is None else data
    require(
        data, ["source", "measure", "group", "year", "value", "unit", "hedge", "citation"], "fuel_chart()"
    )
    records = data[(data["source"] == "public record") & (data["unit"] == "kl")].copy()
    records["bar"] = [f"{g} (to {y})" for g, y in zip(records["group"], records["year"])]
    records = records[["bar", "source", "measure", "group", "year", "value", "unit", "citation"]]
    claims = data[data["source"] != "public record"].copy()
    claims["label"] = [
        "\n".join(
            textwrap.wrap(
                f'Not drawn to scale - {s}: "{"" if h == "none" else h + " "}{format_number(v)}%" of the '
                f"fuel coalition warships used. The text gives no source for this share, and it is a "
                f"share of a coalition total, not litres Japan supplied.",
                66,
            )
        )
        for s, h, v in zip(claims["source"], claims["hedge"], claims["value"])
    ]
    claims = claims[["source", "measure", "value", "hedge", "label", "citation"]]

    height = 40 * max(len(records), 1)
    tooltip = [
        "measure:N",
        "group:N",
        alt.Tooltip("year:Q", format="d"),
        alt.Tooltip("value:Q", format=","),
        "unit:N",
        "citation:N",
    ]
    y = alt.Y("bar:N", title=None, sort=list(records["bar"]))
    x = alt.X("value:Q", title="ship fuel supplied (kilolitres, running total)", axis=alt.Axis(format=",d"))
    bars = _bars_with_values(records, y, x, tooltip, alt.Color("group:N", title="supplied to", legend=None))
    note = (
        alt.Chart(inline_data(claims))
        .mark_text(align="left", baseline="top", lineBreak="\n", color=READING_COLOURS["essay2005"])
        .encode(
            x=alt.value(0),
            y=alt.value(height + 45),
            text="label:N",
            tooltip=["measure:N", "hedge:N", "citation:N"],
        )
    )
    chart = alt.layer(*bars, note).properties(width=520, height=height)
    return finish(
        chart,
        title="Fuel from Japan's Indian Ocean mission, and the essay's share claim",
        description=(
            f"Bar chart of {len(records)} recorded running totals of ship fuel Japan supplied, "
            "to all recipients and to U.S. vessels. The essay's claim is written below the "
            "bars because it is a share of all coalition fuel, which the records do not give."
        ),
        source=source_line(data),
    )


def compensation_chart(data=None):
    """People compensated: the recorded groups stacked in one bar, essay2005's claim in another."""
    data = load("compensation") if data is None else data
    require(data, ["source", "group", "year", "value", "hedge", "citation"], "compensation_chart()")
    df = data.copy()
    is_claim = df["source"] != "public record"
    df["bar"] = [
        f"{s}: {h}" if c and h != "none" else (s if c else "public record (groups added up)")
        for s, h, c in zip(df["source"], df["hedge"], is_claim)
    ]
    df = df[["bar", "source", "group", "year", "value", "hedge", "citation"]]

    totals = (
        df.groupby("bar", sort=False)
        .agg(
            total=("value", "sum"),
            source=("source", "first"),
            hedge=("hedge", "first"),
            citation=("citation", "; ".join),
        )
        .reset_index()
    )
    totals["label"] = [
        f"{'' if h == 'none' else h + ' '}{format_number(t)}"
        for h, t in zip(totals["hedge"], totals["total"])
    ]

    y = alt.Y("bar:N", title=None, sort=list(totals["bar"]))
    tooltip = [
        "group:N",
        alt.Tooltip("year:Q", format="d"),
        alt.Tooltip("value:Q", format=","),
        "hedge:N",
        "citation:N",
    ]
    bars = (
        alt.Chart(inline_data(df))
        .mark_bar(stroke="black", strokeWidth=1.5)
        .encode(
            y=y,
            x=alt.X("value:Q", title="people", stack="zero"),
            tooltip=tooltip,
            # each group has its own colour and its own outline (solid, dashed, dotted)
            **outlined(
                "group",
                "group",
                alt.Color("group:N", title="group", legend=alt.Legend(orient="bottom", columns=1)),
            ),
        )
    )
    labels = (
        alt.Chart(inline_data(totals))
        .mark_text(align="left", dx=4)
        .encode(y=y, x="total:Q", text="label:N", tooltip=["label:N", "citation:N"])
    )
    chart = alt.layer(bars, labels).properties(width=460, height=alt.Step(40))
    return finish(
        chart,
        title="Survivors paid or supported: the essay's count and the record",
        description=(
            "Stacked bar chart: one bar adds up the recorded groups of recipients, the other "
            "shows the essay's claim with its hedge word."
        ),
        source=source_line(data),
    )


#: Name of the Vega-Lite param choosing which rows a claim-and-record chart shows.
VIEW_PARAM = "view"
#: Its values: only the readings' claims, only the public record, or both.
VIEWS = ("claim", "record", "both")


def with_view(chart, view: str = "both"):
    """``chart`` (from a builder above) with a ``view`` param that hides the claims or the record.

    Every layer whose rows carry a ``source`` keeps a row when ``view`` is "both", or when the row
    is (or is not) a public record as ``view`` asks; layers without ``source`` (the ceiling line)
    always show.  Set the param in the browser and the chart answers without the kernel.
    """
    if view not in VIEWS:
        raise ValueError(f"with_view(view=...) can be {', '.join(map(repr, VIEWS))}; not {view!r}.")
    keep = (
        f"{VIEW_PARAM} == 'both' || !isValid(datum.source) || "
        f"((datum.source == 'public record') == ({VIEW_PARAM} == 'record'))"
    )
    chart = chart.copy(deep=True)
    if isinstance(chart, alt.LayerChart):
        chart.layer = [layer.transform_filter(keep) for layer in chart.layer]
    else:
        chart = chart.transform_filter(keep)
    return chart.add_params(alt.param(name=VIEW_PARAM, value=view))


#: The chart for each derived table (``workbook.load(name)``), as the explorers use them.
FOR_TABLE = {
    "defence_spending": spending_chart,
    "personnel": personnel_chart,
    "fuel_share": fuel_chart,
    "compensation": compensation_chart,
}
