"""A saved picture of every chart, shown when the live chart widget cannot be (after a reopen).

A chart widget lives in the kernel: reopen a saved notebook with a new kernel and JupyterLab
finds no widget model ("Error displaying widget: model not found"), and it does not fall back to
another output type by itself.  So each chart is shown as two outputs: first this static picture
(SVG drawn by vl-convert, the chart's description as its ``alt`` text, a caption with the title
and source, and a line saying to run the cell), then the widget.  A small style rule shows the
picture only while the widget beside it has not drawn: live chart -> widget only; reopened ->
picture only.  Saved notebooks hold 15-55 kB per picture, never the 0.9 MB widget bundle.
"""

from __future__ import annotations

import base64
import html
import re
import threading

#: The class on the picture's <figure>: the style rules and the tests find it by this name.
FIGURE_CLASS = "workbook-static-chart"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
RERUN_CHART = "This is a picture saved with the notebook. Run this cell to make the chart interactive again."
RERUN_EXPLORER = (
    "This is a picture of the explorer's chart as it first appeared, saved with the notebook. "
    "Run this cell to use the explorer again."
)


def vega_lite_version() -> str:
    """The Vega-Lite version this Altair writes, as vl-convert names it ("6.4" for Altair 6.3)."""
    import altair

    return ".".join(altair.SCHEMA_VERSION.lstrip("v").split(".")[:2])


#: The one place the Vega-Lite version is decided: vl-convert draws with the one Altair writes.
VL_VERSION = vega_lite_version()

# The picture's output is the one right before the widget's output.  While that widget has drawn
# something (an element inside its view), the picture is hidden; while it has not (loading, or the
# "model not found" message after a reopen), the widget's output is hidden and the picture shows.
_OUTPUT = ".jp-OutputArea-child"
# JupyterLab's widget renderer is a panel with no data-mime-type (other renderers carry one).
# (:has() cannot be nested, so each rule spells the widget's output out in full.)
_WIDGET = ".jp-OutputArea-output.lm-Panel:not([data-mime-type])"
STYLE = (
    f"<style>"
    f"{_OUTPUT}:has(.{FIGURE_CLASS}):has(+ {_OUTPUT} > {_WIDGET} *){{display:none}}"
    f"{_OUTPUT}:has(.{FIGURE_CLASS}) + {_OUTPUT}:has(> {_WIDGET}):not(:has(> {_WIDGET} *)){{display:none}}"
    f".{FIGURE_CLASS}{{margin:0}}.{FIGURE_CLASS} img{{max-width:100%;height:auto}}"
    f".{FIGURE_CLASS} figcaption{{font-size:0.9em;color:#333}}"
    f"</style>"
)


def _title_and_source(spec: dict) -> tuple[str, str]:
    """The chart's title and its subtitle (the "Source: ..." line that ``finish`` sets)."""
    title = spec.get("title") or {}
    if isinstance(title, str):
        return title, ""
    text, subtitle = title.get("text", ""), title.get("subtitle", "")
    join = lambda part: " ".join(part) if isinstance(part, list) else str(part or "")  # noqa: E731
    return join(text), join(subtitle)


def svg(spec: dict) -> str:
    """The chart drawn as SVG text by vl-convert (no browser, no internet)."""
    import vl_convert

    return vl_convert.vegalite_to_svg(spec, vl_version=VL_VERSION)


_TAG = re.compile(r"<[^>]*>")
_LONG_DECIMAL = re.compile(r"(\d+\.\d)\d+")


def compact(svg_text: str) -> str:
    """The SVG without what an <img> never uses (per-mark aria labels, roles, classes), to 0.1 px.

    Inside an <img> the marks' own labels are not read out (its ``alt`` text is), so they only
    made the saved notebook larger: this roughly halves a picture.  Only coordinates inside the
    tags are shortened: the text the chart shows (a title quoting "the 1.004% solution") is kept.
    """
    svg_text = re.sub(r' (?:aria-[a-z]+|role|class)="[^"]*"', "", svg_text)
    return _TAG.sub(lambda tag: _LONG_DECIMAL.sub(r"\1", tag.group(0)), svg_text)


def picture_html(spec: dict, note: str = RERUN_CHART, drawn: str | None = None) -> str:
    """A <figure>: the chart as an <img> whose alt text is its description, a caption with its source.

    ``drawn`` is the chart's SVG when it was drawn already (by the page); else vl-convert draws it.
    """
    title, source = _title_and_source(spec)
    description = spec.get("description") or title or "A chart."
    picture = compact(svg(spec) if drawn is None else drawn)
    data = base64.b64encode(picture.encode("utf-8")).decode("ascii")
    caption = " ".join(
        part for part in (f"<b>{html.escape(title)}</b>" if title else "", html.escape(source)) if part
    )
    return (
        f'{STYLE}<figure class="{FIGURE_CLASS}">'
        f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(description, quote=True)}">'
        f"<figcaption>{caption}<br><i>{html.escape(note)}</i></figcaption></figure>"
    )


def picture_bundle(spec: dict, note: str = RERUN_CHART) -> dict:
    """The picture as display data: HTML, and plain text (description, source, note) for any other front end."""
    title, source = _title_and_source(spec)
    text = " ".join(
        part
        for part in (f"[Chart: {title}]" if title else "[Chart]", spec.get("description", ""), source, note)
        if part
    )
    return {"text/html": picture_html(spec, note), "text/plain": text}


def show_picture(spec: dict, note: str = RERUN_CHART) -> bool:
    """Display the chart's saved picture now (before its widget); False, showing nothing, if it can't be drawn."""
    from IPython.display import display

    try:
        bundle = picture_bundle(spec, note)
    except Exception:  # noqa: BLE001 - a chart vl-convert can't draw still gets its live widget
        return False
    display(bundle, raw=True)
    return True


def widget_text(spec: dict) -> str:
    """Plain text for the widget's own output (what a front end without widgets shows)."""
    title, _ = _title_and_source(spec)
    return f"Interactive chart{': ' + title if title else ''} (run the cell to draw it)."


def warm_up() -> threading.Thread:
    """Start vl-convert's drawing engine in the background (its first drawing takes about 1 s)."""

    def draw_once():
        try:
            svg(
                {
                    "data": {"values": [{"a": 1}]},
                    "mark": "point",
                    "encoding": {"x": {"field": "a", "type": "quantitative"}},
                }
            )
        except Exception:  # noqa: BLE001 - only a warm-up: the real drawing reports its own trouble
            pass

    thread = threading.Thread(target=draw_once, name="workbook-vl-convert-warm-up", daemon=True)
    thread.start()
    return thread
