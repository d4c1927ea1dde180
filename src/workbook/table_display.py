"""How tables read in a notebook: years as 1994, counts as 145,000, blanks left blank, texts whole.

pandas shows ``145000.0`` for a count held as a float, ``<NA>`` for a blank, cuts texts at 50
characters and lets a narrow text column wrap after every word.  :func:`styled` gives a pandas
``Styler`` that fixes the look only (the DataFrame's values and dtypes stay as they are);
:func:`install` makes it the way every DataFrame shows in a Jupyter kernel.
"""

from __future__ import annotations

import html
import itertools
import re

import pandas as pd

from .numbers import format_number  # noqa: F401 - one formatter for tables and charts

#: Columns whose numbers are years (no thousands separator): "year", "start_year", "period_end", ...
YEAR_COLUMN = re.compile(r"(^|_)(year|years|period_start|period_end|start_year|end_year)($|_)|^(start|end)$")
#: Columns whose numbers are labels, not amounts (printed without separators).
ID_COLUMN = re.compile(r"(^|_)(paragraph|phase|id)($|_)")
#: A text column longer than this many characters gets room to breathe instead of wrapping each word.
WIDE_TEXT = 24
#: Beyond this, a text cell wraps (at word breaks) rather than stretching the table off screen.
MAX_TEXT_EM = 36


def is_year_column(name) -> bool:
    """True for a column whose numbers are years ("year", "period_start", "end_year", ...)."""
    return bool(YEAR_COLUMN.search(str(name).lower()))


def format_range(low, high, year: bool = False) -> str:
    """A range of two numbers: "1994-1996" for years, "30,000-40,000" for amounts."""
    return f"{format_number(low, year)}-{format_number(high, year)}"


def _text(value) -> str:
    """A cell as escaped text (web addresses as links); a blank (None, NaN, <NA>, NaT) as nothing."""
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):  # a list or other container is not blank
        pass
    return linked(html.escape(str(value)))


_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:)\]]")


def linked(escaped: str) -> str:
    """Escaped text with every web address in it made a link (opened in a new tab)."""
    return _URL.sub(
        lambda m: f'<a href="{m.group(0)}" target="_blank" rel="noopener">{m.group(0)}</a>', escaped
    )


def text_width_em(column: pd.Series) -> int:
    """A sensible minimum width (em) for a text column: 0 for short texts and numbers, at most MAX_TEXT_EM."""
    if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
        return 0
    width = _text_width(column)
    if width <= WIDE_TEXT:
        return 0
    return min(MAX_TEXT_EM, max(12, width // 2))


def _year_rows(df: pd.DataFrame) -> pd.Series:
    """Rows whose ``unit`` says their values are years (the claims table mixes units per row)."""
    if "unit" not in df.columns:
        return pd.Series(False, index=df.index)
    return df["unit"].astype("string").str.lower().isin(["year", "years"]).fillna(False)


_TABLE_IDS = itertools.count(1)


def _text_width(column: pd.Series) -> int:
    lengths = column.dropna().astype(str).str.len()
    return int(lengths.max()) if len(lengths) else 0


def styled(df: pd.DataFrame, caption: str | None = None):
    """``df`` as a pandas Styler that reads well; the data itself is not changed.

    Numbers: thousands separators for amounts, none for years, ids and paragraphs; floats that
    hold whole numbers print without ``.0``; blanks print as nothing.  Texts print whole, and a
    text column of long values is given a sensible width instead of wrapping every word.
    """
    # Ids numbered in display order instead of pandas' random ones: the same notebook run gives the
    # same HTML (reviewable, and checkable by nbval), and no two tables on a page share an id.
    styler = df.style.format(_text).format_index(escape="html", axis=0).set_uuid(f"wb{next(_TABLE_IDS)}")
    styler = styler.format_index(escape="html", axis=1)
    year_rows = _year_rows(df)
    styles = [{"selector": "th, td", "props": [("text-align", "left"), ("vertical-align", "top")]}]
    for position, name in enumerate(df.columns):
        column = df.iloc[:, position]
        selector = f".col{position}"
        if pd.api.types.is_bool_dtype(column):
            continue
        if pd.api.types.is_numeric_dtype(column):
            plain = is_year_column(name) or bool(ID_COLUMN.search(str(name).lower()))
            styler = styler.format(lambda v, plain=plain: format_number(v, year=plain), subset=[name])
            if not plain and year_rows.any():  # e.g. a claim's value, which is a year when its unit is
                styler = styler.format(
                    lambda v: format_number(v, year=True),
                    subset=pd.IndexSlice[year_rows[year_rows].index, [name]],
                )
            styles.append(
                {"selector": selector, "props": [("text-align", "right"), ("white-space", "nowrap")]}
            )
        elif pd.api.types.is_datetime64_any_dtype(column):
            styler = styler.format(
                lambda v: "" if pd.isna(v) else (f"{v:%Y-%m-%d}" if v == v.normalize() else str(v)),
                subset=[name],
            )
            styles.append({"selector": selector, "props": [("white-space", "nowrap")]})
        else:
            width = _text_width(column)
            if width > WIDE_TEXT:
                em = min(MAX_TEXT_EM, max(12, width // 2))
                styles.append(
                    {"selector": selector, "props": [("min-width", f"{em}em"), ("white-space", "normal")]}
                )
            else:
                styles.append({"selector": selector, "props": [("white-space", "nowrap")]})
    styler = styler.set_table_styles(styles, overwrite=False)
    if caption:
        styler = styler.set_caption(caption)
    return styler


def to_html(df: pd.DataFrame, caption: str | None = None, index: bool = True) -> str:
    """``df`` as HTML that reads well (see :func:`styled`); ``index=False`` leaves the row labels off."""
    styler = styled(df, caption)
    if not index:
        styler = styler.hide(axis="index")
    return styler.to_html()


def shown_rows(df: pd.DataFrame) -> tuple[pd.DataFrame, str | None]:
    """The rows pandas would show (first and last few of a long table) and a note saying so."""
    most = pd.get_option("display.max_rows")
    if not most or len(df) <= most:  # 0 or None: no limit
        return df, None
    half = max((pd.get_option("display.min_rows") or 10) // 2, 1)
    shown = pd.concat([df.iloc[:half], df.iloc[-half:]])
    return shown, f"The first {half} and last {half} of {len(df):,} rows ({len(df.columns)} columns)."


def dataframe_html(df: pd.DataFrame) -> str | None:
    """The notebook's HTML for a DataFrame; pandas' own when the table is too wide or unusual."""
    most = pd.get_option("display.max_columns")
    if (
        df.columns.nlevels > 1
        or df.index.nlevels > 1
        or not df.columns.is_unique
        or (most and len(df.columns) > most)
    ):  # 0 or None: no limit
        return df._repr_html_()
    shown, note = shown_rows(df)
    try:
        return to_html(shown, caption=note)
    except Exception:  # noqa: BLE001 - never lose a table: pandas' own display is the fallback
        return df._repr_html_()


def install(shell=None, html=dataframe_html) -> bool:
    """Show every DataFrame in this kernel through ``html`` (:func:`dataframe_html`); False outside IPython."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None:
        return False
    shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, html)
    return True
