"""alliance-workbook: the tables, charts, widgets and self-checks behind the notebooks.

Start with ``workbook.tables()`` to see what there is, ``workbook.load("claims")`` to get a
table, and ``workbook.cite("sa1997-39a")`` to cite a row.  Charts, widgets and checks live in
``workbook.charts``, ``workbook.widgets`` and ``workbook.checks``; they are imported only when
first used, so ``import workbook`` stays quick.
"""

from __future__ import annotations

import importlib
import sys

from .data import cite, clear_cache, load, tables
from .errors import DataError, ReadingCopyError, ReadingsNotFound

__all__ = [
    "load",
    "tables",
    "cite",
    "check",
    "progress",
    "setup",
    "show_paragraph",
    "reading_upload",
    "add_reading",
    "check_written",
    "DataError",
    "ReadingsNotFound",
    "ReadingCopyError",
    "clear_cache",
    "charts",
    "widgets",
    "checks",
    "texts",
    "passages",
]
__version__ = "0.1.0"

_LAZY_MODULES = {"charts", "widgets", "checks", "texts", "passages", "derived", "cli", "kernel"}
# name -> module for functions imported only when first used
_LAZY_FUNCTIONS = {
    "show_paragraph": "passages",
    "reading_upload": "passages",
    "add_reading": "texts",
    "check_written": "written_check",
    "progress": "attempts",
    "setup": "kernel",
}


def __getattr__(name: str):
    if name in _LAZY_MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name == "check":
        return importlib.import_module(".checks", __name__).check
    if name in _LAZY_FUNCTIONS:
        return getattr(importlib.import_module(f".{_LAZY_FUNCTIONS[name]}", __name__), name)
    raise AttributeError(f"module 'workbook' has no attribute {name!r}")


def _in_a_kernel() -> None:
    """Inside a Jupyter kernel started without the extension (nbval, a plain kernel): set it up now.

    In a Python script or a terminal IPython nothing happens: IPython and pandas are left as they are.
    """
    ipython = sys.modules.get("IPython")  # never import IPython in plain Python
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None and getattr(shell, "kernel", None) is not None:
        kernel = importlib.import_module(".kernel", __name__)
        if not kernel.switched_off():  # the grading sandbox switches it off: graded runs stay plain
            kernel.setup(shell, charts=False)  # charts: when imported


_in_a_kernel()
