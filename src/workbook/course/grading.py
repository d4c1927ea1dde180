"""nbgrader helpers for the graded exercises (instructors only; needs the ``instructor`` extra).

Preprocessors that ``exercises/nbgrader_config.py`` plugs into nbgrader, and the leak scans that
``workbook release`` and ``workbook grade`` run on what students receive:

- :class:`HideGradeTracebacks` (feedback): a test cell shows students only whether it passed and
  ``ErrorName: message``, never a traceback or printed output, which could show the hidden tests.
- :class:`ClearHiddenTests`, :class:`ClearMarkScheme` (feedback): nbgrader's, applied to the
  instructor's cells only, so a student who typed ``BEGIN HIDDEN TESTS`` into an answer still gets
  feedback (nbgrader's own raise on the unmatched marker).
- :class:`CheckCellMetadata` (autograde, twice a submission): nbgrader's, with the metadata schema
  checked once per process instead of once per cell.
- :class:`RestoreMissingCells` (autograde): puts back test cells and written-answer cells that a
  student deleted, before the next cell that is still there, and records what it repaired.
- :func:`find_leaks`, :func:`feedback_leaks`: solution code, hidden tests or mark schemes left in a
  released notebook or a feedback page.
- :func:`handed_out` / :func:`record_handout`: what each release gave students, so a regrade after
  the instructor fixed an exercise does not call every student's untouched cell "edited".
"""

from __future__ import annotations

import html
import json
import re
import traceback
from functools import cache
from pathlib import Path

import jsonschema
from nbconvert.preprocessors import Preprocessor
from nbgrader import utils
from nbgrader.nbgraderformat import MetadataValidator, SchemaTooNewError, SchemaTooOldError, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator
from nbgrader.preprocessors import CheckCellMetadata as _CheckCellMetadata
from nbgrader.preprocessors import ClearHiddenTests as _ClearHiddenTests
from nbgrader.preprocessors import ClearMarkScheme as _ClearMarkScheme
from nbgrader.preprocessors import OverwriteCells

from .regions import MARKERS, cell_text
from .regions import secret_lines as _secret_lines

#: Longest error message a test cell shows in feedback (a message is the graders' own text).
MESSAGE_CHARS = 300

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class HideGradeTracebacks(Preprocessor):
    """Show each autograder test cell as passed, or failed with ``ErrorName: message`` only.

    A Python traceback prints the lines around the failing one, so a failed visible check would show
    the hidden tests below it; and a student's code runs in the same Python as the tests, so it can
    print a test cell's code into that cell's output. Students still see which check failed and why.
    """

    enabled = True  # an nbconvert Preprocessor is skipped unless enabled

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not utils.is_grade(cell) or utils.is_solution(cell):
            return cell, resources
        kept = []
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue  # printed output of a test cell: the graders' business, not feedback
            name = _ANSI.sub("", str(output.get("ename", "Error")))[:100]
            message = _ANSI.sub("", str(output.get("evalue", ""))).strip()
            if len(message) > MESSAGE_CHARS:
                message = message[:MESSAGE_CHARS] + " …"
            line = f"{name}: {message}" if message else name
            if name == "AssertionError" and not message:
                line += " (one of the graders' checks failed)"
            output["ename"], output["evalue"], output["traceback"] = name, message, [line]
            kept.append(output)
        cell["outputs"] = kept
        return cell, resources


def _instructors_cell(cell) -> bool:
    """A cell whose text came from the instructor (a locked test or task cell), not the student."""
    meta = cell.metadata.get("nbgrader", {})
    return (
        bool(meta.get("grade_id"))
        and not meta.get("solution")
        and (meta.get("grade") or meta.get("task") or meta.get("locked"))
    )


class ClearHiddenTests(_ClearHiddenTests):
    """nbgrader's ``ClearHiddenTests`` on the instructor's cells only.

    nbgrader raises on an unmatched ``BEGIN HIDDEN TESTS`` anywhere, so a student who typed it into
    an answer got no feedback at all. A student's own cells keep whatever the student wrote.
    """

    def preprocess_cell(self, cell, resources, index):
        if not _instructors_cell(cell):
            return cell, resources
        return super().preprocess_cell(cell, resources, index)


class ClearMarkScheme(_ClearMarkScheme):
    """nbgrader's ``ClearMarkScheme`` on the instructor's cells only (same reason as above)."""

    def preprocess_cell(self, cell, resources, index):
        if not _instructors_cell(cell):
            return cell, resources
        return super().preprocess_cell(cell, resources, index)


class _SchemaCheckedOnce(BaseMetadataValidator):
    """nbgrader's per-cell checks against its metadata schema, with the schema checked once."""

    def validate_cell(self, cell) -> None:
        if "nbgrader" not in cell.metadata:
            return
        meta = cell.metadata["nbgrader"]
        version = meta.get("schema_version", 0)
        if version < self.schema_version:
            raise SchemaTooOldError(
                f"Outdated schema version: {version} (expected {self.schema_version})",
                version,
                self.schema_version,
            )
        if version > self.schema_version:
            raise SchemaTooNewError(
                f"Schema version is too new: {version} (expected {self.schema_version})",
                version,
                self.schema_version,
            )
        error = jsonschema.exceptions.best_match(_schema_validator(self)(meta))
        if error is not None:
            raise error


class _MetadataValidator(MetadataValidator, _SchemaCheckedOnce):
    """nbgrader's MetadataValidator (its checks of ids, points, cell types) on the line above."""


_CHECKED: dict[str, object] = {}


def _schema_validator(validator: BaseMetadataValidator):
    """``iter_errors`` of a jsonschema validator for nbgrader's schema, checked the first time only."""
    key = json.dumps(validator.schema, sort_keys=True)
    if key not in _CHECKED:
        kind = jsonschema.validators.validator_for(validator.schema)
        kind.check_schema(validator.schema)
        _CHECKED[key] = kind(validator.schema).iter_errors
    return _CHECKED[key]


@cache
def _metadata_validator() -> _MetadataValidator:
    return _MetadataValidator()


class CheckCellMetadata(_CheckCellMetadata):
    """nbgrader's ``CheckCellMetadata``: the same checks and errors, with the schema checked once.

    nbgrader's calls ``jsonschema.validate`` for every cell, which checks the schema itself against
    its meta-schema each time: 12 of this step's 13 ms, twice per submission, in the trusted pass
    that runs beside the sandboxes.
    """

    def preprocess(self, nb, resources):
        try:
            _metadata_validator().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise ValidationError(msg) from None
        return nb, resources


def links_in(folder: Path) -> list[Path]:
    """The links in a submission folder (the folder itself and its student folder included)."""
    found = [p for p in (folder.parent, folder) if p.is_symlink()]
    if folder.is_dir() and not found:
        found = [p for p in folder.rglob("*") if p.is_symlink()]
    return found


def _refuse_links(folder: Path) -> None:
    found = links_in(folder)
    if found:
        shown = ", ".join(str(p) for p in found[:3])
        raise ValueError(f"the submission holds links, which grading never follows ({shown}): not graded")


class RefuseLinks(Preprocessor):
    """Refuse a submission that holds links (autograde's first step, also under plain nbgrader).

    A link in a submission could make grading read, copy or hand back what it points to (the
    source notebook, /etc/shadow). ``workbook grade`` refuses such a submission before it starts;
    this makes plain ``nbgrader autograde`` in the course folder refuse it too: nbgrader then counts
    the student as failed and deletes the autograded folder it had begun.
    """

    enabled = True

    def preprocess(self, nb, resources):
        _refuse_links(Path(resources.get("metadata", {}).get("path") or "."))
        return nb, resources


def refuse_links_before_copying() -> None:
    """Make nbgrader's autograde refuse a submission holding links before it copies any file of it.

    nbgrader copies a submission's other files into ``autograded/`` (following links) before the
    first preprocessor runs, so :class:`RefuseLinks` came too late: the target of a link
    (/etc/shadow, the source notebook) sat in ``autograded/`` until the refusal deleted it, and
    stayed there if grading was killed meanwhile. Called by the course's ``nbgrader_config.py``.
    """
    from nbgrader.converters.autograde import Autograde

    original = Autograde.init_assignment
    if getattr(original, "refuses_links", False):
        return

    def init_assignment(self, assignment_id: str, student_id: str) -> None:
        _refuse_links(Path(self._format_source(assignment_id, student_id)))
        original(self, assignment_id, student_id)

    init_assignment.refuses_links = True  # type: ignore[attr-defined]
    Autograde.init_assignment = init_assignment


class RestoreMissingCells(OverwriteCells):
    """nbgrader's ``OverwriteCells`` that survives neighbouring deletions and records its repairs.

    A deleted grade cell (autograder tests, written answer) comes back just before the next cell of
    the source notebook that the student kept (or at the end), so it runs after whatever the student
    wrote in its place, e.g. an answer retyped into a new cell. Every repair is listed in
    ``resources["workbook"]["repairs"]`` as ``(grade_id, what, student's value)`` for the report.
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self.add_missing_cells = True

    def preprocess(self, nb, resources):
        self._repairs = resources.setdefault("workbook", {}).setdefault("repairs", [])
        return super().preprocess(nb, resources)

    def report_change(self, name, attr, old, new):
        super().report_change(name, attr, old, new)
        self._repairs.append((name, attr, new))

    def add_missing_grade_cells(self, nb, resources):
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        source_ids = [cell.name for cell in source_nb.source_cells]
        solution_ids = {cell.name for cell in source_nb.solution_cells}
        grade_cells = sorted(
            source_nb.grade_cells, key=lambda c: source_ids.index(c.name) if c.name in source_ids else 0
        )
        for grade_cell in grade_cells:
            present = {
                cell.metadata.get("nbgrader", {}).get("grade_id"): i for i, cell in enumerate(nb.cells)
            }
            present.pop(None, None)
            if grade_cell.name in present or grade_cell.name not in source_ids:
                continue
            self.log.warning("Cell %s was missing from the submission: putting it back", grade_cell.name)
            self._repairs.append((grade_cell.name, "missing", None))
            where = source_ids.index(grade_cell.name)
            new_cell = self.missing_cell_transform(
                source_nb.source_cells[where],
                grade_cell.max_score,
                is_solution=grade_cell.name in solution_ids,
            )
            new_cell["id"] = re.sub(r"[^A-Za-z0-9_-]", "-", f"restored-{grade_cell.name}")[:64]
            position = len(nb.cells)
            for later in source_ids[where + 1 :]:
                if later in present:
                    position = present[later]
                    break
            nb.cells.insert(position, new_cell)
        return nb, resources


# ------------------------------------------------------------------- what each release handed out

#: Cell attributes a student cannot change without it being reported (nbgrader's OverwriteCells).
_HANDED_OUT = ("checksum", "cell_type", "locked", "points")


def _cell_facts(cell) -> dict:
    meta = cell.metadata.nbgrader
    facts = {
        "checksum": utils.compute_checksum(cell),
        "cell_type": cell.cell_type,
        "locked": bool(meta.get("locked", False)),
    }
    if utils.is_grade(cell):
        facts["points"] = float(meta["points"])
    return facts


def release_facts(released_notebook: Path) -> dict[str, dict]:
    """grade_id -> the checksum, type, lock and points of each graded cell of a released notebook."""
    import nbformat

    nb = nbformat.read(str(released_notebook), as_version=4)
    return {
        cell.metadata.nbgrader["grade_id"]: _cell_facts(cell)
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get("grade_id")
    }


def _history_file(course: Path, assignment: str) -> Path:
    return Path(course) / "release_history" / f"{assignment}.json"


def record_handout(course: Path, assignment: str) -> None:
    """Remember what the current ``release/<assignment>/`` hands out, next to every earlier release.

    Kept in ``release_history/<assignment>.json`` in the course folder (student-free data: safe to
    commit). Students who got an earlier release are judged against that one, not the latest.
    """
    history_path = _history_file(course, assignment)
    try:
        history = json.loads(history_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        history = {}
    changed = False
    for released in sorted((Path(course) / "release" / assignment).glob("*.ipynb")):
        seen = history.setdefault(released.stem, {})
        for grade_id, facts in release_facts(released).items():
            for attr, value in facts.items():
                values = seen.setdefault(grade_id, {}).setdefault(attr, [])
                if value not in values:
                    values.append(value)
                    changed = True
    if changed:
        history_path.parent.mkdir(parents=True, exist_ok=True)
        history_path.write_text(json.dumps(history, indent=1, sort_keys=True), encoding="utf-8")


def handed_out(course: Path, assignment: str) -> dict[str, dict[str, dict[str, list]]]:
    """notebook -> grade_id -> attribute -> every value any release of ``assignment`` handed out."""
    try:
        return json.loads(_history_file(course, assignment).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def student_repairs(repairs: list, handed: dict[str, dict[str, list]]) -> list[str]:
    """The repairs that were the student's doing, as readable notes.

    nbgrader reports a test cell as "changed" whenever it differs from the source (the hidden tests
    are put back, or the instructor fixed the exercise since): a change is the student's only when
    the student's value matches no release the student could have received.
    """
    notes = []
    for grade_id, attr, value in repairs:
        if attr == "missing":
            notes.append(f"{grade_id}: deleted by the student, put back")
            continue
        if attr in _HANDED_OUT and value in handed.get(grade_id, {}).get(attr, []):
            continue
        what = {
            "checksum": "edited by the student (a read-only cell)",
            "cell_type": "cell type changed by the student",
            "locked": "unlocked by the student",
            "points": "points changed by the student",
        }.get(attr, f"{attr} changed")
        notes.append(f"{grade_id}: {what}, restored")
    return notes


# ------------------------------------------------------------------------------------ leak scans


def secret_lines(source_notebook: Path) -> dict[str, set[str]]:
    """Every non-trivial line that occurs only inside a solution, hidden-test or mark-scheme region."""
    nb = json.loads(Path(source_notebook).read_text(encoding="utf-8"))
    return _secret_lines(nb["cells"])


def find_leaks(source_notebook: Path, released_notebook: Path) -> list[str]:
    """What of the source's solutions, hidden tests and mark schemes a released notebook still holds.

    Returns readable problems (empty when the release is clean): a region marker, or any line from
    inside a solution, hidden-test or mark-scheme region of the source notebook.
    """
    nb = json.loads(Path(released_notebook).read_text(encoding="utf-8"))
    released = "\n".join(cell_text(cell) for cell in nb["cells"])
    released_lines = {line.strip() for line in released.splitlines()}
    problems = []
    for begin, end in MARKERS.values():
        for marker in (begin, end):
            if marker in released:
                problems.append(f"{released_notebook.name}: contains the marker {marker!r}")
    for kind, lines in secret_lines(source_notebook).items():
        for line in sorted(lines & released_lines):
            problems.append(f"{released_notebook.name}: {kind} line left in: {line}")
    return problems


def visible_text(page: str) -> str:
    """The text a reader sees in an HTML page (scripts, styles and tags removed)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


_BASE64 = re.compile(r"[A-Za-z0-9+/_-]{24,}={0,2}")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2}){12,}")
#: Longest encoded token tried (an embedded chart image is bigger and holds no text).
_TOKEN_CHARS = 2_000_000


def _decoded(blob: bytes) -> list[str]:
    """``blob`` as text, and inflated (zlib, gzip, raw deflate) as text, when it is either.

    Inflated as far as it goes: a stream cut short (its checksum dropped, say) still yields the
    text before the cut, as it would for a student decoding it.
    """
    import zlib

    texts = []
    try:
        texts.append(blob.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    for wbits in (47, -15):  # zlib or gzip (by their header); raw deflate
        try:
            inflated = zlib.decompressobj(wbits).decompress(blob, _TOKEN_CHARS)
        except zlib.error:
            continue
        if inflated:
            texts.append(inflated.decode("utf-8", errors="ignore"))
    return texts


def decodings(text: str) -> list[str]:
    """``text`` and what a student's code could have encoded the hidden tests into within it.

    Tried: base64 (standard and URL-safe, optionally zlib-, gzip- or deflate-compressed, even cut short), hex (likewise),
    rot13, and the text reversed. Used by :func:`feedback_leaks`: printing the tests encoded must
    not get them past the scan.
    """
    import base64
    import codecs

    found = [text, codecs.decode(text, "rot13"), text[::-1]]
    for token in _BASE64.findall(text):
        if len(token) > _TOKEN_CHARS:
            continue
        token = token.rstrip("=")
        token = token[: len(token) - (len(token) % 4 == 1)]  # a character too many: cut short
        for decode in (base64.b64decode, base64.urlsafe_b64decode):
            try:
                found += _decoded(decode(token + "=" * (-len(token) % 4)))
            except ValueError:
                continue
    for token in _HEX.findall(text):
        if len(token) <= _TOKEN_CHARS:
            found += _decoded(bytes.fromhex(token))
    return found


def feedback_leaks(source_notebook: Path, feedback_page: Path, submitted_notebook: Path | None) -> list[str]:
    """Hidden-test and mark-scheme lines of the source that a feedback page shows.

    Lines the student's own submission contains are the student's and are not counted; a line found
    anyway means the submission's code printed the hidden tests (or a preprocessor is missing),
    plainly or encoded (see :func:`decodings`).
    """
    own: set[str] = set()
    if submitted_notebook is not None:
        try:
            nb = json.loads(Path(submitted_notebook).read_text(encoding="utf-8"))
            own = {
                " ".join(line.split())
                for cell in nb.get("cells", [])
                for line in cell_text(cell).splitlines()
            }
        except (OSError, ValueError, AttributeError, TypeError):
            own = set()
    page = Path(feedback_page).read_text(encoding="utf-8")
    shown = {
        " ".join(line.split())
        for text in decodings(visible_text(page)) + decodings(page)
        for line in text.replace("\\n", "\n").splitlines()
    }
    secrets = secret_lines(source_notebook)
    problems = []
    for kind in ("hidden test", "mark scheme"):
        for line in sorted(secrets[kind]):
            flat = " ".join(line.split())
            if flat in shown and flat not in own:
                problems.append(f"{kind} line shown: {line}")
    return problems
