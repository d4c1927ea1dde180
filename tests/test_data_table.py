"""charts.data_table: every chart's data as a table a screen reader can walk (issue 13)."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from workbook import charts, load
from workbook.charts import data_table


@pytest.mark.parametrize("name", sorted(charts.BUILDERS))
def test_every_builder_gets_a_table_with_its_citations(name):
    spec = charts.BUILDERS[name]().to_dict()
    found = data_table.tables(spec)
    assert found, f"{name}: no table"
    assert any("citation" in t["columns"] for t in found), f"{name}: no citation column"
    page = data_table.table_html(spec)
    assert page.startswith("<details") and "<summary>Show the data: " in page
    assert html.escape(spec["description"]) in page
    assert page.count("<caption>") == len(found)


def test_the_rows_are_the_charts_rows_once_each():
    phases, events = load("phases"), load("events")
    found = {tuple(t["columns"]): t["rows"] for t in data_table.tables(charts.timeline().to_dict())}
    events_table = found[("event", "when", "kind", "citation")]
    assert len(events_table) == len(events)  # points and the lines of lasting events: read once
    assert sorted(r[0] for r in events_table) == sorted(events["title"].astype(str))
    assert len(found[("phase", "years", "summary", "citation")]) == len(phases)  # bands and their labels


def test_cells_are_escaped_and_numbers_readable():
    frame = pd.DataFrame({"what": ["<b>bold</b>", "x"], "count": [145000, 3], "citation": ["a & b", "c"]})
    chart = charts.bar(frame, "what", "count", title="T <i>", description="D", source="S")
    page = data_table.table_html(chart)
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    assert "<td>145,000</td>" in page and "a &amp; b" in page
    assert '<th scope="col">citation</th>' in page


def test_the_renderer_puts_the_table_under_the_chart():
    import ipywidgets as W
    from ipywidgets.widgets.widget import _instances

    from workbook.charts import offline

    spec = charts.fuel_chart().to_dict()
    bundle = offline.render(spec)
    bundle = bundle[0] if isinstance(bundle, tuple) else bundle  # (data, metadata) or data
    box = _instances[bundle["application/vnd.jupyter.widget-view+json"]["model_id"]]
    assert isinstance(box, W.VBox) and "workbook-chart" in box._dom_classes
    from workbook.access import Access

    chart, table, helper = box.children
    assert isinstance(helper, Access)  # names the chart's menu for screen readers
    assert chart.spec["description"] == spec["description"]
    assert table.value == data_table.table_html(spec)


def test_dataframes_show_in_a_box_the_keyboard_can_reach():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        assert data_table.scrollable_dataframes(shell)
        frame = load("readings")
        data, _ = shell.display_formatter.format(frame)
        page = data["text/html"]
        assert page.startswith('<div class="workbook-table" tabindex="0" role="region"')
        # inside the box: the workbook's own table display (issue 12), years and counts formatted
        assert f"{len(frame)} rows" in page and '<table id="T_wb' in page
        assert ">1996<" in page or ">1997<" in page, "a year prints as 1996, not 1,996"
        # regions are told apart by their columns; no empty header cell in the corner
        assert f"columns ({', '.join(map(str, list(frame.columns)[:4]))}" in page
        assert not re.search(r"<th[^>]*>(&nbsp;|\s)*</th>", page), "an empty header cell"
        other, _ = shell.display_formatter.format(load("phases"))
        label = re.compile(r'aria-label="([^"]*)"')
        assert label.search(other["text/html"]).group(1) != label.search(page).group(1)
    finally:
        InteractiveShell.clear_instance()
