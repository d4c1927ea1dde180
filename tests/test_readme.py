"""README stays true: its quick start, its table list and its citation example."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import workbook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_quick_start_is_the_two_bootstrap_commands_and_ci_uses_the_test_one():
    quick_start = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^python3 bootstrap\.py (\w+)", quick_start, re.M)
    assert commands == ["lab", "test"]
    import bootstrap

    assert {"lab", "test", "instructor"} <= set(re.findall(r"python3 bootstrap\.py (\w+)", bootstrap.__doc__))
    assert re.search(r"^python3 bootstrap\.py instructor", README, re.M), "instructors have their own command"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "python3 bootstrap.py test" in ci


def test_every_table_is_listed():
    for name in workbook.tables()["name"]:
        assert f"| `{name}` |" in README, f"README does not describe table {name}"


def test_citation_example_is_real():
    assert repr(workbook.cite("sa1997-39a")) in README
