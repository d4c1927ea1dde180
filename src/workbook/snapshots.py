"""A saved picture and text of an explorer's last state, shown after a reopen instead of a widget error.

An explorer is a widget: reopen the saved notebook with a new kernel and JupyterLab has no model for
it ("Error displaying widget: model not found").  So right before the widget the explorer shows a
stand-in (one output): what its controls are set to, the text it shows, and a picture of its chart,
each time the student changes something (the output is updated in place, so the saved notebook
holds the last state).  A change made by a cell's code updates it at once; a change made in the
page updates it once the student pauses (1 s), so it never delays the explorer's own answer.
A chart's picture is the page's own drawing, sent back by the chart (``charts.shared_bundle``);
with no page (a notebook run by a script) the kernel draws it with vl-convert, with the chart's
params as they are now.  The style rule of ``charts.static`` shows the stand-in only while the
widget beside it has not drawn: live explorer -> widget only; reopened -> stand-in only.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import weakref

import ipywidgets as W

from .charts import alt, in_kernel, static

RERUN = "This is a picture of the explorer as you left it, saved with the notebook. Run this cell to use it again."
_TAGS = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_MAX_TEXT = 200_000


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()) or ():
        yield from _walk(child)


def _control_text(widget) -> str | None:
    """ "Share spent on defence: 1.0" for a slider, dropdown, box... (None for widgets that are not controls)."""
    if isinstance(widget, (W.HTML, W.HTMLMath, W.Label, W.Button, W.Play)) or not hasattr(widget, "value"):
        return None
    description = getattr(widget, "description", "") or ""
    value = widget.value
    if isinstance(widget, W.Dropdown) and getattr(widget, "label", None) is not None:
        value = widget.label
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    return f"{description} {value}".strip()


#: chart widget id -> (the spec drawn, its pictures by the params' values)
_PICTURES: dict[int, tuple[object, dict[str, str]]] = {}
#: chart widget -> the picture of the page's latest drawing of it
_FROM_PAGE: weakref.WeakKeyDictionary[object, str] = weakref.WeakKeyDictionary()
#: Pictures kept per chart (one per recent setting of its params: a slider moved back and forth).
_KEEP = 8
#: Seconds after an explorer's last change that its stand-in follows (never between quick changes).
STANDIN_DELAY = 1.0
#: The largest drawing a page may send back as a chart's picture (characters).
_MAX_PICTURE = 5_000_000
#: How many pictures the kernel drew itself (vl-convert); the tests read it.
drawn_in_kernel = 0


def _with_params(spec: dict, values: dict) -> dict:
    """``spec`` with its params set to ``values``: the chart as the browser shows it now (a param widget)."""
    params = spec.get("params")
    if not values or not isinstance(params, list):
        return spec
    moved = [
        {**p, "value": values[p["name"]]}
        if isinstance(p, dict) and "value" in p and values.get(p.get("name")) is not None
        else p
        for p in params
    ]
    return {**spec, "params": moved}


def _picture(chart) -> str:
    """The chart's picture: the page's latest drawing of it, else drawn here as it stands (its params
    too), drawn again only for a spec or params not drawn lately."""
    global drawn_in_kernel
    spec = getattr(chart, "spec", None)
    if not isinstance(spec, dict) or not spec:
        return ""
    if chart in _FROM_PAGE:
        return _FROM_PAGE[chart]
    values = dict(getattr(chart, "_params", None) or {})
    key = json.dumps(values, sort_keys=True, default=str)
    drawn = _PICTURES.get(id(chart))
    if drawn is None or drawn[0] is not spec:
        drawn = _PICTURES[id(chart)] = (spec, {})
    pictures = drawn[1]
    if key not in pictures:
        drawn_in_kernel += 1
        try:
            pictures[key] = static.picture_html(_with_params(spec, values), RERUN).replace(static.STYLE, "")
        except Exception:  # noqa: BLE001 - a chart vl-convert can't draw: its text still shows
            pictures[key] = ""
        while len(pictures) > _KEEP:
            del pictures[next(iter(pictures))]
    return pictures[key]


def standin_html(widget) -> str:
    """The explorer as it is now: its controls' settings, its text, a picture of each chart."""
    parts = []
    for part in _walk(widget):
        if isinstance(part, alt.JupyterChart):
            parts.append(_picture(part))
        elif callable(getattr(part, "standin", None)):  # a widget that says how to save what it shows
            parts.append(_TAGS.sub("", str(part.standin())))
        elif isinstance(part, (W.HTML, W.HTMLMath)):
            parts.append(_TAGS.sub("", str(part.value)))
        else:
            text = _control_text(part)
            if text:
                parts.append(f"<p><b>{html.escape(text)}</b></p>")
    body = "".join(parts)
    if len(body) > _MAX_TEXT:
        body = body[:_MAX_TEXT] + " …"
    note = "" if static.FIGURE_CLASS in body else f"<p><i>{html.escape(RERUN)}</i></p>"  # else in its caption
    return (
        f'{static.STYLE}<div class="{static.FIGURE_CLASS} workbook-explorer-standin" '
        f'style="border:1px dashed #999; padding:0.3em 0.8em;">{body}{note}</div>'
    )


def standin_bundle(widget) -> dict:
    """The stand-in as display data: HTML, and plain text for front ends without HTML."""
    page = standin_html(widget)
    text = re.sub(r"<[^>]+>", " ", page.replace(static.STYLE, ""))
    return {
        "text/html": page,
        "text/plain": "[Explorer] " + html.unescape(re.sub(r"\s+", " ", text)).strip()[:2000],
    }


def _from_page(chart, content) -> bool:
    """Keep the page's drawing of ``chart`` (a custom message ``{"picture": svg}``) as its picture."""
    picture = content.get("picture") if isinstance(content, dict) else None
    spec = getattr(chart, "spec", None)
    if not isinstance(picture, str) or not picture.startswith("<svg") or len(picture) > _MAX_PICTURE:
        return False
    if not isinstance(spec, dict) or not spec:
        return False
    _FROM_PAGE[chart] = static.picture_html(spec, RERUN, drawn=picture).replace(static.STYLE, "")
    return True


def _in_a_cell() -> bool:
    """True while the kernel runs a cell's code (not a message from the page's widgets)."""
    try:
        from IPython import get_ipython

        parent = get_ipython().kernel.get_parent()
    except Exception:  # noqa: BLE001 - no kernel, or one without get_parent: treat as code
        return True
    return (parent or {}).get("header", {}).get("msg_type") != "comm_msg"


def show(widget) -> None:
    """Display the stand-in, then ``widget``; every change in the widget updates the stand-in."""
    from IPython.display import display

    if not in_kernel():
        display(widget)
        return
    handle = display(standin_bundle(widget), raw=True, display_id=True)
    waiting: list[asyncio.TimerHandle] = []

    def refresh_now():
        waiting.clear()
        try:
            handle.update(standin_bundle(widget), raw=True)
        except Exception:  # noqa: BLE001 - the stand-in must never break the explorer
            pass

    def refresh(change=None):
        # A change made by a cell's code: now, so a notebook saved (or run by a script) right after
        # holds it.  A change from the page: once the student pauses, after the explorer's own
        # answer was sent, and only for the last of many changes.
        for timer in waiting:
            timer.cancel()
        waiting.clear()
        if not _in_a_cell():
            try:
                waiting.append(asyncio.get_running_loop().call_later(STANDIN_DELAY, refresh_now))
                return
            except RuntimeError:  # no event loop running
                pass
        refresh_now()

    def picture_sent(chart, content, buffers=None):
        if _from_page(chart, content):
            refresh()

    for part in _walk(widget):
        if isinstance(part, alt.JupyterChart):
            part.observe(refresh, names=["spec", "_params"])  # a param widget moves _params only
            if part.has_trait("_send_picture"):
                part.set_trait("_send_picture", True)
                part.on_msg(picture_sent)
        elif hasattr(part, "value") and not isinstance(part, (W.Button, W.Play)):
            part.observe(refresh, names="value")
    display(widget)
