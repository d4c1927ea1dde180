"""The classroom test: marks every test here ``hub`` and decides whether it can run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.hub)


def missing() -> str | None:
    """Why the classroom cannot be stood up here, or None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root (it creates Linux accounts and runs JupyterHub's LocalProcessSpawner)"
    for tool in ("useradd", "userdel", "groupadd", "chpasswd", "git"):
        if not shutil.which(tool):
            return f"needs {tool}"
    if not shutil.which("node"):
        return "needs Node.js (configurable-http-proxy)"
    if not os.path.exists("/usr/bin/python3"):
        return "needs /usr/bin/python3 (the hub's venv must be readable by every account)"
    if not os.access("/usr/bin/chromium", os.X_OK):
        return "needs Debian's /usr/bin/chromium (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def hub_prerequisites():
    reason = missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the classroom test, but it {reason}", pytrace=False)
        pytest.skip(f"classroom test {reason}")
