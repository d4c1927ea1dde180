"""The classroom's per-student cgroups (classroom/classroom_limits.py) on a stand-in cgroup tree.

The real cgroups are exercised by tests/hub (root only); these check the bookkeeping anyone can run.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def limits_module():
    spec = importlib.util.spec_from_file_location(
        "classroom_limits", ROOT / "classroom" / "classroom_limits.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _student(parent: Path, name: str, pids: str) -> Path:
    folder = parent / name
    folder.mkdir()
    (folder / "cgroup.procs").write_text(pids)
    return folder


def test_the_class_weighs_one_share_per_running_student(limits_module, tmp_path):
    parent = tmp_path / "alliance-classroom"
    parent.mkdir()
    (parent / "cpu.shares").write_text("1024")
    _student(parent, "s1", "101\n102\n")
    _student(parent, "s2", "")  # stopped: its folder stays until remove-user
    starting = _student(parent, "s3", "")
    assert limits_module.share_for_the_class(str(parent), starting=str(starting)) == 2048
    assert (parent / "cpu.shares").read_text() == "2048"
    # s1 stops: the class falls back to one share, never to none
    (parent / "s1" / "cgroup.procs").write_text("")
    assert limits_module.share_for_the_class(str(parent)) == 1024


def test_a_large_class_is_held_at_the_kernels_largest_share(limits_module, tmp_path):
    parent = tmp_path / "class"
    parent.mkdir()
    (parent / "cpu.shares").write_text("1024")
    for k in range(300):
        _student(parent, f"s{k}", "1\n")
    assert limits_module.share_for_the_class(str(parent)) == 262_144


def test_without_a_cpu_controller_nothing_is_written(limits_module, tmp_path):
    assert limits_module.share_for_the_class(str(tmp_path / "missing")) == 0
    (tmp_path / "s1").mkdir()
    assert limits_module.share_for_the_class(str(tmp_path)) == 0
    assert not (tmp_path / "cpu.shares").exists()
