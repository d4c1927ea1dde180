"""What every ``workbook`` command shares: exit codes, one-line errors, printing."""

from __future__ import annotations

from pathlib import Path

#: The workbook's own folder (a checkout): notebooks/, exercises/, data/.
WORKBOOK_ROOT = Path(__file__).resolve().parents[2]
SKIP_PARTS = {".ipynb_checkpoints", "__pycache__"}

OK, PARTLY, FAILED = 0, 1, 2


class CliError(Exception):
    """A problem to report in one line, with the exit code to return."""

    def __init__(self, message: str, code: int = FAILED):
        super().__init__(message)
        self.code = code


def _say(text: str = "") -> None:
    print(text, flush=True)
