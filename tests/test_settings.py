"""One list of settings: every WORKBOOK_* variable the code reads is in ``workbook.settings``."""

from __future__ import annotations

import re
from pathlib import Path

from workbook import settings
from workbook.cli import main

ROOT = Path(__file__).resolve().parents[1]
#: A WORKBOOK_* name written as a string (how an environment variable is read); constants such as
#: ``_common.WORKBOOK_ROOT`` are bare names and not settings.
QUOTED = re.compile(r"""["'$]\{?(WORKBOOK_[A-Z0-9_]+)""")
WHERE = ["src", "tests", "benchmarks", "classroom", "bootstrap.py"]


def _read_names() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for where in WHERE:
        base = ROOT / where
        files = [base] if base.is_file() else [p for p in base.rglob("*") if p.is_file()]
        for path in files:
            if "node_modules" in path.parts or path.suffix not in {".py", ".sh", "", ".yaml"}:
                continue
            if path == Path(__file__).resolve():  # this file's own examples
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            for name in QUOTED.findall(text):
                found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_workbook_variable_read_anywhere_is_listed():
    found = _read_names()
    assert {"WORKBOOK_DATA", "WORKBOOK_NO_SPEEDUPS"} <= set(found)  # the scan sees real reads
    unlisted = {name: sorted(paths) for name, paths in found.items() if name not in settings.NAMES}
    assert not unlisted, f"add these to workbook/settings.py (SETTINGS): {unlisted}"


def test_the_scan_would_catch_a_new_variable(tmp_path):
    assert QUOTED.findall('os.environ.get("WORKBOOK_SOMETHING_NEW")') == ["WORKBOOK_SOMETHING_NEW"]
    assert QUOTED.findall("WORKBOOK_ROOT / 'exercises'") == []


def test_every_listed_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert [s.name for s in settings.SETTINGS if f"`{s.name}`" not in readme] == []


def test_workbook_config_prints_each_setting_with_its_value(capsys, monkeypatch):
    monkeypatch.setenv("WORKBOOK_CACHE", "/tmp/somewhere")
    monkeypatch.delenv("WORKBOOK_DATA", raising=False)
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert all(s.name in out for s in settings.SETTINGS)
    assert "WORKBOOK_CACHE = /tmp/somewhere" in out
    assert "WORKBOOK_DATA (unset: the data package shipped with the workbook)" in out
