"""The places the readings discuss, as points on a map with real coastlines (offline).

The coastlines are Natural Earth's land outlines (public domain), trimmed to East Asia and shipped
in ``geodata/`` (see its README), so the map needs no internet.

Where each name goes is worked out here, in Python, once for every place that can be chosen
(``labels.layout_names``); the chart carries all those layouts, and a Vega-Lite param, ``place``,
picks one in the browser.  So ``widgets.PlacePicker`` moves the ring, the larger name and the
names it pushes aside without asking the kernel for a new chart.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources

import altair as alt
import pandas as pd

from ..data import load
from .helpers import finish, plain, reading_names, require
from .labels import RING_SIZE, RING_WIDTH, layout_names, segment_boxes
from .theme import READING_COLOURS

#: Longitude/latitude boxes (west, east, south, north) for ``places_map(region=...)``.
REGIONS = {"east asia": (105.0, 155.0, 8.0, 48.0), "world": (-170.0, 170.0, -10.0, 65.0)}
#: ``places_map(region=BOTH)``: East Asia, and under it the world with the places beyond East Asia.
BOTH = "both"

#: Name of the Vega-Lite param holding the chosen place's id (set it to move the highlight).
PLACE_PARAM = "place"
#: The param's value when no place is chosen.
NO_PLACE = ""
#: Name of the coastlines' dataset in a map's spec.
LAND = "east-asia-land"


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


def places_map(places=None, highlight=None, region="auto", width=640, choosable=False):
    """The places the readings discuss, as points on a map with a 10-degree latitude/longitude grid.

    ``highlight`` (a place id or name) circles one place and writes its name larger, in bold.
    ``region`` is "east asia", "world", "both" (East Asia, and under it the world with the places
    beyond East Asia) or "auto" (East Asia, unless the highlighted place lies outside it; "both"
    when ``choosable``).  East Asia is drawn with its coastlines (Natural Earth, shipped in the
    package); the world view has only the grid.  Names that would overlap are left off the map;
    hover over a point to see it.

    ``choosable=True`` lays out the names for every place that could be chosen, so that setting
    the chart's param ``place`` (:data:`PLACE_PARAM`, a place id) moves the highlight in the
    browser, with no new chart (``widgets.PlacePicker``).
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
        region = BOTH if choosable else "east asia" if inside else "world"
    if region not in REGIONS and region != BOTH:
        raise ValueError(
            f"places_map(region=...) can be 'auto', {', '.join(map(repr, [*REGIONS, BOTH]))}; not {region!r}."
        )
    df = _table(places)
    chosen_id = NO_PLACE if chosen is None else str(df.loc[chosen, "place_id"])
    in_east_asia = [_inside(row, REGIONS["east asia"]) for _, row in df.iterrows()]
    if region == BOTH:
        beyond = df[[not inside for inside in in_east_asia]]
        frame = _outline(REGIONS["east asia"])
        # (title, box, places, outline drawn dashed, grid step in degrees): the world's points
        # lie far apart, and a 10-degree grid at its scale is clutter (and doubles the picture)
        panels = [
            ("East Asia", REGIONS["east asia"], df[in_east_asia], None, 10),
            ("Beyond East Asia (the dashed box is the map above)", REGIONS["world"], beyond, frame, 30),
        ]
    else:
        box = REGIONS[region]
        panels = [(None, box, df[[_inside(row, box) for _, row in df.iterrows()]], None, 10)]

    views, unlabelled, coast, datasets = [], {}, False, {}
    for title, box, rows, frame, grid in panels:
        ids = list(rows["place_id"]) if choosable else [i for i in [chosen_id] if i in set(rows["place_id"])]
        view, left_off = _panel(rows, box, width, grid, ids, frame, datasets, "places")
        views.append(view if title is None else view.properties(title=alt.TitleParams(title, fontSize=14)))
        coast = coast or _covered(box)
        for state, names in left_off.items():
            for name in names:
                unlabelled.setdefault(name, set()).add(state)
    chart = views[0] if len(views) == 1 else alt.vconcat(*views, spacing=24)
    chart = chart.add_params(alt.param(name=PLACE_PARAM, value=chosen_id))

    shown = sum(len(panel[2]) for panel in panels)
    left_out = [n for n in df["name"] if n not in {n for panel in panels for n in panel[2]["name"]}]
    outside = f" Outside this view: {', '.join(left_out)}." if left_out else ""
    if choosable:
        picked = " The place chosen in the list is circled, with its name in bold."
        hidden = (
            f" Names left off to avoid overlap, for some choices (hover to see): {', '.join(unlabelled)}."
            if unlabelled
            else ""
        )
    else:
        picked = "" if chosen is None else f" {df.loc[chosen, 'name']} is highlighted."
        hidden = (
            f" Names left off to avoid overlap (hover to see): {', '.join(unlabelled)}." if unlabelled else ""
        )
    if region == BOTH:
        where = (
            f"Two maps: East Asia with coastlines on a 10-degree latitude and longitude grid "
            f"({len(panels[0][2])} places), and under it the world with no coastlines on a 30-degree "
            f"grid, showing the {len(panels[1][2])} places beyond East Asia and a dashed box where "
            "the first map lies."
        )
    else:
        where = (
            f"Map of {shown} places on a 10-degree latitude and longitude grid, "
            f"{'with coastlines' if coast else 'with no coastlines'}."
        )
    chart = finish(
        chart,
        title="Places the readings discuss" + (" (East Asia)" if region == "east asia" else ""),
        description=(
            f"{where} Disputed places are red diamonds, others blue circles.{picked}{hidden}{outside}"
        ),
        source=(
            f"places table (approximate centres; names and disputes in our words), mentions in "
            f"{reading_names(['sa1997', 'essay2005'])}"
            + ("; coastlines: Natural Earth (public domain)" if coast else "")
            + f".{outside}"
        ),
    )
    # The rows go in once, by name, at the end: Altair copies a chart at every step above, and
    # copying every layout of every name (and the coastlines) each time cost more than the rest.
    chart.datasets = datasets
    return chart


def _table(places: pd.DataFrame) -> pd.DataFrame:
    """The places as the map draws them: a citation to hover over, and "yes"/"no" for disputed."""
    df = places.copy()
    df["other_names"] = df["other_names"].fillna("(none)")
    df["citation"] = "mentioned in " + df["mentions"].astype(str)
    df["disputed"] = ["no" if str(d) == "none" else "yes" for d in df["dispute"]]
    return df[
        [
            "place_id",
            "name",
            "other_names",
            "kind",
            "latitude",
            "longitude",
            "dispute",
            "disputed",
            "citation",
        ]
    ]


def _outline(box, step: float = 1.0) -> dict:
    """The edge of ``box`` as a GeoJSON line, a point every ``step`` degrees (so it is drawn straight)."""
    west, east, south, north = box
    along = lambda a, b: [a + (b - a) * i / round(abs(b - a) / step) for i in range(round(abs(b - a) / step))]  # noqa: E731
    ring = (
        [[x, north] for x in along(west, east)]
        + [[east, y] for y in along(north, south)]
        + [[x, south] for x in along(east, west)]
        + [[west, y] for y in along(south, north)]
        + [[west, north]]
    )
    return {"type": "Feature", "properties": {}, "geometry": {"type": "LineString", "coordinates": ring}}


def _panel(
    rows: pd.DataFrame,
    box,
    width: int,
    grid: int,
    ids: list[str],
    frame: dict | None,
    datasets: dict,
    name: str,
):
    """One map: a ``grid``-degree grid (and coastlines), the points, and their names laid out for each choice.

    ``ids`` are the places that can be chosen here.  Each row of the chart's data carries, for
    every choice, where its name goes (``x:<id>``, ``y:<id>``, ``a:<id>`` for longitude,
    latitude and alignment; ``x:`` and so on when nothing here is chosen; missing when the
    name is left off).  The param picks the columns in the browser.  ``frame`` is a GeoJSON
    line drawn dashed (where another map lies); names keep clear of it.  The rows are put in
    ``datasets`` as ``name`` (the chart's top-level datasets).
    Returns the view and, per choice, the names left off.
    """
    west, east, south, north = box
    height = round(width * (north - south) / (east - west))
    per_degree = width / (east - west)
    obstacles = []
    if frame is not None:
        line = [
            ((x - west) * per_degree, (north - y) * per_degree) for x, y in frame["geometry"]["coordinates"]
        ]
        obstacles = segment_boxes(line, pad=3.0)
    points = list(zip(rows["place_id"], rows["name"], rows["longitude"], rows["latitude"]))
    records = plain(rows).to_dict(orient="records")
    left_off = {}
    for state in [NO_PLACE, *ids]:
        placed = layout_names(points, state or None, box, width, obstacles)
        for record in records:
            spot = placed.get(record["place_id"])
            if spot is not None:
                record[f"x:{state}"], record[f"y:{state}"] = round(spot[0], 3), round(spot[1], 3)
                record[f"a:{state}"] = spot[2]
        missing = [name for key, name, _, _ in points if key not in placed]
        if missing:
            left_off[state] = missing
    # named by content, so two maps drawn together never mix their rows
    name = f"{name}-{hashlib.sha1(json.dumps(records, sort_keys=True).encode()).hexdigest()[:12]}"
    datasets[name] = records
    data = alt.NamedData(name=name)  # one dataset, shared by the points and every name

    projection = {
        "type": "equirectangular",
        "scale": width / ((east - west) * 3.14159265 / 180),
        "center": [(west + east) / 2, (south + north) / 2],
        "translate": [width / 2, height / 2],  # said outright: in a vconcat the default is not this view's
        "clipExtent": [[0, 0], [width, height]],
    }
    lines = (
        alt.Chart(alt.graticule(step=[grid, grid]))
        .mark_geoshape(filled=False, stroke="#cccccc", strokeWidth=0.7, aria=False)
        .project(**projection)
    )  # decoration
    layers = [lines]
    if _covered(box):
        land = (
            alt.Chart(alt.NamedData(name=LAND))
            .mark_geoshape(fill="#ececec", stroke="#8c8c8c", strokeWidth=0.6, aria=False)
            .project(**projection)
        )  # decoration
        layers = [land, lines]
        datasets[LAND] = list(land_features())
    if frame is not None:
        layers.append(
            alt.Chart(alt.Data(values=[frame]))
            .mark_geoshape(filled=False, stroke="#707070", strokeWidth=1, strokeDash=[4, 3], aria=False)
            .project(**projection)
        )  # decoration: the title says what it is
    tooltip = [
        alt.Tooltip("name:N", title="place"),
        alt.Tooltip("other_names:N", title="other names"),
        alt.Tooltip("kind:N"),
        alt.Tooltip("dispute:N", title="disputed by"),
        alt.Tooltip("citation:N"),
    ]
    chosen = f"datum.place_id == {PLACE_PARAM}"
    yes_no = alt.Scale(domain=["yes", "no"], range=[READING_COLOURS["essay2005"], READING_COLOURS["sa1997"]])
    layers.append(
        alt.Chart(data)
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
            size=alt.value(60),
        )
        .project(**projection)
    )
    # The chosen place is circled, not enlarged: a larger point would hide its neighbours.  The
    # ring is for the eye (aria false: no empty, unnamed group on a map where none is chosen); the
    # point under it, the picker's status line and the description say which place it is.
    layers.append(
        alt.Chart(data)
        .transform_filter(chosen)
        .mark_point(
            filled=False,
            shape="circle",
            size=RING_SIZE,
            strokeWidth=RING_WIDTH,
            color="#000000",
            opacity=1,
            aria=False,
        )
        .encode(longitude="longitude:Q", latitude="latitude:Q", tooltip=tooltip)
        .project(**projection)
    )
    # The layout to use: the chosen place's, if it is on this map, else the one with none chosen.
    state = f"(indexof({json.dumps(ids)}, {PLACE_PARAM}) >= 0 ? {PLACE_PARAM} : '')"
    dim = alt.expr(f"{PLACE_PARAM} == '{NO_PLACE}' ? 0.85 : 0.55")
    for align in ("left", "right"):
        for picked in (False, True):
            style = {"fontSize": 15, "fontWeight": "bold"} if picked else {"fontSize": 10, "opacity": dim}
            layers.append(
                alt.Chart(data)
                .transform_calculate(
                    label_longitude=f"datum['x:' + {state}]",
                    label_latitude=f"datum['y:' + {state}]",
                    label_align=f"datum['a:' + {state}]",
                )
                .transform_filter(
                    f"datum.label_align == '{align}' && ({chosen}) == {'true' if picked else 'false'}"
                )
                .mark_text(align=align, baseline="middle", **style)
                .encode(
                    longitude="label_longitude:Q", latitude="label_latitude:Q", text="name:N", tooltip=tooltip
                )
                .project(**projection)
            )
    return alt.layer(*layers).properties(width=width, height=height), left_off
