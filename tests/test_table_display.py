"""workbook.table_display: tables read well (years, counts, blanks, whole texts) and keep their data."""

from __future__ import annotations

import re
from html import unescape

import pandas as pd
import pytest

from workbook import load, tables
from workbook import table_display as td


def _cells(html: str) -> list[str]:
    """The text of every data cell of an HTML table."""
    return [
        unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)
    ]


def _column(html: str, position: int) -> list[str]:
    """The text of the cells of column ``position`` (Styler marks each cell ``colN``)."""
    return [
        unescape(c).strip()
        for c in re.findall(rf'<td[^>]*class="data row\d+ col{position}"[^>]*>(.*?)</td>', html, re.S)
    ]


@pytest.mark.parametrize(
    ("value", "year", "text"),
    [
        (145000.0, False, "145,000"),
        (1994.0, True, "1994"),
        (1994, True, "1994"),
        (0.997, False, "0.997"),
        (1.004, False, "1.004"),
        (12345.5, False, "12,345.5"),
        (None, False, ""),
        (pd.NA, False, ""),
        (float("nan"), True, ""),
        (-3.0, False, "-3"),
    ],
)
def test_format_number(value, year, text):
    assert td.format_number(value, year=year) == text


def test_a_range_of_years_has_no_thousands_separator():
    assert td.format_range(1994.0, 1996.0, year=True) == "1994-1996"
    assert td.format_range(30000, 40000) == "30,000-40,000"


def test_claims_show_years_as_years_counts_with_commas_and_blanks_blank():
    claims = load("claims")
    html = td.to_html(claims)
    cells = _cells(html)
    assert "<NA>" not in cells and "nan" not in cells and "None" not in cells
    assert not any(re.fullmatch(r"\d+\.0", c) for c in cells), "a whole number printed with .0"
    assert not any(re.fullmatch(r"1,9\d\d|2,0\d\d", c) for c in cells), (
        "a year printed with a thousands separator"
    )
    value = list(claims.columns).index("value")
    shown = _column(html, value)
    years = claims["unit"].astype(str) == "year"
    for row, (number, is_year) in enumerate(zip(claims["value"], years)):
        if pd.notna(number) and float(number).is_integer() and number >= 1000:
            assert shown[row] == (f"{number:.0f}" if is_year else f"{number:,.0f}")
    assert "145,000" in shown
    starts = _column(html, list(claims.columns).index("period_start"))
    assert "1994" in starts and all("," not in s for s in starts)


def test_dtypes_are_left_as_they_are():
    claims = load("claims")
    before = claims.dtypes.copy()
    td.to_html(claims)
    td.dataframe_html(claims)
    assert claims.dtypes.equals(before) and claims["value"].dtype == "float64"


def test_tables_descriptions_print_whole():
    listing = tables()
    html = td.dataframe_html(listing)
    longest = max(listing["description"], key=len)
    assert len(longest) > 60  # pandas would cut it at 50 characters
    assert longest in _cells(html)


def test_a_long_text_column_gets_room_instead_of_wrapping_every_word():
    claims = load("claims")
    html = td.to_html(claims)
    measure = list(claims.columns).index("measure")
    rule = re.search(rf"\.col{measure} \{{([^}}]*)\}}", html)
    assert (
        rule
        and re.search(r"min-width: *(\d+)em", rule[1])
        and int(re.search(r"min-width: *(\d+)em", rule[1])[1]) >= 12
    )
    short = list(claims.columns).index("claim_id")
    assert "nowrap" in re.search(rf"\.col{short} \{{([^}}]*)\}}", html)[1]


def test_a_long_table_shows_its_first_and_last_rows_and_says_so():
    claims = load("claims")
    with pd.option_context("display.max_rows", 60, "display.min_rows", 10):
        html = td.dataframe_html(claims)
    assert f"of {len(claims)} rows" in html
    assert len(re.findall(r"<tr>", html)) <= 12
    assert claims["claim_id"].iloc[-1] in _cells(html)


def test_text_is_escaped():
    html = td.to_html(pd.DataFrame({"name": ["<script>alert(1)</script>"], "<b>": [1]}))
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>" not in html


def test_install_makes_it_the_notebook_display():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    try:
        assert td.install(shell)
        data, _ = shell.display_formatter.format(load("personnel"))
        assert "145,000" in data["text/html"] and "145000.0" not in data["text/html"]
        assert "[7 rows x 13 columns]" in data["text/plain"]  # plain text stays pandas' own
    finally:
        shell.display_formatter.formatters["text/html"].pop(pd.DataFrame, None)
        InteractiveShell.clear_instance()


def test_web_addresses_are_links_and_long_texts_get_room():
    from workbook.widgets import _Rows

    df = pd.DataFrame(
        {
            "source_url": ["https://www.mod.go.jp/e/publ/w_paper/ (2005), p. 3"],
            "note": ["a long explanation of where the figure comes from and what it counts"],
        }
    )
    page = td.to_html(df)
    assert '<a href="https://www.mod.go.jp/e/publ/w_paper/" target="_blank"' in page
    rows = _Rows(df)
    assert "min-width:" in rows.head and '<a href="https://www.mod.go.jp/e/publ/w_paper/"' in rows.rows[0]
