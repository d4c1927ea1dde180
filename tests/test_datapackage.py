"""The Frictionless validator agrees with our schema, and catches a broken row by number."""

from __future__ import annotations

import pytest

frictionless = pytest.importorskip("frictionless")


def test_real_package_is_valid():
    from workbook.data import DEFAULT_DATA_DIR

    report = frictionless.validate(str(DEFAULT_DATA_DIR / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]


def test_broken_copy_fails_naming_the_row(data_copy):
    path = data_copy / "claims.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[5] = (
        lines[5].replace("sa1997", "sa1998", 1)
        if "sa1997" in lines[5]
        else lines[5].replace("essay2005", "essay2006", 1)
    )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = frictionless.validate(str(data_copy / "datapackage.json"))
    assert not report.valid
    errors = report.flatten(["rowNumber", "fieldName", "type"])
    assert [6, "claim_id", "constraint-error"] in errors
