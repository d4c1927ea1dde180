"""Speed-ups for Altair 6 in a notebook kernel: optional, version-checked, guarded when called.

Altair is correct but slow in three places every notebook pays for (see benchmarks/README.md):

1. ``import altair`` pulls in jsonschema, which imports ``rfc3987_syntax`` and builds an IRI grammar
   (~1 s a kernel).  While Altair is imported, that module is a stand-in that imports the real one
   on first use; jsonschema's own checks and registries are left as jsonschema makes them.
2. Every encoding given as text (``x="year:Q"``) rebuilds a table of ~600 schema classes (~2 ms a
   channel).  :func:`reuse_class_table` builds it once (vega/altair PR #3547 proposes the same).
3. Altair's "jupyter" renderer validates each spec twice more (40-220 ms a chart).
   :func:`widget_mimebundle` hands the already validated spec straight to the chart widget.

Each reaches into Altair's private API, so each is checked when installed *and* when called: on
any surprise it hands over to Altair's own way.  ``WORKBOOK_NO_SPEEDUPS=1`` switches them all off
(the tests run the charts both ways).  Charts look the same either way; only time differs.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import types

#: The Altair major version these speed-ups were written and tested against.
SUPPORTED_MAJOR = 6
#: Set this environment variable (to anything but "" or "0") to use Altair exactly as shipped.
SWITCH_OFF = "WORKBOOK_NO_SPEEDUPS"


def wanted() -> bool:
    """False when the user switched the speed-ups off with ``WORKBOOK_NO_SPEEDUPS``."""
    return os.environ.get(SWITCH_OFF, "").strip() in ("", "0")


def active() -> bool:
    """True when the speed-ups are wanted and Altair is the major version they were tested on."""
    if not wanted():
        return False
    alt = sys.modules.get("altair")
    try:
        return int(str(getattr(alt, "__version__", "")).split(".")[0]) == SUPPORTED_MAJOR
    except (AttributeError, ValueError):
        return False


# --------------------------------------------------------------------------- 1. a quick import


def import_altair():
    """``import altair``, without building the IRI grammar at import when that can be avoided.

    While Altair (and so jsonschema) is imported, ``rfc3987_syntax`` is a stand-in whose only name,
    ``is_valid_syntax``, imports the real module on its first call and hands over to it.  jsonschema
    registers its own "iri" checks as it always does, calling the stand-in's function: nothing is
    written into jsonschema's format registries, every check answers as it would have, and the
    grammar is built only if an "iri" value is ever checked.  Afterwards ``import rfc3987_syntax``
    gives the real module again.
    """
    defer = (
        wanted()
        and "jsonschema" not in sys.modules
        and "rfc3987_syntax" not in sys.modules
        and importlib.util.find_spec("rfc3987_syntax") is not None
    )
    if not defer:
        return importlib.import_module("altair")
    stand_in = types.ModuleType("rfc3987_syntax", "Stand-in: the real module is imported on first use.")
    stand_in.is_valid_syntax = _is_valid_syntax_on_first_use
    sys.modules["rfc3987_syntax"] = stand_in
    try:
        return importlib.import_module("altair")
    finally:
        if sys.modules.get("rfc3987_syntax") is stand_in:
            del sys.modules["rfc3987_syntax"]  # whoever imports it later gets the real module


def _is_valid_syntax_on_first_use(*args, **kwargs):
    """``rfc3987_syntax.is_valid_syntax``, importing the module (and its grammar) when first called."""
    from rfc3987_syntax import is_valid_syntax

    return is_valid_syntax(*args, **kwargs)


# --------------------------------------------------------------------------- 2. one class table


def reuse_class_table(from_dict_class=None) -> bool:
    """Let Altair build its schema-to-class table once per kernel, not on every ``from_dict``.

    The table never changes, so it is kept per set of classes.  At call time any surprise (extra
    arguments, no ``class_dict`` after Altair's own ``__init__``) hands the call to Altair unchanged.
    Returns True when the memo is in place.
    """
    if from_dict_class is None:
        try:
            from altair.utils.schemapi import _FromDict as from_dict_class
        except ImportError:
            return False
    original = getattr(from_dict_class, "__init__", None)
    if original is None or getattr(original, "_workbook_cached", False):
        return original is not None
    tables: dict = {}
    broken: list[bool] = []

    def __init__(self, wrapper_classes, /, *args, **kwargs):
        if args or kwargs or broken or not active():  # a newer signature, or switched off
            return original(self, wrapper_classes, *args, **kwargs)
        classes = tuple(wrapper_classes)
        key = frozenset(classes)
        if key in tables:
            self.class_dict = tables[key]
            return None
        original(self, classes)
        table = getattr(self, "class_dict", None)
        if table is None:  # Altair renamed its table: keep what it built, stop caching
            broken.append(True)
        else:
            tables[key] = table
        return None

    __init__._workbook_cached = True  # type: ignore[attr-defined]
    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    from_dict_class.__init__ = __init__
    return True


# --------------------------------------------------------------------------- 3. spec to widget


def widget_mimebundle(spec: dict, embed_options=None, chart_class=None):
    """The chart widget's display data for ``spec``, skipping Altair's re-validation; None if refused.

    ``chart_class`` is ``alt.JupyterChart`` or a subclass of it (the default is Altair's).  None (so
    the caller takes Altair's own renderer) when the speed-ups are off, or when this Altair's
    ``JupyterChart`` refuses an empty chart or has no ``spec`` to set.
    """
    if not active():
        return None
    try:
        import altair as alt

        chart_class = chart_class or alt.JupyterChart
        widget = chart_class(None, embed_options=embed_options)
        if not hasattr(widget, "spec"):
            return None
        widget.spec = spec
        return widget._repr_mimebundle_()
    except Exception:  # noqa: BLE001 - Altair's widget changed: its own renderer draws the chart
        return None


def install() -> bool:
    """Put the speed-ups that patch Altair in place (once; does nothing when they are off)."""
    return active() and reuse_class_table()
