"""Load the workbook's tables from data/ as typed pandas DataFrames.

The schema in ``data/datapackage.json`` says each column's type and rules.  This module reads
the CSV files with the standard library, checks every cell against those rules and stops at
the first problem with a :class:`~workbook.errors.DataError` that names the file, the row and
the column.  Tables are parsed once per process; each ``load`` hands back a fresh copy, so
editing a DataFrame in a notebook never changes what the next ``load`` returns.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
import re
from pathlib import Path

import pandas as pd

from . import paths
from .errors import DataError, UnknownName

DEFAULT_DATA_DIR = paths.packaged_data_dir()


def default_data_dir() -> Path:
    """The data folder: ``WORKBOOK_DATA`` if set, else the copy shipped in the package (or ``data/``)."""
    return paths.data_dir()


# --------------------------------------------------------------------------- reading cells

def _parse_integer(text: str) -> int:
    if not re.fullmatch(r"[+-]?\d+", text):
        raise ValueError("a whole number")
    return int(text)


def _parse_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("a number") from None
    if math.isnan(value) or math.isinf(value):
        raise ValueError("a finite number")
    return value


def _parse_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("a date written YYYY-MM-DD") from None


def _parse_boolean(text: str) -> bool:
    if text.lower() in ("true", "yes", "1"):
        return True
    if text.lower() in ("false", "no", "0"):
        return False
    raise ValueError("true or false")


PARSERS = {"string": str, "integer": _parse_integer, "number": _parse_number,
           "date": _parse_date, "boolean": _parse_boolean}


def _check_constraints(value, field: dict) -> str | None:
    """Return what was expected when ``value`` breaks one of the field's constraints."""
    rules = field.get("constraints", {})
    if "enum" in rules and value not in rules["enum"]:
        return "one of " + ", ".join(repr(v) for v in rules["enum"])
    if "pattern" in rules and not re.fullmatch(rules["pattern"], value):
        return f"text matching the pattern {rules['pattern']}"
    if "minimum" in rules and value < rules["minimum"]:
        return f"at least {rules['minimum']}"
    if "maximum" in rules and value > rules["maximum"]:
        return f"at most {rules['maximum']}"
    return None


# --------------------------------------------------------------------------- the package

class DataPackage:
    """The tables of one data folder: parsed on first use, checked, and cached.

    ``DataPackage(folder)`` lets tests (or an instructor with their own data) load another copy.
    """

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder) if folder is not None else default_data_dir()
        self._descriptor: dict | None = None
        self._frames: dict[str, pd.DataFrame] = {}
        self._checked_keys = False

    # -- the descriptor
    @property
    def descriptor(self) -> dict:
        if self._descriptor is None:
            path = self.folder / "datapackage.json"
            try:
                self._descriptor = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise DataError(f"the data package description is missing (looked in {self.folder})",
                                file="datapackage.json") from None
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise DataError(f"is not valid JSON ({exc})", file="datapackage.json") from None
        return self._descriptor

    def resource(self, name: str) -> dict:
        for res in self.descriptor["resources"]:
            if res["name"] == name:
                return res
        raise KeyError(name)

    def stored_names(self) -> list[str]:
        return [res["name"] for res in self.descriptor["resources"]]

    # -- reading one table
    def _read_rows(self, res: dict) -> list[dict]:
        path = self.folder / res["path"]
        fields = res["schema"]["fields"]
        names = [f["name"] for f in fields]
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except FileNotFoundError:
            raise DataError(f"the file is missing from {self.folder}", file=res["path"]) from None
        except UnicodeDecodeError as exc:
            line = path.read_bytes()[: exc.start].count(b"\n") + 1
            raise DataError(f"is not UTF-8 text (byte {exc.start}); save it as UTF-8",
                            file=res["path"], row=line) from None
        reader = csv.reader(text.splitlines())
        header = next(reader, None)
        if header != names:
            missing = [n for n in names if n not in (header or [])]
            extra = [n for n in (header or []) if n not in names]
            detail = "; ".join(p for p in (missing and f"missing {missing}",
                                           extra and f"unexpected {extra}") if p) or "columns out of order"
            raise DataError(f"the header should be {names} ({detail})", file=res["path"], row=1)
        rows = []
        for row_number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(names):
                raise DataError(f"has {len(cells)} cells but the header has {len(names)} columns",
                                file=res["path"], row=row_number)
            record = {}
            for field, cell in zip(fields, cells):
                record[field["name"]] = self._read_cell(cell, field, res["path"], row_number)
            record["__row__"] = row_number
            rows.append(record)
        return rows

    @staticmethod
    def _read_cell(cell: str, field: dict, file: str, row: int):
        name, kind = field["name"], field.get("type", "string")
        if cell == "":
            if field.get("constraints", {}).get("required"):
                raise DataError("is empty, but a value is required", file=file, row=row, column=name)
            return None
        try:
            value = PARSERS[kind](cell)
        except ValueError as exc:
            raise DataError(f"{cell!r} is not {exc}", file=file, row=row, column=name) from None
        expected = _check_constraints(value, field)
        if expected:
            raise DataError(f"{cell!r} should be {expected}", file=file, row=row, column=name)
        return value

    def _check_unique(self, res: dict, rows: list[dict]) -> None:
        keys = [res["schema"].get("primaryKey", [])]
        keys += [[f["name"]] for f in res["schema"]["fields"] if f.get("constraints", {}).get("unique")]
        for key in keys:
            if not key:
                continue
            seen: dict[tuple, int] = {}
            for r in rows:
                value = tuple(r[k] for k in key)
                if value in seen:
                    raise DataError(f"duplicate id {', '.join(map(str, value))!r} (first on row {seen[value]})",
                                    file=res["path"], row=r["__row__"], column=", ".join(key))
                seen[value] = r["__row__"]

    def _frame(self, res: dict, rows: list[dict]) -> pd.DataFrame:
        columns = {}
        for field in res["schema"]["fields"]:
            name, kind = field["name"], field.get("type", "string")
            values = [r[name] for r in rows]
            enum = field.get("constraints", {}).get("enum")
            if enum and kind == "string":
                series = pd.Categorical(values, categories=enum, ordered=bool(field.get("categoriesOrdered")))
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

    def _parse_all(self) -> None:
        """Parse every stored table, then check primary and foreign keys across them."""
        rows_by_name = {}
        for res in self.descriptor["resources"]:
            rows = self._read_rows(res)
            self._check_unique(res, rows)
            rows_by_name[res["name"]] = rows
        for res in self.descriptor["resources"]:
            for fk in res["schema"].get("foreignKeys", []):
                target = fk["reference"]["resource"]
                known = {tuple(r[k] for k in fk["reference"]["fields"]) for r in rows_by_name[target]}
                for r in rows_by_name[res["name"]]:
                    value = tuple(r[k] for k in fk["fields"])
                    if all(v is None for v in value):
                        continue
                    if value not in known:
                        target_path = self.resource(target)["path"]
                        raise DataError(
                            f"{', '.join(map(str, value))!r} is not a known {'/'.join(fk['reference']['fields'])} "
                            f"in {target_path} (broken foreign key)",
                            file=res["path"], row=r["__row__"], column=", ".join(fk["fields"]))
        for res in self.descriptor["resources"]:
            self._frames[res["name"]] = self._frame(res, rows_by_name[res["name"]])

    def table(self, name: str) -> pd.DataFrame:
        """The stored table ``name`` (shared, not a copy: callers copy)."""
        if not self._frames:
            self._parse_all()
        return self._frames[name]


_PACKAGES: dict[Path, DataPackage] = {}


def package(folder: str | Path | None = None) -> DataPackage:
    """The (cached) package for a data folder; the default folder unless one is given."""
    path = Path(folder) if folder is not None else default_data_dir()
    if path not in _PACKAGES:
        _PACKAGES[path] = DataPackage(path)
    return _PACKAGES[path]


def tables(folder: str | Path | None = None) -> pd.DataFrame:
    """Every table you can ``load``, with a one-line description (stored and derived)."""
    from .derived import DERIVED

    pkg = package(folder)
    rows = [(res["name"], "stored", res["description"]) for res in pkg.descriptor["resources"]]
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

    pkg = package(folder)
    if not isinstance(name, str):
        raise TypeError(f"load() expects a table name as text, like load('claims'); got {name!r}.")
    if name in pkg.stored_names():
        return pkg.table(name).copy()
    if name in DERIVED:
        key = (pkg.folder, name)
        if key not in _DERIVED_CACHE:
            _DERIVED_CACHE[key] = DERIVED[name](pkg)
        return _DERIVED_CACHE[key].copy()
    raise UnknownName(f"There is no table called {name!r}. The tables are: {', '.join(table_names(folder))}.")


def clear_cache() -> None:
    """Forget every parsed table (after editing data/ in a running kernel)."""
    _PACKAGES.clear()
    _DERIVED_CACHE.clear()
