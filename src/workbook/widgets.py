"""Small interactive explorers for the notebooks: move a slider, pick from a list, watch the result.

Each explorer is a class.  Make one and show it by putting it last in a cell::

    calc = widgets.BudgetCalculator()
    calc

Its controls are attributes (``calc.share``, ``calc.economy``), so code can set them too
(``calc.share.value = 2``), and the result is a plain Python attribute (``calc.result``) that is
updated every time a control changes.  Charts inside an explorer are one chart widget that is
redrawn in place.  Every number shown comes from the workbook's tables (``load``/``cite``).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import anywidget
import ipywidgets as W
import pandas as pd
import traitlets
from altair.utils.schemapi import debug_mode

from . import charts, table_display
from .access import Link, explorer_box
from .charts import alt
from .charts.claims_vs_record import CEILING_PARAM, VIEW_PARAM
from .charts.claims_vs_record import VIEWS as VIEW_VALUES
from .charts.places import PLACE_PARAM
from .charts.timeline import PHASE_PARAM
from .data import load, table_names
from .provenance import cite, claim_citation

__all__ = [
    "BudgetCalculator",
    "PhaseStepper",
    "ClaimExplorer",
    "ClaimVsRecord",
    "PlacePicker",
    "CeilingSlider",
    "ChartBuilder",
]

#: Show each control's whole description instead of cutting it short.
STYLE = {"description_width": "initial"}
WIDE = {"width": "560px"}
ALL = "all"
#: The claim the budget explorers start from: essay2005's "approximately 1%".
SPENDING_CLAIM = "essay2005-06d"


def _e(value) -> str:
    """Text made safe to put inside HTML."""
    return html.escape(str(value))


def _claim(claim_id: str) -> pd.Series:
    """One row of the claims table."""
    claims = load("claims")
    return claims[claims["claim_id"] == claim_id].iloc[0]


def _number(value) -> str:
    return charts.format_number(float(value))


def _scroll_box(table: str, label: str, height: int) -> str:
    """``table`` in a scrollable box that a keyboard user can reach (Tab) and scroll (arrows)."""
    return (
        f'<div style="max-height:{height}px; overflow:auto" tabindex="0" role="region" '
        f'aria-label="{_e(label)}">{table}</div>'
    )


def _html_table(df: pd.DataFrame, height: int = 320, caption: str = "Rows shown") -> str:
    """A scrollable HTML table of ``df`` (text escaped), with a caption and column headers."""
    return _scroll_box(_Rows(df).html(range(len(df)), caption), caption, height)


class _Rows:
    """A table's rows written as HTML once, so that showing a subset costs a join, not a render."""

    def __init__(self, df: pd.DataFrame):
        # a column as wide as its text needs (up to a limit): no one-word-per-line columns
        widths = [table_display.text_width_em(df.iloc[:, i]) for i in range(df.shape[1])]
        self.head = "".join(
            f'<th scope="col"{f" style=min-width:{w}em" if w else ""}>{_e(c)}</th>'
            for c, w in zip(df.columns, widths)
        )
        years = [table_display.is_year_column(c) for c in df.columns]
        self.rows = [
            "<tr>" + "".join(f"<td>{_cell(v, year)}</td>" for v, year in zip(row, years)) + "</tr>"
            for row in df.itertuples(index=False)
        ]

    def html(self, positions, caption: str) -> str:
        body = "".join(self.rows[i] for i in positions)
        return (
            f"<table><caption>{_e(caption)}</caption><thead><tr>{self.head}</tr></thead>"
            f"<tbody>{body}</tbody></table>"
        )


def _cell(value, year: bool) -> str:
    """One table cell: numbers as people write them (1994, 145,000), blanks blank, text escaped."""
    if _missing(value):
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _e(table_display.format_number(value, year))
    return table_display.linked(_e(value))


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _from_browser(control: W.Widget) -> bool:
    """True while ipywidgets applies a change sent by the browser (where a linked chart already moved)."""
    return bool(getattr(control, "_property_lock", None))


class Explorer:
    """What every explorer shares: a ``.widget`` to show, and showing itself in a notebook.

    ``.data_view`` is the chart's text alternative: a collapsed "Show the data" table with the
    chart's description and the rows it draws (with their citations).
    """

    widget: W.Widget
    chart: alt.JupyterChart | None = None
    data_view: W.HTML | None = None

    def _ipython_display_(self):
        from .snapshots import show  # its last state, saved, stands in for the widget after a reopen

        show(self.widget)

    def _draw(self, chart) -> None:
        """Show ``chart``: the first time in a new chart widget, then by redrawing that widget."""
        if self.chart is None:
            self.chart = charts.live(chart)
            self.data_view = W.HTML()
        else:
            self.chart.chart = chart
        self.data_view.value = charts.table_html(
            self.chart.spec or chart
        )  # the spec just sent: no second to_dict

    def _set_param(self, name: str, value, control: W.Widget) -> None:
        """Move the chart's param ``name`` from Python (the browser already did, if the change came from there)."""
        if self.chart is not None and not _from_browser(control):
            setattr(self.chart.params, name, value)


# --------------------------------------------------------------------------- budget arithmetic


class BudgetCalculator(Explorer):
    """How much money is "X% of the economy"?  Slide a hypothetical economy size and a share.

    ``.result`` is economy x share / 100 (trillion yen).  The share starts at the essay's claim.
    """

    def __init__(self):
        claim = _claim(SPENDING_CLAIM)
        self.claim_share = float(claim["value"])
        self.economy = W.FloatSlider(
            value=500,
            min=50,
            max=1000,
            step=10,
            style=STYLE,
            layout=WIDE,
            description="Size of a hypothetical economy (trillion yen):",
            tooltip="A made-up economy size, for practice: not a figure from the readings",
        )
        self.share = W.FloatSlider(
            value=self.claim_share,
            min=0,
            max=5,
            step=0.1,
            style=STYLE,
            layout=WIDE,
            description="Share spent on defence (% of the economy):",
            tooltip="Starts at the essay's claim; move it to try other shares",
        )
        self.label = W.HTML()
        self.label.add_class("workbook-live")
        self.result = 0.0
        self.economy.observe(self._update, names="value")
        self.share.observe(self._update, names="value")
        intro = W.HTML(
            f"<p>essay2005 says Japan's defence spending was <b>{_e(claim['hedge'])} "
            f"{_number(claim['value'])}% of GDP</b>. What does a share like that mean in money? "
            f"The economy size is hypothetical: pick any.</p><p><small>{_e(cite(SPENDING_CLAIM))}</small></p>"
        )
        self._update()
        self.widget = explorer_box([intro, self.economy, self.share, self.label])

    def _update(self, change=None) -> None:
        self.result = self.economy.value * self.share.value / 100
        self.label.value = (
            f"<p>{_number(self.share.value)}% of {_number(self.economy.value)} trillion yen "
            f"= <b>{self.result:,.2f} trillion yen</b></p>"
        )


# --------------------------------------------------------------------------- phases


class PhaseStepper(Explorer):
    """Step through essay2005's phases of the alliance; the timeline highlights the one chosen."""

    def __init__(self):
        self.phases = load("phases").sort_values("phase").reset_index(drop=True)
        self._readings = load("readings").set_index("id")
        first, last = int(self.phases["phase"].min()), int(self.phases["phase"].max())
        self.phase = W.IntSlider(
            value=first,
            min=first,
            max=last,
            step=1,
            style=STYLE,
            description="Phase:",
            tooltip="Choose a phase of the alliance",
        )
        self.play = W.Play(
            value=first,
            min=first,
            max=last,
            step=1,
            interval=3000,
            description="Play the phases in turn",
            tooltip="Play the phases in turn",
        )
        W.jslink((self.play, "value"), (self.phase, "value"))
        self.text = W.HTML()
        # A screen reader hears one line when the phase changes (the summary below stays readable).
        self.status = W.HTML()
        self.status.add_class("workbook-live")
        self.current = None
        self.phase.observe(self._update, names="value")
        self._update()
        # The chart is drawn once; the slider moves its "phase" param in the browser (no kernel).
        self.widget = explorer_box(
            [W.HBox([self.play, self.phase]), self.status, self.text, self.chart, self.data_view],
            [Link(self.phase, self.chart, PHASE_PARAM)],
        )

    def _update(self, change=None) -> None:
        row = self.phases[self.phases["phase"] == self.phase.value].iloc[0]
        self.current = row
        citation = claim_citation(row, self._readings.loc[row["reading"]])
        self.status.value = (
            f"<p><strong>Phase {int(row['phase'])}: {_e(row['name'])} "
            f"({int(row['start_year'])}-{int(row['end_year'])})</strong></p>"
        )
        self.text.value = (
            f"<p>{_e(row['summary'])}</p>"
            f"<p><small>How the years are worked out: {_e(row['years_basis'])}</small></p>"
            f"<p><small>{_e(citation)}</small></p>"
        )
        if self.chart is None:
            chart = charts.timeline(phases=self.phases, highlight_phase=int(row["phase"]))
            note = f" Phase {int(row['phase'])} is highlighted."
            self._draw(
                chart.properties(
                    description=chart.description.replace(
                        note,
                        " The phase chosen with the Phase slider is highlighted; its name and summary are "
                        "written above the chart.",
                    )
                )
            )
        self._set_param(PHASE_PARAM, int(row["phase"]), self.phase)


# --------------------------------------------------------------------------- claims


class RowsTable(anywidget.AnyWidget):
    """A table sent to the page once; ``shown`` (row positions) picks the rows the page lays out.

    A filter then costs a short list, and the page only hides and shows rows in place: no new
    table to parse, no style sheet for the whole page to match again.  ``standin`` is the table as
    shown now, for the saved stand-in (``workbook.snapshots``).
    """

    _esm = """
    export default {
      render({ model, el }) {
        const show = () => {
          const keep = new Set(model.get("shown"));
          el.querySelectorAll("tbody tr").forEach((row, i) => { row.style.display = keep.has(i) ? "" : "none"; });
          const caption = el.querySelector("caption");
          if (caption) caption.textContent = model.get("caption");
        };
        const draw = () => { el.innerHTML = model.get("html"); show(); };
        model.on("change:html", draw);
        model.on("change:shown", show);
        model.on("change:caption", show);
        draw();
      },
    };
    """
    html = traitlets.Unicode().tag(sync=True)
    shown = traitlets.List(traitlets.Int()).tag(sync=True)
    caption = traitlets.Unicode().tag(sync=True)

    def __init__(self, rows: _Rows, caption: str, height: int = 320):
        self._table, self._height = rows, height
        every = list(range(len(rows.rows)))
        html = _scroll_box(rows.html(every, caption), caption, height)
        super().__init__(html=html, shown=every, caption=caption)

    def standin(self) -> str:
        """The table as the page shows it now (only the rows shown), for the saved stand-in."""
        return _scroll_box(self._table.html(self.shown, self.caption), self.caption, self._height)


class ClaimExplorer(Explorer):
    """Filter the claims table by reading, topic and hedge word; ``.matches`` holds the rows."""

    COLUMNS = ["claim_id", "paragraph", "topic", "measure", "value", "unit", "hedge", "paraphrase"]

    def __init__(self):
        self.claims = load("claims")
        self.reading = self._dropdown("reading", "Reading:")
        self.topic = self._dropdown("topic", "Topic:")
        self.hedge = self._dropdown("hedge", "Hedge word:")
        # Only the one-line count is announced ("12 claims match"), never the table itself.
        self.summary = W.HTML()
        self.summary.add_class("workbook-live")
        self.matches = self.claims
        self.count = len(self.claims)
        # Every row sent once: a filter sends only which rows to show and the count.
        self.table = RowsTable(_Rows(self._shown(self.claims)), "Claims that match")
        for control in (self.reading, self.topic, self.hedge):
            control.observe(self._update, names="value")
        self._update()
        self.widget = explorer_box([W.HBox([self.reading, self.topic, self.hedge]), self.summary, self.table])

    def _dropdown(self, column: str, description: str) -> W.Dropdown:
        values = self.claims[column].dropna()
        present = set(values.astype(str))
        # Keep the table's own order (e.g. topics as the schema lists them), but only values in use.
        order = values.cat.categories if isinstance(values.dtype, pd.CategoricalDtype) else sorted(present)
        values = [str(v) for v in order if str(v) in present]
        return W.Dropdown(
            options=[ALL] + values,
            value=ALL,
            description=description,
            style=STYLE,
            tooltip=f"Show only claims with this {column} ('all' for every one)",
        )

    def _update(self, change=None) -> None:
        keep = pd.Series(True, index=self.claims.index)
        for column, control in (("reading", self.reading), ("topic", self.topic), ("hedge", self.hedge)):
            if control.value != ALL:
                keep &= self.claims[column].astype(str) == control.value
        self.matches = self.claims[keep]
        self.count = len(self.matches)
        with self.table.hold_sync():  # the rows and the caption's count in one message
            self.table.shown = [int(i) for i in keep.to_numpy().nonzero()[0]]
            self.table.caption = f"Claims that match: {self.count}"
        self.summary.value = f"<p><b>{self.count}</b> claim{'' if self.count == 1 else 's'} match.</p>"

    def _shown(self, claims: pd.DataFrame) -> pd.DataFrame:
        """The claims as the table shows them: numbers formatted, a range as "low-high"."""
        shown = claims.copy()
        ranges = shown["value"].isna() & shown["value_low"].notna()
        years = shown["unit"].astype(str) == "year"
        shown["value"] = [table_display.format_number(v, y) for v, y in zip(shown["value"], years)]
        shown.loc[ranges, "value"] = [
            table_display.format_range(lo, hi, y)
            for lo, hi, y in zip(
                shown.loc[ranges, "value_low"], shown.loc[ranges, "value_high"], years[ranges]
            )
        ]
        return shown[self.COLUMNS]


# --------------------------------------------------------------------------- claim against record

VIEWS = ("the reading's claim", "the public record", "both")


class ClaimVsRecord(Explorer):
    """Put a reading's claim beside the public record, or look at one of them alone.

    ``subject`` is one of "defence_spending", "personnel", "fuel_share", "compensation".
    """

    def __init__(self, subject: str = "defence_spending"):
        if subject not in charts.FOR_TABLE:
            raise ValueError(
                f"ClaimVsRecord() knows the subjects {', '.join(map(repr, charts.FOR_TABLE))}; "
                f"not {subject!r}."
            )
        self.subject = subject
        self.data = load(subject)
        self.builder = charts.FOR_TABLE[subject]
        self.view = W.ToggleButtons(
            options=list(VIEWS),
            value="both",
            description="Show:",
            style=STYLE,
            tooltips=[
                "only the figure the reading gives",
                "only figures from public sources",
                "both side by side",
            ],
        )
        self.table = W.HTML()
        self.status = W.HTML()  # one line announced on each change: "Showing both: 12 rows."
        self.status.add_class("workbook-live")
        self.rows = self.data
        columns = [
            c
            for c in ("source", "measure", "group", "year", "value", "unit", "hedge", "citation")
            if c in self.data.columns
        ]
        self._rows = _Rows(self.data[columns])
        # One chart with a "view" param that the buttons set in the browser; its data table is the
        # table under it (the rows shown, with their citations), so no second "Show the data".
        self.chart = charts.live(charts.with_view(self.builder(self.data), "both"))
        self.view.observe(self._update, names="value")
        self._update()
        self.widget = explorer_box(
            [self.view, self.status, self.chart, self.table],
            [Link(self.view, self.chart, VIEW_PARAM, trait="index", values=VIEW_VALUES)],
        )

    def _update(self, change=None) -> None:
        is_record = self.data["source"] == "public record"
        if self.view.value == VIEWS[0]:
            self.rows = self.data[~is_record]
        elif self.view.value == VIEWS[1]:
            self.rows = self.data[is_record]
        else:
            self.rows = self.data
        positions = [int(i) for i in self.data.index.get_indexer(self.rows.index)]
        caption = f"Rows shown ({self.view.value}): {len(self.rows)}"
        self.status.value = f"<p>Showing {_e(self.view.value)}: {len(self.rows)} rows.</p>"
        self.table.value = _scroll_box(self._rows.html(positions, caption), caption, 420)
        self._set_param(VIEW_PARAM, VIEW_VALUES[VIEWS.index(self.view.value)], self.view)


# --------------------------------------------------------------------------- places


class PlacePicker(Explorer):
    """Pick a place: see every name it goes by, who disputes it, and where the readings mention it.

    The map is drawn once with every place's name laid out for every choice; the list moves its
    ``place`` param in the browser (no kernel), and the kernel then writes the text beside it.
    """

    def __init__(self):
        self.places = load("places")
        names = list(self.places["name"].astype(str))
        self._ids = tuple(self.places["place_id"].astype(str))
        self.place = W.Dropdown(
            options=names,
            value=names[0],
            description="Place:",
            style=STYLE,
            tooltip="Choose a place the readings discuss",
        )
        # A screen reader hears one line when the place changes; the details below stay readable.
        self.status = W.HTML()
        self.status.add_class("workbook-live")
        self.text = W.HTML()
        self.current = None
        self.place.observe(self._update, names="value")
        self._update()
        self.widget = explorer_box(
            [self.place, self.status, self.text, self.chart, self.data_view],
            [Link(self.place, self.chart, PLACE_PARAM, trait="index", values=self._ids)],
        )

    def _update(self, change=None) -> None:
        row = self.places.iloc[list(self.place.options).index(self.place.value)]
        self.current = row
        other = "none" if pd.isna(row["other_names"]) else row["other_names"]
        note = "" if pd.isna(row.get("note")) else f"<p>{_e(row['note'])}</p>"
        disputed = "not disputed" if str(row["dispute"]) == "none" else f"disputed by {row['dispute']}"
        self.status.value = f"<p><strong>{_e(row['name'])}</strong> ({_e(row['kind'])}, {_e(disputed)})</p>"
        self.text.value = (
            f"<p><b>Other names:</b> {_e(other)}<br><b>Kind:</b> {_e(row['kind'])}<br>"
            f"<b>Disputed by:</b> {_e(row['dispute'])}<br><b>Mentioned in:</b> {_e(row['mentions'])}</p>{note}"
        )
        if self.chart is None:
            self._draw(charts.places_map(self.places, highlight=row["place_id"], choosable=True))
        self._set_param(PLACE_PARAM, str(row["place_id"]), self.place)


# --------------------------------------------------------------------------- the 1% ceiling


class CeilingSlider(Explorer):
    """Move a spending ceiling (% of GNP) and see which recorded years went above it."""

    def __init__(self):
        self.data = load("defence_spending")
        self.records = self.data[self.data["source"] == "public record"]
        claim = float(_claim(SPENDING_CLAIM)["value"])
        self.ceiling = W.FloatSlider(
            value=claim,
            min=0.5,
            max=2.0,
            step=0.05,
            readout_format=".2f",
            description="Ceiling (% of GNP):",
            style=STYLE,
            layout=WIDE,
            tooltip="Years whose defence budget was above this share are highlighted",
        )
        self.text = W.HTML()
        self.years_above: list[int] = []
        self.text.add_class("workbook-live")
        self.ceiling.observe(self._update, names="value")
        self._update()
        # The chart is drawn once; the slider moves its "ceiling" param in the browser (no kernel).
        self.widget = explorer_box(
            [self.ceiling, self.text, self.chart, self.data_view],
            [Link(self.ceiling, self.chart, CEILING_PARAM)],
        )

    def _update(self, change=None) -> None:
        level = self.ceiling.value
        above = self.records[self.records["value"] > level]
        self.years_above = [int(y) for y in above["year"]]
        listed = ", ".join(map(str, self.years_above)) or "none"
        self.text.value = (
            f"<p><b>{len(self.years_above)}</b> of {len(self.records)} recorded years were above "
            f"{_number(level)}% of GNP: {listed}.</p>"
        )
        if self.chart is None:
            chart = charts.spending_chart(self.data, ceiling=level)
            self._draw(
                chart.properties(
                    description=(
                        f"Line chart of {len(self.records)} years of Japan's initial defence budget as a percent of GNP, "
                        "with a dashed line at the ceiling chosen with the slider; years above it are drawn as purple "
                        "triangles and listed above the chart. A thick red line shows the essay's claim."
                    )
                )
            )
        self._set_param(CEILING_PARAM, level, self.ceiling)


# --------------------------------------------------------------------------- build your own chart

NONE = "(none)"
#: A column names bars when its values are short labels (longer text is a sentence, not a category).
LABEL_CHARS = 50
#: A column colours bars when it has no more kinds than the palette has colours (so none repeat).
COLOUR_KINDS = len(charts.PALETTE)
#: Charts ChartBuilder keeps per table for choices made before (a choice made again is not built again).
KEEP_CHARTS = 64
#: What ChartBuilder shows for one choice: the chart's spec, the message, "Show the data", the error.
Built = tuple[dict, str, str, str]


@dataclass(frozen=True)
class Roles:
    """Which columns of a table fit each of ChartBuilder's drop-downs, worked out once per table."""

    bars: list[str]  # short labels or whole numbers: one bar for each value
    lengths: list[str]  # numbers: a bar's length
    colours: list[str]  # a few kinds: one colour for each

    @classmethod
    def of(cls, data: pd.DataFrame) -> Roles:
        bars, lengths, colours = [], [], []
        for column in map(str, data.columns):
            values = data[column].dropna()
            if values.empty:
                continue
            number = charts.is_number_column(data[column])
            if number:
                lengths.append(column)
            whole = number and bool((values.astype(float) % 1 == 0).all())
            if whole or (not number and values.astype(str).str.len().max() <= LABEL_CHARS):
                bars.append(column)
            if 2 <= values.nunique() <= COLOUR_KINDS:
                colours.append(column)
        return cls(bars, lengths, colours)


class ChartBuilder(Explorer):
    """Choose a table and columns; get a bar chart, or a message saying why it can't be drawn.

    Each drop-down offers only the columns that fit its role: labels or whole numbers for the bars,
    numbers for their length, a few kinds for the colours.  ``.error`` is "" when the chart was
    drawn, otherwise the reason (no exception is raised); ``.chart.spec`` is the chart drawn.
    A change costs the kernel one chart built (not validated again: ``charts.bar`` builds only
    well-formed charts), or nothing for a choice made before.
    """

    def __init__(self, table: str = "defence_spending"):
        self.error = ""
        self._busy = False
        # per table: its rows, which columns fit each role, and the charts built from it so far
        self._tables: dict[str, tuple[pd.DataFrame, Roles, dict[tuple, Built]]] = {}
        self.data, self.roles, _ = self._table(table)
        self.table = W.Dropdown(
            options=table_names(),
            value=table,
            description="Table:",
            style=STYLE,
            tooltip="Which workbook table to draw from",
        )
        self.x = W.Dropdown(
            description="Bars for each (x):",
            style=STYLE,
            tooltip="Column whose values become the bars (labels or whole numbers)",
        )
        self.y = W.Dropdown(
            description="Bar length (y, numbers):",
            style=STYLE,
            tooltip="Column of numbers that sets each bar's length",
        )
        self.color = W.Dropdown(
            description="Colour by:",
            style=STYLE,
            tooltip=f"Optional column with 2 to {COLOUR_KINDS} kinds of value that colours the bars",
        )
        self.message = W.HTML()
        self.message.add_class("workbook-live")  # "This can't be drawn: ..." is announced
        self.chart = charts.live(None)
        self.data_view = W.HTML()
        self.table.observe(self._new_table, names="value")
        for control in (self.x, self.y, self.color):
            control.observe(self._update, names="value")
        self._new_table()
        self.widget = explorer_box(
            [self.table, W.HBox([self.x, self.y, self.color]), self.message, self.chart, self.data_view]
        )

    def _first_choice(self) -> tuple:
        """Sensible first columns of the chosen table: (bars, length, colour) as the drop-downs show them."""
        roles = self.roles
        few = [c for c in roles.bars if c not in roles.lengths and self.data[c].nunique() <= 30]
        x = "year" if "year" in roles.bars else (few or roles.bars or [None])[0]
        y = "value" if "value" in roles.lengths else (roles.lengths or [None])[0]
        color = next((c for c in ("source", "reading") if c in roles.colours), NONE)
        return x, y, color

    def _set_columns(self, choice: tuple) -> None:
        """Offer the columns of the chosen table that fit each role, ``choice`` chosen (one message each)."""
        roles = self.roles
        self._busy = True
        try:
            for control, options, value in zip(
                (self.x, self.y, self.color), (roles.bars, roles.lengths, [NONE] + roles.colours), choice
            ):
                with control.hold_sync():
                    control.options, control.value = options, value
        finally:
            self._busy = False

    def _table(self, name: str) -> tuple[pd.DataFrame, Roles, dict[tuple, Built]]:
        """The table ``name``, loaded and sorted into roles once per builder."""
        if name not in self._tables:
            data = load(name)
            self._tables[name] = (data, Roles.of(data), {})
        return self._tables[name]

    def _new_table(self, change=None) -> None:
        self.data, self.roles, _ = self._table(self.table.value)
        choice = self._first_choice()
        self._show(choice)  # the new chart first: it is what the student waits for
        self._set_columns(choice)

    def _update(self, change=None) -> None:
        if not self._busy:
            self._show((self.x.value, self.y.value, self.color.value))

    def _show(self, choice: tuple) -> None:
        """Draw the chart for ``choice`` (bars, length, colour), built once per choice, then its text."""
        x, y, color = choice
        key = (x, y, None if color == NONE else color)
        name = self.table.value
        data, _, built = self._table(name)
        if data is not self.data:  # rows put in ``.data`` by code: built afresh, not kept
            built = {}
        made = built.pop(key, None) or self._build(name, *key)
        built[key] = made  # the newest last: the oldest is dropped first
        if len(built) > KEEP_CHARTS:
            del built[next(iter(built))]
        spec, message, table, self.error = made
        self.chart.spec = spec
        self.message.value, self.data_view.value = message, table

    def _build(self, name: str, x, y, color) -> Built:
        """For one choice: the chart's spec, the message above it, its "Show the data" table, the error."""
        hover = " Hover over a bar for its citation." if "citation" in self.data.columns else ""
        try:
            if x is None or y is None:
                raise ValueError(
                    f"the {name} table has no column of "
                    f"{'numbers for the bar length' if y is None else 'labels to name the bars'}: "
                    "choose another table."
                )
            shown = self.data.dropna(subset=list(dict.fromkeys([x, y])))  # a bar needs both: no "(missing)"
            left_out = len(self.data) - len(shown)
            with debug_mode(False):  # Altair checks each part as it is made: bar() makes only valid ones
                chart = charts.bar(
                    shown,
                    x,
                    y,
                    color=color,
                    title=f"{y} for each {x}",
                    description=f"Bar chart of {y} for each {x} in the {name} table.{hover}",
                    source=f"the {name} table, workbook.load({name!r})",
                )
        except (ValueError, TypeError) as exc:
            error = str(exc)
            message = f"<p><b>This can't be drawn:</b> {_e(error)}</p>"
            chart = charts.placeholder("No chart: see the message above.")
        else:
            error = ""
            without = f" {left_out} rows without a {x} or a {y} are left out." if left_out else ""
            message = (
                f"<p>{_e(shown.shape[0])} rows from <code>{_e(name)}</code>.{_e(without)}{_e(hover)}</p>"
            )
        spec = chart.to_dict(validate=False)
        return spec, message, charts.table_html(spec), error
