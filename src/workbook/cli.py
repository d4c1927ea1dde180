"""The ``workbook`` command.

For students::

    workbook start [DIR]          copy the notebooks, the guide to written answers and the released
                                  exercises into DIR (default ~/alliance-workbook); never overwrites
    workbook update [DIR]         bring DIR up to date: files you never changed are refreshed, files
                                  you changed are kept and the new version is put beside them
    workbook setup                every kernel of this Python loads the workbook (``start`` does it)

For instructors (needs the instructor kit: ``python3 bootstrap.py instructor``)::

    workbook course init DIR      make a private course folder: exercise sources, guide, nbgrader config

and thin wrappers around the nbgrader commands, run in the course folder::

    workbook release [NAME ...]   nbgrader generate_assignment for each exercise, then check the
                                  student version for solutions, hidden tests and mark schemes
    workbook grade [NAME ...]     autograde (every submission in a sandbox, in parallel) +
                                  nbgrader generate_feedback for each exercise with submissions,
                                  then nbgrader export to grades.csv
    workbook grades export [--format canvas|moodle|csv] [--per-question] [--to CSV]
                                  the gradebook's scores in an LMS's import format

Exit codes: 0 done; 1 done in part (a submission or an exercise failed, or a leak was found: the
message says which); 2 nothing done (wrong arguments, missing folders, nbgrader not installed).

The readings are not shipped with the workbook; a student adds the copy their course provides::

    workbook readings add FILE    check the copy against the paragraphs the tables cite, keep it
                                  for every notebook (WORKBOOK_READINGS, or the user's data folder)
    workbook readings where       where copies are looked for, and which are usable

Settings (environment variables, listed in ``workbook.settings``)::

    workbook config               every WORKBOOK_* setting with its current value
    workbook data check [FOLDER]  after editing a table: Frictionless and the loader, each fault
                                  with its file, row and column

Written answers (students before handing in, instructors before grading)::

    workbook written check NB.ipynb [--json]   point at unknown ids, misquotes, numbers that
                                  disagree with the cited row, over-length, missing citations
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ._common import FAILED, CliError
from .workspace import DEFAULT_STUDENT_DIR, cmd_start, cmd_update


def _later(module: str, name: str):
    """The command ``workbook.<module>.<name>``, imported only when run: ``workbook start`` does
    not load the tables, Frictionless or the course wing (nbgrader) it never uses."""

    def command(args):
        return getattr(importlib.import_module(f"workbook.{module}"), name)(args)

    return command


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbook",
        description="The alliance-workbook command: set up your own copy (start), "
        "or, for instructors, release and grade the exercises with nbgrader.",
        epilog="Exit codes: 0 done, 1 done in part (see the messages), 2 nothing done.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    for name, func, helptext, description in (
        (
            "start",
            cmd_start,
            "copy the notebooks and released exercises into your own folder",
            "Copy the workbook's notebooks, the guide to written answers and the released exercises "
            "into DIR. A file you already have is never overwritten: a later run adds only what is new.",
        ),
        (
            "update",
            cmd_update,
            "bring your folder up to date without touching your own work",
            "Refresh the files in DIR that you never changed to the newest version. A file you "
            "changed is kept exactly as it is, and the new version is put beside it under a name "
            "ending in .new-VERSION. Files you deleted are put back.",
        ),
    ):
        cmd = sub.add_parser(name, help=helptext, description=description)
        cmd.add_argument(
            "dir", nargs="?", metavar="DIR", help=f"your folder (default: {DEFAULT_STUDENT_DIR})"
        )
        cmd.add_argument(
            "--exercises",
            metavar="FOLDER",
            help="the released exercises your instructor gave you (a folder with one "
            "sub-folder per exercise)",
        )
        cmd.add_argument("--source", metavar="WORKBOOK", help=argparse.SUPPRESS)
        cmd.set_defaults(func=func)

    setup = sub.add_parser(
        "setup",
        help="make every kernel of this Python load the workbook",
        description="Write IPython's kernel configuration so that every kernel of this Python loads "
        "the workbook (check, cite, load and friendly errors from any first cell), and JupyterLab "
        "settings that open notebooks without the news pop-up or the kernel dialog. "
        "'workbook start' does this too.",
    )
    setup.add_argument("--prefix", metavar="FOLDER", help="the Python installation (default: this one)")

    setup.set_defaults(func=_later("kernel", "cmd_setup"))

    course = sub.add_parser("course", help="instructors: set up a private course folder")
    course_sub = course.add_subparsers(dest="course_command", metavar="ACTION", required=True)
    init = course_sub.add_parser(
        "init",
        help="make a private course folder from the instructor kit",
        description="Make DIR (new or empty, readable only by you) into an nbgrader course folder: "
        "the exercise sources with their solutions, the instructor's guide and "
        "nbgrader_config.py (gradebook: DIR/gradebook.db).",
    )
    init.add_argument("dir", metavar="DIR", help="the new course folder, e.g. ~/courses/alliance-2027")
    init.add_argument("--course-id", help="nbgrader's course id (needed with a hub's exchange)")
    init.add_argument(
        "--exchange",
        metavar="FOLDER",
        help="nbgrader's exchange folder on a shared machine, e.g. /srv/nbgrader/exchange",
    )
    init.set_defaults(func=_later("course.init", "cmd_course_init"))

    # -- readings: add the copy a course provides (checked, kept where every kernel finds it)
    readings = sub.add_parser(
        "readings",
        help="add your course's copy of a reading, or see where copies are",
        description="The two readings are not shipped with the workbook. 'add FILE' checks a .txt "
        "file against the paragraphs the tables cite and keeps it for every notebook "
        "(in WORKBOOK_READINGS, or ~/.local/share/alliance-workbook/readings); "
        "'where' shows where copies are looked for and which are usable.",
    )
    readings_sub = readings.add_subparsers(dest="action", metavar="ACTION", required=True)
    readings_add = readings_sub.add_parser("add", help="check and keep the copy in FILE")
    readings_add.add_argument("files", nargs="+", metavar="FILE", help="a reading as a plain .txt file")
    readings_sub.add_parser("where", help="where copies are looked for, and which are usable")

    readings.set_defaults(func=_later("texts", "cmd_readings"))

    # -- config: every WORKBOOK_* setting with its current value (workbook.settings)
    config = sub.add_parser(
        "config",
        help="list every WORKBOOK_* setting with its current value",
        description="Print every environment variable the workbook reads, its current value (or the "
        "default in use), who reads it and what it is for.",
    )

    config.set_defaults(func=_later("settings", "cmd_config"))

    # -- data check: Frictionless and the workbook's loader over a data folder an instructor edited
    data = sub.add_parser("data", help="instructors: check a data folder after editing a table")
    data_sub = data.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = data_sub.add_parser(
        "check",
        help="validate the tables (Frictionless, then the workbook's loader)",
        description="Validate FOLDER/datapackage.json and its tables with Frictionless (types, "
        "constraints, keys), then load every table as a notebook would. Each fault names the "
        "file, the row (header = row 1) and the column. Exit 0 when sound, 1 with faults.",
    )
    check.add_argument(
        "folder",
        nargs="?",
        metavar="FOLDER",
        help="the data folder (default: WORKBOOK_DATA, else the shipped data)",
    )

    check.set_defaults(func=_later("datacheck", "cmd_data_check"))
    # -- written answers: the machine's first pass (ids, quotes, numbers, length, citations)
    written = sub.add_parser(
        "written",
        help="check the citations in written answers (students: a self-check; instructors: before grading)",
        description="'check' reads every written answer (nbgrader's manually graded cells) of the "
        "given notebooks and points at cited ids that do not exist, quotations not word for word in "
        "the paragraph they cite, numbers that disagree with the row they cite, answers over the "
        "question's word limit, and answers with no citation where the question asks for one. "
        "It never grades.",
    )
    written_sub = written.add_subparsers(dest="action", metavar="ACTION", required=True)
    written_check = written_sub.add_parser("check", help="check the written answers of notebooks")
    written_check.add_argument(
        "paths", nargs="+", metavar="SUBMISSION", help="a notebook (.ipynb), or a folder of them"
    )
    written_check.add_argument(
        "--json",
        action="store_true",
        help='one object per answer: {"notebook", "cell", "flags": [{"kind", "text", "detail"}]}',
    )

    written.set_defaults(func=_later("course.written", "cmd_written"))

    # -- grades out: the gradebook's totals in Canvas's, Moodle's or a plain CSV format
    grades = sub.add_parser("grades", help="instructors: export the gradebook for Canvas, Moodle or as CSV")
    grades_sub = grades.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = grades_sub.add_parser(
        "export",
        help="write the gradebook's scores in an LMS's import format",
        description="Read nbgrader's gradebook (autograded and manual scores) and write a CSV that "
        "Canvas (Grades > Import) or Moodle (Grades > Import > CSV file) imports, or plain CSV. "
        "A student with no submission gets an empty cell, not 0.",
    )
    export.add_argument("names", nargs="*", metavar="EXERCISE", help="exercises to export (default: all)")
    export.add_argument("--format", choices=("canvas", "moodle", "csv"), default="csv")
    export.add_argument("--per-question", action="store_true", help="a column per graded cell too")
    export.add_argument(
        "--to", metavar="CSV", help="where to write (default: grades-FORMAT.csv; - for stdout)"
    )
    export.add_argument("--course", metavar="FOLDER", help="the course folder (with nbgrader_config.py)")

    grades.set_defaults(func=_later("course.grades_export", "cmd_grades_export"))

    for name, helptext, func in (
        (
            "release",
            "instructors: generate the student version of the exercises",
            _later("course.commands", "cmd_release"),
        ),
        (
            "grade",
            "instructors: autograde, write feedback and export grades",
            _later("course.commands", "cmd_grade"),
        ),
    ):
        cmd = sub.add_parser(
            name,
            help=helptext,
            description=helptext + ". Runs nbgrader in "
            "the course folder you are in (the nearest with nbgrader_config.py), or --course FOLDER.",
        )
        cmd.add_argument(
            "names",
            nargs="*",
            metavar="EXERCISE",
            help="exercise names, e.g. ex02_one_percent (default: all"
            + (" with submissions)" if name == "grade" else ")"),
        )
        cmd.add_argument("--course", metavar="FOLDER", help="the course folder (with nbgrader_config.py)")
        cmd.add_argument("-v", "--verbose", action="store_true", help="show nbgrader's own output")
        cmd.set_defaults(func=func)
        if name == "release":
            cmd.add_argument(
                "--no-validate",
                dest="validate",
                action="store_false",
                help="skip running the notebooks (solutions must pass, blanks must fail)",
            )
        else:
            cmd.add_argument(
                "--timeout",
                type=int,
                metavar="SECONDS",
                help="time limit per cell (default: nbgrader_config.py's Execute.timeout)",
            )
            cmd.add_argument(
                "--regrade",
                action="store_true",
                help="grade again submissions already graded (manual marks are kept)",
            )
            cmd.add_argument("--student", metavar="ID", help="grade (again) only this student's submission")
            cmd.add_argument(
                "--workers",
                type=int,
                metavar="N",
                help="submissions graded at once (default: one per CPU core)",
            )
            cmd.add_argument(
                "--trusted-submissions",
                action="store_true",
                help="run students' code WITHOUT the sandbox, with your rights (only "
                "where the sandbox cannot run and you trust every submission)",
            )
            cmd.add_argument(
                "--to",
                metavar="CSV",
                help="where to write the grades (default: grades.csv in the course folder)",
            )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return FAILED
    try:
        return args.func(args)
    except CliError as problem:
        print(f"workbook {args.command}: {problem}", file=sys.stderr)
        return problem.code
    except KeyboardInterrupt:
        print("workbook: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
