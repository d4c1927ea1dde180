"""Rebuild ``east_asia_land.geojson`` from npm ``world-atlas`` (Natural Earth land, 1:50m).

Run by hand, never at run time:  ``npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz``,
then ``python trim_world_atlas.py package/land-50m.json``.  The TopoJSON is decoded, every polygon
is clipped to BOX (a margin around the map's East Asia view, so clipped edges fall outside it),
points closer than STEP degrees are thinned, and coordinates are rounded to 0.01 degree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

#: west, east, south, north: wider than charts.places.REGIONS["east asia"] (105-155 E, 8-48 N).
BOX = (98.0, 162.0, 2.0, 54.0)
STEP = 0.1
OUT = Path(__file__).with_name("east_asia_land.geojson")


def decode_arcs(topo: dict) -> list[list[tuple[float, float]]]:
    scale, translate = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale[0] + translate[0], y * scale[1] + translate[1]))
        arcs.append(points)
    return arcs


def ring(indexes, arcs) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        points.extend(arc if not points else arc[1:])
    return points


def clip(points, box):
    """Sutherland-Hodgman: a ring clipped to a rectangle (still a closed ring, maybe empty)."""
    west, east, south, north = box
    edges = [
        (lambda p: p[0] >= west, lambda a, b: _cross_x(a, b, west)),
        (lambda p: p[0] <= east, lambda a, b: _cross_x(a, b, east)),
        (lambda p: p[1] >= south, lambda a, b: _cross_y(a, b, south)),
        (lambda p: p[1] <= north, lambda a, b: _cross_y(a, b, north)),
    ]
    for inside, cross in edges:
        if not points:
            break
        out = []
        for k, current in enumerate(points):
            previous = points[k - 1]
            if inside(current):
                if not inside(previous):
                    out.append(cross(previous, current))
                out.append(current)
            elif inside(previous):
                out.append(cross(previous, current))
        points = out
    return points


def _cross_x(a, b, x):
    t = (x - a[0]) / (b[0] - a[0])
    return (x, a[1] + t * (b[1] - a[1]))


def _cross_y(a, b, y):
    t = (y - a[1]) / (b[1] - a[1])
    return (a[0] + t * (b[0] - a[0]), y)


def thin(points):
    kept = []
    for x, y in points:
        if not kept or abs(x - kept[-1][0]) + abs(y - kept[-1][1]) >= STEP:
            kept.append((round(x, 2), round(y, 2)))
    if len(kept) >= 3 and kept[0] != kept[-1]:
        kept.append(kept[0])
    return kept


def main(source: str) -> None:
    topo = json.loads(Path(source).read_text())
    arcs = decode_arcs(topo)
    polygons = []
    for geometry in topo["objects"]["land"]["geometries"]:
        shapes = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
        for shape in shapes:
            rings = [thin(clip(ring(r, arcs), BOX)) for r in shape]
            if len(rings[0]) >= 6:
                polygons.append([r for r in rings if len(r) >= 4])
    feature = {
        "type": "Feature",
        "properties": {"name": "land"},
        "geometry": {"type": "MultiPolygon", "coordinates": polygons},
    }
    collection = {
        "type": "FeatureCollection",
        "features": [feature],
        "source": "Natural Earth 1:50m land via npm world-atlas 2.0.2 (public domain data), clipped to "
        f"{BOX[0]}-{BOX[1]} E, {BOX[2]}-{BOX[3]} N",
    }
    OUT.write_text(json.dumps(collection, separators=(",", ":")))
    print(f"{OUT.name}: {len(polygons)} polygons, {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main(sys.argv[1])
