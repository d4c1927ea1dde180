"""The workbook's own errors: each says what went wrong and what to do, in plain words."""

from __future__ import annotations


class DataError(ValueError):
    """A data file is missing or does not match its schema in data/datapackage.json.

    The message names the file, the row (as a spreadsheet shows it: header = row 1) and the column.
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None):
        where = ", ".join(p for p in (file and f"file {file}", row and f"row {row}",
                                      column and f"column {column!r}") if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.file, self.row, self.column = file, row, column


class ReadingsNotFound(FileNotFoundError):
    """There is no local copy of the readings, so a paragraph cannot be shown."""

    def __init__(self, where):
        places = "\n".join(f"  - {p}" for p in where)
        super().__init__(
            "No copy of the readings was found. The workbook works without them (every table carries "
            "summaries and citations), but to read the cited paragraphs put the two .txt files in one of:\n"
            f"{places}\n(or set the WORKBOOK_READINGS environment variable to their folder).")


class UnknownName(KeyError):
    """A table, claim or check id that does not exist; the message lists the ones that do."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0])
