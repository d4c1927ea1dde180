"""Every chart can be seen: contrast of each text and mark, and series apart under colour blindness.

Each chart (every builder, and each state of every explorer) is drawn to SVG by vl-convert, no
browser.  Every element of the SVG is read with its colour and its opacity (its own and its
groups'), composited over the chart's white background, and:

* text (titles, axis and legend labels, labels on the data) must reach 4.5:1 (WCAG 1.4.3);
* marks a reader needs (bars, points, lines, rules, legend symbols, axis lines and ticks) must
  reach 3:1 with their fill or their outline (WCAG 1.4.11);
* any two colours that tell data apart stay at least ``MIN_DELTA_E`` apart (CIELAB) in normal
  vision and simulated protanopia and deuteranopia (Machado, Oliveira & Fernandes 2009,
  severity 1).

Decoration is exempt only when the chart says so: grid lines, and marks drawn with
``aria=False`` (which Vega writes as ``aria-hidden="true"``: the map's land and graticule, the
timeline's phase shading).
"""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET

import pytest
import vl_convert

from workbook import charts, widgets
from workbook.charts import alt
from workbook.data import load, table_names

TEXT_MIN, MARK_MIN = 4.5, 3.0
#: Smallest CIELAB (CIE76) distance between two series' colours, in every vision simulated.
MIN_DELTA_E = 20.0
BACKGROUND = (255, 255, 255)

#: Machado et al. (2009) simulation matrices, severity 1.0, applied to linear RGB.
MACHADO = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
}
NAMED = {"white": (255, 255, 255), "black": (0, 0, 0)}
SVG = "{http://www.w3.org/2000/svg}"


# --------------------------------------------------------------------------- colour arithmetic


def parse_colour(text):
    """(r, g, b) of an SVG colour, or None for none/transparent/a gradient."""
    text = (text or "").strip().lower()
    if text in ("", "none", "transparent") or text.startswith("url("):
        return None
    if text in NAMED:
        return NAMED[text]
    if text.startswith("#"):
        digits = text[1:]
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))
    match = re.match(r"rgba?\(([^)]*)\)", text)
    if match:
        parts = [float(p) for p in match.group(1).split(",")]
        return tuple(round(p) for p in parts[:3])
    raise AssertionError(f"a colour the test cannot read: {text!r}")


def over(colour, alpha, background=BACKGROUND):
    """``colour`` at ``alpha`` painted over ``background``."""
    return tuple(alpha * c + (1 - alpha) * b for c, b in zip(colour, background))


def _linear(channel: float) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def luminance(rgb) -> float:
    r, g, b = (_linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b=BACKGROUND) -> float:
    low, high = sorted((luminance(a), luminance(b)))
    return (high + 0.05) / (low + 0.05)


def simulate(rgb, matrix) -> tuple:
    """Linear RGB as seen with the deficiency ``matrix`` (or as is, for None)."""
    linear = [_linear(c) for c in rgb]
    if matrix is None:
        return tuple(linear)
    return tuple(min(1.0, max(0.0, sum(m * v for m, v in zip(row, linear)))) for row in matrix)


def lab(linear) -> tuple:
    r, g, b = linear
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = lambda t: t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116  # noqa: E731
    return (116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z)))


def delta_e(a, b, matrix=None) -> float:
    return math.dist(lab(simulate(a, matrix)), lab(simulate(b, matrix)))


# --------------------------------------------------------------------------- reading the SVG


def _number(value, default=1.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def painted(svg: str) -> list[dict]:
    """Every drawn element: its kind ("text", "mark", "skip"), role, and effective fill/stroke colours."""
    root = ET.fromstring(svg)
    found = []

    def visit(el, opacity, fill, stroke, role, hidden):
        opacity *= _number(el.get("opacity"))
        fill = el.get("fill", fill)
        stroke = el.get("stroke", stroke)
        classes = el.get("class", "")
        if "role-" in classes:
            role = next(c for c in classes.split() if c.startswith("role-"))
            hidden = el.get("aria-hidden") == "true" and role == "role-mark"
        tag = el.tag.replace(SVG, "")
        if tag in ("path", "line", "rect", "text", "circle", "polygon") and "background" not in classes:
            if role and role not in ("role-frame", "role-scope", "role-legend", "role-title", "role-axis"):
                kind = "skip" if hidden or role == "role-axis-grid" else "text" if tag == "text" else "mark"
                if tag == "text" and not "".join(el.itertext()).strip():
                    kind = "skip"
                colours = {}
                fill_colour = parse_colour(fill if tag != "line" else "none")
                alpha = opacity * _number(el.get("fill-opacity"))
                if fill_colour is not None and alpha > 0:
                    colours["fill"] = over(fill_colour, alpha)
                stroke_colour = parse_colour(stroke)
                alpha = opacity * _number(el.get("stroke-opacity"))
                if stroke_colour is not None and alpha > 0 and _number(el.get("stroke-width"), 1) > 0:
                    colours["stroke"] = over(stroke_colour, alpha)
                if colours:
                    label = el.get("aria-label") or "".join(el.itertext()).strip() or tag
                    found.append({"kind": kind, "role": role, "colours": colours, "what": label[:60]})
        for child in el:
            visit(child, opacity, fill, stroke, role, hidden)

    visit(root, 1.0, "black", "none", None, False)
    return found


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(v):02X}" for v in rgb)


def too_faint(elements) -> list[str]:
    """Text under 4.5:1 and marks whose fill and outline are both under 3:1."""
    bad = []
    for e in elements:
        if e["kind"] == "skip":
            continue
        best = max(contrast(c) for c in e["colours"].values())
        need = TEXT_MIN if e["kind"] == "text" else MARK_MIN
        if best < need:
            hexes = ", ".join(_hex(c) for c in e["colours"].values())
            bad.append(f"{e['role']} {e['what']!r} {hexes}: {best:.2f}:1 < {need}:1")
    return sorted(set(bad))


def series_colours(elements) -> set:
    """The distinct colours data marks and legend symbols are filled or drawn with (not black/white)."""
    colours = set()
    for e in elements:
        if e["kind"] == "mark" and e["role"] in ("role-mark", "role-legend-symbol"):
            for c in e["colours"].values():
                rounded = tuple(round(v) for v in c)
                if contrast(rounded) >= MARK_MIN:  # a faint colour fails above; white outlines are separators
                    colours.add(rounded)
    return colours


def too_close(colours) -> list[str]:
    bad = []
    for a, b in itertools.combinations(sorted(colours), 2):
        for vision, matrix in (("normal", None), *MACHADO.items()):
            distance = delta_e(a, b, matrix)
            if distance < MIN_DELTA_E:
                hexes = [_hex(c) for c in (a, b)]
                bad.append(f"{hexes[0]} / {hexes[1]} in {vision}: {distance:.1f} < {MIN_DELTA_E}")
    return bad


# --------------------------------------------------------------------------- the charts


def with_param(spec: dict, name: str, value) -> dict:
    """``spec`` with its top-level param ``name`` set to ``value`` (what a control does in the browser)."""
    params = [p for p in spec.get("params", []) if p.get("name") == name]
    assert params, f"the chart has no param {name!r}"
    for p in params:
        p["value"] = value
    return spec


def _explorer_states():
    """(name, spec) for each state a student can put an explorer in."""
    states = {}
    stepper = widgets.PhaseStepper()
    for phase in range(stepper.phase.min, stepper.phase.max + 1):
        states[f"PhaseStepper phase {phase}"] = lambda p=phase, s=stepper: with_param(
            s.chart.chart.to_dict(), "phase", p
        )
    ceiling = widgets.CeilingSlider()
    for level in (0.5, 1.0, 1.3, 2.0):
        states[f"CeilingSlider {level}"] = lambda v=level, c=ceiling: with_param(
            c.chart.chart.to_dict(), "ceiling", v
        )
    for subject in charts.FOR_TABLE:
        for view in charts.claims_vs_record.VIEWS:
            states[f"ClaimVsRecord {subject} {view}"] = lambda s=subject, v=view: charts.with_view(
                charts.FOR_TABLE[s](), v
            ).to_dict()
    picker = widgets.PlacePicker()
    ids = dict(zip(load("places")["name"].astype(str), load("places")["place_id"].astype(str)))
    # the first few (disputed islands and Okinawa), one beyond East Asia, and none chosen
    for place in [*list(ids)[:4], "Madrid", "nothing chosen"]:
        place_id = ids.get(place, "")
        states[f"PlacePicker {place}"] = lambda p=place_id, c=picker: with_param(
            c.chart.chart.to_dict(), "place", p
        )
    for table in table_names():
        states[f"ChartBuilder {table}"] = lambda t=table: _chart_builder(t)
    states["ChartBuilder cannot draw"] = lambda: charts.placeholder(
        "No chart: see the message above."
    ).to_dict()
    return states


def _chart_builder(table: str) -> dict:
    builder = widgets.ChartBuilder(table)
    return builder.chart.spec


def _capstone() -> dict:
    """08_capstone's chart of your own: records per subject, coloured by the kind of source."""
    records = load("records")
    by_source = records.groupby(["subject", "source_kind"]).size().reset_index(name="records")
    return charts.bar(
        by_source,
        x="subject",
        y="records",
        color="source_kind",
        title="What the records rest on",
        description="Bar chart",
        source="records table",
    ).to_dict()


CHARTS = {
    **{name: (lambda b=builder: b().to_dict()) for name, builder in charts.BUILDERS.items()},
    "timeline by category": lambda: charts.timeline(color="category").to_dict(),
    "hedges_chart with none": lambda: charts.hedges_chart(include_none=True).to_dict(),
    "capstone bar coloured by source kind": _capstone,
    **_explorer_states(),
}


@pytest.fixture(scope="module", params=list(CHARTS))
def drawn(request):
    spec = CHARTS[request.param]()
    svg = vl_convert.vegalite_to_svg(spec, vl_version=charts.static.VL_VERSION)
    return request.param, painted(svg)


def test_every_text_and_mark_stands_out_from_the_background(drawn):
    name, elements = drawn
    assert [e for e in elements if e["kind"] == "text"], f"{name}: the measure found no text"
    bad = too_faint(elements)
    assert not bad, f"{name}: {len(bad)} element(s) too faint, e.g. " + "; ".join(bad[:6])


def test_series_stay_apart_with_colour_blindness(drawn):
    name, elements = drawn
    bad = too_close(series_colours(elements))
    assert not bad, f"{name}: colours too close: " + "; ".join(bad[:6])


# --------------------------------------------------------------------------- the measure itself


def test_the_measure_catches_faint_marks_faint_text_and_colours_that_merge():
    """The old Okabe-Ito yellow bars and orange text fail; orange and yellow merge for a deuteranope."""
    import pandas as pd

    frame = pd.DataFrame({"k": ["a", "b"], "v": [1, 2]})
    base = alt.Chart(frame)
    chart = alt.layer(
        base.mark_bar().encode(
            x="k:N", y="v:Q", color=alt.Color("k:N", scale=alt.Scale(range=["#E69F00", "#F0E442"]))
        ),
        base.mark_text(dy=-8, color="#D55E00").encode(x="k:N", y="v:Q", text="v:Q"),
        base.mark_rule(color="#000000", opacity=0.2).encode(y=alt.datum(1)),
    )
    elements = painted(vl_convert.vegalite_to_svg(chart.to_dict(), vl_version=charts.static.VL_VERSION))
    bad = "\n".join(too_faint(elements))
    assert "#F0E442" in bad and "#E69F00" in bad  # the bars (and their legend symbols)
    assert "role-mark '1'" in bad or "#D55E00" in bad  # orange text, 3.9:1
    assert "#CCCCCC" in bad  # black at 20 % opacity over white
    merged = too_close({parse_colour("#E69F00"), parse_colour("#F0E442")})
    assert any("deuteranopia" in b for b in merged) and not any("normal" in b for b in merged)
    assert round(contrast((0xD5, 0x5E, 0x00)), 2) == 3.87  # the figure the issue reported


def test_the_theme_palette_itself_passes():
    colours = [parse_colour(c) for c in charts.PALETTE + [charts.HIGHLIGHT, charts.MUTED]]
    assert all(contrast(c) >= MARK_MIN for c in colours)
    assert all(contrast(parse_colour(c)) >= TEXT_MIN for c in charts.READING_COLOURS.values())
    assert not too_close(set(colours) - {parse_colour(charts.MUTED)})
