"""The places the readings discuss, as points on a map with real coastlines (offline).

The coastlines are Natural Earth's land outlines (public domain), trimmed to East Asia and shipped
in ``geodata/`` (see its README), so the map needs no internet.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

import altair as alt
import pandas as pd

from ..data import load
from .helpers import finish, inline_data, reading_names, require
from .labels import place_labels
from .theme import READING_COLOURS

#: Longitude/latitude boxes (west, east, south, north) for ``places_map(region=...)``.
REGIONS = {"east asia": (105.0, 155.0, 8.0, 48.0), "world": (-170.0, 170.0, -10.0, 65.0)}


#: The box the shipped coastlines cover (west, east, south, north); see geodata/README.md.
LAND_BOX = (98.0, 162.0, 2.0, 54.0)


@lru_cache(maxsize=1)
def land_features() -> tuple:
    """East Asia's land outlines (GeoJSON features), read from the package, never the internet."""
    text = (
        resources.files(__package__)
        .joinpath("geodata")
        .joinpath("east_asia_land.geojson")
        .read_text(encoding="utf-8")
    )
    return tuple(json.loads(text)["features"])


def _covered(box) -> bool:
    west, east, south, north = box
    return LAND_BOX[0] <= west and east <= LAND_BOX[1] and LAND_BOX[2] <= south and north <= LAND_BOX[3]


def _inside(row, box) -> bool:
    west, east, south, north = box
    return west <= row["longitude"] <= east and south <= row["latitude"] <= north


def _find_place(places: pd.DataFrame, highlight):
    """The index of a place given by id or name (or None)."""
    if highlight is None:
        return None
    for column in ("place_id", "name"):
        hits = places.index[places[column].astype(str) == str(highlight)]
        if len(hits):
            return hits[0]
    raise ValueError(
        f"No place called {highlight!r}. The places are: {', '.join(places['name'].astype(str))}."
    )


def places_map(places=None, highlight=None, region="auto", width=640):
    """The places the readings discuss, as points on a map with a 10-degree latitude/longitude grid.

    ``highlight`` (a place id or name) draws one place larger, with its name in bold.
    ``region`` is "east asia", "world" or "auto" (East Asia, unless the highlighted place lies
    outside it).  East Asia is drawn with its coastlines (Natural Earth, shipped in the package);
    the world view has only the grid.
    Names that would overlap are left off the map; hover over a point to see it.
    """
    places = load("places") if places is None else places
    require(
        places,
        ["place_id", "name", "other_names", "kind", "latitude", "longitude", "dispute", "mentions"],
        "places_map()",
    )
    places = places.reset_index(drop=True)
    chosen = _find_place(places, highlight)
    if region == "auto":
        inside = chosen is None or _inside(places.loc[chosen], REGIONS["east asia"])
        region = "east asia" if inside else "world"
    if region not in REGIONS:
        raise ValueError(
            f"places_map(region=...) can be 'auto', {', '.join(map(repr, REGIONS))}; not {region!r}."
        )
    box = REGIONS[region]
    west, east, south, north = box
    height = round(width * (north - south) / (east - west))

    df = places.copy()
    df["other_names"] = df["other_names"].fillna("(none)")
    df["citation"] = "mentioned in " + df["mentions"].astype(str)
    df["chosen"] = [i == chosen for i in df.index]
    df["disputed"] = ["no" if str(d) == "none" else "yes" for d in df["dispute"]]
    shown = df[[_inside(row, box) for _, row in df.iterrows()]]
    shown = shown[
        [
            "place_id",
            "name",
            "other_names",
            "kind",
            "latitude",
            "longitude",
            "dispute",
            "disputed",
            "chosen",
            "citation",
        ]
    ]
    labelled = place_labels(shown, box, width)
    left_out = [n for n in df["name"] if n not in set(shown["name"])]
    unlabelled = [n for n in shown["name"] if n not in set(labelled["name"])]

    projection = {
        "type": "equirectangular",
        "scale": width / ((east - west) * 3.14159265 / 180),
        "center": [(west + east) / 2, (south + north) / 2],
        "clipExtent": [[0, 0], [width, height]],
    }
    grid = (
        alt.Chart(alt.graticule(step=[10, 10]))
        .mark_geoshape(filled=False, stroke="#cccccc", strokeWidth=0.7, aria=False)
        .project(**projection)
    )  # decoration
    coast = _covered(box)
    land = (
        alt.Chart(alt.Data(values=list(land_features())))
        .mark_geoshape(fill="#ececec", stroke="#8c8c8c", strokeWidth=0.6, aria=False)
        .project(**projection)
    )  # decoration
    tooltip = [
        alt.Tooltip("name:N", title="place"),
        alt.Tooltip("other_names:N", title="other names"),
        alt.Tooltip("kind:N"),
        alt.Tooltip("dispute:N", title="disputed by"),
        alt.Tooltip("citation:N"),
    ]
    yes_no = alt.Scale(domain=["yes", "no"], range=[READING_COLOURS["essay2005"], READING_COLOURS["sa1997"]])
    points = (
        alt.Chart(inline_data(shown))
        .mark_point(filled=True, opacity=0.9)
        .encode(
            longitude="longitude:Q",
            latitude="latitude:Q",
            tooltip=tooltip,
            color=alt.Color("disputed:N", title="disputed", scale=yes_no),
            shape=alt.Shape(
                "disputed:N",
                title="disputed",
                scale=alt.Scale(domain=["yes", "no"], range=["diamond", "circle"]),
            ),
            size=alt.condition("datum.chosen", alt.value(300), alt.value(60)),
        )
        .project(**projection)
    )
    layers = ([land] if coast else []) + [grid, points]
    for align in ("left", "right"):
        for picked in (False, True):
            rows = labelled[(labelled["align"] == align) & (labelled["chosen"] == picked)]
            style = (
                {"fontSize": 15, "fontWeight": "bold"}
                if picked
                else {"fontSize": 10, "opacity": 0.85 if chosen is None else 0.55}
            )
            layers.append(
                alt.Chart(inline_data(rows))
                .mark_text(align=align, baseline="middle", **style)
                .encode(
                    longitude="label_longitude:Q", latitude="label_latitude:Q", text="name:N", tooltip=tooltip
                )
                .project(**projection)
            )
    chart = alt.layer(*layers).properties(width=width, height=height)

    picked = "" if chosen is None else f" {df.loc[chosen, 'name']} is highlighted."
    hidden = (
        f" Names left off to avoid overlap (hover to see): {', '.join(unlabelled)}." if unlabelled else ""
    )
    outside = f" Outside this view: {', '.join(left_out)}." if left_out else ""
    return finish(
        chart,
        title="Places the readings discuss" + (" (East Asia)" if region == "east asia" else ""),
        description=(
            f"Map of {len(shown)} places on a 10-degree latitude and longitude grid, "
            f"{'with coastlines' if coast else 'with no coastlines'}. Disputed places are red diamonds, others blue circles.{picked}{hidden}{outside}"
        ),
        source=(
            f"places table (approximate centres; names and disputes in our words), mentions in "
            f"{reading_names(['sa1997', 'essay2005'])}"
            + ("; coastlines: Natural Earth (public domain)" if coast else "")
            + f".{outside}"
        ),
    )
