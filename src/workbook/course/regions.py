"""nbgrader's region markers (``### BEGIN SOLUTION`` … ``### END SOLUTION`` and kin), parsed in one place.

The release leak scan, the feedback scan, the exercise tests and the benchmarks all read the same
regions through these functions. No nbgrader import: plain text in, plain text out.
"""

from __future__ import annotations

#: Region kind -> (begin marker, end marker). None of them may reach a student; see grading.py.
MARKERS = {
    "solution": ("BEGIN SOLUTION", "END SOLUTION"),
    "hidden test": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    "mark scheme": ("BEGIN MARK SCHEME", "END MARK SCHEME"),
}


def cell_text(cell: dict) -> str:
    """A notebook cell's source as one string (nbformat stores it as a string or a list of lines)."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def inside(text: str, kind: str) -> list[str]:
    """The lines strictly inside every ``kind`` region of ``text`` (marker lines left out)."""
    begin, end = MARKERS[kind]
    lines, within = [], False
    for line in text.splitlines():
        if begin in line:
            within = True
        elif end in line:
            within = False
        elif within:
            lines.append(line)
    return lines


def outside(text: str) -> list[str]:
    """The lines of ``text`` outside every marked region (marker lines left out)."""
    kept, closing = [], None
    for line in text.splitlines():
        if closing is None:
            for begin, end in MARKERS.values():
                if begin in line:
                    closing = end
                    break
            else:
                kept.append(line)
        elif closing in line:
            closing = None
    return kept


def unmarked(text: str, kind: str) -> str:
    """``text`` without the marker lines of ``kind``: a solution cell becomes its model answer."""
    begin, end = MARKERS[kind]
    return "\n".join(line for line in text.splitlines() if begin not in line and end not in line)


def secret_lines(cells: list[dict], shortest: int = 12) -> dict[str, set[str]]:
    """Per kind, every stripped line of at least ``shortest`` characters found only inside such regions.

    Lines the notebook also shows outside every region (a shared import, say) are public anyway and
    are left out, as are short lines ("else:", a bare name) that prove nothing.
    """
    secrets: dict[str, set[str]] = {kind: set() for kind in MARKERS}
    public: set[str] = set()
    for cell in cells:
        text = cell_text(cell)
        public.update(line.strip() for line in outside(text))
        for kind in MARKERS:
            secrets[kind].update(line.strip() for line in inside(text, kind) if len(line.strip()) >= shortest)
    return {kind: lines - public for kind, lines in secrets.items()}
