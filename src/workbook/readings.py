"""Find a local copy of the two readings and show a cited paragraph from it.

The essays are not shipped with the workbook.  Put a copy in a folder named
``readings/`` at the top of the workbook, or point ``WORKBOOK_READINGS`` at one.
A checkout that sits beside ``../shared/readings/`` (as on CI) finds that too.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

from .errors import ReadingsNotFound

REPO_ROOT = Path(__file__).resolve().parents[2]

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                         "\u2013": "-", "\u2014": "-"})


def normalise(text: str) -> str:
    """Fold white space, curly quotes and dashes, so a quoted phrase can be found in the text."""
    return re.sub(r"\s+", " ", text.translate(_QUOTES)).strip()


def candidate_folders() -> list[Path]:
    """Where the readings are looked for, in order."""
    folders = []
    if os.environ.get("WORKBOOK_READINGS"):
        folders.append(Path(os.environ["WORKBOOK_READINGS"]).expanduser())
    folders += [REPO_ROOT / "readings", REPO_ROOT.parent / "shared" / "readings"]
    return folders


def readings_folder() -> Path | None:
    """The first folder that holds the reading files, or None when there is no copy."""
    for folder in candidate_folders():
        if folder.is_dir() and any(folder.glob("*.txt")):
            return folder
    return None


def split_blocks(text: str) -> list[str]:
    """Split a text into blocks: maximal runs of non-blank lines (the readings' paragraph numbers)."""
    blocks, current = [], []
    for line in text.splitlines():
        if line.strip():
            current.append(line)
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks


@lru_cache(maxsize=None)
def _blocks(path: str) -> tuple[str, ...]:
    return tuple(split_blocks(Path(path).read_text(encoding="utf-8")))


def _file_for(reading: str) -> str:
    from .data import load

    rows = load("readings").set_index("id")
    if reading not in rows.index:
        raise KeyError(f"No reading {reading!r}: the readings are {', '.join(rows.index)}.")
    return rows.loc[reading, "file"]


def paragraphs(reading: str, folder: Path | None = None) -> list[str]:
    """All paragraphs of a reading, normalised; paragraph N is item N-1."""
    folder = folder or readings_folder()
    if folder is None:
        raise ReadingsNotFound(where=candidate_folders())
    return [normalise(b) for b in _blocks(str(folder / _file_for(reading)))]


def paragraph(reading: str, number: int, folder: Path | None = None) -> str:
    """The text of one paragraph (block) of a reading, normalised."""
    paras = paragraphs(reading, folder)
    if not 1 <= number <= len(paras):
        raise IndexError(f"{reading} has paragraphs 1 to {len(paras)}; there is no paragraph {number}.")
    return paras[number - 1]
