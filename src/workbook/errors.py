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
        self.file, self.row, self.column, self.detail = file, row, column, message

    def again(self) -> DataError:
        """A new error with the same message, to raise again without growing this one's traceback."""
        return DataError(self.detail, file=self.file, row=self.row, column=self.column)


class ReadingsNotFound(FileNotFoundError):
    """There is no usable local copy of a reading, so a paragraph cannot be shown."""

    def __init__(self, where, reading: str | None = None):
        places = "\n".join(f"  - {p}" for p in where)
        what = f"the reading {reading}" if reading else "the readings"
        super().__init__(
            f"No copy of {what} was found. The workbook works without them (every table carries "
            "its evidence and citations); to read the cited paragraphs, add the copy your course gives "
            "you: `workbook readings add FILE` in a terminal, or `workbook.reading_upload()` in a "
            f"notebook. Looked in:\n{places}")


class ReadingCopyError(ValueError):
    """A file offered (or found) as a copy of a reading cannot be used; the message says why."""


class UnknownName(KeyError):
    """A table, claim or check id that does not exist; the message lists the ones that do."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0])
