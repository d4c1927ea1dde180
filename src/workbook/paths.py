"""Where the workbook's own files are: the data package and the notebooks, in a wheel or in a checkout.

A wheel ships them inside the package (``workbook/_data``, ``workbook/_notebooks``); a checkout keeps
them at the top of the repository (``data/``, ``notebooks/``), which an editable install reads directly.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

#: The repository's top folder when this module runs from a checkout (src/workbook/ -> ../..).
_CHECKOUT = Path(__file__).resolve().parents[2]


def checkout_root() -> Path | None:
    """The repository this module was loaded from, or None when it runs from an installed wheel."""
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "src" / "workbook").is_dir():
        return _CHECKOUT
    return None


def _shipped(name: str) -> Path | None:
    """A folder shipped inside the installed package, or None (an editable install has none)."""
    folder = resources.files("workbook").joinpath(name)
    return Path(str(folder)) if folder.is_dir() else None


def _first(shipped: str, in_checkout: str) -> Path:
    folder = _shipped(shipped)
    if folder is not None:
        return folder
    root = checkout_root()
    if root is not None:
        return root / in_checkout
    return Path(__file__).resolve().parent / shipped  # missing: callers report the path they looked in


def packaged_data_dir() -> Path:
    """The data package that came with the workbook: the shipped copy, else the checkout's ``data/``."""
    return _first("_data", "data")


def data_dir() -> Path:
    """The data folder to load: ``WORKBOOK_DATA`` if set, else :func:`packaged_data_dir`."""
    if os.environ.get("WORKBOOK_DATA"):
        return Path(os.environ["WORKBOOK_DATA"]).expanduser()
    return packaged_data_dir()


def notebooks_dir() -> Path:
    """The student notebooks (and the guide beside them) that ``workbook start`` copies."""
    return _first("_notebooks", "notebooks")
