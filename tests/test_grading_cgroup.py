"""One cap per submission (workbook.course.cgroup): memory, CPU and processes across all its processes.

Unit tests build fake cgroup trees in a temporary folder (paths, layouts, errors) and need nothing
special. As root on a machine with cgroups, real cgroups are made, joined, swept and removed, and
one real `workbook grade` runs a submission whose three processes each stay under the per-process
limit but together exceed the submission's cap, beside an honest one. Marker: ``grading``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from workbook.course import cgroup, sandbox

pytestmark = pytest.mark.grading

ROOT = Path(__file__).resolve().parents[1]
NAME = "ex01_four_phases"


def real_tree() -> cgroup.Tree:
    tree = cgroup.tree_or_reason()
    if not isinstance(tree, cgroup.Tree):
        pytest.skip(f"no cgroups to make here: {tree}")
    return tree


# ------------------------------------------------------------------------------ fake trees (anyone)


def fake_v2(root: Path, own: str, controllers: str = "cpuset cpu io memory pids") -> Path:
    (root / own.strip("/")).mkdir(parents=True, exist_ok=True)
    (root / "cgroup.controllers").write_text(controllers + "\n")
    (root / "cgroup.subtree_control").write_text("")
    folder = root
    for part in Path(own.strip("/")).parts:
        (folder / "cgroup.subtree_control").write_text(controllers + "\n")
        folder = folder / part
        (folder / "cgroup.controllers").write_text(controllers + "\n")
        (folder / "cgroup.subtree_control").write_text("")
    proc = root.parent / "proc-cgroup"
    proc.write_text(f"0::{own}\n")
    return proc


def test_v2_group_goes_beside_the_graders_own_cgroup(tmp_path):
    """A cgroup holding processes cannot hand controllers down: the group is its sibling."""
    proc = fake_v2(tmp_path / "fs", "/system.slice/grader.service")
    tree = cgroup.find(tmp_path / "fs", proc)
    assert tree.version == 2
    assert tree.bases == (("", tmp_path / "fs" / "system.slice" / cgroup.GROUP),)


def test_v2_from_the_root_cgroup_enables_the_controllers_it_needs(tmp_path):
    fs = tmp_path / "fs"
    proc = fake_v2(fs, "/")
    tree = cgroup.find(fs, proc)
    assert tree.bases == (("", fs / cgroup.GROUP),)
    (fs / cgroup.GROUP).mkdir()
    (fs / cgroup.GROUP / "cgroup.subtree_control").write_text("")
    cgroup.prepare(tree)
    assert (fs / "cgroup.subtree_control").read_text() == "+memory +cpu +pids"
    assert (fs / cgroup.GROUP / "cgroup.subtree_control").read_text() == "+memory +cpu +pids"
    assert (fs / cgroup.GROUP / "cpu.weight").read_text() == str(100 * (os.cpu_count() or 1))


def test_v1_is_used_where_v2_has_no_memory_controller(tmp_path):
    """As on these machines: cgroup2 at /sys/fs/cgroup/unified with hugetlb only, v1 for the rest."""
    fs = tmp_path / "fs"
    (fs / "unified").mkdir(parents=True)
    (fs / "unified" / "cgroup.controllers").write_text("hugetlb\n")
    for controller in cgroup.CONTROLLERS:
        (fs / controller).mkdir()
        (fs / controller / "cgroup.procs").write_text("")
    proc = tmp_path / "proc-cgroup"
    proc.write_text("4:memory:/api/x\n3:cpu,cpuacct:/\n2:pids:/p\n0::/\n")
    tree = cgroup.find(fs, proc)
    assert tree.version == 1
    assert dict(tree.bases) == {
        "memory": fs / "memory" / "api" / "x" / cgroup.GROUP,
        "cpu": fs / "cpu" / cgroup.GROUP,
        "pids": fs / "pids" / "p" / cgroup.GROUP,
    }


def test_no_usable_tree_is_named_with_what_was_expected(tmp_path):
    fs = tmp_path / "fs"
    fs.mkdir()
    proc = tmp_path / "proc-cgroup"
    proc.write_text("0::/\n")
    with pytest.raises(cgroup.CgroupError, match=r"no cgroup tree under .*fs offers the memory, cpu, pids"):
        cgroup.find(fs, proc)
    fake_v2(fs, "/grader", controllers="cpu pids")  # v2 without the memory controller, and no v1
    with pytest.raises(cgroup.CgroupError, match=r"offers the memory, cpu, pids controllers"):
        cgroup.find(fs, proc)
    with pytest.raises(cgroup.CgroupError, match=r"cannot read .*nowhere"):
        cgroup.find(fs, tmp_path / "nowhere")


def test_a_group_that_cannot_be_made_names_the_path_and_leaves_nothing(tmp_path):
    base = tmp_path / "not-a-folder"
    base.write_text("a file where the cgroup folder should be")
    tree = cgroup.Tree(1, (("memory", tmp_path / "memory"), ("cpu", base)))
    (tmp_path / "memory").mkdir()
    with pytest.raises(
        cgroup.CgroupError, match=r"cannot make the cgroup .*not-a-folder/\d+\.\d+-\d+: Not a dir"
    ):
        cgroup.Group.create(tree, 100, 1, 10)
    assert list((tmp_path / "memory").iterdir()) == []  # the half-made group was removed
    with pytest.raises(cgroup.CgroupError, match=r"cannot make the cgroup .*absent/workbook-grading"):
        cgroup.prepare(cgroup.Tree(1, (("memory", tmp_path / "absent" / cgroup.GROUP),)))


def test_a_killed_grader_not_yet_collected_counts_as_gone():
    """A grader SIGKILLed stays a zombie until collected: its cgroups are already stale."""
    child = subprocess.Popen(["sleep", "30"])
    try:
        assert cgroup._start_time(child.pid) is not None
        os.kill(child.pid, 9)
        deadline = time.monotonic() + 10
        while cgroup._start_time(child.pid) is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert Path(f"/proc/{child.pid}").exists()  # a zombie: not waited for yet
        assert cgroup._start_time(child.pid) is None
    finally:
        child.kill()
        child.wait()


def test_without_root_grading_says_the_limits_are_per_process_only(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    cgroup.tree_or_reason.cache_clear()
    try:
        line = sandbox.caps(sandbox.Limits())
    finally:
        cgroup.tree_or_reason.cache_clear()
    assert line.startswith("Limits per process only (3072 MB of address space")
    assert "because the grader is not root" in line


# ------------------------------------------------------------------------------ real cgroups (root)


def test_a_group_holds_its_limits_and_every_process_started_inside(tmp_path):
    tree = real_tree()
    group = cgroup.Group.create(tree, 300, 0.5, 40)
    try:
        files = {c: folder for c, folder in group.folders}
        if tree.version == 2:
            folder = files[""]
            assert (folder / "memory.max").read_text().split() == [str(300 << 20)]
            assert (folder / "cpu.max").read_text().split() == ["50000", "100000"]
            assert (folder / "pids.max").read_text().split() == ["40"]
        else:
            assert int((files["cpu"].parent / "cpu.shares").read_text()) == 1024 * (os.cpu_count() or 1)
            assert int((files["memory"] / "memory.limit_in_bytes").read_text()) == 300 << 20
            assert int((files["cpu"] / "cpu.cfs_quota_us").read_text()) == 50_000
            assert (files["pids"] / "pids.max").read_text().split() == ["40"]
        shown = subprocess.run(
            group.wrap(["/bin/sh", "-c", "sleep 60 >/dev/null 2>&1 & cat /proc/$$/cgroup"]),
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout
        for _c, folder in group.folders:
            assert "/" + folder.name in shown, shown  # the shell, and so its children, inside
        assert len(group.processes()) == 1  # the background sleep, left running
    finally:
        group.remove()
    assert not any(folder.exists() for _c, folder in group.folders)


def test_the_kernel_refusing_a_limit_is_named_and_leaves_nothing():
    tree = real_tree()
    before = {c: set(base.iterdir()) for c, base in tree.bases}
    with pytest.raises(cgroup.CgroupError, match=r"cannot write .*cpu"):
        cgroup.Group.create(tree, 300, 0.001, 40)  # a quota under 1 ms per period: refused
    assert {c: set(base.iterdir()) for c, base in tree.bases} == before


def test_a_dead_graders_group_is_swept_with_what_it_left_running():
    tree = real_tree()
    group = cgroup.Group.create(tree, 300, 1, 40)
    name = group.folders[0][1].name
    dead = f"{os.getpid()}.1-{name.rsplit('-', 1)[1]}"  # our pid, another start time: a dead grader's
    for _c, folder in group.folders:
        folder.rename(folder.with_name(dead))
    group = cgroup.Group(tree, tuple((c, folder.with_name(dead)) for c, folder in group.folders))
    sleeper = subprocess.Popen(group.wrap(["sleep", "60"]))
    try:
        deadline = time.monotonic() + 10
        while sleeper.pid not in group.processes() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sleeper.pid in group.processes()
        assert [g.folders for g in cgroup.stale(tree)] == [group.folders]
        assert cgroup.sweep(tree) == 1
        assert sleeper.wait(timeout=10) == -9
        assert not any(folder.exists() for _c, folder in group.folders)
    finally:
        if sleeper.poll() is None:
            sleeper.kill()
        group.remove()


HOG = """
import subprocess, sys
hold = "b = b'x' * (1200 << 20); import time; time.sleep(4)"  # each under RLIMIT_AS (1536 MB here)
hogs = [subprocess.Popen([sys.executable, "-c", hold]) for _ in range(3)]
print("exit codes", [h.wait() for h in hogs])
"""


def nbg(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def test_three_processes_over_the_cap_together_are_stopped_and_honest_marks_kept(tmp_path):
    """3 x 1.2 GB, each under the per-process limit: the cap (2048 MB) stops them; honest gets full marks."""
    from workbook.course import regions

    tree = real_tree()
    if sandbox.problem():
        pytest.skip(f"the sandbox cannot run here: {sandbox.problem()}")
    course = tmp_path / "course"
    shutil.copytree(
        ROOT / "exercises",
        course,
        ignore=shutil.ignore_patterns(
            "release", "submitted", "autograded", "feedback", "gradebook.db", "grades.csv", ".grading"
        ),
    )
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as f:
        f.write("\nc.SandboxedExecute.memory_mb = 1536\nc.SandboxedExecute.processes = 64\n")
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(tmp_path / "j" / "config"),
        JUPYTER_DATA_DIR=str(tmp_path / "j" / "data"),
        IPYTHONDIR=str(tmp_path / "j" / "ipython"),
        PYTHONWARNINGS="ignore",
        PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
    )
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", NAME, "--force"],
        cwd=course,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    release = json.loads((course / "release" / NAME / f"{NAME}.ipynb").read_text())
    source = json.loads((course / "source" / NAME / f"{NAME}.ipynb").read_text())
    for cell in release["cells"]:
        match = [c for c in source["cells"] if nbg(c).get("grade_id") == nbg(cell).get("grade_id")]
        if nbg(cell).get("solution") and cell["cell_type"] == "code" and match:
            cell["source"] = regions.unmarked(regions.cell_text(match[0]), "solution")
    for student in ("honest", "hog"):
        nb = json.loads(json.dumps(release))
        if student == "hog":
            hog = {"cell_type": "code", "id": "hog", "metadata": {}, "source": HOG, "outputs": []}
            nb["cells"].insert(1, hog | {"execution_count": None})
        path = course / "submitted" / student / NAME / f"{NAME}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(nb), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "workbook.cli", "grade", NAME, "--course", str(course), "--workers", "2"],
        env=env,
        text=True,
        capture_output=True,
        timeout=600,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    cap = sandbox.Limits.total_memory_mb
    assert f"Limits per submission, all its processes together: {cap} MB of memory" in out
    assert out.count("Limits per") == 1  # said once
    assert f"hog: used more than {cap} MB across its processes" in out, out
    assert "honest: used more" not in out
    hog = json.loads((course / "autograded" / "hog" / NAME / f"{NAME}.ipynb").read_text())
    texts = [o.get("text", "") for o in hog["cells"][1]["outputs"]]
    printed = "".join(t if isinstance(t, str) else "".join(t) for t in texts)
    assert "exit codes" in printed and "-9" in printed, printed  # killed by the cap, not by RLIMIT_AS
    with open(course / "grades.csv", newline="", encoding="utf-8") as f:
        scores = {row["student_id"]: row for row in csv.DictReader(f)}
    maximum = sum(
        float(nbg(c)["points"]) for c in source["cells"] if nbg(c).get("grade") and c["cell_type"] == "code"
    )
    assert float(scores["honest"]["score"]) == maximum > 0, scores
    assert float(scores["hog"]["score"]) == maximum, scores  # its answers ran too: scored on what ran
    assert scores["hog"]["status"] == "graded"
    assert cgroup.stale(tree) == []  # the graders are gone, and so are their cgroups
