"""Fault injection on a student's workspace: kills at every write, a full disk, a read-only disk,
damaged records. After each: every file the student edited is byte-identical, no file is empty or
half-written, no traceback is shown, and a rerun finishes cleanly.

Kills are placed with ``strace -e inject=SYSCALL:signal=SIGKILL:when=N`` on the real ``workbook``
command (run in a forked child, so each of the ~100 runs costs milliseconds, not an interpreter
start-up); the full and read-only disks are small tmpfs mounts (root only, as on CI).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import pytest

from workbook import cli

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
#: The file operations a copy goes through; a kill is placed at each call of each in turn.
SYSCALLS = ("write", "link", "rename", "fsync")
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def notebook(marker: str, size: int = 3000) -> bytes:
    return json.dumps({"cells": [], "metadata": {"m": marker, "pad": "x" * size}, "nbformat": 4}).encode()


def make_source(root: Path, version: str) -> Path:
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    for name in ("00_start_here", "01_four_phases", "02_one_percent"):
        (root / "notebooks" / f"{name}.ipynb").write_bytes(notebook(f"{name} {version}"))
    (root / "notebooks" / "WRITTEN_ANSWERS.md").write_text(f"criteria {version}\n" * 50)
    return root


class Result:
    """What one ``workbook`` run did: its exit code (None when killed) and everything it printed."""

    def __init__(self, returncode: int | None, output: str):
        self.returncode, self.stdout, self.stderr = returncode, output, output


def workbook(*args: str, inject: str | None = None, count: Path | None = None, timeout: int = 60) -> Result:
    """Run the real ``workbook`` command in a forked copy of this process (no interpreter start-up).

    The child stops itself before doing anything; with ``inject`` (strace's ``SYSCALL:signal=…:when=N``)
    or ``count`` (a file for strace's call counts), strace attaches first, so only the command's own
    calls are counted and killed.
    """
    with tempfile.NamedTemporaryFile(prefix="workbook-run-", suffix=".out", delete=False) as out:
        log = Path(out.name)
    pid = os.fork()
    if pid == 0:  # the child: output to the log file, wait to be traced, run, never return
        try:
            fd = os.open(log, os.O_WRONLY | os.O_TRUNC)
            sys.stdout = sys.stderr = os.fdopen(fd, "w", buffering=1)
            os.kill(os.getpid(), signal.SIGSTOP)
            code = cli.main(list(args))
        except BaseException:  # noqa: BLE001 - a traceback is what the test looks for
            traceback.print_exc()
            code = 99
        finally:
            sys.stdout.flush()
        os._exit(code if isinstance(code, int) else 98)
    tracer = None
    try:
        os.waitpid(pid, os.WUNTRACED)
        if inject or count:
            options = ["-e", f"inject={inject}"] if inject else ["-c", "-e", "trace=" + ",".join(SYSCALLS)]
            tracer = subprocess.Popen(
                ["strace", "-qq", "-o", str(count or "/dev/null"), *options, "-p", str(pid)]
            )
            deadline = time.monotonic() + 20
            while "TracerPid:\t0" in Path(f"/proc/{pid}/status").read_text():
                assert time.monotonic() < deadline, "strace did not attach"
                time.sleep(0.005)
        os.kill(pid, signal.SIGCONT)
        _, status = os.waitpid(pid, 0)
    finally:
        if tracer is not None:
            tracer.wait(timeout=timeout)
    output = log.read_text(errors="replace")
    log.unlink()
    return Result(os.WEXITSTATUS(status) if os.WIFEXITED(status) else None, output)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".workbook" not in p.relative_to(folder).parts
    }


def versions(*sources: Path) -> dict[str, set[bytes]]:
    """Every whole version of each file that a run may legitimately leave in the workspace."""
    out: dict[str, set[bytes]] = {}
    for source in sources:
        for path in (source / "notebooks").iterdir():
            out.setdefault(path.name, set()).add(path.read_bytes())
    return out


def assert_whole(dest: Path, allowed: dict[str, set[bytes]], edited: dict[str, bytes]) -> None:
    """No file is empty or half-written; the student's edits are byte-identical."""
    for name, data in snapshot(dest).items():
        if Path(name).name.startswith(".workbook-tmp-"):
            continue  # hidden, never opened by Lab, and removed by the next run (checked there)
        assert data, f"{name} was left empty"
        base = name.split(".new-")[0] + Path(name).suffix if ".new-" in name else name
        if name in edited:
            assert data == edited[name], f"the student's {name} was changed"
        else:
            assert data in allowed.get(base, set()), f"{name} is not a whole version of {base}"


def no_traceback(result: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in result.stderr + result.stdout, result.stderr


@pytest.fixture(scope="module")
def strace_available():
    if not shutil.which("strace"):
        pytest.skip("needs strace (Debian: apt-get install strace; .ci/run installs it)")


def kill_points(args, fresh) -> list[tuple[str, int]]:
    """Every (syscall, N) at which a kill lands inside the run, found by counting calls in a clean run."""
    dest = fresh("count")
    log = dest.parent / f"{dest.name}.strace"
    result = workbook(*args(dest), count=log)
    assert result.returncode == 0, result.stderr
    counts = {}
    for line in log.read_text().splitlines():
        words = line.split()
        if words and words[-1] in SYSCALLS:
            counts[words[-1]] = int(words[3])  # % time, seconds, usecs/call, calls, [errors], syscall
    return [(call, n) for call in SYSCALLS for n in range(1, counts.get(call, 0) + 1)]


def test_a_kill_at_any_write_of_start_leaves_no_empty_or_half_file(tmp_path, strace_available):
    source = make_source(tmp_path / "v1", "v1")
    allowed = versions(source)

    def fresh(tag: str) -> Path:
        return tmp_path / f"ws-{tag}"

    def args(dest: Path) -> list[str]:
        return ["start", str(dest), "--source", str(source)]

    points = kill_points(args, fresh)
    assert len(points) >= 8

    def trial(point: tuple[str, int]) -> None:
        call, n = point
        dest = fresh(f"{call}{n}")
        killed = workbook(*args(dest), inject=f"{call}:signal=SIGKILL:when={n}")
        assert killed.returncode is None, f"the run was not killed at {call} #{n}"
        if dest.exists():
            assert_whole(dest, allowed, edited={})
        again = workbook(*args(dest))
        assert again.returncode == 0, again.stderr
        no_traceback(again)
        assert snapshot(dest) == {k: v for k, v in snapshot(source / "notebooks").items()}
        leftovers = [p for p in dest.rglob(".workbook-tmp-*")]
        assert not leftovers, f"killed at {call} #{n}: temporary files left: {leftovers}"

    for point in points:
        trial(point)


def test_a_kill_at_any_write_of_update_keeps_every_edit(tmp_path, strace_available):
    v1 = make_source(tmp_path / "v1", "v1")
    v2 = make_source(tmp_path / "v2", "v2")
    allowed = versions(v1, v2)
    edits = {"01_four_phases.ipynb": notebook("my answers", 4000), "WRITTEN_ANSWERS.md": b"my notes\n"}
    template = tmp_path / "template"
    assert workbook("start", str(template), "--source", str(v1)).returncode == 0
    for name, data in edits.items():
        (template / name).write_bytes(data)

    def fresh(tag: str) -> Path:
        dest = tmp_path / f"ws-{tag}"
        shutil.copytree(template, dest, symlinks=True)
        return dest

    def args(dest: Path) -> list[str]:
        return ["update", str(dest), "--source", str(v2)]

    def trial(point: tuple[str, int]) -> None:
        call, n = point
        dest = fresh(f"{call}{n}")
        killed = workbook(*args(dest), inject=f"{call}:signal=SIGKILL:when={n}")
        assert killed.returncode is None, f"the run was not killed at {call} #{n}"
        assert_whole(dest, allowed, edits)
        again = workbook(*args(dest))
        assert again.returncode == 0, again.stderr
        no_traceback(again)
        assert_whole(dest, allowed, edits)
        assert (dest / "00_start_here.ipynb").read_bytes() == (
            v2 / "notebooks" / "00_start_here.ipynb"
        ).read_bytes()
        beside = list(dest.glob("01_four_phases.new-*.ipynb"))
        assert [p.read_bytes() for p in beside] == [(v2 / "notebooks" / "01_four_phases.ipynb").read_bytes()]
        assert not list(dest.rglob(".workbook-tmp-*"))

    points = kill_points(args, fresh)
    for point in points:
        trial(point)


@pytest.fixture
def small_disk(tmp_path):
    """A 24 KB tmpfs (root only): too small for the workspace, so the copy runs out of space."""
    if not AS_ROOT or not shutil.which("mount"):
        pytest.skip("mounting a small tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_gets_a_sentence_and_a_rerun_finishes(tmp_path, small_disk):
    v1 = make_source(tmp_path / "v1", "v1")
    dest = small_disk / "ws"
    result = workbook("start", str(dest), "--source", str(v1))
    assert result.returncode == 2
    no_traceback(result)
    assert "the disk is full" in result.stderr and "Nothing of yours was changed" in result.stderr
    assert_whole(dest, versions(v1), edited={})
    assert not list(dest.rglob(".workbook-tmp-*")), "a failed copy must not leave temporary files"
    subprocess.run(["mount", "-o", "remount,size=4m", str(small_disk)], check=True)
    again = workbook("start", str(dest), "--source", str(v1))
    assert again.returncode == 0, again.stderr
    assert snapshot(dest) == snapshot(v1 / "notebooks")


def test_a_full_disk_during_update_keeps_the_students_work(tmp_path, small_disk):
    v1 = make_source(tmp_path / "v1", "v1")
    v2 = make_source(tmp_path / "v2", "v2")
    subprocess.run(["mount", "-o", "remount,size=4m", str(small_disk)], check=True)
    dest = small_disk / "ws"
    assert workbook("start", str(dest), "--source", str(v1)).returncode == 0
    mine = notebook("my answers", 4000)
    (dest / "01_four_phases.ipynb").write_bytes(mine)
    disk = os.statvfs(small_disk)
    used = (disk.f_blocks - disk.f_bfree) * disk.f_frsize
    subprocess.run(["mount", "-o", f"remount,size={used // 1024 + 8}k", str(small_disk)], check=True)
    result = workbook("update", str(dest), "--source", str(v2))
    no_traceback(result)
    assert (dest / "01_four_phases.ipynb").read_bytes() == mine
    assert_whole(dest, versions(v1, v2), {"01_four_phases.ipynb": mine})
    if result.returncode:
        assert "the disk is full" in result.stderr


def test_a_read_only_disk_gets_a_sentence(tmp_path, small_disk):
    v1 = make_source(tmp_path / "v1", "v1")
    subprocess.run(["mount", "-o", "remount,size=4m", str(small_disk)], check=True)
    dest = small_disk / "ws"
    dest.mkdir()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = workbook("start", str(dest), "--source", str(v1))
    assert result.returncode == 2
    no_traceback(result)
    assert "read-only" in result.stderr or "not writable" in result.stderr


@pytest.mark.parametrize("damage", ["workbook-is-a-file", "manifest-is-a-folder"])
def test_a_damaged_record_gets_a_sentence_not_a_traceback(tmp_path, damage):
    v1 = make_source(tmp_path / "v1", "v1")
    dest = tmp_path / "ws"
    assert workbook("start", str(dest), "--source", str(v1)).returncode == 0
    mine = notebook("my answers")
    (dest / "00_start_here.ipynb").write_bytes(mine)
    if damage == "workbook-is-a-file":
        shutil.rmtree(dest / ".workbook")
        (dest / ".workbook").write_text("oops")
    else:
        (dest / ".workbook" / "manifest.json").unlink()
        (dest / ".workbook" / "manifest.json").mkdir()
    result = workbook("update", str(dest), "--source", str(make_source(tmp_path / "v2", "v2")))
    no_traceback(result)
    assert result.returncode == 2
    assert ".workbook" in result.stderr and ("is a file" in result.stderr or "is a folder" in result.stderr)
    assert (dest / "00_start_here.ipynb").read_bytes() == mine
