"""The loader against broken data, as an adversary would break it (issue 14, items 3 and 4).

Each mutation changes a scratch copy of data/ and states the one outcome it must have:

* ``Fails(file, row, column, words)``: a DataError naming that file, row and column (None where a
  row or column has no meaning, e.g. a slip in datapackage.json) whose message holds ``words``;
  the same error again on a second call; the files on disk untouched.
* ``SAME``: every stored table loads exactly equal to the original data (values and dtypes).
* ``Cell(table, key, column, value)``: the original data except that one cell, which holds
  exactly ``value`` (quoted newlines, U+2028 and friends survive as written).
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from workbook import DataError
from workbook.data import DataPackage

DATA = Path(__file__).resolve().parents[1] / "data"

DP = "datapackage.json"


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Fails:
    file: str
    row: int | None
    column: str | None
    words: str


@dataclass(frozen=True)
class Cell:
    table: str
    key: str
    column: str
    value: str


SAME = "same"


# --------------------------------------------------------------------------- editing a copy


def read_rows(folder: Path, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO((folder / name).read_text(encoding="utf-8-sig"), newline="")))


def write_rows(folder: Path, name: str, rows, **options) -> None:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator=options.pop("end", "\n"), **options).writerows(rows)
    (folder / name).write_bytes(buffer.getvalue().encode("utf-8"))


def key_row(name: str, key: str) -> int:
    """The spreadsheet row (header = 1) of the record whose first cell is ``key`` in the real data."""
    for number, cells in enumerate(read_rows(DATA, name), start=1):
        if cells and cells[0] == key:
            return number
    raise AssertionError(f"test setup: {key} not in {name}")


def last_row(name: str) -> int:
    return len(read_rows(DATA, name))


def set_cell(name: str, key: str, column: str, value: str):
    def apply(folder: Path) -> None:
        rows = read_rows(folder, name)
        index = rows[0].index(column)
        for cells in rows[1:]:
            if cells and cells[0] == key:
                cells[index] = value
                break
        else:
            raise AssertionError(f"test setup: {key} not in {name}")
        write_rows(folder, name, rows)

    return apply


def cell_case(name, key, column, value, outcome_words, *, outcome=None):
    """A set_cell mutation expected to fail at that cell (or to have ``outcome``)."""
    expected = outcome or Fails(name, key_row(name, key), column, outcome_words)
    return set_cell(name, key, column, value), expected


def text_edit(name: str, change):
    def apply(folder: Path) -> None:
        path = folder / name
        path.write_bytes(change(path.read_bytes()))

    return apply


def rows_edit(name: str, change, **options):
    def apply(folder: Path) -> None:
        write_rows(folder, name, change(read_rows(folder, name)), **options)

    return apply


def schema_edit(change, replace=False):
    """Edit datapackage.json in place with ``change``, or (``replace``) write what it returns instead."""

    def apply(folder: Path) -> None:
        path = folder / DP
        descriptor = json.loads(path.read_text(encoding="utf-8"))
        result = change(descriptor)
        path.write_text(json.dumps(result if replace else descriptor, indent=2), encoding="utf-8")

    return apply


def resource(descriptor, name):
    return next(r for r in descriptor["resources"] if r["name"] == name)


def field(descriptor, table, name):
    return next(f for f in resource(descriptor, table)["schema"]["fields"] if f["name"] == name)


def replace_path(name: str, make):
    def apply(folder: Path) -> None:
        (folder / name).unlink()
        make(folder / name)

    return apply


def schema_slip(words, change, replace=False):
    return schema_edit(change, replace), Fails(DP, None, None, words)


# --------------------------------------------------------------------------- the mutations

C39 = "sa1997-39a"  # a claim with a value, a period and a paraphrase
E01 = "sa1997-e01a"  # an event with a year-precision date
R001 = "r001"  # a record with a claim id and a note
BIG = "x" * 200_000


def _dup_first_data_row(rows):
    return rows + [rows[1]]


MUTATIONS = {
    # integers: plain ASCII digits only, and small enough to store
    "int underscore": cell_case("claims.csv", C39, "period_start", "1_997", "not a whole number"),
    "int arabic-indic": cell_case(
        "claims.csv", C39, "period_start", "\u0661\u0669\u0669\u0667", "digits 0-9"
    ),
    "int fullwidth": cell_case("claims.csv", C39, "period_start", "\uff11\uff19\uff19\uff17", "digits 0-9"),
    "int decimal": cell_case("claims.csv", C39, "period_start", "1997.0", "not a whole number"),
    "int leading space": cell_case("claims.csv", C39, "period_start", " 1997", "not a whole number"),
    "int trailing space": cell_case("claims.csv", C39, "period_start", "1997 ", "not a whole number"),
    "int 20 digits": cell_case(
        "claims.csv", C39, "period_start", "12345678901234567890", "at most 18 digits"
    ),
    "int 5000 digits": cell_case("claims.csv", C39, "period_start", "9" * 5000, "at most 18 digits"),
    "int hex": cell_case("claims.csv", C39, "period_start", "0x7CD", "not a whole number"),
    "int exponent": cell_case("claims.csv", C39, "period_start", "2e3", "not a whole number"),
    "int superscript": cell_case("claims.csv", C39, "period_start", "199\u00b2", "digits 0-9"),
    "int paragraph arabic": cell_case("claims.csv", C39, "paragraph", "\u0663\u0669", "digits 0-9"),
    "int below minimum": cell_case("claims.csv", C39, "paragraph", "0", "at least 1"),
    "int above maximum": cell_case("claims.csv", C39, "paragraph", "95", "at most 94"),
    "int year too early": cell_case("readings.csv", "sa1997", "year", "1989", "at least 1990"),
    "int required empty": cell_case("readings.csv", "sa1997", "paragraphs", "", "value is required"),
    # numbers
    "num underscore": cell_case("claims.csv", C39, "value", "145_000", "not a number"),
    "num nan": cell_case("claims.csv", C39, "value", "nan", "not a number"),
    "num inf": cell_case("claims.csv", C39, "value", "inf", "not a number"),
    "num Infinity": cell_case("claims.csv", C39, "value", "Infinity", "not a number"),
    "num overflow": cell_case("claims.csv", C39, "value", "1e999", "size that can be stored"),
    "num arabic-indic": cell_case("claims.csv", C39, "value", "\u0661\u0664\u0665", "not a number"),
    "num comma decimal": cell_case("claims.csv", C39, "value", "1,5", "not a number"),
    "num thousands comma": cell_case("claims.csv", C39, "value", "145,000", "not a number"),
    "num unicode minus": cell_case("claims.csv", C39, "value", "\u22125", "not a number"),
    "num trailing space": cell_case("claims.csv", C39, "value", "145000 ", "not a number"),
    "num spaces only (optional)": cell_case("claims.csv", C39, "value", "   ", "only spaces"),
    "num required empty": cell_case("records.csv", R001, "value", "", "value is required"),
    "num hex float": cell_case("records.csv", R001, "value", "0x1p3", "not a number"),
    "num latitude range": cell_case("places.csv", "senkaku", "latitude", "91", "at most 90"),
    # dates: YYYY-MM-DD and nothing else, the same on every Python
    "date basic form": cell_case("events.csv", E01, "date", "19720101", "YYYY-MM-DD"),
    "date iso week": cell_case("events.csv", E01, "date", "1972-W01-1", "YYYY-MM-DD"),
    "date with time": cell_case("events.csv", E01, "date", "1972-01-01T00:00", "YYYY-MM-DD"),
    "date one-digit month": cell_case("events.csv", E01, "date", "1972-1-01", "YYYY-MM-DD"),
    "date two-digit year": cell_case("events.csv", E01, "date", "72-01-01", "YYYY-MM-DD"),
    "date not in calendar": cell_case("events.csv", E01, "date", "1972-02-30", "real calendar date"),
    "date month 13": cell_case("events.csv", E01, "end_date", "1972-13-01", "real calendar date"),
    "date year zero": cell_case("events.csv", E01, "date", "0000-01-01", "real calendar date"),
    "date arabic-indic": cell_case("events.csv", E01, "date", "\u0661\u0669\u0667\u0662-01-01", "YYYY-MM-DD"),
    "date trailing space": cell_case("events.csv", E01, "date", "1972-01-01 ", "YYYY-MM-DD"),
    "date slashes": cell_case("events.csv", E01, "date", "1972/01/01", "YYYY-MM-DD"),
    # enums and patterns
    "enum unknown": cell_case("claims.csv", C39, "hedge", "roughly", "'as much as'"),
    "enum wrong case": cell_case("claims.csv", C39, "hedge", "None", "should be one of"),
    "enum trailing space": cell_case("claims.csv", C39, "hedge", "none ", "should be one of"),
    "pattern arabic digits in id": cell_case(
        "claims.csv", C39, "claim_id", "sa1997-\u0663\u0669a", "pattern"
    ),
    "pattern unit capital": cell_case("claims.csv", C39, "unit", "Personnel", "pattern"),
    "pattern url scheme": cell_case("records.csv", R001, "source_url", "ftp://example.org/x", "pattern"),
    "pattern reading file": cell_case("readings.csv", "sa1997", "file", "../etc/passwd", "pattern"),
    # required cells: empty or only white space
    "required empty": cell_case("claims.csv", C39, "measure", "", "value is required"),
    "required spaces": cell_case("claims.csv", C39, "measure", "   ", "only spaces"),
    "required tab": cell_case("claims.csv", C39, "measure", "\t", "only spaces"),
    "required nbsp": cell_case("claims.csv", C39, "paraphrase", "\u00a0", "only spaces"),
    "required line separator": cell_case("claims.csv", C39, "paraphrase", "\u2028", "only spaces"),
    "optional spaces": cell_case("records.csv", R001, "note", "  ", "only spaces"),
    # NUL bytes, in a key and in free text
    "nul in key": cell_case("claims.csv", C39, "claim_id", C39 + "\x00", "NUL"),
    "nul in text": cell_case("records.csv", R001, "note", "a\x00b", "NUL"),
    # keys
    "duplicate primary key": cell_case("claims.csv", "sa1997-39b", "claim_id", C39, "duplicate id"),
    "duplicate glossary term": (
        rows_edit("glossary.csv", _dup_first_data_row),
        Fails("glossary.csv", last_row("glossary.csv") + 1, "term", "duplicate"),
    ),
    "broken foreign key record": cell_case(
        "records.csv", R001, "claim_id", "sa1997-99z", "broken foreign key"
    ),
    "broken foreign key section": cell_case("claims.csv", C39, "section", "sa1997-s99", "broken foreign key"),
    # shape of rows and header
    "extra cell": (
        rows_edit("claims.csv", lambda r: r[:2] + [r[2] + ["extra"]] + r[3:]),
        Fails("claims.csv", 3, None, "cells but the header has"),
    ),
    "missing cell": (
        rows_edit("claims.csv", lambda r: r[:2] + [r[2][:-1]] + r[3:]),
        Fails("claims.csv", 3, None, "cells but the header has"),
    ),
    "row of commas": (
        rows_edit("places.csv", lambda r: r[:3] + [[""] * len(r[0])] + r[3:]),
        Fails("places.csv", 4, None, "blank"),
    ),
    "header misspelt": (
        rows_edit("events.csv", lambda r: [["evnt_id"] + r[0][1:]] + r[1:]),
        Fails("events.csv", 1, None, "missing ['event_id']"),
    ),
    "header swapped": (
        rows_edit("events.csv", lambda r: [[r[0][1], r[0][0]] + r[0][2:]] + r[1:]),
        Fails("events.csv", 1, None, "out of order"),
    ),
    "header missing column": (
        rows_edit("phases.csv", lambda r: [c[:-1] for c in r]),
        Fails("phases.csv", 1, None, "missing ['evidence']"),
    ),
    "header with space": (
        rows_edit("phases.csv", lambda r: [[" phase"] + r[0][1:]] + r[1:]),
        Fails("phases.csv", 1, None, "header should be"),
    ),
    # whole files
    "header only": (rows_edit("records.csv", lambda r: r[:1]), Fails("records.csv", 2, None, "no rows")),
    "empty file": (text_edit("records.csv", lambda b: b""), Fails("records.csv", 1, None, "is empty")),
    "white space file": (
        text_edit("records.csv", lambda b: b" \n\n  \n"),
        Fails("records.csv", 1, None, "is empty"),
    ),
    "file missing": (lambda f: (f / "places.csv").unlink(), Fails("places.csv", None, None, "missing")),
    "file is a folder": (
        replace_path("places.csv", lambda p: p.mkdir()),
        Fails("places.csv", None, None, "folder"),
    ),
    "file is a fifo": (
        replace_path("places.csv", os.mkfifo),
        Fails("places.csv", None, None, "not an ordinary file"),
    ),
    "file is latin-1": (
        text_edit("sections.csv", lambda b: b.replace(b"Opening", "Op\u00e9ning".encode("latin-1"))),
        Fails("sections.csv", 2, None, "UTF-8"),
    ),
    "cell of 200 KB": (
        set_cell("records.csv", R001, "note", BIG),
        Fails("records.csv", key_row("records.csv", R001), "note", "longer than"),
    ),
    "unclosed quote": (
        text_edit("records.csv", lambda b: b.rstrip(b"\r\n")[:-1] + b"\r\n"),
        Fails("records.csv", last_row("records.csv"), "note", "never closed"),
    ),
    "text after closing quote": (
        text_edit(
            "glossary.csv",
            lambda b: (
                b.replace(b'\n"Article 9"', b'\n"Article 9"x', 1)
                if b'\n"Article 9"' in b
                else b.replace(b"\nArticle 9,", b'\n"Article 9"x,', 1)
            ),
        ),
        Fails("glossary.csv", 2, "term", "closing quote"),
    ),
    # datapackage.json: every authoring slip is a DataError naming the file and the slip
    "dp list": schema_slip("JSON object", lambda d: [], replace=True),
    "dp empty object": schema_slip("no 'resources'", lambda d: {}, replace=True),
    "dp no resources": schema_slip("no 'resources'", lambda d: {"resources": []}, replace=True),
    "dp resource is text": schema_slip("should be an object", lambda d: d["resources"].append("claims")),
    "dp no schema": schema_slip("no 'schema'", lambda d: resource(d, "claims").pop("schema")),
    "dp no fields": schema_slip("no 'fields'", lambda d: resource(d, "claims")["schema"].pop("fields")),
    "dp empty fields": schema_slip(
        "no 'fields'", lambda d: resource(d, "claims")["schema"].update(fields=[])
    ),
    "dp no path": schema_slip("no 'path'", lambda d: resource(d, "claims").pop("path")),
    "dp parent path": schema_slip(
        "inside the data folder", lambda d: resource(d, "claims").update(path="../x.csv")
    ),
    "dp absolute path": schema_slip(
        "inside the data folder", lambda d: resource(d, "claims").update(path="/etc/passwd")
    ),
    "dp field no name": schema_slip("has no 'name'", lambda d: field(d, "claims", "unit").pop("name")),
    "dp type datetime": schema_slip(
        "'datetime'", lambda d: field(d, "events", "date").update(type="datetime")
    ),
    "dp type year": schema_slip("'year'", lambda d: field(d, "claims", "period_start").update(type="year")),
    "dp date format": schema_slip("format", lambda d: field(d, "events", "date").update(format="%d/%m/%Y")),
    "dp bad regex": schema_slip(
        "not a valid regular expression",
        lambda d: field(d, "claims", "unit")["constraints"].update(pattern="(unclosed"),
    ),
    "dp pattern on integer": schema_slip(
        "only to text", lambda d: field(d, "claims", "paragraph")["constraints"].update(pattern="^1$")
    ),
    "dp minimum on date": schema_slip(
        "'minimum'", lambda d: field(d, "events", "date").update(constraints={"minimum": "1900-01-01"})
    ),
    "dp maximum on text": schema_slip(
        "'maximum'", lambda d: field(d, "claims", "unit")["constraints"].update(maximum=3)
    ),
    "dp minimum is text": schema_slip(
        "should be a number", lambda d: field(d, "claims", "paragraph")["constraints"].update(minimum="1")
    ),
    "dp minimum above maximum": schema_slip(
        "above its maximum", lambda d: field(d, "claims", "paragraph")["constraints"].update(minimum=95)
    ),
    "dp duplicate enum": schema_slip(
        "twice", lambda d: field(d, "claims", "hedge")["constraints"]["enum"].append("none")
    ),
    "dp empty enum": schema_slip(
        "non-empty list", lambda d: field(d, "claims", "hedge")["constraints"].update(enum=[])
    ),
    "dp enum wrong type": schema_slip(
        "in its 'enum'", lambda d: field(d, "claims", "paragraph")["constraints"].update(enum=["one"])
    ),
    "dp required not bool": schema_slip(
        "true or false", lambda d: field(d, "claims", "unit")["constraints"].update(required="yes")
    ),
    "dp unknown constraint": schema_slip(
        "minLength", lambda d: field(d, "claims", "unit")["constraints"].update(minLength=2)
    ),
    "dp categoriesOrdered text": schema_slip(
        "categoriesOrdered", lambda d: field(d, "events", "precision").update(categoriesOrdered="yes")
    ),
    "dp duplicate field": schema_slip(
        "two fields named", lambda d: resource(d, "claims")["schema"]["fields"].append({"name": "unit"})
    ),
    "dp duplicate resource": schema_slip(
        "appears twice", lambda d: d["resources"].append(dict(resource(d, "claims"), path="c2.csv"))
    ),
    "dp primary key unknown": schema_slip(
        "not one of its fields", lambda d: resource(d, "claims")["schema"].update(primaryKey=["claim"])
    ),
    "dp fk unknown resource": schema_slip(
        "'claimz', which does not exist",
        lambda d: resource(d, "records")["schema"]["foreignKeys"][0]["reference"].update(resource="claimz"),
    ),
    "dp fk unknown target field": schema_slip(
        "does not have",
        lambda d: resource(d, "records")["schema"]["foreignKeys"][0]["reference"].update(fields=["id"]),
    ),
    "dp fk unknown own field": schema_slip(
        "not one of the fields",
        lambda d: resource(d, "records")["schema"]["foreignKeys"][0].update(fields=["claim"]),
    ),
    "dp fk not a list": schema_slip(
        "not a list", lambda d: resource(d, "records")["schema"].update(foreignKeys={})
    ),
    "dp encoding latin-1": schema_slip(
        "only UTF-8", lambda d: resource(d, "claims").update(encoding="latin-1")
    ),
    "dp not json": (
        text_edit(DP, lambda b: b.rstrip().rstrip(b"}") + b",}"),
        Fails(DP, None, None, "not valid JSON"),
    ),
    "dp not utf-8": (
        text_edit(DP, lambda b: b.replace(b"U.S.-Japan", b"U.S.\xe9Japan", 1)),
        Fails(DP, None, None, "UTF-8"),
    ),
    "dp too deep": (text_edit(DP, lambda b: b"[" * 100_000 + b"]" * 100_000), Fails(DP, None, None, "")),
    "dp missing": (lambda f: (f / DP).unlink(), Fails(DP, None, None, "missing")),
    "dp is a folder": (replace_path(DP, lambda p: p.mkdir()), Fails(DP, None, None, "folder")),
    "dp empty": (text_edit(DP, lambda b: b""), Fails(DP, None, None, "empty")),
    # valid variations: the very same data
    "crlf endings": (rows_edit("claims.csv", lambda r: r, end="\r\n"), SAME),
    "cr endings": (rows_edit("events.csv", lambda r: r, end="\r"), SAME),
    "quote every cell": (rows_edit("claims.csv", lambda r: r, quoting=csv.QUOTE_ALL), SAME),
    "bom in csv": (text_edit("claims.csv", lambda b: b"\xef\xbb\xbf" + b), SAME),
    "bom in datapackage": (text_edit(DP, lambda b: b"\xef\xbb\xbf" + b), SAME),
    "datapackage minified crlf": (
        text_edit(DP, lambda b: json.dumps(json.loads(b), indent=1).replace("\n", "\r\n").encode()),
        SAME,
    ),
    "datapackage extra keys": (schema_edit(lambda d: d.update(keywords=["alliance"], version="1.0")), SAME),
    "no final newline": (text_edit("records.csv", lambda b: b.rstrip(b"\r\n")), SAME),
    "trailing blank lines": (text_edit("records.csv", lambda b: b + b"\n\n\n"), SAME),
    "blank line inside": (text_edit("phases.csv", lambda b: b.replace(b"\n", b"\n\n", 2)), SAME),
    # valid cells whose characters must survive exactly
    "quoted newline": (
        set_cell("records.csv", R001, "note", "first line\nsecond line"),
        Cell("records", R001, "note", "first line\nsecond line"),
    ),
    "quoted crlf": (
        set_cell("records.csv", R001, "note", "first\r\nsecond"),
        Cell("records", R001, "note", "first\r\nsecond"),
    ),
    "line separator in cell": (
        set_cell("records.csv", R001, "note", "a\u2028b"),
        Cell("records", R001, "note", "a\u2028b"),
    ),
    "next line in cell": (
        set_cell("records.csv", R001, "note", "a\x85b"),
        Cell("records", R001, "note", "a\x85b"),
    ),
    "form feed in cell": (
        set_cell("records.csv", R001, "note", "a\x0cb"),
        Cell("records", R001, "note", "a\x0cb"),
    ),
    "paragraph separator": (
        set_cell("glossary.csv", "Article 9", "definition", "x\u2029y"),
        Cell("glossary", "Article 9", "definition", "x\u2029y"),
    ),
    "quotes inside cell": (
        set_cell("records.csv", R001, "note", 'he said "1%", twice'),
        Cell("records", R001, "note", 'he said "1%", twice'),
    ),
    "long cell under limit": (
        set_cell("records.csv", R001, "note", "y" * 100_000),
        Cell("records", R001, "note", "y" * 100_000),
    ),
}


# --------------------------------------------------------------------------- the checks


@pytest.fixture(scope="module")
def original() -> dict[str, pd.DataFrame]:
    pkg = DataPackage(DATA)
    return {name: pkg.table(name) for name in pkg.stored_names()}


def snapshot(folder: Path) -> dict[str, bytes | None]:
    return {p.name: p.read_bytes() if p.is_file() else None for p in folder.iterdir()}


def load_all(folder: Path) -> dict[str, pd.DataFrame]:
    pkg = DataPackage(folder)
    return {name: pkg.table(name) for name in pkg.stored_names()}


def test_there_are_enough_distinct_mutations():
    failing = [m for m, (_, outcome) in MUTATIONS.items() if isinstance(outcome, Fails)]
    assert len(MUTATIONS) >= 80 and len(failing) >= 60


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutation(name, data_copy, original):
    mutate, outcome = MUTATIONS[name]
    mutate(data_copy)
    before = snapshot(data_copy)
    if isinstance(outcome, Fails):
        pkg = DataPackage(data_copy)
        with pytest.raises(DataError) as first:
            pkg.table("claims")
        error = first.value
        assert (error.file, error.row, error.column) == (outcome.file, outcome.row, outcome.column), str(
            error
        )
        message = str(error)
        assert message.startswith(f"file {outcome.file}") and outcome.words in message
        assert "Traceback" not in message and len(message) < 1000
        with pytest.raises(DataError) as again:  # a failed build fails the same way every time
            pkg.table("readings")
        assert str(again.value) == message
    else:
        loaded = load_all(data_copy)
        assert loaded.keys() == original.keys()
        for table, frame in original.items():
            expected = frame
            if isinstance(outcome, Cell) and table == outcome.table:
                expected = frame.copy()
                key = frame.columns[0]
                expected.loc[expected[key] == outcome.key, outcome.column] = outcome.value
                assert (
                    loaded[table].loc[loaded[table][key] == outcome.key, outcome.column] == outcome.value
                ).all()
            pd.testing.assert_frame_equal(loaded[table], expected, check_exact=True)
    assert snapshot(data_copy) == before, "loading changed the data files"


# --------------------------------------------------------------------------- the race


def _slow(method, seconds=0.002):
    def slowed(*args, **kwargs):
        time.sleep(seconds)  # widen the window in which another thread could see half a package
        return method(*args, **kwargs)

    return staticmethod(slowed)


def _together(calls, threads=8):
    """Run calls[i % len(calls)] in ``threads`` threads released at once; each result or exception."""
    barrier = threading.Barrier(threads)
    results: list = [None] * threads

    def run(i):
        barrier.wait()
        try:
            results[i] = calls[i % len(calls)]()
        except Exception as exc:  # noqa: BLE001 - the test inspects every outcome
            results[i] = exc

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert not any(w.is_alive() for w in workers)
    return results


def test_threads_loading_at_once_all_get_whole_tables(monkeypatch, original):
    monkeypatch.setattr(DataPackage, "_frame", _slow(DataPackage._frame))
    names = list(original)
    pkg = DataPackage(DATA)
    results = _together([lambda n=n: pkg.table(n) for n in names], threads=2 * len(names))
    for i, result in enumerate(results):
        assert isinstance(result, pd.DataFrame), f"thread {i}: {result!r}"
        pd.testing.assert_frame_equal(result, original[names[i % len(names)]])


def test_threads_see_the_same_failure_every_time(monkeypatch, data_copy):
    monkeypatch.setattr(DataPackage, "_frame", _slow(DataPackage._frame))
    set_cell("claims.csv", C39, "period_start", "12345678901234567890")(data_copy)
    pkg = DataPackage(data_copy)
    results = _together([lambda: pkg.table("records"), lambda: pkg.table("readings")])
    results += _together([lambda: pkg.table("readings"), lambda: pkg.table("sections")])
    messages = {str(r) for r in results}
    assert all(isinstance(r, DataError) for r in results) and len(messages) == 1, messages
    assert "claims.csv" in messages.pop()


@pytest.mark.slow  # a subprocess or server of its own
def test_public_load_is_safe_across_threads_in_a_fresh_process(tmp_path):
    """The issue's own reproduction: eight threads calling ``load`` in a cold process."""
    import subprocess
    import sys

    code = (
        "import threading, workbook\n"
        "names = ['claims', 'records', 'events', 'defence_spending', 'places', 'sections', 'personnel', 'readings']\n"
        "barrier = threading.Barrier(8); errors = []\n"
        "def run(n):\n"
        "    barrier.wait()\n"
        "    try: assert len(workbook.load(n)) > 0\n"
        "    except Exception as exc: errors.append(repr(exc))\n"
        "threads = [threading.Thread(target=run, args=(n,)) for n in names]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print(errors)\n"
    )
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            check=True,
        ).stdout
        assert out.strip() == "[]"


def test_a_long_cell_is_refused_whatever_the_csv_modules_limit(data_copy):
    """Frictionless raises the csv module's one global limit to 40 MB when it reads a CSV: the
    loader keeps its own, so a missing closing quote is still caught after `workbook data check`."""
    set_cell("records.csv", R001, "note", BIG)(data_copy)
    before = csv.field_size_limit(40_000_000)
    try:
        with pytest.raises(DataError) as refused:
            DataPackage(data_copy).table("records")
    finally:
        csv.field_size_limit(before)
    assert (refused.value.file, refused.value.column) == ("records.csv", "note"), str(refused.value)
    assert "longer than 131,072 characters" in str(refused.value)
