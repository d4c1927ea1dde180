"""The loader: typed tables, cheap copies, and clear errors for bad data."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

import workbook
from workbook import DataError
from workbook.data import DataPackage

SCHEMA = json.loads((workbook.data.DEFAULT_DATA_DIR / "datapackage.json").read_text(encoding="utf-8"))
RESOURCES = {r["name"]: r for r in SCHEMA["resources"]}


def test_tables_lists_every_stored_and_derived_table():
    listing = workbook.tables()
    assert set(RESOURCES) <= set(listing["name"])
    assert {"defence_spending", "personnel", "fuel_share", "compensation"} <= set(listing["name"])
    assert listing["description"].str.len().gt(20).all()


@pytest.mark.parametrize("name", list(RESOURCES))
def test_columns_are_typed_as_the_schema_says(name):
    df = workbook.load(name)
    assert len(df) > 0, f"{name} is empty"
    for field in RESOURCES[name]["schema"]["fields"]:
        column = df[field["name"]]
        kind = field["type"]
        if field.get("constraints", {}).get("enum") and kind == "string":
            assert isinstance(column.dtype, pd.CategoricalDtype), field["name"]
            assert list(column.cat.categories) == field["constraints"]["enum"]
        elif kind == "integer":
            assert str(column.dtype) == "Int64", field["name"]
        elif kind == "number":
            assert column.dtype == "float64", field["name"]
        elif kind == "date":
            assert pd.api.types.is_datetime64_any_dtype(column), field["name"]
        else:
            assert pd.api.types.is_string_dtype(column), field["name"]


def test_each_load_is_a_fresh_copy():
    first = workbook.load("claims")
    first.loc[:, "value"] = -1
    first = first.iloc[0:0]
    again = workbook.load("claims")
    assert len(again) > 0 and (again["value"] != -1).any()
    derived = workbook.load("defence_spending")
    derived["value"] = 0
    assert workbook.load("defence_spending")["value"].max() > 1


def test_unknown_table_lists_the_names():
    with pytest.raises(KeyError) as err:
        workbook.load("claim")
    message = str(err.value)
    assert "'claim'" in message and "claims" in message and "personnel" in message


@pytest.mark.slow  # a subprocess or server of its own
def test_runtime_does_not_import_the_validation_framework():
    code = (
        "import sys, workbook; [workbook.load(n) for n in workbook.tables()['name']]; "
        "print('frictionless' in sys.modules, 'altair' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# ---------------------------------------------------------------- bad data, on a copy of data/


def _rewrite(path, old, new, count=1):
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _row_of(path, needle):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def _error(folder) -> str:
    with pytest.raises(DataError) as err:
        DataPackage(folder).table("claims")
    return str(err.value)


def test_missing_file_is_named(data_copy):
    (data_copy / "places.csv").unlink()
    message = _error(data_copy)
    assert "places.csv" in message and "missing" in message


def test_wrong_type_names_file_row_and_column(data_copy):
    path = data_copy / "claims.csv"
    row = _row_of(path, "sa1997-39a,")
    _rewrite(path, ",145000,", ",145 thousand,")
    message = _error(data_copy)
    assert f"row {row}" in message and "claims.csv" in message and "'value'" in message
    assert "not a number" in message


def test_broken_foreign_key_is_reported(data_copy):
    path = data_copy / "records.csv"
    row = _row_of(path, ",sa1997-39a,")
    _rewrite(path, ",sa1997-39a,", ",sa1997-99z,")
    message = _error(data_copy)
    assert "records.csv" in message and f"row {row}" in message and "'claim_id'" in message
    assert "sa1997-99z" in message and "claims.csv" in message


def test_duplicate_id_is_reported(data_copy):
    path = data_copy / "glossary.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines + [lines[1]]) + "\n", encoding="utf-8")
    message = _error(data_copy)
    assert "glossary.csv" in message and f"row {len(lines) + 1}" in message and "duplicate" in message


def test_non_utf8_file_is_reported(data_copy):
    path = data_copy / "sections.csv"
    path.write_bytes(path.read_text(encoding="utf-8").replace("Opening", "Op\u00e9ning").encode("latin-1"))
    message = _error(data_copy)
    assert "sections.csv" in message and "UTF-8" in message and "row 2" in message


def test_missing_required_value_and_bad_enum(data_copy):
    path = data_copy / "claims.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    header = text[0].split(",")
    cells = next(__import__("csv").reader([text[1]]))
    cells[header.index("hedge")] = "roughly"
    text[1] = ",".join(f'"{c}"' for c in cells)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    message = _error(data_copy)
    assert "row 2" in message and "'hedge'" in message and "'as much as'" in message


def test_bad_data_never_changes_the_files(data_copy):
    before = {p.name: p.read_bytes() for p in data_copy.iterdir()}
    _rewrite(data_copy / "claims.csv", ",145000,", ",oops,")
    before["claims.csv"] = (data_copy / "claims.csv").read_bytes()
    _error(data_copy)
    assert {p.name: p.read_bytes() for p in data_copy.iterdir()} == before
