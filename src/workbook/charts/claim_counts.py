"""How many claims each reading makes, counted by one column of the claims table (topic, hedge word)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from ..data import load
from ..provenance import reading_label
from .helpers import finish, inline_data, reading_names, readings_table, require
from .theme import READING_COLOURS, colour_scale

#: What each count is called on the chart: (axis title, title, what one bar is, bar height).
COUNTED_BY = {
    "topic": ("topic", "What the readings put numbers on: claims per topic", "topics", 22),
    "hedge": ("hedge word", "How the readings hedge their numbers", "hedge words", 24),
}


def count_claims(claims: pd.DataFrame, by: str) -> pd.DataFrame:
    """Claims counted by ``by`` and reading, each count cited by its paragraphs."""
    readings = readings_table()
    rows = []
    for (key, reading), group in claims.groupby([by, "reading"], observed=True, sort=False):
        paragraphs = sorted(set(int(p) for p in group["paragraph"].dropna()))
        cited = (
            f"{reading} ¶" + ", ¶".join(map(str, paragraphs)) + f" - {reading_label(readings.loc[reading])}"
        )
        rows.append(
            {
                by: str(key),
                "reading": str(reading),
                "claims": len(group),
                "ids": ", ".join(group["claim_id"].astype(str)),
                "citation": cited,
            }
        )
    return pd.DataFrame(rows, columns=[by, "reading", "claims", "ids", "citation"])


def claim_counts(claims=None, by="topic", include_none=False):
    """Claims per ``by`` ("topic" or "hedge"): a bar per reading, coloured and labelled with that reading.

    Rows whose ``by`` value is "none" (claims with no hedge) are left out unless
    ``include_none=True``: they would dwarf the rest.
    """
    if by not in COUNTED_BY:
        raise ValueError(f"claim_counts(by=...) can be {', '.join(map(repr, COUNTED_BY))}; not {by!r}.")
    axis_title, title, plural, step = COUNTED_BY[by]
    claims = load("claims") if claims is None else claims
    require(claims, ["claim_id", "reading", "paragraph", by], f"claim_counts(by={by!r})")
    is_none = claims[by].astype(str) == "none"
    left_out = (
        ""
        if include_none or not is_none.any()
        else f" {int(is_none.sum())} claims with no {by} are not shown."
    )
    if not include_none:
        claims = claims[~is_none]
    counts = count_claims(claims, by)
    order = counts.groupby(by)["claims"].sum().sort_values(ascending=False).index.tolist()
    counts["label"] = [f"{r}: {n}" for r, n in zip(counts["reading"], counts["claims"])]
    readings = [r for r in READING_COLOURS if r in set(counts["reading"])]
    # One bar per reading side by side (not stacked), each with its reading written at its end:
    # the colour is never the only way to tell the readings apart (WCAG 1.4.1).
    y = alt.Y(f"{by}:N", sort=order, title=axis_title)
    offset = alt.YOffset("reading:N", sort=readings, title="reading")
    tooltip = [
        f"{by}:N",
        "reading:N",
        "claims:Q",
        alt.Tooltip("ids:N", title="claim ids"),
        "citation:N",
    ]
    bars = (
        alt.Chart(inline_data(counts))
        .mark_bar()
        .encode(
            y=y,
            yOffset=offset,
            tooltip=tooltip,
            # room past the longest bar for its label ("essay2005: 15")
            x=alt.X(
                "claims:Q",
                title="number of claims",
                scale=alt.Scale(domainMax=int(counts["claims"].max() * 1.3) + 1),
            ),
            color=alt.Color(
                "reading:N", title="reading", scale=colour_scale(READING_COLOURS, counts["reading"])
            ),
        )
    )
    labels = (
        alt.Chart(inline_data(counts))
        .mark_text(align="left", baseline="middle", dx=4, fontSize=11)
        .encode(y=y, yOffset=offset, tooltip=tooltip, x="claims:Q", text="label:N")
    )
    chart = alt.layer(bars, labels).properties(
        width=460, height=alt.Step(step * max(len(readings), 1) * 0.75)
    )
    return finish(
        chart,
        title=title,
        description=(
            f"Bar chart counting {len(claims)} claims across {len(order)} {plural}: one bar per reading, "
            f"coloured by the reading that makes the claims and labelled with its name and count.{left_out}"
        ),
        source=f"claims table, from {reading_names(sorted(counts['reading'].unique(), reverse=True))}",
    )


def claims_by_topic(claims=None):
    """How many figures each reading gives per topic (a bar per topic, coloured by reading)."""
    return claim_counts(claims, by="topic")


def hedges_chart(claims=None, include_none=False):
    """How often each reading qualifies a figure, per hedge word ("approximately", "over", ...)."""
    return claim_counts(claims, by="hedge", include_none=include_none)
