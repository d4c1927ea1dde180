"""The student's own record of self-checks, and ``progress()``: passed, tried or not yet tried.

Every ``check(...)`` that judges an answer in a notebook adds a line to a small record (passed or
not, how many tries), and a written answer is noted as written.  ``progress()`` reads it back: the
checks of this notebook one by one, and a line for all notebooks, like otter's ``check_all``.

The record is ``WORKBOOK_PROGRESS`` if set, else ``$XDG_DATA_HOME/alliance-workbook/progress.json``
(``~/.local/share/...``): the student's own, never handed in, never read by grading.  Outside a
Jupyter kernel nothing is recorded unless ``WORKBOOK_PROGRESS`` names a file (so tests and scripts
leave no trace); ``WORKBOOK_PROGRESS=0`` turns it off.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["progress", "record_path", "note", "read", "Progress"]

OFF = {"0", "off", "no", "false"}
PASSED, TRIED, WRITTEN, NOT_YET = "passed", "tried", "written", "not yet tried"
MARKS = {PASSED: "✅", TRIED: "🔁", WRITTEN: "✍️", NOT_YET: "⬜"}
_MAX_BYTES = 1_000_000


def record_path() -> Path:
    """Where the record is kept: ``WORKBOOK_PROGRESS``, else the user's data folder."""
    chosen = os.environ.get("WORKBOOK_PROGRESS", "").strip()
    if chosen and chosen.lower() not in OFF:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "alliance-workbook" / "progress.json"


def recording() -> bool:
    """True in a Jupyter kernel, or anywhere ``WORKBOOK_PROGRESS`` names a file; never when it is 0."""
    chosen = os.environ.get("WORKBOOK_PROGRESS", "").strip()
    if chosen.lower() in OFF and chosen:
        return False
    if chosen:
        return True
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and getattr(shell, "kernel", None) is not None


def read() -> dict[str, dict]:
    """The record: check id -> {"tries": n, "passed": bool, "written": bool, "last": time}; {} if none."""
    try:
        path = record_path()
        if path.stat().st_size > _MAX_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    checks = data.get("checks") if isinstance(data, dict) else None
    return {k: v for k, v in checks.items() if isinstance(v, dict)} if isinstance(checks, dict) else {}


def note(check_id: str, outcome: str) -> bool:
    """Add one attempt (``"passed"``, ``"tried"`` or ``"written"``) to the record; False if not kept.

    Never raises: a read-only home, a full disk or a damaged record must not cost a check its answer.
    """
    if not recording() or not check_id:
        return False
    try:
        checks = read()
        entry = checks.setdefault(check_id, {})
        if outcome == WRITTEN:
            entry["written"] = True
        else:
            entry["tries"] = int(entry.get("tries", 0)) + 1
            entry["passed"] = bool(entry.get("passed")) or outcome == PASSED
        entry["last"] = time.strftime("%Y-%m-%d %H:%M")
        path = record_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".progress.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"checks": checks}, handle, indent=1, sort_keys=True)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return True
    except Exception:  # noqa: BLE001 - the record is a convenience; the check's message matters
        return False


def status(entry: dict | None) -> str:
    """One check's state from its record entry."""
    if not entry:
        return NOT_YET
    if entry.get("passed"):
        return PASSED
    if entry.get("tries"):
        return TRIED
    return WRITTEN if entry.get("written") else NOT_YET


# --------------------------------------------------------------------------- the summary


@dataclass
class Line:
    check_id: str
    prompt: str
    state: str
    tries: int
    move: str = ""
    written: bool = False


@dataclass
class Progress:
    """What ``progress()`` found: the lines of the notebooks shown in detail, and counts for all."""

    detail: dict[str, list[Line]] = field(default_factory=dict)
    totals: dict[str, dict[str, int]] = field(default_factory=dict)
    where: str = ""
    everything: bool = True  # add the line for all notebooks

    def counts(self, notebook: str | None = None) -> dict[str, int]:
        rows = [self.totals[notebook]] if notebook else list(self.totals.values())
        return {s: sum(r.get(s, 0) for r in rows) for s in (PASSED, TRIED, WRITTEN, NOT_YET)}

    @staticmethod
    def _count_text(counts: dict[str, int]) -> str:
        judged = counts[PASSED] + counts[TRIED] + counts[NOT_YET]
        text = f"{counts[PASSED]} of {judged} self-checks passed, {counts[TRIED]} tried, {counts[NOT_YET]} not yet tried"
        return text + (f"; {counts[WRITTEN]} written answers" if counts[WRITTEN] else "")

    @staticmethod
    def _line_text(line: Line) -> str:
        if line.written and line.state in (WRITTEN, NOT_YET):
            state = "written: compare it with the rubric" if line.state == WRITTEN else "not yet written"
        elif line.state == TRIED:
            state = "tried, not passed yet"
        else:
            state = line.state
        prompt = f" ({line.prompt})" if line.prompt else ""
        return f"{MARKS[line.state]} {line.check_id}{prompt}: {state}"

    def _groups(self, lines: list[Line]):
        moves = [line.move for line in lines]
        if not any(moves):
            yield "", lines
            return
        for move in dict.fromkeys(moves):
            yield move or "other", [line for line in lines if line.move == move]

    def __str__(self) -> str:
        out = []
        for notebook, lines in self.detail.items():
            out.append(f"Notebook {notebook}: {self._count_text(self.counts(notebook))}.")
            for move, group in self._groups(lines):
                if move:
                    out.append(f"  {move}:")
                out += [("    " if move else "  ") + self._line_text(line) for line in group]
        if self.everything or not self.detail:
            out.append(f"All notebooks: {self._count_text(self.counts())}.")
            if not self.detail:
                out += [f"  Notebook {n}: {self._count_text(self.counts(n))}" for n in self.totals]
        out.append(f"(Your own record, kept in {self.where}; it is not handed in.)")
        return "\n".join(out)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        parts = []
        for notebook, lines in self.detail.items():
            parts.append(
                f"<p><strong>Notebook {notebook}</strong>: {html.escape(self._count_text(self.counts(notebook)))}.</p>"
            )
            for move, group in self._groups(lines):
                items = "".join(f"<li>{html.escape(self._line_text(line))}</li>" for line in group)
                heading = f"<p>{html.escape(move)}</p>" if move else ""
                parts.append(f'{heading}<ul style="list-style: none; padding-left: 0.5em;">{items}</ul>')
        if self.everything or not self.detail:
            parts.append(
                f"<p><strong>All notebooks</strong>: {html.escape(self._count_text(self.counts()))}.</p>"
            )
            if not self.detail:
                items = "".join(
                    f"<li>Notebook {n}: {html.escape(self._count_text(self.counts(n)))}</li>"
                    for n in self.totals
                )
                parts.append(f"<ul>{items}</ul>")
        parts.append(
            f"<p><small>Your own record, kept in {html.escape(self.where)}; it is not handed in.</small></p>"
        )
        return (
            '<div role="status" class="workbook-progress" style="border-left: 4px solid #0072B2; '
            'padding: 0.3em 0.8em; margin: 0.3em 0;">' + "".join(parts) + "</div>"
        )


def current_notebook() -> str | None:
    """The number ("02") of the notebook this kernel runs, from the path Jupyter gives the kernel."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    path = (shell.user_ns.get("__session__") if shell is not None else None) or os.environ.get(
        "JPY_SESSION_NAME", ""
    )
    match = re.match(r"(\d{2})[_\W]", Path(str(path)).name)
    return match.group(1) if match else None


def progress(notebook=None) -> Progress:
    """Which self-checks you have passed, tried or not yet tried: this notebook's, and all notebooks'.

    ``progress()`` in a notebook lists its checks one by one and sums up all notebooks;
    ``progress("02")`` (or ``progress(2)``) lists notebook 02's only; ``progress("all")`` gives one
    line per notebook.  A check you got right once stays passed.
    """
    from . import checks

    record = read()
    everything = checks.ids()
    by_notebook: dict[str, list[str]] = {}
    for check_id in everything:
        by_notebook.setdefault(check_id[:2], []).append(check_id)
    if notebook is None:
        chosen = current_notebook()
    elif str(notebook).strip().lower() == "all":
        chosen = None
    else:
        try:
            chosen = f"{int(str(notebook).strip()):02d}"
        except ValueError:
            raise ValueError(
                f'progress() takes a notebook number like "02" (or "all"); got {notebook!r}'
            ) from None
    result = Progress(where=str(record_path()), everything=notebook is None or chosen is None)
    for prefix, ids in by_notebook.items():
        lines = []
        for check_id in ids:
            spec = checks._REGISTRY[check_id]
            entry = record.get(check_id)
            lines.append(
                Line(
                    check_id,
                    spec.prompt,
                    status(entry),
                    int((entry or {}).get("tries", 0)),
                    str(getattr(spec, "move", "") or ""),
                    written=not checks.KINDS[spec.kind].judged,
                )
            )
        tally = {s: 0 for s in (PASSED, TRIED, WRITTEN, NOT_YET)}
        for line in lines:
            tally[line.state] += 1
        result.totals[prefix] = tally
        if prefix == chosen:
            result.detail[prefix] = lines
    return result
