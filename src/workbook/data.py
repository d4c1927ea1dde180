"""Load the workbook's tables from data/ as typed pandas DataFrames, and cite their rows.

The schema in ``data/datapackage.json`` says each column's type and rules.  This module checks
that description first, then reads the CSV files with the standard library, checks every cell
against those rules and stops at the first problem with a :class:`~workbook.errors.DataError`
that names the file, the row and the column.  Tables are parsed once per process, built aside
and published all at once under a lock (so threads never see half a package, and a package that
failed to build fails the same way on every later call); each ``load`` hands back a fresh copy,
so editing a DataFrame in a notebook never changes what the next ``load`` returns.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import stat
import threading
from pathlib import Path

import pandas as pd

from . import paths
from .errors import DataError, UnknownName
from .provenance import claim_citation, record_citation
from .schema import Resource, Slip, check_descriptor, field_names

DEFAULT_DATA_DIR = paths.packaged_data_dir()


def default_data_dir() -> Path:
    """The data folder: ``WORKBOOK_DATA`` if set, else the copy shipped in the package (or ``data/``)."""
    return paths.data_dir()


# --------------------------------------------------------------------------- reading a file

DESCRIPTOR = "datapackage.json"
#: A table file larger than this is refused before it is read (the real ones are a few KB).
MAX_TABLE_BYTES = 50_000_000


def _read_regular_file(path: Path, shown: str, limit: int) -> bytes:
    """The bytes of a regular file no bigger than ``limit``; DataError for a folder, pipe, or giant."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise DataError(f"the file is missing from {path.parent}", file=shown) from None
    except OSError as exc:
        raise DataError(f"cannot be read ({exc.strerror})", file=shown) from None
    if stat.S_ISDIR(info.st_mode):
        raise DataError("is a folder, but it should be a CSV file", file=shown)
    if not stat.S_ISREG(info.st_mode):
        raise DataError("is not an ordinary file (a pipe or a device?); it should be a CSV file", file=shown)
    if info.st_size > limit:
        raise DataError(f"is {info.st_size:,} bytes, more than the {limit:,} the workbook reads", file=shown)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise DataError("is not an ordinary file; it should be a CSV file", file=shown)
            data = handle.read(limit + 1)
    except OSError as exc:
        raise DataError(f"cannot be read ({exc.strerror})", file=shown) from None
    if len(data) > limit:
        raise DataError(f"is more than the {limit:,} bytes the workbook reads", file=shown)
    return data


#: The longest cell a table may hold: Python's csv default, kept by the loader itself, because the csv
#: module's limit is one global that other libraries raise (Frictionless sets it to 40 MB when it
#: reads a CSV), and a cell this long means a closing quote is missing far more often than not.
CELL_LIMIT = 131_072


def _too_long(limit: int) -> str:
    return (
        f"a cell is longer than {limit:,} characters: a closing quote is probably missing "
        "(or the cell is far too long)"
    )


def _csv_rows(text: str):
    return csv.reader(io.StringIO(text, newline=""), strict=True)


def _locate_csv_fault(text: str) -> tuple[int, int]:
    """(row, column index) of the first malformed cell, found by a plain scan (for messages only)."""
    limit = csv.field_size_limit()
    row, column, length, quoted, i = 1, 0, 0, False, 0
    start_row = 1
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"':
                if text.startswith('""', i):
                    i += 1
                else:
                    quoted = False
                    after = text[i + 1 : i + 2]
                    if after not in ("", ",", "\r", "\n"):
                        return start_row, column
            length += 1
        elif ch == '"' and length == 0:
            quoted, start_row = True, row
        elif ch == ",":
            column, length = column + 1, -1
        elif ch in "\r\n":
            if ch == "\r" and text.startswith("\r\n", i):
                i += 1
            row, column, length = row + 1, 0, -1
        length += 1
        if length > limit:
            return (start_row if quoted else row), column
        start_row = start_row if quoted else row
        i += 1
    return start_row, column


class DataPackage:
    """The tables of one data folder: parsed on first use, checked, and cached.

    ``DataPackage(folder)`` lets tests (or an instructor with their own data) load another copy.
    """

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder is not None else default_data_dir()
        self._lock = threading.Lock()
        self._raw: dict | None = None
        self._specs: dict[str, Resource] | None = None
        self._frames: dict[str, pd.DataFrame] | None = None
        self._failure: DataError | None = None

    # -- the descriptor
    def _build_specs(self) -> None:
        """Read and check datapackage.json (called under the lock)."""
        path = self.folder / DESCRIPTOR
        data = _read_regular_file(path, DESCRIPTOR, MAX_TABLE_BYTES)
        if not data.strip():
            raise DataError("is empty; it should describe every table", file=DESCRIPTOR)
        try:
            raw = json.loads(data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise DataError(
                f"is not UTF-8 text (byte {exc.start}); save it as UTF-8", file=DESCRIPTOR
            ) from None
        except json.JSONDecodeError as exc:
            raise DataError(
                f"is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", file=DESCRIPTOR
            ) from None
        except RecursionError:
            raise DataError(
                "is nested too deeply to be a data package description", file=DESCRIPTOR
            ) from None
        try:
            specs = check_descriptor(raw)
        except Slip as slip:
            raise DataError(str(slip), file=DESCRIPTOR) from None
        self._raw, self._specs = raw, specs

    def _ensure(self, need_frames: bool) -> None:
        """Build what is needed once, under the lock; remember a failure and repeat it."""
        with self._lock:
            if self._failure is not None:
                raise self._failure.again()
            try:
                if self._specs is None:
                    self._build_specs()
                if need_frames and self._frames is None:
                    self._frames = self._parse_all()
            except DataError as exc:
                self._failure = exc
                raise

    @property
    def descriptor(self) -> dict:
        """The contents of datapackage.json (checked)."""
        if self._specs is None:
            self._ensure(need_frames=False)
        return self._raw

    def resource(self, name: str) -> dict:
        if self._specs is None:
            self._ensure(need_frames=False)
        for res in self._raw["resources"]:
            if res["name"] == name:
                return res
        raise UnknownName(f"There is no stored table called {name!r}.")

    def stored_names(self) -> list[str]:
        if self._specs is None:
            self._ensure(need_frames=False)
        return list(self._specs)

    def descriptions(self) -> dict[str, str]:
        """Each stored table's one-line description."""
        if self._specs is None:
            self._ensure(need_frames=False)
        return {name: spec.description for name, spec in self._specs.items()}

    # -- reading one table
    def _read_rows(self, res: Resource) -> list[dict]:
        file = res.path
        data = _read_regular_file(self.folder / res.path, file, MAX_TABLE_BYTES)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise DataError(
                f"is not UTF-8 text (byte {exc.start}); save it as UTF-8", file=file, row=line
            ) from None
        fields = res.fields
        names = [f.name for f in fields]
        if not text.strip():
            raise DataError(
                f"is empty; its first line should be the header {','.join(names)}", file=file, row=1
            )
        if "\x00" in text:
            row, column = self._find_nul(text)
            raise DataError(
                "holds a NUL character (an invisible control byte); delete it",
                file=file,
                row=row,
                column=names[column] if column < len(names) else None,
            )
        reader = _csv_rows(text)
        rows: list[dict] = []
        row_number = 1
        try:
            header = next(reader, None)
            if header != names:
                header = header or []
                missing = [n for n in names if n not in header]
                extra = [n for n in header if n not in names]
                detail = (
                    "; ".join(
                        p for p in (missing and f"missing {missing}", extra and f"unexpected {extra}") if p
                    )
                    or "columns out of order"
                )
                raise DataError(f"the header should be {names} ({detail})", file=file, row=1)
            width = len(names)
            for cells in reader:
                row_number += 1
                if not cells:
                    continue
                if len(cells) != width:
                    raise DataError(
                        f"has {len(cells)} cells but the header has {width} columns",
                        file=file,
                        row=row_number,
                    )
                if not any(cells):
                    raise DataError(
                        "is blank (every cell is empty); delete the row", file=file, row=row_number
                    )
                if max(map(len, cells)) > CELL_LIMIT:
                    column = next(f.name for f, c in zip(fields, cells) if len(c) > CELL_LIMIT)
                    raise DataError(_too_long(CELL_LIMIT), file=file, row=row_number, column=column)
                record = {"__row__": row_number}
                for field, cell in zip(fields, cells):
                    if field.plain and cell and not cell.isspace():
                        record[field.name] = cell  # free text: nothing to parse or check
                        continue
                    try:
                        record[field.name] = field.read(cell)
                    except ValueError as exc:
                        raise DataError(str(exc), file=file, row=row_number, column=field.name) from None
                rows.append(record)
        except csv.Error as exc:
            row, column = _locate_csv_fault(text)
            raise DataError(
                self._csv_message(exc),
                file=file,
                row=row,
                column=names[column] if column < len(names) else None,
            ) from None
        if not rows:
            raise DataError("has a header but no rows; every table needs at least one row", file=file, row=2)
        return rows

    @staticmethod
    def _csv_message(exc: csv.Error) -> str:
        text = str(exc)
        if "field larger than field limit" in text:
            return _too_long(csv.field_size_limit())
        if "expected after" in text:
            return 'a quoted cell goes on after its closing quote: write a quote inside a cell as ""'
        if "unexpected end of data" in text:
            return "a quoted cell is never closed: a closing quote is missing"
        return f"is not valid CSV ({text})"

    @staticmethod
    def _find_nul(text: str) -> tuple[int, int]:
        marker = next(chr(c) for c in range(0xE000, 0xF900) if chr(c) not in text)
        for row, cells in enumerate(_csv_rows(text.replace("\x00", marker)), start=1):
            for column, cell in enumerate(cells):
                if marker in cell:
                    return row, column
        return 1, 0  # not reached: the marker is in some cell

    @staticmethod
    def _check_unique(res: Resource, rows: list[dict]) -> None:
        keys = [res.primary_key] if res.primary_key else []
        keys += [[f.name] for f in res.fields if f.unique and [f.name] != res.primary_key]
        for key in keys:
            seen: dict[tuple, int] = {}
            for r in rows:
                value = tuple(r[k] for k in key)
                if None in value:
                    if key is res.primary_key:
                        column = key[value.index(None)]
                        raise DataError(
                            "is empty, but it is part of the table's id (primary key)",
                            file=res.path,
                            row=r["__row__"],
                            column=column,
                        )
                    continue
                if value in seen:
                    raise DataError(
                        f"duplicate id {', '.join(map(str, value))!r} (first on row {seen[value]})",
                        file=res.path,
                        row=r["__row__"],
                        column=", ".join(key),
                    )
                seen[value] = r["__row__"]

    @staticmethod
    def _frame(res: Resource, rows: list[dict]) -> pd.DataFrame:
        columns = {}
        for field in res.fields:
            name, kind = field.name, field.kind
            values = [r[name] for r in rows]
            if field.enum_list is not None and kind == "string":
                series = pd.Categorical(values, categories=field.enum_list, ordered=bool(field.ordered))
            elif kind == "integer":
                series = pd.array(values, dtype="Int64")
            elif kind == "number":
                series = pd.array([math.nan if v is None else v for v in values], dtype="float64")
            elif kind == "date":
                series = pd.to_datetime(pd.Series(values, dtype="object"))
            elif kind == "boolean":
                series = pd.array(values, dtype="boolean")
            else:
                series = pd.array(values, dtype="string")
            columns[name] = series
        return pd.DataFrame(columns)

    def _parse_all(self) -> dict[str, pd.DataFrame]:
        """Parse every stored table, check primary and foreign keys across them: a new dict, or an error."""
        specs = self._specs
        rows_by_name = {}
        for res in specs.values():
            rows = self._read_rows(res)
            self._check_unique(res, rows)
            rows_by_name[res.name] = rows
        for res in specs.values():
            for fk in res.foreign_keys:
                own = field_names(fk["fields"], "")
                target = fk["reference"].get("resource", "") or res.name
                theirs = field_names(fk["reference"]["fields"], "")
                known = {tuple(r[k] for k in theirs) for r in rows_by_name[target]}
                for r in rows_by_name[res.name]:
                    value = tuple(r[k] for k in own)
                    if all(v is None for v in value):
                        continue
                    if value not in known:
                        raise DataError(
                            f"{', '.join(map(str, value))!r} is not a known {'/'.join(theirs)} "
                            f"in {specs[target].path} (broken foreign key)",
                            file=res.path,
                            row=r["__row__"],
                            column=", ".join(own),
                        )
        return {name: self._frame(specs[name], rows) for name, rows in rows_by_name.items()}

    def table(self, name: str) -> pd.DataFrame:
        """The stored table ``name`` (shared, not a copy: callers copy)."""
        frames = self._frames
        if frames is None:
            self._ensure(need_frames=True)
            frames = self._frames
        try:
            return frames[name]
        except KeyError:
            raise UnknownName(f"There is no stored table called {name!r}.") from None


_LOCK = threading.Lock()
_PACKAGES: dict[Path, DataPackage] = {}


def package(folder: str | Path | None = None) -> DataPackage:
    """The (cached) package for a data folder; the default folder unless one is given."""
    path = Path(folder) if folder is not None else default_data_dir()
    pkg = _PACKAGES.get(path)
    if pkg is None:
        with _LOCK:
            pkg = _PACKAGES.setdefault(path, DataPackage(path))
    return pkg


def tables(folder: str | Path | None = None) -> pd.DataFrame:
    """Every table you can ``load``, with a one-line description (stored and derived)."""
    from .derived import DERIVED

    rows = [(name, "stored", text) for name, text in package(folder).descriptions().items()]
    rows += [(name, "derived", func.__doc__.strip().splitlines()[0]) for name, func in DERIVED.items()]
    return pd.DataFrame(rows, columns=["name", "kind", "description"])


def table_names(folder: str | Path | None = None) -> list[str]:
    from .derived import DERIVED

    return package(folder).stored_names() + list(DERIVED)


_DERIVED_CACHE: dict[tuple[Path, str], pd.DataFrame] = {}


def load(name: str, folder: str | Path | None = None) -> pd.DataFrame:
    """Load a table by name, e.g. ``load("claims")``: a fresh, typed copy each time.

    Run ``workbook.tables()`` to see the names.
    """
    from .derived import DERIVED

    if not isinstance(name, str):
        raise TypeError(f"load() expects a table name as text, like load('claims'); got {name!r}.")
    pkg = package(folder)
    if name in pkg.stored_names():
        return pkg.table(name).copy()
    if name in DERIVED:
        key = (pkg.folder, name)
        frame = _DERIVED_CACHE.get(key)
        if frame is None:
            built = DERIVED[name](pkg)
            with _LOCK:
                frame = _DERIVED_CACHE.setdefault(key, built)
        return frame.copy()
    raise UnknownName(f"There is no table called {name!r}. The tables are: {', '.join(table_names(folder))}.")


def clear_cache() -> None:
    """Forget every parsed table (after editing data/ in a running kernel)."""
    with _LOCK:
        _PACKAGES.clear()
        _DERIVED_CACHE.clear()


def cite(ref: str) -> str:
    """A readable citation for a claim, event or record id, e.g. ``cite("sa1997-39a")``."""
    if not isinstance(ref, str):
        raise TypeError(f"cite() expects an id as text, like cite('sa1997-39a'); got {ref!r}.")
    pkg = package()
    readings = pkg.table("readings").set_index("id")
    for table, key in (("claims", "claim_id"), ("events", "event_id")):
        df = pkg.table(table)
        hit = df[df[key] == ref]
        if len(hit):
            row = next(hit.itertuples(index=False))
            return claim_citation(row, readings.loc[row.reading])
    records = pkg.table("records")
    hit = records[records["record_id"] == ref]
    if len(hit):
        return record_citation(next(hit.itertuples(index=False)))
    raise UnknownName(
        f"No claim, event or record has the id {ref!r}. Claim ids look like 'sa1997-39a' "
        "(reading, paragraph, letter); see workbook.load('claims')['claim_id']."
    )
