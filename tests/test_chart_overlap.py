"""Charts do not hide what they show: measured on the scenegraph Vega draws (vl-convert, no browser).

Each mark of the rendered scenegraph is turned into boxes (a text's box is estimated from its
letters and font size, a point's from its area, a rule or line into thin boxes along its length)
and the tests check, at the sizes the notebooks use:

* no label overlaps another label, and no label sits on a data point or across a rule or line;
* no data point is covered by a rule or line drawn after it (a thick claim line over the marks);
* no three points pile into one blob (pairs are allowed: two places can be neighbours);
* nothing runs out of the plot (a line that goes past the axis end), no label out of the chart.
"""

from __future__ import annotations

import copy
import itertools
import math
from dataclasses import dataclass

import pytest
import vl_convert

from workbook import charts, load, widgets

PLACES = load("places")


def _picker_spec() -> dict:
    """PlacePicker's one chart (every place's layout in it), drawn once for all the states."""
    if not _PICKER:
        _PICKER.append(widgets.PlacePicker().chart.chart.to_dict())
    return copy.deepcopy(_PICKER[0])


_PICKER: list[dict] = []

#: What the notebooks draw (02 with the slider at 1.15 too: the label and the line must not cross).
CHARTS = {
    **charts.BUILDERS,
    "spending_chart ceiling 1.15": lambda: charts.spending_chart(ceiling=1.15),
    "spending_chart ceiling 0.9": lambda: charts.spending_chart(ceiling=0.9),
    "spending_chart ceiling 1.3": lambda: charts.spending_chart(ceiling=1.3),
    "timeline phase 3": lambda: charts.timeline(highlight_phase=3),
    "timeline by category": lambda: charts.timeline(color="category"),
    "places_map Takeshima": lambda: charts.places_map(highlight="Takeshima"),
    # The explorers' chosen states: the phase the stepper moves to, the claim or the record
    # alone, and every place the picker can pick (its one chart with the param set), and none.
    **{
        f"PhaseStepper phase {p}": (lambda p=p: _with_param(charts.timeline(highlight_phase=1), "phase", p))
        for p in (1, 2, 4)
    },
    **{
        f"ClaimVsRecord {subject} {view}": (
            lambda s=subject, v=view: charts.with_view(charts.FOR_TABLE[s](), v)
        )
        for subject in charts.FOR_TABLE
        for view in ("claim", "record")
    },
    **{
        f"PlacePicker {place}": (lambda p=place_id: _with_param(_picker_spec(), "place", p))
        for place_id, place in [("", "nothing chosen"), *zip(PLACES["place_id"], PLACES["name"])]
    },
}


def _with_param(chart, name: str, value) -> dict:
    """The chart's spec with its param ``name`` set to ``value`` (what a control does in the browser)."""
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    for param in spec.get("params", []):
        if param.get("name") == name:
            param["value"] = value
    return spec


#: Average letter width as a share of the font size (Helvetica/Arial: about 0.5-0.56).
LETTER = 0.55
#: Pixels two boxes may share before they count as overlapping (anti-aliasing, rounding).
SLACK = 1.0


@dataclass
class Box:
    left: float
    top: float
    right: float
    bottom: float
    kind: str  # "text", "symbol", "rule", "line", "rect", "shape"
    layer: str  # the mark's name (layer_3_marks ...), or the role for guides
    order: int  # drawing order: a higher number is drawn later, on top
    what: str

    def overlap(self, other: Box) -> float:
        """The area the two boxes share (0 if they only touch within SLACK)."""
        width = min(self.right, other.right) - max(self.left, other.left) - SLACK
        height = min(self.bottom, other.bottom) - max(self.top, other.top) - SLACK
        return width * height if width > 0 and height > 0 else 0.0

    @property
    def area(self) -> float:
        return max(self.right - self.left, 0) * max(self.bottom - self.top, 0)


def _text_box(item, x, y, order, layer) -> Box:
    size = item.get("fontSize", 11)
    lines = item["text"] if isinstance(item.get("text"), list) else str(item.get("text", "")).split("\n")
    width = LETTER * size * max(len(str(line)) for line in lines)
    height = size * len(lines) * 1.1
    x, y = x + item.get("x", 0) + item.get("dx", 0), y + item.get("y", 0) + item.get("dy", 0)
    left = {"left": x, "right": x - width}.get(item.get("align", "left"), x - width / 2)
    baseline = item.get("baseline", "alphabetic")
    top = {"top": y, "bottom": y - height, "middle": y - height / 2}.get(baseline, y - 0.8 * size)
    return Box(left, top, left + width, top + height, "text", layer, order, " / ".join(map(str, lines))[:60])


def _segment_boxes(x1, y1, x2, y2, width, kind, layer, order, what, step=6.0) -> list[Box]:
    """A straight stroke as thin boxes along its length (so a diagonal line is not one big box)."""
    half = max(width, 1) / 2
    pieces = max(1, math.ceil(math.hypot(x2 - x1, y2 - y1) / step))
    boxes = []
    for i in range(pieces):
        ax, ay = x1 + (x2 - x1) * i / pieces, y1 + (y2 - y1) * i / pieces
        bx, by = x1 + (x2 - x1) * (i + 1) / pieces, y1 + (y2 - y1) * (i + 1) / pieces
        boxes.append(
            Box(
                min(ax, bx) - half,
                min(ay, by) - half,
                max(ax, bx) + half,
                max(ay, by) + half,
                kind,
                layer,
                order,
                what,
            )
        )
    return boxes


def boxes_of(scene: dict) -> tuple[list[Box], dict]:
    """Every mark of a scenegraph as boxes in chart pixels; also the plot frame (x, y, width, height)."""
    boxes: list[Box] = []
    frame = {}
    counter = itertools.count()

    def visit(mark, ox, oy):
        order = next(counter)
        kind, role, name = mark.get("marktype"), mark.get("role"), mark.get("name") or mark.get("role")
        items = mark.get("items", [])
        if kind == "group":
            for item in items:
                x, y = ox + item.get("x", 0), oy + item.get("y", 0)
                if role == "frame" and not frame:
                    frame.update(x=x, y=y, width=item.get("width", 0), height=item.get("height", 0))
                for child in item.get("items", []):
                    visit(child, x, y)
            return
        if role != "mark" and role not in ("axis-label", "legend-label", "title-text", "title-subtitle"):
            return
        if kind == "text":
            boxes.extend(
                _text_box(i, ox, oy, order, name)
                for i in items
                if str(i.get("text", "")).strip() and i.get("opacity", 1) > 0
            )
        elif kind == "symbol":
            for i in items:
                half = math.sqrt(i.get("size", 64)) / 2
                x, y = ox + i["x"], oy + i["y"]
                if i.get("fill") in ("transparent", "none") or i.get("fillOpacity", 1) == 0:
                    # an outline only (a ring around a chosen point): it covers its line, not its inside
                    corners = [
                        (x + half * math.cos(k * math.pi / 12), y + half * math.sin(k * math.pi / 12))
                        for k in range(25)
                    ]
                    for (x1, y1), (x2, y2) in zip(corners, corners[1:]):
                        width = i.get("strokeWidth", 1)
                        boxes.extend(
                            _segment_boxes(x1, y1, x2, y2, width, "ring", name, order, "ring", step=3)
                        )
                    continue
                boxes.append(
                    Box(
                        x - half,
                        y - half,
                        x + half,
                        y + half,
                        "symbol",
                        name,
                        order,
                        i.get("description", "")[:60],
                    )
                )
        elif kind == "rule":
            for i in items:
                x1, y1 = ox + i.get("x", 0), oy + i.get("y", 0)
                x2, y2 = ox + i.get("x2", i.get("x", 0)), oy + i.get("y2", i.get("y", 0))
                boxes.extend(
                    _segment_boxes(
                        x1,
                        y1,
                        x2,
                        y2,
                        i.get("strokeWidth", 1),
                        "rule",
                        name,
                        order,
                        i.get("description", "")[:60],
                    )
                )
        elif kind == "line":
            points = [(ox + i["x"], oy + i["y"]) for i in items if i.get("defined", True)]
            for (x1, y1), (x2, y2) in zip(points, points[1:]):
                width = items[0].get("strokeWidth", 1)
                boxes.extend(_segment_boxes(x1, y1, x2, y2, width, "line", name, order, "line"))
        elif kind == "rect":
            for i in items:
                x, y = ox + i.get("x", 0), oy + i.get("y", 0)
                x2 = ox + i["x2"] if "x2" in i else x + i.get("width", 0)
                y2 = oy + i["y2"] if "y2" in i else y + i.get("height", 0)
                boxes.append(
                    Box(
                        min(x, x2),
                        min(y, y2),
                        max(x, x2),
                        max(y, y2),
                        "rect",
                        name,
                        order,
                        i.get("description", "")[:60],
                    )
                )

    visit(scene["scenegraph"], 0, 0)
    return boxes, frame


@pytest.fixture(scope="module", params=list(CHARTS))
def drawn(request):
    made = CHARTS[request.param]()
    spec = made if isinstance(made, dict) else made.to_dict()
    scene = vl_convert.vegalite_to_scenegraph(spec, vl_version=charts.static.VL_VERSION)
    boxes, frame = boxes_of(scene)
    return request.param, spec, scene, boxes, frame


def _marks(boxes, kind):
    return [b for b in boxes if b.kind == kind and b.layer.endswith("_marks")]


def test_labels_do_not_overlap_each_other(drawn):
    name, _spec, _scene, boxes, _frame = drawn
    labels = _marks(boxes, "text")
    clashes = [(a.what, b.what) for a, b in itertools.combinations(labels, 2) if a.overlap(b) > 0]
    assert not clashes, f"{name}: labels overlap: {clashes[:5]}"


def test_labels_do_not_sit_on_points_rules_or_lines(drawn):
    name, _spec, _scene, boxes, _frame = drawn
    labels = _marks(boxes, "text")
    marks = _marks(boxes, "symbol") + _marks(boxes, "ring") + _marks(boxes, "rule") + _marks(boxes, "line")
    hits = sorted(
        {(label.what, mark.kind, mark.what) for label in labels for mark in marks if label.overlap(mark) > 2}
    )
    assert not hits, f"{name}: a label is drawn over {len(hits)} mark(s), e.g. {hits[:4]}"


def test_no_point_is_covered_by_a_rule_or_line_drawn_over_it(drawn):
    name, _spec, _scene, boxes, _frame = drawn
    points = _marks(boxes, "symbol")
    strokes = [b for b in _marks(boxes, "rule") + _marks(boxes, "line") + _marks(boxes, "ring")]
    covered = sorted(
        {
            (p.what, s.layer)
            for p in points
            for s in strokes
            if s.order > p.order and p.overlap(s) > 0.25 * p.area
        }
    )
    assert not covered, f"{name}: {len(covered)} point(s) hidden under a later stroke, e.g. {covered[:3]}"


def test_points_do_not_pile_into_blobs(drawn):
    name, _spec, _scene, boxes, _frame = drawn
    points = _marks(boxes, "symbol")
    heavy = {i: set() for i in range(len(points))}
    for (i, a), (j, b) in itertools.combinations(enumerate(points), 2):
        if a.overlap(b) > 0.5 * min(a.area, b.area):
            heavy[i].add(j)
            heavy[j].add(i)
    biggest, seen = [], set()
    for start in heavy:  # clusters of points that overlap each other heavily
        if start in seen:
            continue
        cluster, todo = set(), [start]
        while todo:
            k = todo.pop()
            if k not in cluster:
                cluster.add(k)
                todo.extend(heavy[k] - cluster)
        seen |= cluster
        if len(cluster) > len(biggest):
            biggest = sorted(cluster)
    assert len(biggest) <= 2, (
        f"{name}: {len(biggest)} points pile up: {[points[k].what for k in biggest][:4]}"
    )


def test_marks_stay_inside_the_plot_and_labels_inside_the_chart(drawn):
    name, spec, scene, boxes, frame = drawn
    if any("projection" in layer for layer in spec.get("layer", [spec])):
        inside = []  # a map clips its shapes to the frame on purpose
    else:
        inside = [
            b
            for b in _marks(boxes, "rule") + _marks(boxes, "rect") + _marks(boxes, "line")
            if b.left < frame["x"] - 2 or b.right > frame["x"] + frame["width"] + 2
        ]
    assert not inside, (
        f"{name}: {len(inside)} mark piece(s) run past the plot's edge, e.g. {inside[0].what!r}"
    )
    # a line that stops exactly at the axis end looks as if it ran on: only full-width guides may touch
    pieces: dict = {}
    for b in _marks(boxes, "rule"):
        pieces.setdefault((b.layer, b.what, round(b.top)), []).append(b)
    cut = [
        what
        for (_layer, what, _y), parts in pieces.items()
        if not (
            min(p.left for p in parts) <= frame["x"] + 1
            and max(p.right for p in parts) >= frame["x"] + frame["width"] - 1
        )
        and (
            min(p.left for p in parts) < frame["x"] + 2
            or max(p.right for p in parts) > frame["x"] + frame["width"] - 2
        )
    ]
    assert not cut, f"{name}: {len(cut)} line(s) end at the plot's edge, as if cut off: {cut[:2]}"
    width = scene["width"] - scene["origin"][0]
    out = [b.what for b in _marks(boxes, "text") if b.left < -scene["origin"][0] or b.right > width + 2]
    assert not out, f"{name}: labels run off the chart: {out[:3]}"


# --------------------------------------------------------------------------- the measure itself


def test_the_measure_sees_a_label_on_a_point_and_a_thick_line_over_points():
    """The checks above can fail: a chart built to break them is caught."""
    import altair as alt
    import pandas as pd

    points = pd.DataFrame({"x": [1, 2, 3, 3.01, 3.02], "y": [1, 1, 1, 1, 1]})
    base = alt.Chart(points)
    bad = alt.layer(
        base.mark_point(size=80, filled=True).encode(x="x:Q", y="y:Q"),
        base.mark_rule(strokeWidth=6).encode(x=alt.datum(0.5), x2=alt.datum(3.5), y=alt.datum(1)),
        base.mark_text(text="a label right on the points").encode(x=alt.datum(2), y=alt.datum(1)),
    )
    scene = vl_convert.vegalite_to_scenegraph(
        bad.properties(width=300, height=100).to_dict(), vl_version=charts.static.VL_VERSION
    )
    boxes, _ = boxes_of(scene)
    labels, dots = _marks(boxes, "text"), _marks(boxes, "symbol")
    rules = _marks(boxes, "rule")
    assert any(label.overlap(dot) > 2 for label in labels for dot in dots)
    assert any(r.order > d.order and d.overlap(r) > 0.25 * d.area for r in rules for d in dots)
    assert sum(a.overlap(b) > 0.5 * min(a.area, b.area) for a, b in itertools.combinations(dots, 2)) >= 2


def test_the_measure_sees_a_ring_as_its_line():
    """A ring (an unfilled point) hides what its line crosses and a label on its line, not what lies inside."""
    import altair as alt
    import pandas as pd

    scale = alt.Scale(domain=[0, 3])  # 100 px a unit
    x, y = alt.X("x:Q", scale=scale), alt.Y("y:Q", scale=scale)
    points = pd.DataFrame({"x": [1.0, 1.01, 2.0], "y": [1.0, 1.0, 1.0]})
    rings = pd.DataFrame({"x": [1.0, 2.0], "y": [1.0, 1.1]})  # the second passes over the third point
    chart = alt.layer(
        alt.Chart(points).mark_point(size=60, filled=True).encode(x=x, y=y),
        alt.Chart(rings).mark_point(size=450, filled=False, strokeWidth=2.5).encode(x=x, y=y),
        alt.Chart(pd.DataFrame({"x": [1.04], "y": [1.0]}))
        .mark_text(text="ON", align="left")
        .encode(x=x, y=y),
    ).properties(width=300, height=300)
    scene = vl_convert.vegalite_to_scenegraph(chart.to_dict(), vl_version=charts.static.VL_VERSION)
    boxes, _ = boxes_of(scene)
    dots, rings, labels = _marks(boxes, "symbol"), _marks(boxes, "ring"), _marks(boxes, "text")
    assert len(dots) == 3 and rings
    inside, crossed = dots[0], dots[2]
    assert not any(inside.overlap(r) > 0 for r in rings)
    assert any(r.order > crossed.order and crossed.overlap(r) > 0 for r in rings)
    assert any(label.overlap(r) > 2 for label in labels for r in rings)
