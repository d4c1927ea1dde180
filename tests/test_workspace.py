"""A student's workspace: `workbook update` keeps edits, and neither command writes through a link,
into a file, or anywhere but the workspace. `workbook course init` makes a private course folder."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from workbook import cli

ROOT = Path(__file__).resolve().parents[1]


def notebook(path: Path, marker: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = {
        "cells": [{"cell_type": "markdown", "id": "a", "metadata": {}, "source": marker}],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")
    return path


@pytest.fixture
def source(tmp_path) -> Path:
    root = tmp_path / "workbook"
    notebook(root / "notebooks" / "00_start_here.ipynb", "start v1")
    notebook(root / "notebooks" / "01_four_phases.ipynb", "phases v1")
    (root / "notebooks" / "WRITTEN_ANSWERS.md").write_text("criteria v1")
    (root / "notebooks" / "INSTRUCTORS.md").write_text("model answers")
    notebook(root / "exercises" / "release" / "ex01_four_phases" / "ex01_four_phases.ipynb", "ex01 v1")
    return root


def run(command: str, source: Path, dest: Path, *extra: str) -> int:
    return cli.main([command, str(dest), "--source", str(source), *extra])


def test_start_gives_the_guide_but_never_the_instructors_guide(source, tmp_path):
    dest = tmp_path / "mine"
    assert run("start", source, dest) == 0
    assert (dest / "WRITTEN_ANSWERS.md").read_text() == "criteria v1"
    assert not (dest / "INSTRUCTORS.md").exists()
    manifest = json.loads((dest / ".workbook" / "manifest.json").read_text())
    assert set(manifest["files"]) == {
        "00_start_here.ipynb",
        "01_four_phases.ipynb",
        "WRITTEN_ANSWERS.md",
        "exercises/ex01_four_phases/ex01_four_phases.ipynb",
    }


def test_update_refreshes_untouched_keeps_edited_and_puts_the_new_one_beside(source, tmp_path, capsys):
    dest = tmp_path / "mine"
    run("start", source, dest)
    mine = dest / "01_four_phases.ipynb"
    mine.write_bytes(b"my answers \x00 exactly")
    exercise = dest / "exercises" / "ex01_four_phases" / "ex01_four_phases.ipynb"
    exercise.write_text("my exercise work")
    notebook(source / "notebooks" / "00_start_here.ipynb", "start v2")
    notebook(source / "notebooks" / "01_four_phases.ipynb", "phases v2")
    notebook(source / "exercises" / "release" / "ex01_four_phases" / "ex01_four_phases.ipynb", "ex01 v2")
    capsys.readouterr()

    assert run("update", source, dest) == 0
    out = capsys.readouterr().out
    assert "start v2" in (dest / "00_start_here.ipynb").read_text()
    assert mine.read_bytes() == b"my answers \x00 exactly"
    assert exercise.read_text() == "my exercise work"
    (new_nb,) = dest.glob("01_four_phases.new-*.ipynb")
    assert "phases v2" in new_nb.read_text()
    (new_ex,) = exercise.parent.glob("ex01_four_phases.new-release-*.ipynb")
    assert "ex01 v2" in new_ex.read_text()
    assert "Updated 1 file(s) you had not changed" in out and "00_start_here.ipynb" in out
    assert f"01_four_phases.ipynb  ->  new version: {new_nb.name}" in out
    assert "Nothing of yours was changed" in out

    assert run("update", source, dest) == 0  # nothing new: no second copy beside
    assert len(list(dest.glob("01_four_phases.new-*.ipynb"))) == 1
    assert "up to date" in capsys.readouterr().out


def test_update_after_the_student_edits_a_refreshed_file_again(source, tmp_path):
    dest = tmp_path / "mine"
    run("start", source, dest)
    notebook(source / "notebooks" / "00_start_here.ipynb", "start v2")
    run("update", source, dest)
    (dest / "00_start_here.ipynb").write_text("edited after the update")
    notebook(source / "notebooks" / "00_start_here.ipynb", "start v3")
    run("update", source, dest)
    assert (dest / "00_start_here.ipynb").read_text() == "edited after the update"
    assert any("start v3" in p.read_text() for p in dest.glob("00_start_here.new-*.ipynb"))


def test_a_damaged_manifest_is_not_trusted_the_kept_originals_decide(source, tmp_path, capsys):
    dest = tmp_path / "mine"
    run("start", source, dest)
    notebook(dest / "01_four_phases.ipynb", "my answers")
    (dest / ".workbook" / "manifest.json").write_text("{not json")
    notebook(source / "notebooks" / "00_start_here.ipynb", "start v2")
    notebook(source / "notebooks" / "01_four_phases.ipynb", "phases v2")
    capsys.readouterr()
    assert run("update", source, dest) == 0
    out = capsys.readouterr().out
    assert "start v2" in (dest / "00_start_here.ipynb").read_text()  # provably untouched: refreshed
    assert "my answers" in (dest / "01_four_phases.ipynb").read_text()
    assert "Kept 1 file(s) you changed" in out  # counts what really happened, not every file


def test_without_manifest_or_originals_nothing_is_overwritten(source, tmp_path, capsys):
    dest = tmp_path / "mine"
    run("start", source, dest)
    shutil.rmtree(dest / ".workbook")
    notebook(source / "notebooks" / "00_start_here.ipynb", "start v2")
    capsys.readouterr()
    assert run("update", source, dest) == 0
    out = capsys.readouterr().out
    assert "start v1" in (dest / "00_start_here.ipynb").read_text()
    assert any("start v2" in p.read_text() for p in dest.glob("00_start_here.new-*.ipynb"))
    assert "Kept 1 file(s) as they are" in out and "you changed" not in out


def test_an_edited_manifest_cannot_make_a_students_file_look_untouched(source, tmp_path, capsys):
    dest = tmp_path / "mine"
    run("start", source, dest)
    mine = notebook(dest / "00_start_here.ipynb", "a week of my work")
    before = mine.read_bytes()
    manifest = dest / ".workbook" / "manifest.json"
    record = json.loads(manifest.read_text())
    record["files"]["00_start_here.ipynb"] = hashlib.sha256(before).hexdigest()
    manifest.write_text(json.dumps(record))
    notebook(source / "notebooks" / "00_start_here.ipynb", "start v2")
    capsys.readouterr()
    assert run("update", source, dest) == 0
    assert mine.read_bytes() == before
    assert "Kept 1 file(s) you changed" in capsys.readouterr().out


def test_deleted_files_are_put_back(source, tmp_path, capsys):
    dest = tmp_path / "mine"
    run("start", source, dest)
    (dest / "01_four_phases.ipynb").unlink()
    capsys.readouterr()
    assert run("update", source, dest) == 0
    assert (dest / "01_four_phases.ipynb").is_file()
    assert "Put back 1 file(s)" in capsys.readouterr().out


def test_a_symlinked_exercises_folder_is_never_followed(source, tmp_path, capsys):
    dest = tmp_path / "mine"
    outside = tmp_path / "outside"
    outside.mkdir()
    dest.mkdir()
    (dest / "exercises").symlink_to(outside, target_is_directory=True)
    assert run("start", source, dest) == 2
    assert "is a link" in capsys.readouterr().err
    assert not any(outside.rglob("*")), "nothing may be written through the link"


def test_a_dangling_link_is_reported_not_kept(source, tmp_path, capsys):
    dest = tmp_path / "mine"
    dest.mkdir()
    (dest / "00_start_here.ipynb").symlink_to(tmp_path / "gone.ipynb")
    assert run("start", source, dest) == 0
    out = capsys.readouterr().out
    assert "00_start_here.ipynb is a broken link" in out
    assert "your copy is kept" not in out.split("broken link")[0].split("\n")[-1]
    assert not (tmp_path / "gone.ipynb").exists()


def test_a_link_in_the_release_is_left_out_not_copied_as_a_file(source, tmp_path, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("instructor's file")
    (source / "exercises" / "release" / "ex01_four_phases" / "answers.txt").symlink_to(secret)
    dest = tmp_path / "mine"
    assert run("start", source, dest) == 0
    assert not (dest / "exercises" / "ex01_four_phases" / "answers.txt").exists()
    assert "it is a link" in capsys.readouterr().out


def test_a_target_under_a_file_fails_clearly(source, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert run("start", source, blocker / "mine") == 2
    err = capsys.readouterr().err
    assert "which is a file" in err and "Traceback" not in err
    assert blocker.read_text() == "x"


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root may write into a read-only folder, so there is nothing to refuse",
)
def test_a_read_only_target_fails_clearly(source, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert run("start", source, locked) == 2
    finally:
        locked.chmod(stat.S_IRWXU)
    assert "not writable" in capsys.readouterr().err


def test_a_folder_where_a_notebook_belongs_is_reported(source, tmp_path, capsys):
    dest = tmp_path / "mine"
    (dest / "01_four_phases.ipynb").mkdir(parents=True)
    assert run("start", source, dest) == 0
    assert "01_four_phases.ipynb is a folder" in capsys.readouterr().out


# ------------------------------------------------------------------------------ course init


def test_course_init_makes_a_private_course_folder(tmp_path, capsys):
    course = tmp_path / "course"
    assert (
        cli.main(
            [
                "course",
                "init",
                str(course),
                "--course-id",
                "alliance-2027",
                "--exchange",
                str(tmp_path / "exchange"),
            ]
        )
        == 0
    )
    assert stat.S_IMODE(course.stat().st_mode) == 0o700
    sources = sorted(p.name for p in (course / "source").iterdir())
    assert sources == sorted(p.name for p in (ROOT / "exercises" / "source").iterdir() if p.is_dir())
    assert (course / "INSTRUCTORS.md").is_file() and list((course / "template").glob("*.ipynb"))
    config = (course / "nbgrader_config.py").read_text()
    assert "c.CourseDirectory.course_id = 'alliance-2027'" in config
    assert f"c.Exchange.root = '{tmp_path / 'exchange'}'" in config
    assert "workbook release" in capsys.readouterr().out


def test_course_init_never_overwrites(tmp_path, capsys):
    course = tmp_path / "course"
    course.mkdir()
    (course / "notes.txt").write_text("mine")
    assert cli.main(["course", "init", str(course)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert (course / "notes.txt").read_text() == "mine" and not (course / "source").exists()
