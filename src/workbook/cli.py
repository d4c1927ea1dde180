"""The ``workbook`` command.

For students::

    workbook start [DIR]          copy the notebooks and the released exercises into DIR
                                  (default ~/alliance-workbook); never overwrites a file

For instructors (needs nbgrader: ``pip install -e ".[instructor]"``), thin wrappers around the
nbgrader commands, run in the course folder (``exercises/``)::

    workbook release [NAME ...]   nbgrader generate_assignment for each exercise, then check the
                                  student version for solutions, hidden tests and mark schemes
    workbook grade [NAME ...]     autograde (every submission in a sandbox, in parallel) +
                                  nbgrader generate_feedback for each exercise with submissions,
                                  then nbgrader export to grades.csv

Exit codes: 0 done; 1 done in part (a submission or an exercise failed, or a leak was found: the
message says which); 2 nothing done (wrong arguments, missing folders, nbgrader not installed).
"""

from __future__ import annotations

import argparse
import sys

from ._common import FAILED, CliError
from .course import cmd_grade, cmd_release
from .workspace import DEFAULT_STUDENT_DIR, cmd_start


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbook",
        description="The alliance-workbook command: set up your own copy (start), "
                    "or, for instructors, release and grade the exercises with nbgrader.",
        epilog="Exit codes: 0 done, 1 done in part (see the messages), 2 nothing done.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    start = sub.add_parser(
        "start", help="copy the notebooks and released exercises into your own folder",
        description="Copy the workbook's notebooks and the released exercises into DIR. A file "
                    "you already have is never overwritten: a later run adds only what is new.")
    start.add_argument("dir", nargs="?", metavar="DIR",
                       help=f"your folder (default: {DEFAULT_STUDENT_DIR})")
    start.add_argument("--exercises", metavar="FOLDER",
                       help="the released exercises your instructor gave you (a folder with one "
                            "sub-folder per exercise; default: the workbook's exercises/release)")
    start.add_argument("--source", metavar="WORKBOOK", help=argparse.SUPPRESS)
    start.set_defaults(func=cmd_start)

    for name, helptext, func in (
            ("release", "instructors: generate the student version of the exercises", cmd_release),
            ("grade", "instructors: autograde, write feedback and export grades", cmd_grade)):
        cmd = sub.add_parser(name, help=helptext, description=helptext + ". Runs nbgrader in "
                             "the course folder (default: the workbook's exercises/).")
        cmd.add_argument("names", nargs="*", metavar="EXERCISE",
                         help="exercise names, e.g. ex02_one_percent (default: all"
                              + (" with submissions)" if name == "grade" else ")"))
        cmd.add_argument("--course", metavar="FOLDER", help="the course folder (with nbgrader_config.py)")
        cmd.add_argument("-v", "--verbose", action="store_true", help="show nbgrader's own output")
        cmd.set_defaults(func=func)
        if name == "release":
            cmd.add_argument("--no-validate", dest="validate", action="store_false",
                             help="skip running the notebooks (solutions must pass, blanks must fail)")
        else:
            cmd.add_argument("--timeout", type=int, metavar="SECONDS",
                             help="time limit per cell (default: nbgrader_config.py's Execute.timeout)")
            cmd.add_argument("--regrade", action="store_true",
                             help="grade again submissions already graded (manual marks are kept)")
            cmd.add_argument("--student", metavar="ID",
                             help="grade (again) only this student's submission")
            cmd.add_argument("--workers", type=int, metavar="N",
                             help="submissions graded at once (default: one per CPU core)")
            cmd.add_argument("--trusted-submissions", action="store_true",
                             help="run students' code WITHOUT the sandbox, with your rights (only "
                                  "where the sandbox cannot run and you trust every submission)")
            cmd.add_argument("--to", metavar="CSV", help="where to write the grades (default: grades.csv "
                                                        "in the course folder)")
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
