"""Chart widgets whose Vega code reaches the page once per kernel, not once per chart.

anywidget gives each widget model 2 s to load its JavaScript module (``_esm``), and a model that
misses that limit never hears from the kernel again: anywidget drops every later message to it.
Altair's offline chart widget carries the whole Vega bundle (~0.9 MB) as its module, so on a
loaded machine a chart's model could miss the limit and keep its first drawing for ever while its
explorer's text moved on (issue 22: ChartBuilder).  :class:`SharedChart` is Altair's chart widget
with a module of a few lines; the bundle is the text of one :class:`VegaBundle` widget per kernel,
imported by the page once (once per bundle, across the page's kernels) when a chart first draws,
outside anywidget's limit.

A chart in an explorer (``_send_picture``) also sends the page's own drawing of itself back to
the kernel once it settles: the explorer's saved picture (``workbook.snapshots``) is then the
very SVG the student saw, and the kernel never spends a vl-convert drawing (0.05-0.5 s of CPU,
seconds under a class's load) between a student's changes.
"""

from __future__ import annotations

import hashlib

import altair as alt
import anywidget
import traitlets

_LOADER = r"""
// One import of the Vega bundle per page (per bundle digest), shared by every chart.
const LOADED = (globalThis.__workbookVegaBundles ??= new Map());

function bundleOf(model) {
  const digest = model.get("_bundle_digest");
  let loading = LOADED.get(digest);
  if (!loading) {
    loading = (async () => {
      const holder = await model.widget_manager.get_model(model.get("_bundle").slice("IPY_MODEL_".length));
      const url = URL.createObjectURL(new Blob([holder.get("source")], { type: "text/javascript" }));
      try { return await import(/* webpackIgnore: true */ url); } finally { URL.revokeObjectURL(url); }
    })();
    LOADED.set(digest, loading);
    loading.catch(() => LOADED.delete(digest));
  }
  return loading;
}

// The chart's SVG, sent to the kernel once drawing has paused (once per new drawing).
const PAUSE_MS = 300;

function sendPictures({ model, el }) {
  let timer = null;
  let last = "";
  const send = () => {
    timer = null;
    const svg = el.querySelector("svg.marks");
    if (!svg) return;  // a canvas chart: the kernel draws its picture itself
    const picture = new XMLSerializer().serializeToString(svg);
    if (picture === last) return;
    last = picture;
    model.send({ picture });
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(send, PAUSE_MS); };
  const observer = new MutationObserver(later);
  observer.observe(el, { subtree: true, childList: true, attributes: true, characterData: true });
  later();
  return () => { observer.disconnect(); clearTimeout(timer); };
}

export default {
  async render(context) {
    const vega = await bundleOf(context.model);
    await vega.default.render(context);
    if (context.model.get("_send_picture")) return sendPictures(context);
  },
};
"""


class VegaBundle(anywidget.AnyWidget):
    """The chart widget's JavaScript (Altair's, bundled for offline use) as text, sent once per kernel."""

    _esm = "export default {};"
    source = traitlets.Unicode().tag(sync=True)
    digest = traitlets.Unicode().tag(sync=True)


_HOLDER: list[VegaBundle] = []


def shared_bundle() -> VegaBundle:
    """This kernel's :class:`VegaBundle`, made (and sent to the page) the first time a chart needs it.

    A new one is made when Altair's bundle changed (offline switched on later) or the old one was closed.
    """
    source = alt.JupyterChart._esm
    if _HOLDER and _HOLDER[0].comm is not None and _HOLDER[0].source == source:  # same object: no compare
        return _HOLDER[0]
    holder = VegaBundle(source=source, digest=hashlib.sha256(source.encode("utf-8")).hexdigest())
    _HOLDER[:] = [holder]
    return holder


class SharedChart(alt.JupyterChart):
    """Altair's chart widget (same traits, same drawing), whose module loads the shared bundle."""

    _esm = _LOADER
    _bundle = traitlets.Unicode().tag(sync=True)
    _bundle_digest = traitlets.Unicode().tag(sync=True)
    #: Send the page's drawing back as a custom message ``{"picture": svg}`` (explorers' charts).
    _send_picture = traitlets.Bool(False).tag(sync=True)

    def __init__(self, chart, **kwargs):
        holder = shared_bundle()
        super().__init__(
            chart, _bundle=f"IPY_MODEL_{holder.model_id}", _bundle_digest=holder.digest, **kwargs
        )
