"""One number formatter: a chart's labels, its "Show the data" table and a DataFrame read the same."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from workbook import charts, numbers, table_display
from workbook.charts import data_table


def test_charts_and_tables_share_one_formatter():
    assert charts.format_number is numbers.format_number is table_display.format_number


@pytest.mark.parametrize(
    "value, text",
    [(1234.5678, "1,234.57"), (145000.0, "145,000"), (0.997, "0.997"), (12345678.9, "12,345,678.90")],
)
def test_a_number_reads_the_same_in_a_chart_its_data_table_and_a_dataframe(value, text):
    assert charts.format_number(value) == text
    assert data_table._cell(value) == text
    shown = table_display.styled(pd.DataFrame({"value": [value]})).to_html()
    assert f">{text}<" in shown


def test_a_chart_label_uses_it():
    spec = json.dumps(charts.spending_chart(ceiling=1.2345678).to_dict())
    assert "ceiling you chose: 1.23457%" in spec  # six significant digits, as tables show it
    assert "1.235%" not in spec


def test_years_and_blanks():
    assert data_table._cell(1994.0) == "1994" and data_table._cell(1994) == "1994"
    assert numbers.format_number(pd.NA) == numbers.format_number(float("nan")) == ""
