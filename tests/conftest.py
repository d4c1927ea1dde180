"""Shared fixtures: a scratch copy of data/, and the readings when a copy is available."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

import workbook
from workbook import texts

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


@pytest.fixture
def data_copy(tmp_path) -> Path:
    """A copy of data/ that a test may break; the real data/ is never touched."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    yield target
    workbook.clear_cache()


@pytest.fixture(scope="session")
def readings_dir() -> Path:
    """The folder with the two readings; skips (or fails under CI=true) when there is none."""
    folder = texts.readings_folder()
    if folder is None:
        where = ", ".join(str(p) for p in texts.candidate_folders())
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must check the evidence against the readings, but none were found in: {where}")
        pytest.skip(f"no copy of the readings (looked in {where}); evidence is checked where they exist")
    return folder


@pytest.fixture(scope="session", autouse=True)
def _setup_prefix(tmp_path_factory):
    """``workbook start`` sets up the kernels of its Python: in tests, of a scratch folder, not the venv's."""
    os.environ["WORKBOOK_SETUP_PREFIX"] = str(tmp_path_factory.mktemp("setup-prefix"))


def pytest_configure(config):
    """Self-checks run by tests (nbval's kernels too) keep their record in a scratch file, not in ~."""
    os.environ.setdefault(
        "WORKBOOK_PROGRESS", os.path.join(tempfile.gettempdir(), f"workbook-progress-{os.getpid()}.json")
    )
