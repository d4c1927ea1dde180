"""``workbook data check``: Frictionless and the loader over a data folder, faults by file, row, column."""

from __future__ import annotations

import pytest

from workbook.cli import main

pytest.importorskip("frictionless")


def test_the_shipped_data_is_sound(capsys):
    assert main(["data", "check"]) == 0
    assert "every table is sound" in capsys.readouterr().out


def test_an_edited_table_is_reported_by_file_row_and_column(data_copy, capsys):
    path = data_copy / "records.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("year")] = "nineteen"  # row 4 as a spreadsheet counts (header = row 1)
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["data", "check", str(data_copy)]) == 1
    err = capsys.readouterr().err.splitlines()
    frictionless = [e for e in err if not e.startswith("workbook: ")]
    ours = [e for e in err if e.startswith("workbook: ")]
    assert any("file records.csv, row 4, column 'year'" in e and "type-error" in e for e in frictionless)
    assert any("records.csv" in e and "row 4" in e and "'year'" in e for e in ours)


def test_a_folder_without_a_package_is_refused(tmp_path, capsys):
    assert main(["data", "check", str(tmp_path)]) == 2
    assert "no datapackage.json" in capsys.readouterr().err
