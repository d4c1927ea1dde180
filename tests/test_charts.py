"""workbook.charts: every builder draws (through vl-convert), names its source, and cites its marks."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import xml.etree.ElementTree as ET

import altair as alt
import pandas as pd
import pytest

from workbook import charts, load

# Okabe & Ito (2008), "Color Universal Design": the eight colours, written out independently here.
#: The theme's colours (contrast and colour blindness are measured in test_chart_contrast.py).
THEME_COLOURS = set(charts.PALETTE) | {charts.HIGHLIGHT, charts.MUTED}


def _bar():
    return charts.bar(
        load("defence_spending"),
        "year",
        "value",
        color="source",
        title="Budget share by year",
        description="Bars of the defence budget share per year.",
        source="defence_spending table",
    )


#: Every builder the charts package lists, drawn with its defaults, plus the options worth drawing too.
BUILDERS = {
    **charts.BUILDERS,
    "timeline highlighted": lambda: charts.timeline(highlight_phase=3),
    "timeline by category": lambda: charts.timeline(color="category"),
    "spending_chart low ceiling": lambda: charts.spending_chart(ceiling=0.9),
    "places_map highlighted": lambda: charts.places_map(highlight="okinawa"),
    "places_map world": lambda: charts.places_map(highlight="Madrid"),
    "places_map both, choosable": lambda: charts.places_map(highlight="Tokyo", choosable=True),
    "hedges_chart with none": lambda: charts.hedges_chart(include_none=True),
    "bar": _bar,
}


@pytest.fixture(scope="module", params=list(BUILDERS))
def built(request):
    """(name, chart, spec) for each builder, built once per module."""
    chart = BUILDERS[request.param]()
    return request.param, chart, chart.to_dict()


# --------------------------------------------------------------------------- walking a spec


def _svg_text(svg: str) -> str:
    """All the words drawn in an SVG (titles, labels), joined by spaces."""
    root = ET.fromstring(svg)
    return " ".join(" ".join(el.itertext()) for el in root.iter() if el.tag.endswith("text"))


def _created_fields(transforms: list[dict]) -> set[str]:
    """Fields that transforms (calculate, aggregate, window, fold, ...) add to the data."""
    made = set()
    for t in transforms:
        names = t.get("as")
        if isinstance(names, str):
            made.add(names)
        elif isinstance(names, list):
            made.update(n for n in names if isinstance(n, str))
        for key in ("aggregate", "window", "joinaggregate"):
            made.update(op["as"] for op in t.get(key, []) if "as" in op)
    return made


def _data_fields(data: dict | None, datasets: dict) -> set[str] | None:
    """The columns of a spec's data; None when they can't be known (empty or generated data)."""
    if data is None:
        return None
    rows = data.get("values")
    if rows is None and "name" in data:
        rows = datasets.get(data["name"])
    if rows is None:  # a generator such as graticule: it makes its own geometry, no columns
        return set()
    if not rows:
        return None
    return set().union(*(row.keys() for row in rows))


def _encoding_fields(encoding: dict) -> list[tuple[str, str]]:
    """(channel, field) for every field an encoding names, tooltips and conditions included."""
    found = []
    for channel, definition in encoding.items():
        for item in definition if isinstance(definition, list) else [definition]:
            if not isinstance(item, dict):
                continue
            for d in [item] + ([item["condition"]] if isinstance(item.get("condition"), dict) else []):
                if isinstance(d.get("field"), str):
                    found.append((channel, d["field"]))
    return found


def _views(spec: dict, datasets: dict, fields=None):
    """Yield (view, known fields) for every single view in a (layered) spec, data inherited."""
    here = _data_fields(spec.get("data"), datasets) if "data" in spec else fields
    if here is not None:
        here = here | _created_fields(spec.get("transform", []))
    if "mark" in spec:
        yield spec, here
    for child in [c for key in ("layer", "vconcat", "hconcat") for c in spec.get(key, [])]:
        yield from _views(child, datasets, here)


def _colour_ranges(spec: dict):
    """Every explicit list of colours given to a colour scale (color, fill, stroke) in a spec."""
    for view, _ in _views(spec, spec.get("datasets", {})):
        for channel in ("color", "fill", "stroke"):
            scale = (view.get("encoding", {}).get(channel) or {}).get("scale") or {}
            if isinstance(scale.get("range"), list):
                yield scale["range"]


# --------------------------------------------------------------------------- every builder


def test_compiles_to_svg_with_its_title(built):
    name, chart, spec = built
    svg = charts.to_svg(chart)
    assert svg.lstrip().startswith("<svg")
    assert spec["title"]["text"] in _svg_text(svg), name


def test_title_source_and_description(built):
    name, chart, spec = built
    assert isinstance(spec["title"]["text"], str) and spec["title"]["text"].strip(), name
    subtitle = " ".join(spec["title"]["subtitle"])
    assert subtitle.startswith("Source:"), name
    assert len(subtitle) > len("Source: ") + 5, name
    assert isinstance(spec.get("description"), str) and len(spec["description"]) > 20, name


def test_encoded_fields_exist_in_the_data(built):
    name, chart, spec = built
    datasets = spec.get("datasets", {})
    checked = 0
    for view, fields in _views(spec, datasets):
        for channel, field in _encoding_fields(view.get("encoding", {})):
            if fields is None:  # empty data: nothing to check against
                continue
            assert field in fields, f"{name}: {channel} uses {field!r}, not in the data ({sorted(fields)})"
            checked += 1
    assert checked > 0, name


def test_every_mark_with_data_cites_its_source_in_the_tooltip(built):
    name, chart, spec = built
    views = [(v, f) for v, f in _views(spec, spec.get("datasets", {})) if v.get("encoding")]
    assert views, name
    for view, _fields in views:
        tips = view["encoding"].get("tooltip")
        tips = tips if isinstance(tips, list) else [tips]
        assert "citation" in {t.get("field") for t in tips if isinstance(t, dict)}, (
            f"{name}: a {view['mark']} layer has no citation tooltip"
        )


def test_scales_use_only_the_theme_colours(built):
    name, chart, spec = built
    for colours in _colour_ranges(spec):
        assert set(colours) <= THEME_COLOURS, f"{name}: {colours}"
    config = spec["config"]["range"]["category"]
    assert config == charts.PALETTE, name


def test_data_holds_only_plain_values(built):
    name, chart, spec = built
    for view, _ in _views(spec, spec.get("datasets", {})):
        for row in (view.get("data") or {}).get("values", []):
            if row.get("type") == "Feature":  # map outlines are GeoJSON, nested by design
                continue
            for value in row.values():
                assert value is None or isinstance(value, (str, int, float, bool)), f"{name}: {value!r}"
                assert not (isinstance(value, float) and value != value), f"{name}: NaN in the data"


# --------------------------------------------------------------------------- theme and palette


def test_theme_is_registered_and_enabled_with_its_palette():
    assert alt.theme.active == charts.THEME_NAME == "workbook"
    config = alt.theme.get()()["config"]
    assert config["range"]["category"] == charts.PALETTE
    assert len(set(charts.PALETTE)) == len(charts.PALETTE) == 7
    assert set(charts.READING_COLOURS.values()) <= THEME_COLOURS
    assert set(charts.READING_COLOURS) == {"sa1997", "essay2005", "public record"}
    assert charts.personnel_chart().to_dict()["config"]["range"]["category"] == charts.PALETTE


@pytest.mark.slow  # a subprocess or server of its own
def test_import_outside_a_kernel_keeps_the_default_renderer():
    code = "import altair as alt, workbook.charts as c; print(alt.renderers.active, c.in_kernel())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["default", "False"]


# --------------------------------------------------------------------------- what the charts show


def _layer_rows(spec: dict, mark: str, field: str) -> list[dict]:
    """Rows of the first layer of type ``mark`` that encodes ``field``."""
    for view, _ in _views(spec, spec.get("datasets", {})):
        mark_type = view["mark"]["type"] if isinstance(view["mark"], dict) else view["mark"]
        if mark_type == mark and field in {f for _, f in _encoding_fields(view.get("encoding", {}))}:
            return view["data"]["values"]
    raise AssertionError(f"no {mark} layer encodes {field}")


@pytest.mark.parametrize("ceiling", [0.9, 1.0, 1.5])
def test_spending_chart_highlights_the_years_above_the_ceiling(ceiling):
    records = load("defence_spending").query("source == 'public record'")
    expected = sorted(int(y) for y in records.loc[records["value"] > ceiling, "year"])
    rows = _layer_rows(charts.spending_chart(ceiling=ceiling).to_dict(), "point", "compared")
    assert sorted(r["year"] for r in rows if r["compared"].startswith("above")) == expected
    assert len(rows) == len(records)


def test_spending_chart_draws_the_claim_across_its_period():
    claim = load("defence_spending").query("source != 'public record'").iloc[0]
    rows = _layer_rows(charts.spending_chart().to_dict(), "rule", "period_start")
    assert [(r["period_start"], r["period_end"], r["value"]) for r in rows] == [
        (int(claim["period_start"]), int(claim["period_end"]), float(claim["value"]))
    ]
    assert str(claim["hedge"]) in rows[0]["label"]


def test_timeline_highlights_only_the_chosen_phase():
    # The highlight is a Vega-Lite param (an explorer moves it in the browser), so look at the drawing.
    import re

    svg = charts.to_svg(charts.timeline(highlight_phase=2))
    # the shading is decoration (aria-hidden), drawn in phase order
    bands = re.findall(r'<path d="M[^"]*" fill="([^"]+)" opacity="([\d.]+)"/>', svg)
    assert len(bands) == len(load("phases"))
    strongest = max(range(len(bands)), key=lambda i: float(bands[i][1]))
    assert strongest == 1 and bands[strongest][0] == charts.HIGHLIGHT
    assert sum(b[1] == bands[strongest][1] for b in bands) == 1
    assert len(_layer_rows(charts.timeline().to_dict(), "point", "date")) == len(load("events"))


def _places_rows(spec: dict) -> dict:
    """The map's rows (each place once, with its name's layouts), by place id, from every map in it."""
    return {
        row["place_id"]: row
        for name, rows in spec["datasets"].items()
        if name.startswith("places-")
        for row in rows
    }


def test_places_map_highlights_the_place_and_shows_its_other_names():
    places = load("places")
    spec = charts.places_map(highlight="senkaku").to_dict()
    assert {"name": "place", "value": "senkaku"} in spec["params"]
    rows = _places_rows(spec)
    assert rows["senkaku"]["other_names"] == places.set_index("place_id").loc["senkaku", "other_names"]
    # laid out for that one choice: the chosen name always, in bold (a layer of its own)
    assert "x:senkaku" in rows["senkaku"] and not any("x:takeshima" in r for r in rows.values())
    assert "Senkaku Islands is highlighted" in spec["description"]
    with pytest.raises(ValueError, match="No place called"):
        charts.places_map(highlight="Atlantis")


def test_choosable_places_map_lays_out_every_choice_and_shows_every_place():
    places = load("places")
    spec = charts.places_map(choosable=True).to_dict()
    assert {"name": "place", "value": ""} in spec["params"] and len(spec["vconcat"]) == 2
    rows = _places_rows(spec)
    assert set(rows) == set(places["place_id"])  # East Asia above, the rest of the world below
    for place_id in places["place_id"]:
        assert f"x:{place_id}" in rows[place_id], f"no layout where {place_id}'s own name is shown"
    # a choice moves names: in some choice, some name sits elsewhere than with nothing chosen
    moved = {
        place_id
        for place_id in places["place_id"]
        for row in rows.values()
        if f"x:{place_id}" in row
        and (row.get("x:"), row.get("y:")) != (row[f"x:{place_id}"], row[f"y:{place_id}"])
    }
    assert moved
    assert "circled" in spec["description"]


def test_places_map_param_moves_the_ring_and_the_bold_name():
    """Drawn with the param at two places, the chart circles and names each in bold (vl-convert, no kernel)."""
    import re

    spec = charts.places_map(choosable=True).to_dict()
    bold, circled = {}, {}
    for place_id, name in (("tokyo", "Tokyo"), ("madrid", "Madrid")):
        for param in spec["params"]:
            if param["name"] == "place":
                param["value"] = place_id
        svg = charts.static.svg(spec)
        # the map's names are the 10 px and 15 px ones (titles and legend are larger or smaller)
        bold[place_id] = re.findall(r'font-size="15px" font-weight="bold"[^>]*>([^<]+)<', svg)
        assert bold[place_id] == [name], (place_id, bold[place_id])
        rings = re.findall(
            r'translate\(([-\d.]+),([-\d.]+)\)" d="[^"]*" stroke="#000000" stroke-width="2.5"', svg
        )
        assert len(rings) == 1, rings  # one place circled
        circled[place_id] = rings[0]
    assert circled["tokyo"] != circled["madrid"]


def test_claim_counts_add_up_to_the_claims_table():
    claims = load("claims")
    rows = _layer_rows(charts.claims_by_topic().to_dict(), "bar", "claims")
    assert sum(r["claims"] for r in rows) == len(claims)
    hedged = _layer_rows(charts.hedges_chart().to_dict(), "bar", "claims")
    assert sum(r["claims"] for r in hedged) == int((claims["hedge"].astype(str) != "none").sum())
    assert "none" not in {r["hedge"] for r in hedged}


@pytest.mark.parametrize("subject", list(charts.FOR_TABLE))
def test_derived_charts_draw_claims_alone_or_records_alone(subject):
    builder = charts.FOR_TABLE[subject]
    data = load(subject)
    for part in (data[data["source"] == "public record"], data[data["source"] != "public record"]):
        assert len(part) > 0
        assert charts.to_svg(builder(part)).lstrip().startswith("<svg")


# --------------------------------------------------------------------------- helpers


def test_plain_turns_nullable_types_into_python_values():
    df = charts.plain(load("defence_spending"))
    years = df["year"].tolist()
    assert None in years and all(y is None or type(y) is int for y in years)
    assert all(type(s) is str for s in df["source"])
    assert all(type(b) is bool for b in df["above_one_pct"])
    events = charts.plain(load("events"))
    assert all(d is None or (isinstance(d, str) and len(d) == 19) for d in events["end_date"])


def test_finish_sets_title_source_and_description():
    chart = charts.finish(
        alt.Chart(pd.DataFrame({"a": [1]})).mark_point(), title="T", description="a point", source="my notes"
    )
    spec = chart.to_dict()
    assert spec["title"]["text"] == "T" and spec["title"]["subtitle"] == ["Source: my notes"]
    assert spec["description"] == "a point"


def test_live_gives_a_jupyter_chart_that_updates_in_place():
    jchart = charts.live(charts.spending_chart(ceiling=1.0))
    assert isinstance(jchart, alt.JupyterChart)
    jchart.chart = charts.spending_chart(ceiling=1.5)
    assert "1.5%" in jchart.chart.to_dict()["description"]


def test_chart_widgets_share_one_copy_of_the_vega_bundle():
    from workbook.charts.shared_bundle import SharedChart, shared_bundle

    first, second = charts.live(charts.timeline()), charts.live(None)
    assert isinstance(first, SharedChart) and first.spec and second.spec is None
    # each chart's own module is a few lines (ready within anywidget's 2 s limit even on a loaded page)
    assert len(first._esm) < 4000 < len(alt.JupyterChart._esm) or "esm.sh" in alt.JupyterChart._esm
    assert first._bundle == second._bundle and first._bundle_digest == second._bundle_digest
    holder = shared_bundle()
    assert first._bundle == f"IPY_MODEL_{holder.model_id}"
    assert holder.source == alt.JupyterChart._esm  # Altair's own bundle, sent once
    assert holder.digest == hashlib.sha256(holder.source.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- bar() for students


def test_bar_names_the_missing_column_and_the_ones_there_are():
    data = load("claims")
    with pytest.raises(ValueError) as err:
        charts.bar(data, "topic", "valeu", title="T", description="d", source="s")
    message = str(err.value)
    assert "'valeu'" in message
    assert all(column in message for column in data.columns)
    with pytest.raises(ValueError, match="'colour_me'"):
        charts.bar(data, "topic", "value", color="colour_me", title="T", description="d", source="s")


def test_bar_needs_a_number_column_and_a_source():
    data = load("claims")
    with pytest.raises(ValueError, match="neither 'topic' nor 'reading' holds numbers"):
        charts.bar(data, "topic", "reading", title="T", description="d", source="s")
    with pytest.raises(ValueError, match="source"):
        charts.bar(data, "topic", "value", title="T", description="d", source=" ")
    with pytest.raises(TypeError):
        charts.bar([1, 2], "a", "b", title="T", description="d", source="s")


def test_bar_draws_horizontal_bars_when_x_holds_the_numbers():
    spec = charts.bar(load("claims"), "value", "topic", title="T", description="d", source="s").to_dict()
    assert spec["encoding"]["x"]["type"] == "quantitative" and spec["encoding"]["y"]["field"] == "topic"


def test_bar_names_missing_categories_instead_of_null():
    spec = charts.bar(
        load("defence_spending"), "year", "value", title="T", description="d", source="s"
    ).to_dict()
    years = [row["year"] for row in spec["data"]["values"]]
    assert None not in years and "(missing)" in years


def test_offline_bundle_is_built_once_then_read_from_the_cache(tmp_path, monkeypatch):
    import altair as alt

    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path))
    chart_class = alt.JupyterChart
    monkeypatch.setattr(chart_class, "_is_offline", False, raising=False)
    monkeypatch.setattr(chart_class, "_esm", getattr(chart_class, "_esm", ""), raising=False)
    charts.offline_bundle()
    cached = list(tmp_path.glob("jupyterchart-*.js"))
    assert len(cached) == 1 and cached[0].stat().st_size > 100_000
    built = chart_class._esm
    assert "vega" in built.lower()
    chart_class._is_offline, chart_class._esm = False, "stale"
    charts.offline_bundle()
    assert chart_class._esm == built and chart_class._is_offline


def test_workbook_renderer_hands_the_spec_to_a_widget(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path))
    data, _metadata = charts.offline.render(charts.claims_by_topic().to_dict())
    assert "application/vnd.jupyter.widget-view+json" in data


def test_every_derived_table_has_its_chart():
    from workbook.derived import DERIVED

    assert set(charts.FOR_TABLE) == set(DERIVED)
    assert all(builder in charts.BUILDERS.values() for builder in charts.FOR_TABLE.values())


def test_claim_counts_is_one_builder_for_topics_and_hedges():
    assert charts.claim_counts(by="topic").to_dict() == charts.claims_by_topic().to_dict()
    assert charts.claim_counts(by="hedge").to_dict() == charts.hedges_chart().to_dict()
    with pytest.raises(ValueError, match="'topic'"):
        charts.claim_counts(by="colour")


# --------------------------------------------------------------------------- the saved picture


def test_saved_picture_carries_the_chart_its_description_and_source(built):
    import base64
    import html as html_module
    import re

    name, _chart, spec = built
    bundle = charts.static.picture_bundle(spec)
    page = bundle["text/html"]
    alt_text = html_module.unescape(
        re.search(r'<img src="data:image/svg\+xml;base64,([^"]+)" alt="([^"]*)"', page)[2]
    )
    assert alt_text == spec["description"]
    svg = base64.b64decode(re.search(r"base64,([^\"]+)", page)[1]).decode()
    assert spec["title"]["text"] in _svg_text(svg)
    caption = html_module.unescape(re.search(r"<figcaption>(.*)</figcaption>", page, re.S)[1])
    assert "Source:" in caption and "Run this cell" in caption
    assert spec["description"] in bundle["text/plain"]
    # a picture, not the widget's 0.9 MB bundle: a saved notebook stays small (PlacePicker's
    # chart is two maps, East Asia with its coastlines and the world: a little more)
    limit = 80_000 if "vconcat" in spec else 60_000
    assert len(page) < limit, f"{name}: picture is {len(page):,} characters"


def _picture_svg(spec: dict) -> str:
    import base64
    import re

    page = charts.static.picture_html(spec)
    return base64.b64decode(re.search(r"base64,([^\"]+)", page)[1]).decode()


def test_saved_picture_quotes_every_word_and_figure_as_the_live_chart_does(built):
    """Shortening the picture's coordinates never touches its text ("1.004%" once became "1.0%")."""
    import re

    _name, _chart, spec = built
    words = _svg_text(_picture_svg(spec))
    assert words == _svg_text(charts.static.svg(spec))
    title, source = charts.static._title_and_source(spec)
    assert title in words and source in words
    figures = re.findall(r"\d+(?:[.,]\d+)+", f"{title} {source}")
    assert all(figure in words for figure in figures), (figures, words)


def test_saved_picture_of_the_spending_chart_names_its_source_as_the_data_does():
    citation = load("records").set_index("record_id").loc["r017", "source_title"]
    assert "1.004%" in citation  # the data's own source title (Time, 'Japan: the 1.004% solution')
    assert citation in _svg_text(_picture_svg(charts.spending_chart().to_dict()))


def test_renderer_shows_the_picture_before_the_widget_in_a_kernel(tmp_path, monkeypatch):
    import IPython.display

    monkeypatch.setenv("WORKBOOK_CACHE", str(tmp_path))
    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    monkeypatch.setattr(charts.offline, "in_kernel", lambda: True)
    spec = charts.claims_by_topic().to_dict()
    data, _metadata = charts.offline.render(spec)
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "run the cell" in data["text/plain"]
    assert len(shown) == 1 and charts.static.FIGURE_CLASS in shown[0]["text/html"]
    assert spec["description"] in shown[0]["text/plain"]


def test_explorer_picture_says_to_run_the_cell_again(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    monkeypatch.setattr(charts.offline, "in_kernel", lambda: True)
    jchart = charts.live(charts.timeline())
    charts.show_with_picture("the widget", jchart)
    assert "use the explorer again" in shown[0]["text/plain"] and shown[1] == "the widget"


def test_east_asia_map_draws_coastlines_shipped_in_the_package():
    from importlib import resources

    folder = resources.files("workbook.charts").joinpath("geodata")
    assert "public domain" in folder.joinpath("README.md").read_text(encoding="utf-8")
    features = charts.places.land_features()
    coordinates = [
        point for polygon in features[0]["geometry"]["coordinates"] for ring in polygon for point in ring
    ]
    west, east, south, north = charts.places.LAND_BOX
    assert len(coordinates) > 1000
    assert all(west <= x <= east and south <= y <= north for x, y in coordinates)
    spec = charts.places_map().to_dict()
    shapes = [
        layer
        for layer in spec["layer"]
        if layer.get("mark", {}).get("type") == "geoshape" and layer["mark"].get("fill")
    ]
    assert shapes, "no land layer on the East Asia map"
    assert "with coastlines" in spec["description"] and "Natural Earth" in " ".join(spec["title"]["subtitle"])
    world = charts.places_map(highlight="Madrid").to_dict()
    assert "with no coastlines" in world["description"]


def test_bar_without_its_words_says_what_is_missing():
    with pytest.raises(ValueError, match=r"please give title= and description= and source= as text"):
        charts.bar(load("claims"), "topic", "value")
    with pytest.raises(ValueError, match=r"please give source= as text"):
        charts.bar(load("claims"), "topic", "value", title="T", description="d")


def test_bar_given_its_words_without_names_says_how_to_name_them():
    table = pd.DataFrame({"topic": ["a", "b"], "claims": [1, 2]})
    with pytest.raises(TypeError, match=r"and the rest by name: charts.bar\(df, 'topic', 'claims', color="):
        charts.bar(table, "topic", "claims", "My title")
