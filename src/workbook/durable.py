"""Writes that survive a kill or a power cut: a whole file swapped in, and a folder's entries synced.

The workspace (a student's notebooks), the chart cache and the grading journal all write this way:
the bytes go to a new temporary file beside the target, are synced, and replace the target in one
rename, so a reader sees the old file or the new one, never half of either.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def sync_folder(folder: Path) -> None:
    """Make a rename or link in ``folder`` survive a power cut, where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_copy(data: bytes, folder: Path, prefix: str, suffix: str = ".tmp", mode: int | None = None) -> Path:
    """``data`` in a new, synced temporary file in ``folder`` (same disk, so it can be renamed in).

    The name is unpredictable and the file created exclusively, so a link planted there is never
    written through.
    """
    fd, temp = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if mode is not None:
            os.chmod(temp, mode)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return Path(temp)


def replace(data: bytes, target: Path, prefix: str, suffix: str = ".tmp", mode: int | None = None) -> None:
    """Swap ``target`` for ``data`` in one step; the temporary file is gone whatever happens."""
    temp = temp_copy(data, target.parent, prefix, suffix, mode)
    try:
        os.replace(temp, target)
        sync_folder(target.parent)
    finally:
        temp.unlink(missing_ok=True)
