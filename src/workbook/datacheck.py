"""``workbook data check``: is a data folder sound? For an instructor who has edited a table.

Two checks, each fault given as file, row (as a spreadsheet shows it: header = row 1) and column:
Frictionless validates the package against datapackage.json (types, constraints, primary and
foreign keys: the standard's own reading), then the workbook loads every table, stored and
derived, as a notebook would.  Frictionless is not needed in a student's kernel (it takes seconds
to start; see benchmarks/RESULTS.md), so it comes with the instructor and test extras.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ._common import OK, PARTLY, CliError
from .errors import DataError


def frictionless_faults(folder: Path) -> list[str]:
    """Frictionless's errors for ``folder/datapackage.json``, one line each: file, row, column, what."""
    try:
        import frictionless
    except ImportError as missing:
        raise CliError(
            "the data check needs Frictionless: install the instructor kit "
            "(python3 bootstrap.py instructor, or pip install frictionless)."
        ) from missing
    report = frictionless.validate(str(folder / "datapackage.json"))
    faults = [f"datapackage.json: {e.message}" for e in report.errors]
    for task in report.tasks:
        for error in task.errors:
            where = [f"file {task.place}"]
            if getattr(error, "row_number", None):
                where.append(f"row {error.row_number}")
            if getattr(error, "field_name", None):
                where.append(f"column {error.field_name!r}")
            faults.append(f"{', '.join(where)}: {error.type}: {error.message}")
    return faults


def loader_faults(folder: Path) -> list[str]:
    """What the workbook's own loader says about each table (stored and derived) in ``folder``."""
    from .data import DataPackage
    from .derived import DERIVED

    try:
        package = DataPackage(folder)
        names = package.stored_names()
    except DataError as problem:
        return [str(problem)]
    faults = []
    for name in names:
        try:
            package.table(name)
        except DataError as problem:
            return [str(problem)]  # the package failed as a whole: one message says where
    for name, build in DERIVED.items():
        try:
            build(package)
        except DataError as problem:
            faults.append(f"derived table {name}: {problem}")
    return faults


def cmd_data_check(args) -> int:
    """Check a data folder (default: the one the notebooks load): exit 0 when sound, 1 with faults."""
    from .paths import data_dir

    folder = Path(args.folder).expanduser() if args.folder else data_dir()
    if not (folder / "datapackage.json").is_file():
        raise CliError(f"no datapackage.json in {folder}: give the folder that holds the tables.")
    faults = frictionless_faults(folder)
    faults += [f"workbook: {line}" for line in loader_faults(folder)]
    for line in faults:
        print(line, file=sys.stderr)
    if faults:
        print(f"{folder}: {len(faults)} fault(s) found (rows counted with the header as row 1).")
        return PARTLY
    print(f"{folder}: every table is sound (Frictionless and the workbook's loader agree).")
    return OK
