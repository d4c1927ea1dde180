"""Drawing charts in Jupyter with no internet: the bundled JavaScript, its cache, and the renderer.

Altair's default renderer loads Vega from a CDN, which fails offline.  Its "jupyter" renderer
draws through a widget with JavaScript that vl-convert ships instead (see
/work/shared/stack-notes.md); building that bundle takes ~1.1 s, so it is kept in a cache file
and read back by every later kernel.  A cache file is used only when its content has the hash the
package ships for these versions (``bundle_hashes.json``): a damaged, foreign or planted file, even
one whose header hash agrees with its body, is never used, but rebuilt and replaced.  Without a
shipped hash for the installed versions nothing is cached (each kernel builds it, as Altair does).
The chart widgets themselves are :class:`~workbook.charts.shared_bundle.SharedChart`: the bundle
goes to the page once per kernel, not with every chart (see ``shared_bundle``).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import sys
from pathlib import Path

import altair as alt

from .. import durable
from . import speedups, static
from .shared_bundle import SharedChart

RENDERER = "workbook"
#: The bundle's hash for each version key the package was built with (see ``python -m workbook.charts.offline``).
SHIPPED_HASHES = Path(__file__).with_name("bundle_hashes.json")
#: First line of a cache file: the hash of everything after it.
_HEADER = b"// sha256="
#: Far above the real bundle (~0.9 MB): a bigger file is not ours and is not read.
_MAX_BYTES = 64 * 1024 * 1024


def in_kernel() -> bool:
    """True inside a running Jupyter kernel (not in plain Python or a terminal IPython)."""
    ipython = sys.modules.get("IPython")  # a kernel always has IPython imported already
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


# --------------------------------------------------------------------------- the bundle's cache


def cache_dir() -> Path:
    """Where the offline JavaScript bundle is kept: ``WORKBOOK_CACHE``, else the user's cache folder."""
    if os.environ.get("WORKBOOK_CACHE"):
        return Path(os.environ["WORKBOOK_CACHE"])
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home()) / "alliance-workbook" / "cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "alliance-workbook"


def cache_path() -> Path:
    """The cache file for this Altair, vl-convert and Vega-Lite (their versions name the file)."""
    import vl_convert
    from altair.jupyter.jupyter_chart import load_js_src

    key = "|".join([alt.__version__, vl_convert.__version__, static.VL_VERSION, load_js_src()])  # type: ignore[attr-defined]
    return cache_dir() / f"jupyterchart-{hashlib.sha256(key.encode()).hexdigest()[:20]}.js"


def shipped_hash(path: Path) -> str | None:
    """The bundle hash the package ships for the versions that name ``path``; None when it has none."""
    key = path.name.removeprefix("jupyterchart-").removesuffix(".js")
    try:
        value = json.loads(SHIPPED_HASHES.read_text(encoding="utf-8")).get(key)
    except (OSError, ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def read_cached(path: Path) -> str | None:
    """The bundle stored at ``path`` if it is whole and ours, else None.

    Never follows a link, never blocks on a pipe, and refuses anything that is not a regular file,
    too large, not UTF-8, or whose content does not match the hash in its first line.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:  # missing, a link (ELOOP), unreadable
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_BYTES:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(_MAX_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    header, _, body = raw.partition(b"\n")
    if not header.startswith(_HEADER) or header[len(_HEADER) :].decode("ascii", "replace") != _digest(body):
        return None
    expected = shipped_hash(path)
    if expected is None or _digest(body) != expected:
        return None  # self-consistent is not enough: only what the package vouches for is used
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def write_cached(path: Path, bundle: str) -> bool:
    """Store ``bundle`` at ``path`` atomically and durably; False (nothing left behind) when it can't.

    The temporary file has an unpredictable name and is created exclusively, so a link planted
    in the folder is never written through; it is synced before it replaces ``path`` (a link or a
    damaged file there is replaced, not followed).  A folder at ``path`` is removed when empty,
    else left alone.
    """
    body = bundle.encode("utf-8")
    data = _HEADER + _digest(body).encode("ascii") + b"\n" + body
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.is_dir() and not path.is_symlink():
            path.rmdir()  # an empty folder in the way; a full one raises OSError and is kept
        durable.replace(data, path, prefix=f".{path.name}.")
        return True
    except OSError:
        return False  # read-only home or a folder in the way: each kernel builds it, as Altair does


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def offline_bundle() -> None:
    """Give ``alt.JupyterChart`` its offline JavaScript, built once per installation, not per kernel.

    Altair builds it with ``vl_convert.javascript_bundle`` the first time each kernel shows a chart
    (about 1.1 s).  It depends only on the Altair and vl-convert versions, so it is kept in a cache
    file and read back (a few ms) by every later kernel.  Any surprise falls back to Altair's way.
    """
    chart_class = alt.JupyterChart
    if getattr(chart_class, "_is_offline", False):
        return
    if not speedups.active():
        chart_class.enable_offline(True)
        return
    try:
        path = cache_path()
    except Exception:  # noqa: BLE001 - Altair's internals moved: build it the usual way
        chart_class.enable_offline(True)
        return
    cached = read_cached(path)
    if cached is not None:
        chart_class._esm = cached
        chart_class._is_offline = True
        return
    chart_class.enable_offline(True)
    built = getattr(chart_class, "_esm", None)
    if isinstance(built, str) and built and _digest(built.encode("utf-8")) == shipped_hash(path):
        write_cached(path, built)


# --------------------------------------------------------------------------- the renderer


def has_params(spec) -> bool:
    """True when a spec (or one of its layers or panels) declares params: selections, bindings."""
    if not isinstance(spec, dict):
        return False
    if spec.get("params"):
        return True
    parts = [
        spec.get("spec"),
        *(p for key in ("layer", "hconcat", "vconcat", "concat") for p in spec.get(key, [])),
    ]
    return any(has_params(p) for p in parts if p is not None)


def altair_renderer(spec: dict, **metadata):
    """What Altair's offline "jupyter" renderer does, in Altair's public API only.

    (Its renderer function lives in ``altair.vegalite.v6.display``, a module named after one
    Vega-Lite major version; these three public steps are all it does.)
    """
    alt.JupyterChart.enable_offline(True)
    chart = SharedChart(chart=alt.Chart.from_dict(spec), embed_options=metadata.get("embed_options"))
    return chart._repr_mimebundle_()


def render(spec: dict, **metadata):
    """The "workbook" renderer: the offline widget, given the spec as it is when that is safe.

    Charts with params (selections, bindings) and any chart the quick path refuses go through
    Altair's renderer, which wires params and validates the spec again.  Either way the widget is a
    :class:`SharedChart`: the Vega bundle reaches the page once, not with every chart.
    """
    offline_bundle()
    bundle = None
    if not has_params(spec):
        bundle = speedups.widget_mimebundle(spec, metadata.get("embed_options"), SharedChart)
    if bundle is None:
        bundle = altair_renderer(spec, **metadata)
    # Text alternative (issue 13): the chart's data as a "Show the data" table under it; then the
    # saved picture before it, for when the widget cannot be drawn (issue 12).
    from .data_table import with_data_table

    return with_picture(spec, with_data_table(bundle, spec))


def with_picture(spec: dict, bundle):
    """Show the chart's saved picture first (see ``static``), then hand back the widget's output.

    The widget's plain text says to run the cell, for front ends that show neither.  Outside a
    kernel nothing is displayed and the bundle is returned as it is.
    """
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    if not (in_kernel() and isinstance(data, dict) and static.WIDGET_MIME in data):
        return bundle
    static.show_picture(spec)
    data["text/plain"] = static.widget_text(spec)
    return bundle


alt.renderers.register(RENDERER, render)


def use_offline_renderer() -> None:
    """Draw charts through the Jupyter widget with bundled JavaScript (no CDN needed)."""
    offline_bundle()
    alt.renderers.enable(RENDERER)
    static.warm_up()  # the saved pictures are drawn by vl-convert, whose first drawing is slow


def show_with_picture(widget, jchart=None) -> None:
    """Display an explorer's ``widget``, preceded by a saved picture of its chart ``jchart``.

    After a reopen the picture (with "run this cell to use the explorer again") stands in for
    the explorer, which needs its kernel.
    """
    from IPython.display import display

    spec = getattr(jchart, "spec", None)
    if in_kernel() and isinstance(spec, dict) and spec:
        static.show_picture(spec, static.RERUN_EXPLORER)
    display(widget)


def live(chart) -> alt.JupyterChart:
    """A chart widget that a slider or dropdown can redraw in place: ``jchart.chart = new_chart``.

    A :class:`SharedChart`, so its model is ready in the page at once and hears every redraw.
    """
    if in_kernel():
        offline_bundle()  # bundled JavaScript instead of a CDN, built once per installation
    return SharedChart(chart)


if __name__ == "__main__":  # maintainers, after changing Altair or vl-convert: record the bundle's hash
    alt.JupyterChart.enable_offline(True)
    key = cache_path().name.removeprefix("jupyterchart-").removesuffix(".js")
    try:
        known = json.loads(SHIPPED_HASHES.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    known[key] = _digest(alt.JupyterChart._esm.encode("utf-8"))
    SHIPPED_HASHES.write_text(json.dumps(known, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{SHIPPED_HASHES}: {key} = {known[key]}")
