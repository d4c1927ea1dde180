"""Charts for the workbook, drawn with Altair.

Every chart here follows the same rules, so a student can trust (and copy) them:

* colours come from the Okabe-Ito palette, which people with colour-blindness can tell apart;
* the title says what the chart shows and the subtitle says where the numbers come from
  ("Source: ..."); a ``description`` is read out by screen readers;
* hovering over a mark shows its ``citation``, so every figure can be traced to a reading
  paragraph or a public record.

Importing this module switches Altair to the workbook's theme.  Inside Jupyter it also turns on
the offline "jupyter" renderer, which draws charts without loading anything from the internet.

Each builder takes its table as ``data`` (or loads it for you) and returns an Altair chart:
``charts.spending_chart()``, ``charts.timeline()``, ``charts.bar(df, "topic", "count", ...)``.
"""

from __future__ import annotations

import hashlib
import os
import sys
import textwrap
from pathlib import Path

# Altair validates charts with jsonschema, which imports ``rfc3987_syntax`` when it is installed
# (JupyterLab brings it) and builds an IRI parser at import: about 1 s of every kernel.  The
# Vega-Lite schema never uses the "iri" formats it checks, so hide it while jsonschema loads.
_HIDE_IRI = "jsonschema" not in sys.modules and "rfc3987_syntax" not in sys.modules
if _HIDE_IRI:
    sys.modules["rfc3987_syntax"] = None  # `import rfc3987_syntax` raises ImportError meanwhile
try:
    import altair as alt
finally:
    if _HIDE_IRI and sys.modules.get("rfc3987_syntax", ...) is None:
        del sys.modules["rfc3987_syntax"]  # whoever imports it later gets it as usual
import pandas as pd

from .data import load
from .provenance import claim_citation, reading_label, record_citation


def _reuse_altair_class_table() -> None:
    """Let Altair build its schema-to-class table once per kernel, not on every ``from_dict``.

    Every encoding given as text (``x="year:Q"``, tooltips) goes through ``SchemaBase.from_dict``,
    which rebuilds a table of all ~600 schema classes on each call: ~2 ms a channel, 10x the rest.
    The table never changes.  (vega/altair PR #3547 proposes the same upstream.)
    """
    try:
        from altair.utils import schemapi

        original = schemapi._FromDict.__init__
    except (ImportError, AttributeError):
        return
    if getattr(original, "_workbook_cached", False):
        return
    tables: dict = {}

    def __init__(self, wrapper_classes, /):
        classes = tuple(wrapper_classes)
        key = frozenset(classes)
        if key not in tables:
            original(self, classes)
            tables[key] = self.class_dict
        self.class_dict = tables[key]

    __init__._workbook_cached = True
    schemapi._FromDict.__init__ = __init__


_reuse_altair_class_table()


# --------------------------------------------------------------------------- colours and theme

#: The Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008), black moved to the end.
PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]

#: One fixed colour per source, used by every chart, so "blue" always means sa1997.
READING_COLOURS = {"sa1997": "#0072B2", "essay2005": "#D55E00", "public record": "#000000"}

#: The same colours keyed by the ``source`` column of the derived tables.
SOURCE_COLOURS = {"sa1997 (claim)": READING_COLOURS["sa1997"],
                  "essay2005 (claim)": READING_COLOURS["essay2005"],
                  "public record": READING_COLOURS["public record"]}

#: Colour for marks the reader should notice (e.g. years above a ceiling).
HIGHLIGHT = "#E69F00"
#: Colour for background marks (shaded bands, grid lines).
MUTED = "#999999"

FONT = "Helvetica, Arial, sans-serif"
THEME_NAME = "workbook"


@alt.theme.register(THEME_NAME, enable=True)
def workbook_theme() -> alt.theme.ThemeConfig:
    """The workbook's look: Okabe-Ito colours, larger text, a title on the left."""
    return {
        "config": {
            "font": FONT,
            "range": {"category": PALETTE},
            "title": {"fontSize": 17, "anchor": "start", "offset": 12,
                      "subtitleFontSize": 12, "subtitleColor": "#333333"},
            "axis": {"labelFontSize": 12, "titleFontSize": 13, "labelLimit": 420},
            "legend": {"labelFontSize": 12, "titleFontSize": 13, "labelLimit": 420},
            "header": {"labelFontSize": 12, "titleFontSize": 13},
            "text": {"fontSize": 12},
            "view": {"continuousWidth": 560, "continuousHeight": 300, "stroke": "transparent"},
        }
    }


def _in_kernel() -> bool:
    """True inside a running Jupyter kernel (not in plain Python or a terminal IPython)."""
    ipython = sys.modules.get("IPython")  # a kernel always has IPython imported already
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _bundle_cache_dir() -> Path:
    """Where the offline JavaScript bundle is kept: ``WORKBOOK_CACHE``, else the user's cache folder."""
    if os.environ.get("WORKBOOK_CACHE"):
        return Path(os.environ["WORKBOOK_CACHE"])
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home()) / "alliance-workbook" / "cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "alliance-workbook"


def offline_bundle() -> None:
    """Give ``alt.JupyterChart`` its offline JavaScript, built once per installation, not per kernel.

    Altair builds it with ``vl_convert.javascript_bundle`` the first time each kernel shows a chart
    (about 1.1 s).  It depends only on the Altair and vl-convert versions, so it is kept in a cache
    file and read back (a few ms) by every later kernel.  Any surprise falls back to Altair's way.
    """
    chart_class = alt.JupyterChart
    if getattr(chart_class, "_is_offline", False):
        return
    path = None
    try:
        import vl_convert
        from altair.jupyter.jupyter_chart import load_js_src
        from altair.utils._importers import vl_version_for_vl_convert

        key = "|".join([alt.__version__, vl_convert.__version__, vl_version_for_vl_convert(), load_js_src()])
        path = _bundle_cache_dir() / f"jupyterchart-{hashlib.sha256(key.encode()).hexdigest()[:20]}.js"
        if path.is_file():
            chart_class._esm = path.read_text(encoding="utf-8")
            chart_class._is_offline = True
            return
    except Exception:  # noqa: BLE001 - Altair's internals moved: build it the usual way
        path = None
    chart_class.enable_offline(True)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
            tmp.write_text(chart_class._esm, encoding="utf-8")
            os.replace(tmp, path)  # atomic: two kernels starting at once never read half a file
        except OSError:
            pass  # read-only home: each kernel builds it, as Altair does


def _has_params(spec) -> bool:
    """True when a spec (or one of its layers or panels) declares params: selections, bindings."""
    if not isinstance(spec, dict):
        return False
    if spec.get("params"):
        return True
    parts = [spec.get("spec"), *(p for key in ("layer", "hconcat", "vconcat", "concat") for p in spec.get(key, []))]
    return any(_has_params(p) for p in parts if p is not None)


def _offline_renderer(spec: dict, **metadata):
    """Altair's offline "jupyter" renderer without its round trip through the chart classes.

    Altair's renderer rebuilds a ``Chart`` from the spec it is handed (``Chart.from_dict``, which
    validates the whole spec again) and the new widget validates it a third time: 0.1-0.5 s a chart.
    ``chart.to_dict()`` has validated it once already, so give the spec to the widget as it is.
    Charts with params (selections, bindings) still go through Altair's renderer, which wires them.
    """
    offline_bundle()
    if _has_params(spec):
        from altair.vegalite.v6.display import jupyter_renderer

        return jupyter_renderer(spec, **{**metadata, "offline": True})
    widget = alt.JupyterChart(None, embed_options=metadata.get("embed_options"))
    widget.spec = spec
    return widget._repr_mimebundle_()


alt.renderers.register("workbook", _offline_renderer)


def use_offline_renderer() -> None:
    """Draw charts through the Jupyter widget with bundled JavaScript (no CDN needed)."""
    offline_bundle()
    alt.renderers.enable("workbook")


if _in_kernel():
    use_offline_renderer()


# --------------------------------------------------------------------------- small helpers

def plain(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` holding only plain values (text, numbers, True/False, None).

    Altair writes the data into the chart as JSON.  pandas' nullable types (``Int64``,
    ``string``, ``category``, ``boolean``) and missing values (``<NA>``, ``NaT``) are turned into
    ordinary Python values first, so nothing surprising reaches the chart.
    """
    out = {}
    for name in df.columns:
        column = df[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            # Written without a time zone, so the browser reads it as a local date.
            values = [None if pd.isna(v) else v.strftime("%Y-%m-%dT%H:%M:%S") for v in column]
        elif pd.api.types.is_bool_dtype(column):
            values = [None if pd.isna(v) else bool(v) for v in column]
        elif pd.api.types.is_integer_dtype(column):
            values = [None if pd.isna(v) else int(v) for v in column]
        elif pd.api.types.is_float_dtype(column):
            values = [None if pd.isna(v) else float(v) for v in column]
        else:
            values = [None if _missing(v) else v if isinstance(v, (int, float, bool)) else str(v)
                      for v in column]
        out[name] = pd.Series(values, index=range(len(df)), dtype=object)
    return pd.DataFrame(out, index=range(len(df)), columns=list(df.columns))


def _data(df: pd.DataFrame) -> alt.Data:
    """Rows of ``df`` as inline chart data (plain values, so missing cells become JSON null)."""
    return alt.Data(values=plain(df).to_dict(orient="records"))


def _missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and other containers are not "missing"
        return False


def _require(data: pd.DataFrame, columns: list[str], what: str) -> None:
    """Stop with a clear message if ``data`` lacks a column this chart needs."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{what} needs a pandas DataFrame; got {type(data).__name__}.")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(f"{what} needs the column(s) {', '.join(map(repr, missing))}; this table has: "
                         f"{', '.join(map(str, data.columns))}.")


def _number(value: float) -> str:
    """1.0 -> '1', 145000.0 -> '145,000', 0.997 -> '0.997'."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _wrap(text: str, width: int = 95) -> list[str]:
    """Split a long subtitle into lines Vega can show."""
    return textwrap.wrap(text, width) or [text]


def _colour_scale(colours: dict, present=None) -> alt.Scale:
    """A colour scale with fixed colours; ``present`` limits the legend to values in the data."""
    keys = [k for k in colours if present is None or k in set(present)]
    return alt.Scale(domain=keys, range=[colours[k] for k in keys])


def _readings_table() -> pd.DataFrame:
    return load("readings").set_index("id")


def _reading_names(readings) -> str:
    """'sa1997 = Title (author, years); essay2005 = ...' for a subtitle."""
    table = _readings_table()
    return "; ".join(f"{r} = {reading_label(table.loc[r])}" for r in readings if r in table.index)


def _record_sources(data: pd.DataFrame) -> str:
    """The distinct public sources behind the record rows of a derived table."""
    refs = data.loc[data["source"] == "public record", "ref"].dropna().astype(str)
    titles = load("records").set_index("record_id")["source_title"]
    return "; ".join(dict.fromkeys(str(titles[r]) for r in refs if r in titles.index))


def _source_line(data: pd.DataFrame, readings=("sa1997", "essay2005")) -> str:
    """'the claim: essay2005 ¶6 (...); the record: <titles>' for the derived tables."""
    parts = []
    claims = data[data["source"] != "public record"]
    if len(claims):
        refs = ", ".join(dict.fromkeys(f"{ref.split('-')[0]} ¶{int(ref.split('-')[1][:2])}"
                                       for ref in claims["ref"].astype(str)))
        used = [r for r in readings if any(s.startswith(r) for s in claims["source"].astype(str))]
        parts.append(f"the claim(s): {refs} ({_reading_names(used)})")
    records = _record_sources(data)
    if records:
        parts.append(f"the record: {records}")
    return "; ".join(parts) or "no rows to show"


def finish(chart, *, title: str, description: str, source: str):
    """Give a chart its title, a "Source: ..." subtitle and a description for screen readers.

    Every chart in the workbook goes through here, so none is left without its source.
    """
    if not source.lower().startswith("source"):
        source = f"Source: {source}"
    return chart.properties(
        title=alt.TitleParams(text=title, subtitle=_wrap(source)),
        description=description,
    )


def to_svg(chart) -> str:
    """The chart as SVG text, drawn without a browser or the internet (for tests and handouts)."""
    import vl_convert

    return vl_convert.vegalite_to_svg(chart.to_dict(), vl_version="6.4")


def live(chart) -> alt.JupyterChart:
    """A chart widget that a slider or dropdown can redraw in place: ``jchart.chart = new_chart``."""
    if _in_kernel():
        offline_bundle()  # bundled JavaScript instead of a CDN, built once per installation
    return alt.JupyterChart(chart)


# --------------------------------------------------------------------------- the timeline

def _when(row) -> str:
    """A readable date at the precision the data gives: '1996', 'March 1996', '11 September 2001'."""
    date, precision = row["date"], row.get("precision", "day")
    if pd.isna(date):
        return "date unknown"
    text = {"year": f"{date.year}", "month": f"{date:%B} {date.year}"}.get(str(precision), f"{date.day} {date:%B %Y}")
    end = row.get("end_date")
    if end is not None and not pd.isna(end):
        text += f" to {end.year}" if str(precision) == "year" else f" to {end:%B} {end.year}"
    return text


def _with_citations(df: pd.DataFrame) -> pd.DataFrame:
    """Add a ``citation`` column ('reading ¶N: "evidence" - Title ...') to events or phases."""
    readings = _readings_table()
    df = df.copy()
    df["citation"] = [claim_citation(row, readings.loc[row.reading]) for row in df.itertuples(index=False)]
    return df


def _phase_bands(phases: pd.DataFrame, highlight_phase) -> pd.DataFrame:
    bands = _with_citations(phases)
    bands["start"] = pd.to_datetime(bands["start_year"].astype(int).astype(str) + "-01-01")
    # A phase ends in the year the next one starts: stop its band on 1 January of that year.
    starts = set(bands["start_year"].astype(int))
    bands["end"] = pd.to_datetime([f"{y}-01-01" if y in starts else f"{y}-12-31"
                                   for y in bands["end_year"].astype(int)])
    bands["label"] = bands["phase"].astype(str) + ". " + bands["name"].astype(str)
    bands["years"] = bands["start_year"].astype(str) + "-" + bands["end_year"].astype(str)
    if highlight_phase is None:
        bands["shade"] = [0.22 if p % 2 else 0.10 for p in bands["phase"]]
    else:
        bands["shade"] = [0.45 if p == highlight_phase else 0.07 for p in bands["phase"]]
    bands["size"] = [14 if p == highlight_phase else 11 for p in bands["phase"]]
    return bands[["phase", "name", "label", "years", "start", "end", "shade", "size", "summary",
                  "citation"]]


def timeline(events=None, phases=None, highlight_phase=None, color="reading"):
    """Events as points on a time axis (one row per reading) over essay2005's phases as bands.

    ``highlight_phase`` (1-4) shades one phase more strongly.  ``color`` is "reading"
    (default) or "category" (the kind of event).  Events that last are drawn as lines.
    """
    events = load("events") if events is None else events
    phases = load("phases") if phases is None else phases
    _require(events, ["event_id", "date", "title", "category", "reading", "paragraph", "evidence"], "timeline()")
    _require(phases, ["phase", "name", "start_year", "end_year", "reading", "paragraph", "evidence"], "timeline()")
    if color not in ("reading", "category"):
        raise ValueError(f"timeline(color=...) can be 'reading' or 'category', not {color!r}.")

    ev = _with_citations(events)
    ev["when"] = [_when(row) for _, row in ev.iterrows()]
    if "end_date" not in ev.columns:
        ev["end_date"] = pd.NaT
    ev = ev[["event_id", "date", "end_date", "when", "title", "category", "reading", "citation"]]
    bands = _phase_bands(phases, highlight_phase)

    x = alt.X("date:T", title="year", axis=alt.Axis(format="%Y"))
    y = alt.Y("reading:N", title="mentioned in", sort=list(READING_COLOURS)[:2],
              scale=alt.Scale(paddingOuter=0.6))
    if color == "reading":
        colour = alt.Color("reading:N", title="reading", scale=_colour_scale(READING_COLOURS, ev["reading"]))
    else:
        colour = alt.Color("category:N", title="kind of event")
    tooltip = [alt.Tooltip("title:N", title="event"), alt.Tooltip("when:N", title="when"),
               alt.Tooltip("category:N", title="kind"), alt.Tooltip("citation:N", title="citation")]

    band_tooltip = [alt.Tooltip("label:N", title="phase"), alt.Tooltip("years:N", title="years"),
                    alt.Tooltip("summary:N", title="summary"), alt.Tooltip("citation:N", title="citation")]
    band_layer = alt.Chart(_data(bands)).mark_rect(color=MUTED).encode(
        x=alt.X("start:T"), x2="end:T", opacity=alt.Opacity("shade:Q", scale=None, legend=None),
        tooltip=band_tooltip)
    if highlight_phase is not None:
        band_layer = band_layer.encode(
            color=alt.condition(f"datum.phase == {int(highlight_phase)}", alt.value(HIGHLIGHT), alt.value(MUTED)))

    # Phase names sit in a strip at the top, staggered so that short phases do not overlap.
    middle = bands["start"].min() + (bands["end"].max() - bands["start"].min()) / 2
    bands["row"] = [8 + 15 * i for i in range(len(bands))]
    left, right = bands[bands["start"] < middle], bands[bands["start"] >= middle]
    label_left = alt.Chart(_data(left)).mark_text(align="left", baseline="top", dx=3).encode(
        x="start:T", y=alt.Y("row:Q", scale=None), text="label:N", tooltip=band_tooltip,
        size=alt.Size("size:Q", scale=None, legend=None))
    label_right = alt.Chart(_data(right)).mark_text(align="right", baseline="top", dx=-3).encode(
        x="end:T", y=alt.Y("row:Q", scale=None), text="label:N", tooltip=band_tooltip,
        size=alt.Size("size:Q", scale=None, legend=None))

    lasting = ev[ev["end_date"].notna()]
    spans = alt.Chart(_data(lasting)).mark_rule(strokeWidth=3, opacity=0.6).encode(
        x=x, x2="end_date:T", y=y, color=colour, tooltip=tooltip)
    points = alt.Chart(_data(ev)).mark_point(filled=True, size=70, opacity=0.85).encode(
        x=x, y=y, color=colour, tooltip=tooltip,
        shape=alt.Shape("reading:N", title="reading",
                        scale=alt.Scale(domain=["sa1997", "essay2005"], range=["square", "circle"])))

    chart = alt.layer(band_layer, label_left, label_right, spans, points).properties(width=700, height=260)
    phase_note = "" if highlight_phase is None else f" Phase {highlight_phase} is highlighted."
    return finish(
        chart,
        title="Events the readings mention, over essay2005's four phases",
        description=(f"Timeline of {len(ev)} dated events, one row per reading, with the "
                     f"{len(bands)} phases of the alliance that essay2005 describes shown as shaded "
                     f"bands.{phase_note} Hover over a point for the event and where the reading "
                     "mentions it."),
        source=(f"events and phases tables, from {_reading_names(['sa1997', 'essay2005'])}; "
                "dates the texts leave out are from public sources (see each event's note)"),
    )


# --------------------------------------------------------------------------- defence spending

def spending_chart(data=None, ceiling=1.0):
    """Japan's defence budget as a share of GNP by year, with essay2005's "approximately 1%".

    Years above ``ceiling`` (in percent) are drawn as orange triangles; the claim is a thick line
    across the years it covers, labelled with its hedge word.
    """
    data = load("defence_spending") if data is None else data
    _require(data, ["source", "year", "value", "hedge", "period_start", "period_end", "ref", "citation"],
             "spending_chart()")
    ceiling = float(ceiling)
    records = data[data["source"] == "public record"].copy()
    claims = data[(data["source"] != "public record") & data["value"].notna()].copy()

    above, below = f"above {_number(ceiling)}%", f"at or below {_number(ceiling)}%"
    records["compared"] = [above if v > ceiling else below for v in records["value"]]
    if "basis" not in records.columns:
        records["basis"] = "not given"
    records = records[["year", "value", "basis", "compared", "citation"]]

    claims["label"] = [f'{s.split(" ")[0]}: "{"" if h == "none" else h + " "}{_number(v)}%" ({a}-{b})'
                       for s, h, v, a, b in zip(claims["source"], claims["hedge"], claims["value"],
                                                claims["period_start"], claims["period_end"])]
    claims = claims[["source", "value", "hedge", "period_start", "period_end", "label", "citation"]]

    label, citation = f"ceiling you chose: {_number(ceiling)}%", "your choice (not a source)"
    records_table = load("records")
    official = records_table[(records_table["subject"] == "defence_spending")
                             & (records_table["group"] == "ceiling")].sort_values("year")
    if len(official) and ceiling == official["value"].iloc[0]:  # the real 1976 guideline
        first = next(official.itertuples(index=False))
        label = f"{first.year} guideline ceiling: {_number(ceiling)}% of {first.basis}"
        citation = record_citation(first)
    line_frame = pd.DataFrame({"ceiling": [ceiling], "label": [label], "citation": [citation]})

    year = alt.X("year:Q", title="fiscal year", axis=alt.Axis(format="d"), scale=alt.Scale(zero=False))
    value = alt.Y("value:Q", title="defence budget, % of national output", scale=alt.Scale(zero=True))
    tooltip = [alt.Tooltip("year:Q", format="d"), alt.Tooltip("value:Q", title="% of output"),
               alt.Tooltip("basis:N", title="share of"), alt.Tooltip("citation:N")]

    line = alt.Chart(_data(records)).mark_line(color=READING_COLOURS["public record"], strokeWidth=1.5).encode(
        x=year, y=value, tooltip=tooltip)
    points = alt.Chart(_data(records)).mark_point(filled=True, size=80, opacity=1).encode(
        x=year, y=value, tooltip=tooltip,
        color=alt.Color("compared:N", title="public record", scale=alt.Scale(
            domain=[above, below], range=[HIGHLIGHT, READING_COLOURS["public record"]])),
        shape=alt.Shape("compared:N", title="public record", scale=alt.Scale(
            domain=[above, below], range=["triangle-up", "circle"])))
    rule = alt.Chart(_data(line_frame)).mark_rule(strokeDash=[6, 4], color=MUTED, strokeWidth=1.5).encode(
        y="ceiling:Q", tooltip=["label:N", "citation:N"])
    rule_text = alt.Chart(_data(line_frame)).mark_text(align="right", baseline="bottom", dy=-3,
                                                       color="#555555").encode(
        y="ceiling:Q", x=alt.value(700), text="label:N", tooltip=["label:N", "citation:N"])
    claim_tooltip = [alt.Tooltip("label:N", title="claim"), alt.Tooltip("citation:N")]
    claim_rule = alt.Chart(_data(claims)).mark_rule(strokeWidth=4, color=READING_COLOURS["essay2005"]).encode(
        x=alt.X("period_start:Q"), x2="period_end:Q", y="value:Q", tooltip=claim_tooltip)
    claim_text = alt.Chart(_data(claims)).mark_text(align="left", baseline="bottom", dy=-22,
                                                    color=READING_COLOURS["essay2005"]).encode(
        x="period_start:Q", y="value:Q", text="label:N", tooltip=claim_tooltip)

    chart = alt.layer(rule, rule_text, line, points, claim_rule, claim_text).properties(width=700, height=320)
    n_above = int((records["compared"] == above).sum())
    return finish(
        chart,
        title="Japan's defence budget as a share of national output",
        description=(f"Line chart of {len(records)} years of Japan's initial defence budget as a percent "
                     f"of GNP. {n_above} of them are above the {_number(ceiling)}% ceiling and are drawn "
                     "as orange triangles."
                     + (" A thick red line shows the essay's claim across the years it refers to."
                        if len(claims) else "")),
        source=_source_line(data),
    )


# --------------------------------------------------------------------------- personnel

_STAGE_ORDER = ["before the 1995 outline", "after the 1995 outline", "for scale"]


def personnel_chart(data=None):
    """Troop numbers: sa1997's claims next to the recorded figures, before and after 1995."""
    data = load("personnel") if data is None else data
    _require(data, ["source", "stage", "service", "group", "value", "hedge", "citation"], "personnel_chart()")
    df = data.copy()
    is_claim = df["source"] != "public record"
    df["bar"] = [f"{stage} | {source}: {service}" if claim else f"{stage} | {source}: {service}, {group}"
                 for stage, source, service, group, claim in zip(df["stage"], df["source"], df["service"],
                                                                 df["group"], is_claim)]
    rank = {s: i for i, s in enumerate(_STAGE_ORDER)}
    df["order"] = [(rank.get(s, 99), 0 if c else 1, i) for i, (s, c) in enumerate(zip(df["stage"], is_claim))]
    df = df.sort_values("order")
    df = df[["bar", "stage", "source", "service", "group", "value", "hedge", "citation"]]

    y = alt.Y("bar:N", title=None, sort=list(df["bar"]))
    x = alt.X("value:Q", title="personnel", axis=alt.Axis(format=",d"))
    tooltip = ["source:N", "stage:N", "service:N", "group:N", alt.Tooltip("value:Q", format=","),
               "hedge:N", "citation:N"]
    bars = alt.Chart(_data(df)).mark_bar().encode(
        y=y, x=x, tooltip=tooltip,
        color=alt.Color("source:N", title="who says so", scale=_colour_scale(SOURCE_COLOURS, df["source"])))
    labels = alt.Chart(_data(df)).mark_text(align="left", dx=4).encode(
        y=y, x=x, text=alt.Text("value:Q", format=","), tooltip=tooltip)
    chart = alt.layer(bars, labels).properties(width=420, height=alt.Step(30))
    return finish(
        chart,
        title="Self-Defense Force personnel: the reading's figures and the record",
        description=(f"Horizontal bar chart of {len(df)} personnel figures, grouped by whether they are "
                     "from before or after the 1995 defence outline; colour shows whether each figure is "
                     "a reading's claim or a public record."),
        source=_source_line(data),
    )


# --------------------------------------------------------------------------- fuel

def fuel_chart(data=None):
    """Fuel Japan's ships supplied in the Indian Ocean (kl), with essay2005's share claim as a note.

    The claim is a share of all the fuel coalition warships used; the records give Japan's own
    deliveries, so the two cannot share an axis: the claim is written under the bars instead.
    """
    data = load("fuel_share") if data is None else data
    _require(data, ["source", "measure", "group", "year", "value", "unit", "hedge", "citation"], "fuel_chart()")
    records = data[(data["source"] == "public record") & (data["unit"] == "kl")].copy()
    records["bar"] = [f"{g} (to {y})" for g, y in zip(records["group"], records["year"])]
    records = records[["bar", "measure", "group", "year", "value", "unit", "citation"]]
    claims = data[data["source"] != "public record"].copy()
    claims["label"] = [f'Not drawn to scale - {s}: "{"" if h == "none" else h + " "}{_number(v)}%" of the '
                       f"fuel coalition warships used.\nThe text gives no source for this share, and it is a "
                       f"share of a coalition total, not litres Japan supplied."
                       for s, h, v in zip(claims["source"], claims["hedge"], claims["value"])]
    claims = claims[["source", "measure", "value", "hedge", "label", "citation"]]

    height = 40 * max(len(records), 1)
    tooltip = ["measure:N", "group:N", alt.Tooltip("year:Q", format="d"), alt.Tooltip("value:Q", format=","),
               "unit:N", "citation:N"]
    y = alt.Y("bar:N", title=None, sort=list(records["bar"]))
    x = alt.X("value:Q", title="ship fuel supplied (kilolitres, running total)", axis=alt.Axis(format=",d"))
    bars = alt.Chart(_data(records)).mark_bar().encode(
        y=y, x=x, tooltip=tooltip, color=alt.Color("group:N", title="supplied to", legend=None))
    values = alt.Chart(_data(records)).mark_text(align="left", dx=4).encode(
        y=y, x=x, text=alt.Text("value:Q", format=","), tooltip=tooltip)
    note = alt.Chart(_data(claims)).mark_text(align="left", baseline="top", lineBreak="\n",
                                              color=READING_COLOURS["essay2005"]).encode(
        x=alt.value(0), y=alt.value(height + 45), text="label:N",
        tooltip=["measure:N", "hedge:N", "citation:N"])
    chart = alt.layer(bars, values, note).properties(width=520, height=height)
    return finish(
        chart,
        title="Fuel from Japan's Indian Ocean mission, and the essay's share claim",
        description=(f"Bar chart of {len(records)} recorded running totals of ship fuel Japan supplied, "
                     "to all recipients and to U.S. vessels. The essay's claim is written below the "
                     "bars because it is a share of all coalition fuel, which the records do not give."),
        source=_source_line(data),
    )


# --------------------------------------------------------------------------- compensation

def compensation_chart(data=None):
    """People compensated: the recorded groups stacked in one bar, essay2005's claim in another."""
    data = load("compensation") if data is None else data
    _require(data, ["source", "group", "year", "value", "hedge", "citation"], "compensation_chart()")
    df = data.copy()
    is_claim = df["source"] != "public record"
    df["bar"] = [f"{s}: {h}" if c and h != "none" else (s if c else "public record (groups added up)")
                 for s, h, c in zip(df["source"], df["hedge"], is_claim)]
    df = df[["bar", "source", "group", "year", "value", "hedge", "citation"]]

    totals = (df.groupby("bar", sort=False)
                .agg(total=("value", "sum"), hedge=("hedge", "first"), citation=("citation", "; ".join))
                .reset_index())
    totals["label"] = [f"{'' if h == 'none' else h + ' '}{_number(t)}"
                       for h, t in zip(totals["hedge"], totals["total"])]

    y = alt.Y("bar:N", title=None, sort=list(totals["bar"]))
    tooltip = ["group:N", alt.Tooltip("year:Q", format="d"), alt.Tooltip("value:Q", format=","), "hedge:N",
               "citation:N"]
    bars = alt.Chart(_data(df)).mark_bar(stroke="white").encode(
        y=y, x=alt.X("value:Q", title="people", stack="zero"), tooltip=tooltip,
        color=alt.Color("group:N", title="group", legend=alt.Legend(orient="bottom", columns=1)))
    labels = alt.Chart(_data(totals)).mark_text(align="left", dx=4).encode(
        y=y, x="total:Q", text="label:N", tooltip=["label:N", "citation:N"])
    chart = alt.layer(bars, labels).properties(width=460, height=alt.Step(40))
    return finish(
        chart,
        title="Survivors paid or supported: the essay's count and the record",
        description=("Stacked bar chart: one bar adds up the recorded groups of recipients, the other "
                     "shows the essay's claim with its hedge word."),
        source=_source_line(data),
    )


# --------------------------------------------------------------------------- places

#: Longitude/latitude boxes (west, east, south, north) for ``places_map(region=...)``.
REGIONS = {"east asia": (105.0, 155.0, 8.0, 48.0), "world": (-170.0, 170.0, -10.0, 65.0)}


def _inside(row, box) -> bool:
    west, east, south, north = box
    return west <= row["longitude"] <= east and south <= row["latitude"] <= north


def _find_place(places: pd.DataFrame, highlight):
    """The index of a place given by id or name (or None)."""
    if highlight is None:
        return None
    for column in ("place_id", "name"):
        hits = places.index[places[column].astype(str) == str(highlight)]
        if len(hits):
            return hits[0]
    raise ValueError(f"No place called {highlight!r}. The places are: {', '.join(places['name'].astype(str))}.")


def _overlaps(box, boxes) -> bool:
    left, top, right, bottom = box
    return any(left < r and l < right and top < b and t < bottom for l, t, r, b in boxes)


def _place_labels(shown: pd.DataFrame, box, width: int) -> pd.DataFrame:
    """Put each name beside its point where it hits no other name or point (else leave it off).

    The chosen place is placed first.  Text width is estimated from the number of letters.
    Returns the rows that got a label, with ``label_longitude``, ``label_latitude`` and ``align``.
    """
    west, east, south, north = box
    per_degree = width / (east - west)  # pixels per degree in this projection
    pixels = {i: ((row["longitude"] - west) * per_degree, (north - row["latitude"]) * per_degree)
              for i, row in shown.iterrows()}
    taken = [(x - 5, y - 5, x + 5, y + 5) for x, y in pixels.values()]
    spots = [(8, 0, "left"), (-8, 0, "right"), (8, -11, "left"), (8, 11, "left"), (-8, -11, "right"),
             (-8, 11, "right")]
    rows = []
    for i, row in shown.sort_values("chosen", ascending=False).iterrows():
        size = 15 if row["chosen"] else 10
        text_width, (x, y) = 0.6 * size * len(str(row["name"])), pixels[i]
        # the chosen place always gets a label: on the map if any spot fits, else the first spot
        tries = spots + ([spots[0] + (True,)] if row["chosen"] else [])
        for dx, dy, align, *forced in tries:
            left = x + dx if align == "left" else x + dx - text_width
            label_box = (left, y + dy - size / 2, left + text_width, y + dy + size / 2)
            on_map = label_box[0] >= 0 and label_box[2] <= width and label_box[1] >= 0
            if forced or (on_map and (row["chosen"] or not _overlaps(label_box, taken))):
                taken.append(label_box)
                rows.append({**row.to_dict(), "align": align, "label_longitude": row["longitude"] + dx / per_degree,
                             "label_latitude": row["latitude"] - dy / per_degree})
                break
    return pd.DataFrame(rows, columns=list(shown.columns) + ["align", "label_longitude", "label_latitude"])


def places_map(places=None, highlight=None, region="auto", width=640):
    """The places the readings discuss, as points on a map with a 10-degree latitude/longitude grid.

    ``highlight`` (a place id or name) draws one place larger, with its name in bold.
    ``region`` is "east asia", "world" or "auto" (East Asia, unless the highlighted place lies
    outside it).  No coastlines are drawn: the grid and the names are enough to find your way.
    Names that would overlap are left off the map; hover over a point to see it.
    """
    places = load("places") if places is None else places
    _require(places, ["place_id", "name", "other_names", "kind", "latitude", "longitude", "dispute", "mentions"],
             "places_map()")
    places = places.reset_index(drop=True)
    chosen = _find_place(places, highlight)
    if region == "auto":
        inside = chosen is None or _inside(places.loc[chosen], REGIONS["east asia"])
        region = "east asia" if inside else "world"
    if region not in REGIONS:
        raise ValueError(f"places_map(region=...) can be 'auto', {', '.join(map(repr, REGIONS))}; not {region!r}.")
    box = REGIONS[region]
    west, east, south, north = box
    height = round(width * (north - south) / (east - west))

    df = places.copy()
    df["other_names"] = df["other_names"].fillna("(none)")
    df["citation"] = "mentioned in " + df["mentions"].astype(str)
    df["chosen"] = [i == chosen for i in df.index]
    df["disputed"] = ["no" if str(d) == "none" else "yes" for d in df["dispute"]]
    shown = df[[_inside(row, box) for _, row in df.iterrows()]]
    shown = shown[["place_id", "name", "other_names", "kind", "latitude", "longitude", "dispute", "disputed",
                   "chosen", "citation"]]
    labelled = _place_labels(shown, box, width)
    left_out = [n for n in df["name"] if n not in set(shown["name"])]
    unlabelled = [n for n in shown["name"] if n not in set(labelled["name"])]

    projection = {"type": "equirectangular", "scale": width / ((east - west) * 3.14159265 / 180),
                  "center": [(west + east) / 2, (south + north) / 2], "clipExtent": [[0, 0], [width, height]]}
    grid = alt.Chart(alt.graticule(step=[10, 10])).mark_geoshape(
        filled=False, stroke="#cccccc", strokeWidth=0.7).project(**projection)
    tooltip = [alt.Tooltip("name:N", title="place"), alt.Tooltip("other_names:N", title="other names"),
               alt.Tooltip("kind:N"), alt.Tooltip("dispute:N", title="disputed by"), alt.Tooltip("citation:N")]
    yes_no = alt.Scale(domain=["yes", "no"], range=[READING_COLOURS["essay2005"], READING_COLOURS["sa1997"]])
    points = alt.Chart(_data(shown)).mark_point(filled=True, opacity=0.9).encode(
        longitude="longitude:Q", latitude="latitude:Q", tooltip=tooltip,
        color=alt.Color("disputed:N", title="disputed", scale=yes_no),
        shape=alt.Shape("disputed:N", title="disputed",
                        scale=alt.Scale(domain=["yes", "no"], range=["diamond", "circle"])),
        size=alt.condition("datum.chosen", alt.value(300), alt.value(60))).project(**projection)
    layers = [grid, points]
    for align in ("left", "right"):
        for picked in (False, True):
            rows = labelled[(labelled["align"] == align) & (labelled["chosen"] == picked)]
            style = {"fontSize": 15, "fontWeight": "bold"} if picked else {
                "fontSize": 10, "opacity": 0.85 if chosen is None else 0.55}
            layers.append(alt.Chart(_data(rows)).mark_text(align=align, baseline="middle", **style).encode(
                longitude="label_longitude:Q", latitude="label_latitude:Q", text="name:N",
                tooltip=tooltip).project(**projection))
    chart = alt.layer(*layers).properties(width=width, height=height)

    picked = "" if chosen is None else f" {df.loc[chosen, 'name']} is highlighted."
    hidden = f" Names left off to avoid overlap (hover to see): {', '.join(unlabelled)}." if unlabelled else ""
    outside = f" Outside this view: {', '.join(left_out)}." if left_out else ""
    return finish(
        chart,
        title="Places the readings discuss" + (" (East Asia)" if region == "east asia" else ""),
        description=(f"Map of {len(shown)} places on a 10-degree latitude and longitude grid, with no "
                     f"coastlines. Disputed places are red diamonds, others blue circles.{picked}{hidden}{outside}"),
        source=(f"places table (approximate centres; names and disputes in our words), mentions in "
                f"{_reading_names(['sa1997', 'essay2005'])}.{outside}"),
    )


# --------------------------------------------------------------------------- claims

def _count_claims(claims: pd.DataFrame, by: str) -> pd.DataFrame:
    """Claims counted by ``by`` and reading, each count cited by its paragraphs."""
    readings = _readings_table()
    rows = []
    for (key, reading), group in claims.groupby([by, "reading"], observed=True, sort=False):
        paragraphs = sorted(set(int(p) for p in group["paragraph"].dropna()))
        cited = f"{reading} ¶" + ", ¶".join(map(str, paragraphs)) + f" - {reading_label(readings.loc[reading])}"
        rows.append({by: str(key), "reading": str(reading), "claims": len(group),
                     "ids": ", ".join(group["claim_id"].astype(str)), "citation": cited})
    return pd.DataFrame(rows, columns=[by, "reading", "claims", "ids", "citation"])


def claims_by_topic(claims=None):
    """How many figures each reading gives per topic (a bar per topic, coloured by reading)."""
    claims = load("claims") if claims is None else claims
    _require(claims, ["claim_id", "reading", "paragraph", "topic"], "claims_by_topic()")
    counts = _count_claims(claims, "topic")
    order = counts.groupby("topic")["claims"].sum().sort_values(ascending=False).index.tolist()
    chart = alt.Chart(_data(counts)).mark_bar().encode(
        y=alt.Y("topic:N", sort=order, title="topic"),
        x=alt.X("claims:Q", title="number of claims", stack="zero"),
        color=alt.Color("reading:N", title="reading", scale=_colour_scale(READING_COLOURS, counts["reading"])),
        tooltip=["topic:N", "reading:N", "claims:Q", alt.Tooltip("ids:N", title="claim ids"), "citation:N"],
    ).properties(width=460, height=alt.Step(22))
    return finish(
        chart,
        title="What the readings put numbers on: claims per topic",
        description=(f"Stacked bar chart counting {len(claims)} claims across {len(order)} topics, coloured by "
                     "the reading that makes them."),
        source=f"claims table, from {_reading_names(sorted(counts['reading'].unique(), reverse=True))}",
    )


def hedges_chart(claims=None, include_none=False):
    """How often each reading qualifies a figure, per hedge word ("approximately", "over", ...).

    Claims with no hedge are left out unless ``include_none=True`` (they would dwarf the rest).
    """
    claims = load("claims") if claims is None else claims
    _require(claims, ["claim_id", "reading", "paragraph", "hedge"], "hedges_chart()")
    unhedged = int((claims["hedge"].astype(str) == "none").sum())
    if not include_none:
        claims = claims[claims["hedge"].astype(str) != "none"]
    counts = _count_claims(claims, "hedge")
    order = counts.groupby("hedge")["claims"].sum().sort_values(ascending=False).index.tolist()
    chart = alt.Chart(_data(counts)).mark_bar().encode(
        y=alt.Y("hedge:N", sort=order, title="hedge word"),
        x=alt.X("claims:Q", title="number of claims", stack="zero"),
        color=alt.Color("reading:N", title="reading", scale=_colour_scale(READING_COLOURS, counts["reading"])),
        tooltip=["hedge:N", "reading:N", "claims:Q", alt.Tooltip("ids:N", title="claim ids"), "citation:N"],
    ).properties(width=460, height=alt.Step(24))
    left_out = "" if include_none else f" {unhedged} claims with no hedge are not shown."
    return finish(
        chart,
        title="How the readings hedge their numbers",
        description=f"Stacked bar chart counting hedged claims per hedge word, coloured by reading.{left_out}",
        source=f"claims table, from {_reading_names(sorted(counts['reading'].unique(), reverse=True))}",
    )


# --------------------------------------------------------------------------- a bar chart for students

def _is_number(column: pd.Series) -> bool:
    """True for a column of numbers (also a plain ``object`` column that holds only numbers)."""
    if pd.api.types.is_bool_dtype(column):
        return False
    if pd.api.types.is_numeric_dtype(column):
        return True
    values = column.dropna().tolist()
    return bool(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def bar(data, x, y, *, color=None, title, description, source):
    """A bar chart of your own: ``bar(df, "topic", "claims", title=..., description=..., source=...)``.

    ``x`` and ``y`` name columns of ``data``; one of them must hold numbers (the bar lengths).
    ``title``, ``description`` (what a screen reader says) and ``source`` are required: a chart
    without its source is not finished.  If the table has a ``citation`` column, hovering over a
    bar shows it.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"bar() needs a pandas DataFrame as data, like load('claims'); got {type(data).__name__}.")
    for role, name in (("x", x), ("y", y), ("color", color)):
        if name is not None and name not in data.columns:
            raise ValueError(f"bar(): {role}={name!r} is not a column of this table. "
                             f"The columns are: {', '.join(map(str, data.columns))}.")
    if len(data) == 0:
        raise ValueError("bar(): the table has no rows, so there is nothing to draw.")
    for what, text in (("title", title), ("description", description), ("source", source)):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"bar(): please give a {what} (as text); every chart needs one.")

    if _is_number(data[y]):
        value, category, horizontal = y, x, False
    elif _is_number(data[x]):
        value, category, horizontal = x, y, True
    else:
        raise ValueError(f"bar(): neither {x!r} nor {y!r} holds numbers, so there is no bar length. "
                         f"Number columns here: {', '.join(c for c in data.columns if _is_number(data[c])) or 'none'}.")

    columns = list(dict.fromkeys([x, y] + ([color] if color else []) + (["citation"] if "citation" in data else [])))
    df = plain(data[columns])
    if df[category].isna().any():  # name the gap instead of letting the axis say "null"
        df[category] = ["(missing)" if v is None else str(v) for v in df[category]]
    category_type = "O" if _is_number(data[category]) else "N"
    along = alt.X(f"{category}:{category_type}") if not horizontal else alt.Y(f"{category}:{category_type}")
    length = alt.Y(f"{value}:Q") if not horizontal else alt.X(f"{value}:Q")
    encoding = {"x": along, "y": length} if not horizontal else {"y": along, "x": length}
    if color:
        colour_type = "Q" if _is_number(data[color]) else "N"
        if color in ("source", "reading"):
            colours = SOURCE_COLOURS if color == "source" else READING_COLOURS
            encoding["color"] = alt.Color(f"{color}:N", scale=_colour_scale(colours, df[color]))
        else:
            encoding["color"] = alt.Color(f"{color}:{colour_type}")
    encoding["tooltip"] = [f"{c}:{'Q' if _is_number(data[c]) else 'N'}" for c in columns]
    chart = alt.Chart(alt.Data(values=df.to_dict(orient="records"))).mark_bar().encode(**encoding)
    return finish(chart, title=title, description=description, source=source)
