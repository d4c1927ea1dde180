"""The timeline: events the readings mention, over essay2005's four phases of the alliance."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..data import load
from ..provenance import claim_citation
from .helpers import finish, inline_data, reading_names, readings_table, require
from .theme import HIGHLIGHT, READING_COLOURS, SHADE, colour_scale


def _when(row) -> str:
    """A readable date at the precision the data gives: '1996', 'March 1996', '11 September 2001'."""
    date, precision = row["date"], row.get("precision", "day")
    if pd.isna(date):
        return "date unknown"
    text = {"year": f"{date.year}", "month": f"{date:%B} {date.year}"}.get(
        str(precision), f"{date.day} {date:%B %Y}"
    )
    end = row.get("end_date")
    if end is not None and not pd.isna(end):
        text += f" to {end.year}" if str(precision) == "year" else f" to {end:%B} {end.year}"
    return text


def _with_citations(df: pd.DataFrame) -> pd.DataFrame:
    """Add a ``citation`` column ('reading ¶N: "evidence" - Title ...') to events or phases."""
    readings = readings_table()
    df = df.copy()
    df["citation"] = [claim_citation(row, readings.loc[row.reading]) for row in df.itertuples(index=False)]
    return df


def _phase_bands(phases: pd.DataFrame, highlight_phase) -> pd.DataFrame:
    bands = _with_citations(phases)
    bands["start"] = pd.to_datetime(bands["start_year"].astype(int).astype(str) + "-01-01")
    # A phase ends in the year the next one starts: stop its band on 1 January of that year.
    starts = set(bands["start_year"].astype(int))
    bands["end"] = pd.to_datetime(
        [f"{y}-01-01" if y in starts else f"{y}-12-31" for y in bands["end_year"].astype(int)]
    )
    bands["label"] = bands["phase"].astype(str) + ". " + bands["name"].astype(str)
    bands["years"] = bands["start_year"].astype(str) + "-" + bands["end_year"].astype(str)
    if highlight_phase is None:
        bands["shade"] = [0.22 if p % 2 else 0.10 for p in bands["phase"]]
    else:
        bands["shade"] = [0.45 if p == highlight_phase else 0.07 for p in bands["phase"]]
    bands["size"] = [14 if p == highlight_phase else 11 for p in bands["phase"]]
    return bands[["phase", "name", "label", "years", "start", "end", "shade", "size", "summary", "citation"]]


#: Name of the Vega-Lite param holding the highlighted phase (set it to move the highlight).
PHASE_PARAM = "phase"

WIDTH, HEIGHT = 700, 320
#: Room around the two rows, as a share of a row (the phase names sit in the top one).
ROW_PADDING = 0.6
#: Point area (px^2) and the room one point needs along the axis and between lanes (px).
POINT, GAP, LANE = 50, 9, 9


def _lanes(ev: pd.DataFrame, domain, width: float) -> list[int]:
    """A vertical offset (px) per event: events closer than GAP px on one row go to the next free lane.

    Lanes go down from the row (0, +9, +18, ...), away from the phase names at the top, so a
    busy year reads as a small column of points instead of one blob.
    """
    span = (domain[1] - domain[0]).total_seconds()
    offsets = [LANE * k for k in range(8)]
    lane_of = {}
    for _reading, group in ev.groupby("reading", observed=True, sort=False):
        ends: list[float] = []  # the last x used in each lane
        for i, row in group.sort_values(["date", "event_id"]).iterrows():
            x = (row["date"] - domain[0]).total_seconds() / span * width
            lane = next((k for k, end in enumerate(ends) if x - end >= GAP), None)
            if lane is None:
                lane = len(ends) if len(ends) < len(offsets) else min(range(len(ends)), key=lambda k: ends[k])
                ends.append(x) if lane == len(ends) else None
            ends[lane] = max(x, ends[lane]) if lane < len(ends) else x
            lane_of[i] = offsets[lane]
    return [lane_of.get(i, 0) for i in ev.index]


def timeline(events=None, phases=None, highlight_phase=None, color="reading"):
    """Events as points on a time axis (one row per reading) over essay2005's phases as bands.

    ``highlight_phase`` (1-4) shades one phase more strongly.  ``color`` is "reading"
    (default) or "category" (the kind of event).  Events that last are drawn as lines.
    """
    events = load("events") if events is None else events
    phases = load("phases") if phases is None else phases
    require(
        events, ["event_id", "date", "title", "category", "reading", "paragraph", "evidence"], "timeline()"
    )
    require(
        phases, ["phase", "name", "start_year", "end_year", "reading", "paragraph", "evidence"], "timeline()"
    )
    if color not in ("reading", "category"):
        raise ValueError(f"timeline(color=...) can be 'reading' or 'category', not {color!r}.")

    ev = _with_citations(events)
    ev["when"] = [_when(row) for _, row in ev.iterrows()]
    if "end_date" not in ev.columns:
        ev["end_date"] = pd.NaT
    ev = ev[["event_id", "date", "end_date", "when", "title", "category", "reading", "citation"]].copy()
    bands = _phase_bands(phases, highlight_phase)

    # The axis runs a year past the last date, so a line that lasts to the end is seen to stop.
    first = min(ev["date"].min(), bands["start"].min())
    last = max(d for d in [ev["date"].max(), ev["end_date"].max(), bands["end"].max()] if not pd.isna(d))
    domain = (pd.Timestamp(year=first.year, month=1, day=1), pd.Timestamp(year=last.year + 2, month=1, day=1))
    # With an offset, a row is a band and the offset counts from its top: start near its middle.
    ev["lane"] = [
        lane + HEIGHT / (2 + 2 * ROW_PADDING) / 2 - LANE * 1.5 for lane in _lanes(ev, domain, WIDTH)
    ]
    x = alt.X(
        "date:T",
        title="year",
        axis=alt.Axis(format="%Y"),
        scale=alt.Scale(domain=[d.strftime("%Y-%m-%d") for d in domain], nice=False),
    )
    y = alt.Y(
        "reading:N",
        title="mentioned in",
        sort=list(READING_COLOURS)[:2],
        scale=alt.Scale(paddingOuter=ROW_PADDING, paddingInner=0),
    )
    if color == "reading":
        colour = alt.Color("reading:N", title="reading", scale=colour_scale(READING_COLOURS, ev["reading"]))
    else:
        colour = alt.Color("category:N", title="kind of event")
    tooltip = [
        alt.Tooltip("title:N", title="event"),
        alt.Tooltip("when:N", title="when"),
        alt.Tooltip("category:N", title="kind"),
        alt.Tooltip("citation:N", title="citation"),
    ]

    band_tooltip = [
        alt.Tooltip("label:N", title="phase"),
        alt.Tooltip("years:N", title="years"),
        alt.Tooltip("summary:N", title="summary"),
        alt.Tooltip("citation:N", title="citation"),
    ]
    # The shading is decoration (aria=False): the phases are told by their names and edges, and
    # the chosen one by its larger name; the points must keep their contrast on top of it.
    band_layer = (
        alt.Chart(inline_data(bands))
        .mark_rect(color=SHADE, aria=False)
        .encode(
            x=alt.X("start:T"),
            x2="end:T",
            opacity=alt.Opacity("shade:Q", scale=None, legend=None),
            tooltip=band_tooltip,
        )
    )
    # The highlighted phase is a Vega-Lite param, so an explorer can move it in the browser.
    chosen = f"datum.phase == {PHASE_PARAM}"
    if highlight_phase is not None:
        band_layer = band_layer.encode(
            color=alt.condition(chosen, alt.value(HIGHLIGHT), alt.value(SHADE)),
            opacity=alt.condition(chosen, alt.value(0.18), alt.value(0.07)),
        )

    # Phase names sit in a strip at the top, staggered so that short phases do not overlap.
    middle = bands["start"].min() + (bands["end"].max() - bands["start"].min()) / 2
    bands["row"] = [8 + 15 * i for i in range(len(bands))]
    left, right = bands[bands["start"] < middle], bands[bands["start"] >= middle]
    size = (
        alt.Size("size:Q", scale=None, legend=None)
        if highlight_phase is None
        else alt.condition(chosen, alt.value(14), alt.value(11))
    )

    def phase_names(frame, align, x, dx):
        return (
            alt.Chart(inline_data(frame))
            .mark_text(align=align, baseline="top", dx=dx)
            .encode(x=x, y=alt.Y("row:Q", scale=None), text="label:N", tooltip=band_tooltip, size=size)
        )

    label_left = phase_names(left, "left", "start:T", 3)
    label_right = phase_names(right, "right", "end:T", -3)

    lasting = ev[ev["end_date"].notna()]
    lane = alt.YOffset(
        "lane:Q", scale=None
    )  # events close in time step up and down, not on top of each other
    spans = (
        alt.Chart(inline_data(lasting))
        .mark_rule(strokeWidth=3)
        .encode(x=x, x2="end_date:T", y=y, yOffset=lane, color=colour, tooltip=tooltip)
    )
    points = (
        alt.Chart(inline_data(ev))
        .mark_point(filled=True, size=POINT, opacity=1)
        .encode(
            x=x,
            y=y,
            yOffset=lane,
            color=colour,
            tooltip=tooltip,
            shape=alt.Shape(
                "reading:N",
                title="reading",
                scale=alt.Scale(domain=["sa1997", "essay2005"], range=["square", "circle"]),
            ),
        )
    )

    chart = alt.layer(band_layer, label_left, label_right, spans, points).properties(
        width=WIDTH, height=HEIGHT
    )
    if highlight_phase is not None:
        chart = chart.add_params(alt.param(name=PHASE_PARAM, value=int(highlight_phase)))
    phase_note = "" if highlight_phase is None else f" Phase {highlight_phase} is highlighted."
    return finish(
        chart,
        title="Events the readings mention, over essay2005's four phases",
        description=(
            f"Timeline of {len(ev)} dated events, one row per reading, with the "
            f"{len(bands)} phases of the alliance that essay2005 describes shown as shaded "
            f"bands.{phase_note} Hover over a point for the event and where the reading "
            "mentions it."
        ),
        source=(
            f"events and phases tables, from {reading_names(['sa1997', 'essay2005'])}; "
            "dates the texts leave out are from public sources (see each event's note)"
        ),
    )
