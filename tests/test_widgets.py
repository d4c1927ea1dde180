"""workbook.widgets: set a control's value, and the explorer's result, text and chart follow."""

from __future__ import annotations

import json

import altair as alt
import ipywidgets as W
import pytest

from workbook import charts, load, widgets


def _chart_spec(explorer) -> dict:
    assert isinstance(explorer.chart, alt.JupyterChart)
    return explorer.chart.spec


def _controls(explorer) -> list[W.Widget]:
    return [
        v for v in vars(explorer).values() if isinstance(v, (W.ValueWidget,)) and not isinstance(v, W.HTML)
    ]


ALL_EXPLORERS = [
    widgets.BudgetCalculator,
    widgets.PhaseStepper,
    widgets.ClaimExplorer,
    widgets.ClaimVsRecord,
    widgets.PlacePicker,
    widgets.CeilingSlider,
    widgets.ChartBuilder,
]


@pytest.mark.parametrize("cls", ALL_EXPLORERS, ids=lambda c: c.__name__)
def test_each_explorer_has_a_widget_and_described_controls(cls):
    explorer = cls()
    assert isinstance(explorer.widget, W.Box)
    assert callable(explorer._ipython_display_)
    controls = _controls(explorer)
    assert controls
    for control in controls:
        assert control.description.strip(), f"{cls.__name__}: a {type(control).__name__} has no description"


# --------------------------------------------------------------------------- BudgetCalculator


def test_budget_calculator_multiplies_economy_by_share():
    calc = widgets.BudgetCalculator()
    claims = load("claims").set_index("claim_id")
    assert calc.share.value == pytest.approx(claims.loc["essay2005-06d", "value"])
    assert "hypothetical" in calc.economy.description
    calc.share.value = 2
    calc.economy.value = 500
    assert calc.result == pytest.approx(10)
    assert "10.00 trillion yen" in calc.label.value
    calc.economy.value = 300
    assert calc.result == pytest.approx(6)


# --------------------------------------------------------------------------- PhaseStepper


def test_phase_stepper_shows_the_chosen_phase():
    stepper = widgets.PhaseStepper()
    phases = load("phases").set_index("phase")
    stepper.phase.value = 3
    assert phases.loc[3, "name"] in stepper.status.value
    assert phases.loc[3, "summary"] in stepper.text.value.replace("&#x27;", "'").replace("&quot;", '"')
    assert int(stepper.current["phase"]) == 3
    assert f"{phases.loc[3, 'start_year']}-{phases.loc[3, 'end_year']}" in stepper.status.value
    spec = _chart_spec(stepper)
    # One chart, drawn once: the slider moves its "phase" param (in the browser, or from code here).
    assert stepper.chart.params.phase == 3
    assert {"name": "phase", "value": 1} in spec["params"]  # drawn at the first phase
    assert "chosen with the Phase slider is highlighted" in spec["description"]
    stepper.phase.value = 1
    assert phases.loc[1, "name"] in stepper.status.value and phases.loc[3, "name"] not in stepper.status.value
    assert stepper.chart.params.phase == 1
    assert _chart_spec(stepper) == spec


# --------------------------------------------------------------------------- ClaimExplorer


def test_claim_explorer_filters_by_reading_topic_and_hedge():
    explorer = widgets.ClaimExplorer()
    claims = load("claims")
    assert explorer.count == len(claims)
    explorer.reading.value = "essay2005"
    assert len(explorer.matches) == explorer.count == int((claims["reading"] == "essay2005").sum())
    assert set(explorer.matches["reading"].astype(str)) == {"essay2005"}
    assert f"<b>{explorer.count}</b>" in explorer.summary.value
    topic = str(explorer.matches["topic"].iloc[0])
    explorer.topic.value = topic
    assert (explorer.matches["topic"].astype(str) == topic).all()
    assert (explorer.matches["reading"].astype(str) == "essay2005").all()
    assert explorer.count == len(explorer.matches) > 0
    explorer.reading.value = "all"
    explorer.topic.value = "all"
    explorer.hedge.value = "over"
    assert explorer.count == int((claims["hedge"] == "over").sum())


def test_claim_explorer_shows_zero_matches_without_error():
    explorer = widgets.ClaimExplorer()
    claims = load("claims")
    sa_topics = set(claims.loc[claims["reading"] == "sa1997", "topic"].astype(str))
    only_essay = sorted(set(claims["topic"].astype(str)) - sa_topics)
    assert only_essay, "the data no longer has an essay-only topic"
    explorer.topic.value = only_essay[0]
    explorer.reading.value = "sa1997"
    assert explorer.count == 0 and explorer.matches.empty
    assert "<b>0</b> claims match" in explorer.summary.value


# --------------------------------------------------------------------------- ClaimVsRecord


@pytest.mark.parametrize("subject", ["defence_spending", "personnel", "fuel_share", "compensation"])
def test_claim_vs_record_toggles_the_rows_shown(subject):
    explorer = widgets.ClaimVsRecord(subject)
    data = load(subject)
    assert explorer.view.value == "both" and len(explorer.rows) == len(data)
    explorer.view.value = "the public record"
    assert set(explorer.rows["source"]) == {"public record"}
    assert len(explorer.rows) == int((data["source"] == "public record").sum())
    assert explorer.chart.params.view == "record"
    record_spec = _chart_spec(explorer)
    explorer.view.value = "the reading's claim"
    assert set(explorer.rows["source"]) and "public record" not in set(explorer.rows["source"])
    assert all(s.endswith("(claim)") for s in explorer.rows["source"])
    assert explorer.chart.params.view == "claim"
    assert _chart_spec(explorer) == record_spec  # the chart is not rebuilt: its param hides rows
    assert f": {len(explorer.rows)}</caption>" in explorer.table.value
    assert explorer.rows["citation"].iloc[0] in explorer.table.value.replace("&quot;", '"').replace(
        "&#x27;", "'"
    )


def test_claim_vs_record_rejects_an_unknown_subject():
    with pytest.raises(ValueError, match="defence_spending"):
        widgets.ClaimVsRecord("yasukuni")


# --------------------------------------------------------------------------- PlacePicker


def test_place_picker_shows_the_place_and_its_other_names():
    picker = widgets.PlacePicker()
    places = load("places")
    named = places[places["other_names"].notna()]
    row = named.iloc[-1]
    assert picker.place.value != row["name"]
    picker.place.value = row["name"]
    assert picker.current["place_id"] == row["place_id"]
    names_line = picker.text.value.split("Other names:")[1].split("<br>")[0]
    for other in str(row["other_names"]).split("; "):
        assert other in names_line
    assert str(row["dispute"]) in picker.text.value
    assert row["name"] in picker.status.value
    # One chart, drawn once with every place's layout: the list moves its "place" param.
    assert picker.chart.params.place == row["place_id"]
    spec = _chart_spec(picker)
    assert "chosen in the list is circled" in spec["description"]
    picker.place.value = "Madrid"  # beyond East Asia: the same chart, the param moves
    assert picker.chart.params.place == "madrid" and _chart_spec(picker) == spec
    assert "Madrid" in picker.status.value and row["name"] not in picker.status.value


# --------------------------------------------------------------------------- CeilingSlider


@pytest.mark.parametrize("level", [1.0, 0.9, 1.5])
def test_ceiling_slider_lists_the_years_above(level):
    slider = widgets.CeilingSlider()
    records = load("defence_spending").query("source == 'public record'")
    slider.ceiling.value = level
    expected = [int(y) for y in records.loc[records["value"] > level, "year"]]
    assert slider.years_above == expected
    assert f"<b>{len(expected)}</b>" in slider.text.value
    assert slider.chart.params.ceiling == pytest.approx(level)


def test_ceiling_slider_starts_at_the_claim():
    claims = load("claims").set_index("claim_id")
    assert widgets.CeilingSlider().ceiling.value == pytest.approx(claims.loc["essay2005-06d", "value"])


# --------------------------------------------------------------------------- ChartBuilder


def test_chart_builder_reports_a_bad_choice_without_raising():
    builder = widgets.ChartBuilder()
    assert builder.error == ""
    assert "measure" not in builder.y.options  # only number columns can set a bar's length
    assert all(charts.is_number_column(builder.data[c]) for c in builder.y.options)
    assert "(missing)" not in json.dumps(_chart_spec(builder))  # rows without a year are left out
    builder.x.value = "source"
    builder.data = builder.data.assign(value="many")  # a table whose "numbers" are words
    builder._update()
    assert builder.error and "numbers" in builder.error
    assert "can't be drawn" in builder.message.value
    assert _chart_spec(builder)["title"]["text"] == "Nothing to draw"
    builder.data = load("defence_spending")
    builder.y.value = builder.y.options[-1]
    builder.y.value = "value"
    assert builder.error == ""
    spec = _chart_spec(builder)
    assert spec["encoding"]["x"]["field"] == "source" and spec["encoding"]["y"]["field"] == "value"


def test_chart_builder_offers_the_new_tables_columns():
    builder = widgets.ChartBuilder()
    builder.table.value = "claims"
    assert {"reading", "topic", "paragraph"} <= set(builder.x.options) <= set(load("claims").columns)
    assert "paraphrase" not in builder.x.options  # a sentence does not name a bar
    assert builder.y.value in builder.y.options and builder.error == ""
    assert "topic" not in builder.color.options  # 15 kinds: more than the palette's colours
    builder.table.value = "records"
    builder.x.value, builder.color.value = "subject", "source_kind"
    spec = _chart_spec(builder)
    assert spec["encoding"]["x"]["field"] == "subject" and spec["encoding"]["color"]["field"] == "source_kind"


@pytest.mark.parametrize("table", widgets.table_names())
def test_chart_builder_offers_only_columns_that_fit_each_role(table):
    builder = widgets.ChartBuilder(table)
    data = load(table)
    assert list(builder.y.options) == [c for c in data.columns if charts.is_number_column(data[c])]
    for column in builder.x.options:
        values = data[column].dropna()
        if charts.is_number_column(data[column]):
            assert (values % 1 == 0).all(), column  # whole numbers: years, paragraphs
        else:
            assert values.astype(str).str.len().max() <= widgets.LABEL_CHARS, column
    for column in builder.color.options[1:]:
        assert 2 <= data[column].nunique() <= len(charts.PALETTE), column
    spec = _chart_spec(builder)
    if builder.y.options:  # it starts from a drawn chart, Vega-Lite-valid although not validated per change
        assert builder.error == "" and "(missing)" not in json.dumps(spec)
        alt.Chart.from_dict(spec, validate=True)
    else:  # no numbers, no bar length: said, not raised, and no text column offered instead
        assert "no column of numbers" in builder.error and spec["title"]["text"] == "Nothing to draw"


def test_chart_builder_builds_a_choice_once():
    builder = widgets.ChartBuilder()
    first = _chart_spec(builder)
    builder.x.value = "source"
    assert _chart_spec(builder) is not first
    builder.x.value = "year"
    assert _chart_spec(builder) is first  # the same choice again: not built again
    builder.table.value = "records"
    builder.table.value = "defence_spending"
    assert _chart_spec(builder) is first and builder.error == ""
    builder.data = builder.data.assign(value="many", year="many")  # rows changed by code: built afresh
    builder._update()
    assert "numbers" in builder.error


# --------------------------------------------------------------------------- keyboard, screen reader, speed


def _links(explorer) -> list[dict]:
    from workbook.access import Access

    helpers = [w for w in explorer.widget.children if isinstance(w, Access)]
    assert len(helpers) == 1, "every explorer carries one Access helper"
    return helpers[0].links


@pytest.mark.parametrize("cls", ALL_EXPLORERS, ids=lambda c: c.__name__)
def test_each_explorer_is_marked_for_keyboard_help_and_charts_have_their_data(cls):
    from workbook.access import ROOT_CLASS

    explorer = cls()
    assert ROOT_CLASS in explorer.widget._dom_classes
    _links(explorer)
    if explorer.chart is not None and cls is not widgets.ClaimVsRecord:  # that one shows its rows already
        assert explorer.data_view in explorer.widget.children
        assert "<summary>Show the data" in explorer.data_view.value
        assert '<th scope="col">citation</th>' in explorer.data_view.value


@pytest.mark.parametrize(
    "cls, control, param",
    [
        (widgets.PhaseStepper, "phase", "phase"),
        (widgets.CeilingSlider, "ceiling", "ceiling"),
        (widgets.ClaimVsRecord, "view", "view"),
        (widgets.PlacePicker, "place", "place"),
    ],
)
def test_linked_controls_drive_a_param_the_chart_declares(cls, control, param):
    explorer = cls()
    [link] = _links(explorer)
    assert link["control"] == f"IPY_MODEL_{getattr(explorer, control).model_id}"
    assert link["chart"] == f"IPY_MODEL_{explorer.chart.model_id}"
    assert link["param"] == param and param in {p["name"] for p in _chart_spec(explorer)["params"]}
    if link["values"]:  # an index of the buttons -> the param's value, in the buttons' order
        assert len(link["values"]) == len(getattr(explorer, control).options)
    if cls is widgets.PlacePicker:  # index i of the list -> the id of its i-th place
        assert link["trait"] == "index"
        assert link["values"] == list(load("places")["place_id"])
        assert list(explorer.place.options) == list(load("places")["name"])


def test_a_change_from_the_browser_is_not_sent_back_to_the_chart():
    """The browser moved the chart already; Python must not echo an older value over a newer one."""
    stepper = widgets.PhaseStepper()
    stepper.chart.params.phase = 1
    sent = []
    stepper.chart.observe(lambda change: sent.append(change["new"]), names="_params")
    stepper.phase.set_state({"value": 2})  # what ipywidgets does with a message from the browser
    assert stepper.phase.value == 2 and "Phase 2" in stepper.status.value
    assert sent == []
    stepper.phase.value = 3  # from code: the chart must follow
    assert sent and stepper.chart.params.phase == 3


def test_claim_explorer_sends_every_row_once_and_a_filter_as_the_rows_to_show():
    """The table holds every claim once; a filter changes only which rows show and the count in
    the caption; the saved stand-in holds the matching rows only."""
    explorer = widgets.ClaimExplorer()
    table = explorer.table.html
    assert table.count("<tr>") == len(explorer.claims) + 1  # the header row and one per claim
    assert 'tabindex="0" role="region"' in table and "<caption>" in table
    explorer.reading.value = "sa1997"
    explorer.hedge.value = str(explorer.matches["hedge"].dropna().iloc[0])
    assert explorer.table.html == table, "a filter re-sent the table"
    assert explorer.count > 0
    assert list(explorer.claims["claim_id"].iloc[explorer.table.shown]) == list(explorer.matches["claim_id"])
    assert explorer.table.caption == f"Claims that match: {explorer.count}"
    saved = explorer.table.standin()
    assert f"<caption>Claims that match: {explorer.count}</caption>" in saved
    assert saved.count("<tr>") == explorer.count + 1
    for claim_id in explorer.matches["claim_id"]:
        assert f"<td>{claim_id}</td>" in saved
    explorer.reading.value = explorer.hedge.value = "all"
    assert explorer.table.shown == list(range(len(explorer.claims)))


def _live_regions(widget) -> list:
    """Every widget inside ``widget`` that a screen reader announces when it changes."""
    found = [widget] if "workbook-live" in getattr(widget, "_dom_classes", ()) else []
    for child in getattr(widget, "children", ()):
        found += _live_regions(child)
    return found


@pytest.mark.parametrize("cls", ALL_EXPLORERS, ids=lambda c: c.__name__)
def test_live_regions_announce_one_line_never_a_table(cls):
    """What is re-announced on every change is a short sentence ("12 claims match"), not the results."""
    explorer = cls()
    for control in _controls(explorer):  # operate each control once, to its last choice
        options = getattr(control, "options", None)
        if options:
            control.value = options[-1] if not isinstance(options[-1], tuple) else options[-1][1]
        elif isinstance(getattr(control, "max", None), (int, float)):
            control.value = control.max
    regions = _live_regions(explorer.widget)
    assert regions, f"{cls.__name__}: nothing is announced when a control changes"
    for region in regions:
        text = region.value
        assert "<table" not in text and "<h" not in text, f"{cls.__name__}: live region holds {text[:80]!r}"
        assert len(text) < 400 and text.count("<p") <= 1, f"{cls.__name__}: live region too long: {text!r}"


def test_the_saved_picture_shows_the_place_chosen_last():
    """The stand-in saved with the notebook draws the chart with its params as they are now."""
    import base64
    import re

    from workbook import snapshots

    def bold_name(page: str) -> list[str]:
        svg = base64.b64decode(re.search(r"base64,([^\"]+)", page)[1]).decode()
        return re.findall(r'font-size="15px" font-weight="bold"[^>]*>([^<]+)<', svg)

    picker = widgets.PlacePicker()
    assert bold_name(snapshots.standin_html(picker.widget)) == ["Senkaku Islands"]
    picker.place.value = "Madrid"  # the spec stays; the param moves
    page = snapshots.standin_html(picker.widget)
    assert bold_name(page) == ["Madrid"] and "Place: Madrid" in page


def test_the_pages_drawing_becomes_the_saved_picture_and_nothing_else_does():
    """A chart in an explorer sends the page's SVG back; the stand-in keeps that very drawing
    (compacted), the kernel draws none, and a message that is not an SVG changes nothing."""
    import base64
    import re

    from workbook import snapshots
    from workbook.charts import static

    def shown(page: str) -> str:
        return base64.b64decode(re.search(r"base64,([^\"]+)", page)[1]).decode()

    builder = widgets.ChartBuilder()
    drawn = snapshots.drawn_in_kernel
    page_svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" class="marks" width="10" height="10">'
        '<text role="graphics-symbol" x="1.23456">value for each year, as the page drew it</text></svg>'
    )
    assert snapshots._from_page(builder.chart, {"picture": page_svg})
    assert shown(snapshots.standin_html(builder.widget)) == static.compact(page_svg)
    assert snapshots.drawn_in_kernel == drawn, "the kernel drew a picture the page had sent"
    for bad in (
        {"picture": "<img src=x onerror=alert(1)>"},
        {"picture": 5},
        {"other": page_svg},
        page_svg,
        {"picture": "<svg" + " " * snapshots._MAX_PICTURE},
    ):
        assert not snapshots._from_page(builder.chart, bad), bad
    assert shown(snapshots.standin_html(builder.widget)) == static.compact(page_svg)
    # An explorer no page has drawn (a notebook run by a script): the kernel draws its picture.
    other = widgets.ChartBuilder()
    assert "<svg" in shown(snapshots.standin_html(other.widget))
    assert snapshots.drawn_in_kernel == drawn + 1
