"""Fixtures for the browser tests: one private JupyterLab and one headless Chromium per session.

Read README.md in this folder for what the tests check and how to run them.  Environment:

- ``WORKBOOK_BROWSER_NOTEBOOKS``: folder whose ``*.ipynb`` are tested (default: the repo's
  ``notebooks/``); it is copied into a temporary server root, the originals are never touched.
- ``WORKBOOK_ARTIFACTS``: where screenshots and per-notebook logs go (default:
  ``test-artifacts/browser/`` in the repo, which git ignores).
- ``CI=true``: a missing Chromium or Playwright is a failure instead of a skip.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

# tests/browser is on sys.path (pytest's rootdir-style conftest import), so the driver imports as
# a plain module; conftest itself is not importable by name (tests/conftest.py has the same name).
from labdriver import (  # noqa: E402
    CHROMIUM_ARGS,
    REPORT,
    LabServer,
    artifacts_dir,
    chromium_path,
    missing_browser,
    notebooks_dir,
)

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium() -> str:
    reason = missing_browser()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the browser tests, but: {reason}", pytrace=False)
        pytest.skip(reason)
    return chromium_path()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    folder = artifacts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    REPORT["artifacts"] = folder
    return folder


@pytest.fixture(scope="session")
def lab_server(chromium, tmp_path_factory):
    """``jupyter lab`` on 127.0.0.1, a free port and a random token, over a copy of the notebooks."""
    base = tmp_path_factory.mktemp("lab")
    server = LabServer(base, notebooks_dir())
    REPORT["started"] = REPORT["started"] or time.monotonic()
    start = time.monotonic()
    try:
        server.start()
        REPORT["server_start"] = time.monotonic() - start
        yield server
    finally:
        REPORT["cleanup"] += server.stop()
        left = server.leftover_pids()
        if left:
            REPORT["cleanup"].append(f"processes still running after cleanup: {left}")


@pytest.fixture(scope="session")
def browser(chromium, tmp_path_factory):
    """Headless Debian Chromium through Python Playwright; closed even when tests fail."""
    from playwright.sync_api import sync_playwright

    REPORT["started"] = REPORT["started"] or time.monotonic()
    home = tmp_path_factory.mktemp("chromium-home")  # Chromium's own writes (~/.pki, caches) go here
    env = dict(
        os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache")
    )
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, env=env)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, always take a screenshot of the notebook as it is now."""
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    notebook = item.funcargs.get("notebook_run") if hasattr(item, "funcargs") else None
    if notebook is None:
        return
    try:
        paths = notebook.failure_screenshot(item.originalname)
        log = notebook.write_log()
        report.sections.append(("browser artifacts", "\n".join(str(p) for p in [*paths, log])))
    except Exception as error:  # noqa: BLE001 - never hide the test's own failure
        report.sections.append(("browser artifacts", f"could not take a screenshot: {error}"))


def pytest_sessionfinish(session):
    """Under pytest-xdist the tests run in a worker: hand its report to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and REPORT["started"] is not None:
        workeroutput["workbook_browser"] = {
            **REPORT,
            "artifacts": str(REPORT.get("artifacts") or ""),
            "wall": time.monotonic() - REPORT["started"],
        }


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """(xdist controller) collect what a worker's browser tests reported."""
    report = getattr(node, "workeroutput", {}).get("workbook_browser")
    if report:
        REPORT.setdefault("workers", []).append(report)


def _summary_lines(report: dict) -> list[str]:
    lines = []
    if report.get("artifacts"):
        lines.append(f"screenshots and logs: {report['artifacts']}")
    if report.get("server_start") is not None:
        lines.append(f"jupyter lab started in {report['server_start']:.1f}s")
    for name, timing in report["timings"].items():
        lines.append(f"{name}: " + ", ".join(f"{k} {v:.1f}s" for k, v in timing.items()))
    lines.append(f"browser suite wall time: {report['wall']:.1f}s")
    lines += [f"cleanup: {note}" for note in report["cleanup"]]
    return lines


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    reports = list(REPORT.get("workers", []))
    if REPORT["started"] is not None:
        reports.append({**REPORT, "wall": time.monotonic() - REPORT["started"]})
    if not reports:
        return
    terminalreporter.section("browser tests")
    for report in reports:
        for line in _summary_lines(report):
            terminalreporter.write_line(line)
