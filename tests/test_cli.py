"""The `workbook` command: `start` never overwrites a student's file; clear errors and exit codes.

The nbgrader wrappers (`release`, `grade`) run the real nbgrader in tests/test_exercises.py; here
only their argument handling and the report they print are checked, without nbgrader.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from workbook import cli
from workbook.course import commands as course_commands

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
def workbook_dir(tmp_path) -> Path:
    """A stand-in for the workbook's folder: two notebooks and one released exercise."""
    root = tmp_path / "workbook"
    notebook(root / "notebooks" / "00_start_here.ipynb", "start")
    notebook(root / "notebooks" / "01_four_phases.ipynb", "phases v1")
    (root / "notebooks" / "notes.txt").write_text("not a notebook")
    notebook(root / "exercises" / "release" / "ex01_four_phases" / "ex01_four_phases.ipynb", "ex01")
    notebook(root / "exercises" / "release" / "ex01_four_phases" / ".ipynb_checkpoints" / "x.ipynb", "x")
    notebook(root / "exercises" / "source" / "ex01_four_phases" / "ex01_four_phases.ipynb", "SECRET")
    return root


def start(workbook_dir: Path, dest: Path, *extra: str) -> int:
    return cli.main(["start", str(dest), "--source", str(workbook_dir), *extra])


def test_start_copies_notebooks_and_released_exercises(workbook_dir, tmp_path, capsys):
    dest = tmp_path / "mine"
    assert start(workbook_dir, dest) == 0
    out = capsys.readouterr().out
    assert sorted(p.name for p in dest.glob("*.ipynb")) == ["00_start_here.ipynb", "01_four_phases.ipynb"]
    assert (dest / "exercises" / "ex01_four_phases" / "ex01_four_phases.ipynb").is_file()
    assert not (dest / "notes.txt").exists(), "only notebooks: the data stays in the package"
    assert not list(dest.rglob(".ipynb_checkpoints")) and "SECRET" not in "".join(
        p.read_text() for p in dest.rglob("*.ipynb")
    ), "never the instructor's source"
    assert "Added 3 file(s)" in out and "+ 01_four_phases.ipynb" in out
    assert f'jupyter lab "{dest.resolve()}"' in out


def test_second_start_adds_what_is_new_and_keeps_edited_files(workbook_dir, tmp_path, capsys):
    dest = tmp_path / "mine"
    assert start(workbook_dir, dest) == 0
    capsys.readouterr()
    mine = dest / "01_four_phases.ipynb"
    mine.write_text("my answers", encoding="utf-8")
    exercise = dest / "exercises" / "ex01_four_phases" / "ex01_four_phases.ipynb"
    exercise.write_text("my exercise work", encoding="utf-8")
    notebook(workbook_dir / "notebooks" / "01_four_phases.ipynb", "phases v2")  # updated upstream
    notebook(workbook_dir / "notebooks" / "02_one_percent.ipynb", "new")
    notebook(workbook_dir / "exercises" / "release" / "ex02_one_percent" / "ex02_one_percent.ipynb", "ex02")

    assert start(workbook_dir, dest) == 0
    out = capsys.readouterr().out
    assert mine.read_text(encoding="utf-8") == "my answers"
    assert exercise.read_text(encoding="utf-8") == "my exercise work"
    assert (dest / "02_one_percent.ipynb").is_file()
    assert (dest / "exercises" / "ex02_one_percent" / "ex02_one_percent.ipynb").is_file()
    assert "Added 2 file(s)" in out
    assert "Skipped 3 file(s) you already have" in out
    assert "= 01_four_phases.ipynb" in out and "not overwritten" in out
    assert f"= {Path('exercises', 'ex01_four_phases', 'ex01_four_phases.ipynb')}" in out


def test_start_with_nothing_new_says_so(workbook_dir, tmp_path, capsys):
    dest = tmp_path / "mine"
    start(workbook_dir, dest)
    capsys.readouterr()
    assert start(workbook_dir, dest) == 0
    out = capsys.readouterr().out
    assert "Added" not in out and "Skipped 3 file(s)" in out


def test_copies_are_writable_even_from_a_read_only_install(workbook_dir, tmp_path):
    source = workbook_dir / "notebooks" / "00_start_here.ipynb"
    source.chmod(stat.S_IRUSR | stat.S_IRGRP)
    dest = tmp_path / "mine"
    try:
        assert start(workbook_dir, dest) == 0
    finally:
        source.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert os.access(dest / "00_start_here.ipynb", os.W_OK)


def test_exercises_from_a_folder_the_instructor_handed_out(workbook_dir, tmp_path, capsys):
    handed_out = tmp_path / "downloads" / "release"
    notebook(handed_out / "ex03_force_structure" / "ex03_force_structure.ipynb", "ex03")
    dest = tmp_path / "mine"
    assert start(workbook_dir, dest, "--exercises", str(handed_out)) == 0
    assert (dest / "exercises" / "ex03_force_structure" / "ex03_force_structure.ipynb").is_file()
    assert not (dest / "exercises" / "ex01_four_phases").exists()


def test_start_without_released_exercises_still_copies_notebooks(workbook_dir, tmp_path, capsys):
    import shutil

    shutil.rmtree(workbook_dir / "exercises" / "release")
    dest = tmp_path / "mine"
    assert start(workbook_dir, dest) == 0
    out = capsys.readouterr().out
    assert (dest / "00_start_here.ipynb").is_file()
    assert "No released exercises found" in out and "--exercises" in out


def test_start_into_a_file_fails_clearly(workbook_dir, tmp_path, capsys):
    target = tmp_path / "a-file"
    target.write_text("x")
    assert start(workbook_dir, target) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert target.read_text() == "x"


def test_start_with_nothing_to_copy_fails_clearly(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert start(empty, tmp_path / "mine") == 2
    err = capsys.readouterr().err
    assert "Nothing to copy" in err and "No notebooks found" in err


def test_start_defaults_to_a_folder_in_home(workbook_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("USERPROFILE", str(tmp_path / "home"))
    assert cli.main(["start", "--source", str(workbook_dir)]) == 0
    assert (tmp_path / "home" / "alliance-workbook" / "00_start_here.ipynb").is_file()


def test_start_from_the_real_workbook_copies_every_notebook(tmp_path, capsys):
    notebooks = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        pytest.skip("no notebooks in notebooks/ yet")
    dest = tmp_path / "mine"
    assert cli.main(["start", str(dest)]) == 0
    assert sorted(p.name for p in dest.glob("*.ipynb")) == notebooks
    assert all("BEGIN SOLUTION" not in p.read_text(encoding="utf-8") for p in dest.rglob("*.ipynb"))


# ------------------------------------------------------------------------ instructors' commands


def test_no_command_prints_help_and_fails(capsys):
    assert cli.main([]) == 2
    assert "start" in capsys.readouterr().out


def test_unknown_exercise_is_refused_before_nbgrader_runs(capsys):
    assert cli.main(["release", "ex99_nope", "--course", str(ROOT / "exercises")]) == 2
    err = capsys.readouterr().err
    assert "No exercise called ex99_nope" in err and "ex01_four_phases" in err


def test_grade_needs_a_course_folder(tmp_path, capsys):
    assert cli.main(["grade", "--course", str(tmp_path)]) == 2
    assert "is not a course folder" in capsys.readouterr().err


def test_grade_without_submissions_says_where_they_go(tmp_path, capsys):
    course = tmp_path / "course"
    (course / "source" / "ex01_four_phases").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("")
    assert cli.main(["grade", "--course", str(course)]) == 2
    assert "submitted/<student>/<exercise>/<exercise>.ipynb" in capsys.readouterr().err


def test_bad_arguments_exit_with_2():
    with pytest.raises(SystemExit) as stop:
        cli.main(["grade", "--timeout", "soon"])
    assert stop.value.code == 2


def test_repairs_are_the_students_only_when_no_release_handed_that_out():
    pytest.importorskip("nbgrader", reason="nbgrader is in the test and instructor extras")
    from workbook.course.grading import student_repairs

    # t1 was handed out twice (the instructor fixed it after the first release): either is untouched.
    handed = {"t1": {"checksum": ["v1", "v2"], "points": [1.0]}}
    repairs = [
        ("t1", "checksum", "v1"),
        ("t1", "checksum", "v2"),
        ("t1", "checksum", "zzz"),
        ("t1", "points", 5.0),
        ("t2", "missing", None),
    ]
    assert student_repairs(repairs, handed) == [
        "t1: edited by the student (a read-only cell), restored",
        "t1: points changed by the student, restored",
        "t2: deleted by the student, put back",
    ]


def test_submissions_that_cannot_be_graded_are_flagged_with_what_to_do(tmp_path):
    root = tmp_path / "course"
    notebook(root / "release" / "ex" / "ex.ipynb", "released")
    sub = root / "submitted"
    notebook(sub / "ok" / "ex" / "ex.ipynb", "fine")
    notebook(sub / "renamed" / "ex" / "ex (1).ipynb", "answers")
    (sub / "gone" / "ex").mkdir(parents=True)
    (sub / "empty" / "ex").mkdir(parents=True)
    (sub / "empty" / "ex" / "ex.ipynb").write_text("")
    (sub / "nocells" / "ex").mkdir(parents=True)
    (sub / "nocells" / "ex" / "ex.ipynb").write_text(json.dumps({"cells": [], "metadata": {}}))
    (sub / "linked" / "ex").mkdir(parents=True)
    (sub / "linked" / "ex" / "ex.ipynb").symlink_to(root / "release" / "ex" / "ex.ipynb")
    students = sorted(p.name for p in sub.iterdir())
    flags = course_commands._inspect(root, "ex", students)
    assert set(flags) == {"renamed", "gone", "empty", "nocells", "linked"}
    assert "handed in ex (1).ipynb but the exercise's notebook is ex.ipynb" in flags["renamed"]
    assert "Rename it to ex.ipynb" in flags["renamed"]
    assert "missing or was deleted" in flags["gone"]
    assert "is empty (0 bytes)" in flags["empty"] and "has no cells" in flags["nocells"]
    assert "links, which grading never follows" in flags["linked"]
    assert all(f"workbook grade ex --student {s}" in flags[s] for s in flags)


@pytest.mark.slow  # a subprocess or server of its own
def test_grade_refuses_without_the_sandbox_and_says_how_to_fix_it(tmp_path):
    pytest.importorskip("nbgrader", reason="nbgrader is in the test and instructor extras")
    course_dir = tmp_path / "course"
    notebook(course_dir / "submitted" / "ann" / "ex01_four_phases" / "ex01_four_phases.ipynb", "x")
    (course_dir / "source" / "ex01_four_phases").mkdir(parents=True)
    (course_dir / "nbgrader_config.py").write_text("")
    env = dict(os.environ, PATH=str(Path(sys.executable).parent))  # no bwrap on this PATH
    done = subprocess.run(
        [sys.executable, "-m", "workbook.cli", "grade", "--course", str(course_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 2
    assert "Refusing to grade" in done.stderr and "apt-get install bubblewrap" in done.stderr
    assert "--trusted-submissions" in done.stderr
    assert not (course_dir / "autograded").exists()


def test_grade_arguments_for_workers_student_and_trusted():
    args = cli.build_parser().parse_args(
        ["grade", "ex", "--workers", "3", "--student", "ann", "--trusted-submissions"]
    )
    assert (args.workers, args.student, args.trusted_submissions) == (3, "ann", True)
    assert cli.build_parser().parse_args(["grade"]).trusted_submissions is False


@pytest.mark.slow  # a subprocess or server of its own
def test_console_entry_point_runs(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "workbook.cli", "start", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "--exercises" in done.stdout


def test_grade_and_release_use_the_course_folder_they_are_run_in(tmp_path, monkeypatch, capsys):
    course = tmp_path / "my course é"
    (course / "source" / "ex01_four_phases").mkdir(parents=True)
    (course / "nbgrader_config.py").write_text("")
    monkeypatch.chdir(course / "source")  # a subfolder: the course is found upward
    assert cli.main(["grade"]) == 2
    assert f"No submissions in {course / 'submitted'}" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)
    assert cli.main(["grade"]) == 2
    assert "is not in a course folder" in capsys.readouterr().err


def test_the_packages_own_exercises_are_used_only_when_named(monkeypatch, capsys):
    monkeypatch.chdir(ROOT / "exercises")
    assert cli.main(["release", "ex01_four_phases"]) == 2
    assert "the workbook's own exercises folder: refusing" in capsys.readouterr().err
