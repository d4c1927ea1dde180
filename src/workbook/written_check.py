"""Check a written answer's citations against the tables and the readings: ids, quotes, numbers, length.

The pure core shared by the student's self-check (``workbook.check_written("ex02_one_percent.ipynb")``)
and the instructor's ``workbook written check`` (``workbook.course.written``). It never grades: each
finding is a ``Flag`` (kind, the offending text, why) for a person to weigh. Kinds:

- ``unknown-id``: a cited claim, event, record or assertion id (or reading paragraph) that does not exist;
- ``misquote``: a quoted phrase attributed to an id or paragraph that is not verbatim in that paragraph
  (checked against the reading when a copy is installed, else against the tables' evidence phrases);
- ``number-mismatch``: a number beside a cited id that disagrees with that row (hedges and rounding allowed);
- ``over-length``: more words (or sentences) than the question allows;
- ``no-citation``: no id or paragraph cited where the question asks for one.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .texts import normalise

KINDS = ("unknown-id", "misquote", "number-mismatch", "over-length", "no-citation")
#: Tables whose rows can be cited by id, with their id column ("assertions" only if the data has it).
CITABLE = {
    "claims": "claim_id",
    "events": "event_id",
    "records": "record_id",
    "assertions": "assertion_id",
    "sections": "section_id",
}
#: What an unanswered written cell holds in a released notebook.
PLACEHOLDER = "YOUR ANSWER HERE"
#: Words that loosen a number ("about 1 %"): allowed this relative slack besides rounding.
HEDGES = (
    "about",
    "around",
    "roughly",
    "approximately",
    "approx",
    "nearly",
    "almost",
    "some",
    "close to",
    "just under",
    "just over",
    "over",
    "under",
    "more than",
    "less than",
    "fewer than",
    "up to",
    "as much as",
    "circa",
    "c.",
    "~",
    "≈",
)
HEDGE_SLACK = 0.10
NUMBER_WINDOW = 40  # characters between a cited id and a number said to be "beside" it
_WORD_NUMBERS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
}


@dataclass
class Flag:
    """One finding: its kind, the text it is about, and why it was raised."""

    kind: str
    text: str
    detail: str


@dataclass
class AnswerCheck:
    """The findings for one written answer (an nbgrader manually graded cell)."""

    notebook: str
    cell: str
    flags: list[Flag] = field(default_factory=list)
    answered: bool = True
    words: int = 0

    def as_dict(self) -> dict:
        return {
            "notebook": self.notebook,
            "cell": self.cell,
            "answered": self.answered,
            "words": self.words,
            "flags": [asdict(f) for f in self.flags],
        }


@dataclass
class Requirements:
    """What a question asks of its answer: a word or sentence limit, a citation."""

    max_words: int | None = None
    max_sentences: int | None = None
    cite: bool = False


# --------------------------------------------------------------------------- what can be cited


class Sources:
    """The citable rows (by id) and the readings' paragraph counts, from one data package."""

    def __init__(self, folder: str | Path | None = None, readings_folder: str | Path | None = None):
        from .data import package

        pkg = package(folder)
        names = pkg.stored_names()
        self.rows: dict[str, tuple[str, dict]] = {}
        for table, key in CITABLE.items():
            if table not in names:
                continue  # e.g. no "assertions" table in this data
            frame = pkg.table(table)
            if key not in frame.columns:
                key = frame.columns[0]
            for row in frame.to_dict("records"):
                self.rows[str(row[key])] = (table, row)
        readings = pkg.table("readings")
        self.paragraph_counts = {str(r.id): int(r.paragraphs) for r in readings.itertuples()}
        self.readings_folder = readings_folder
        self._paragraphs: dict[str, list[str] | None] = {}
        self._shapes = _id_shapes(self.rows, self.paragraph_counts)

    # -- what an id looks like, so a mistyped one is still seen as a citation
    def id_pattern(self) -> re.Pattern:
        return self._shapes

    def reading_text(self, reading: str) -> list[str] | None:
        """The normalised paragraphs of a reading, or None when no usable copy is installed."""
        if reading not in self._paragraphs:
            from .errors import ReadingCopyError, ReadingsNotFound
            from .texts import paragraphs

            try:
                self._paragraphs[reading] = paragraphs(reading, self.readings_folder)
            except (ReadingsNotFound, ReadingCopyError, KeyError):
                self._paragraphs[reading] = None
        return self._paragraphs[reading]

    def evidence(self, reading: str, number: int) -> list[str]:
        """The tables' evidence phrases for one paragraph of a reading."""
        return [
            normalise(str(row["evidence"]))
            for _, row in self.rows.values()
            if str(row.get("reading")) == reading
            and _int(row.get("paragraph")) == number
            and isinstance(row.get("evidence"), str)
        ]


def _int(value) -> int | None:
    try:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        return int(value)
    except (TypeError, ValueError):
        return None


def _id_shapes(rows: dict, readings: dict) -> re.Pattern:
    """One pattern matching anything shaped like a citable id: 'sa1997-39a', 'sa1997-e01a', 'r017'."""
    shapes = {rf"{re.escape(r)}-[a-z]*\d+[a-z]*" for r in readings}
    for key in rows:
        if any(key.startswith(f"{r}-") for r in readings):
            continue
        m = re.fullmatch(r"([A-Za-z]+)(\d+)([A-Za-z]*)", key)
        if m:
            shapes.add(rf"{re.escape(m.group(1))}\d{{{len(m.group(2))}}}[a-z]?")
    return re.compile(r"(?<![\w-])(?:" + "|".join(sorted(shapes, key=len, reverse=True)) + r")(?![\w-])")


# --------------------------------------------------------------------------- reading an answer


_QUOTE = re.compile(r'"([^"\n]{2,300})"')
_NUMBER = re.compile(r"(?<![\w.¶-])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:\s?(%|per\s?cent|percent))?(?![\w-])")
_NOT_A_FIGURE = re.compile(
    r"(?:\b(?:question|questions|q|paragraph|paragraphs|para|paras|p|pp|ex|exercise|phase|phases|chapter|article|step)"
    r"|¶)\s*\.?\s*$",
    re.IGNORECASE,
)
_CONTRAST = re.compile(
    r"\b(?:than|against|while|whereas|but|versus|vs|compared|unlike|not|instead)\b", re.IGNORECASE
)
_SENTENCE_END = re.compile(
    r"(?<!\b[A-Z])(?<!\be\.g)(?<!\bi\.e)(?<!\bcf)(?<!\bvs)(?<!\bp)[.!?]+[\"')\]]*(?:\s+|$)"
)


@dataclass
class Citation:
    """A cited id or paragraph inside an answer: where it is, what it names."""

    text: str
    start: int
    end: int
    row_id: str | None = None  # an id from the tables (may be unknown)
    reading: str | None = None  # a reading paragraph
    paragraph: int | None = None


def answer_text(source: str) -> str:
    """A written answer's own words: markdown emphasis and the placeholder removed, quotes straightened."""
    text = normalise(source.replace(PLACEHOLDER, " "))
    return text


def find_citations(text: str, sources: Sources) -> list[Citation]:
    """Every id-shaped token and every 'reading ¶N' (or 'reading, paragraph N') in ``text``."""
    found: list[Citation] = []
    readings = "|".join(re.escape(r) for r in sources.paragraph_counts)
    para = re.compile(
        rf"(?<![\w-])({readings})[\s,]*(?:¶|§|para(?:graph)?s?\.?|p\.)\s*(\d+)(?:\s*(?:-|–|and|,)\s*(\d+))?",
        re.IGNORECASE,
    )
    for m in para.finditer(text):
        found.append(Citation(m.group(0), m.start(), m.end(), reading=m.group(1), paragraph=int(m.group(2))))
        if m.group(3):
            found.append(
                Citation(m.group(0), m.start(), m.end(), reading=m.group(1), paragraph=int(m.group(3)))
            )
    for m in sources.id_pattern().finditer(text):
        found.append(Citation(m.group(0), m.start(), m.end(), row_id=m.group(0)))
    return sorted(found, key=lambda c: c.start)


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; abbreviations such as 'U.S.' and 'e.g.' do not end one."""
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        before = text[max(0, m.start() - 1) : m.start()]
        if before.isdigit() and m.end() < len(text) and text[m.end() : m.end() + 1].isdigit():
            continue  # a decimal point
        if text[start : m.end()].strip():
            spans.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def count_words(text: str) -> int:
    """Words as a reader counts them: runs of letters or digits (ids and numbers count as one)."""
    return len(re.findall(r"[\w][\w'’.%-]*", text))


def requirements_for(prompt: str, metadata: dict | None = None) -> Requirements:
    """What a question's prompt asks: a word limit ('at most 100 words'), a citation ('cite', 'a claim id').

    Only what the prompt says outright counts: code in backticks (``cite("...")``) is not a request to
    cite. A cell's ``metadata["workbook"]`` may set ``max_words``, ``max_sentences`` and ``cite`` itself.
    """
    req = Requirements()
    low = normalise(re.sub(r"`[^`]*`", " ", prompt)).lower()
    num = r"(\d+|" + "|".join(_WORD_NUMBERS) + r")"

    def value(word: str) -> int:
        return int(word) if word.isdigit() else _WORD_NUMBERS[word]

    m = re.search(rf"(?:at most|no more than|up to|maximum of|max\.?)\s+{num}\s+words", low) or re.search(
        rf"\b{num}\s+words\s+(?:or fewer|or less|at most|maximum)", low
    )
    if m:
        req.max_words = value(m.group(1))
    if re.search(r"\b(cite|citing|citation|citations|(claim|event|record|assertion) ids?)\b|¶", low):
        req.cite = True
    own = (metadata or {}).get("workbook", {}) if isinstance(metadata, dict) else {}
    if isinstance(own, dict):
        for key in ("max_words", "max_sentences"):
            if isinstance(own.get(key), int) and own[key] > 0:
                setattr(req, key, own[key])
        if isinstance(own.get("cite"), bool):
            req.cite = own["cite"]
    return req


# --------------------------------------------------------------------------- the checks


def _nearest(citations: list[Citation], start: int, end: int, span: tuple[int, int]) -> Citation | None:
    """The citation closest to text[start:end] within the same sentence (ties go to the one after)."""
    best, best_d = None, None
    for c in citations:
        if not (span[0] <= c.start < span[1]):
            continue
        d = start - c.end if c.end <= start else c.start - end if c.start >= end else 0
        d = max(d, 0)
        if best_d is None or d < best_d or (d == best_d and c.start >= end):
            best, best_d = c, d
    return best


def _sentence_of(spans: list[tuple[int, int]], pos: int) -> tuple[int, int]:
    for span in spans:
        if span[0] <= pos < span[1]:
            return span
    return (0, 0)


def _check_ids(citations: list[Citation], sources: Sources) -> list[Flag]:
    flags, seen = [], set()
    for c in citations:
        if c.text in seen and c.row_id:
            continue
        if c.row_id is not None and c.row_id not in sources.rows:
            seen.add(c.text)
            flags.append(
                Flag(
                    "unknown-id",
                    c.row_id,
                    f"No claim, event or record has the id {c.row_id!r}"
                    + (
                        " (nor any assertion)"
                        if "assertions" in {t for t, _ in sources.rows.values()}
                        else ""
                    )
                    + ": check its spelling with cite(...) or in the table.",
                )
            )
        elif c.reading is not None:
            count = sources.paragraph_counts[c.reading]
            if not 1 <= c.paragraph <= count:
                flags.append(
                    Flag(
                        "unknown-id",
                        c.text,
                        f"{c.reading} has paragraphs 1 to {count}; there is no paragraph {c.paragraph}.",
                    )
                )
    return flags


def _where(c: Citation, sources: Sources) -> tuple[str, int] | None:
    """The reading and paragraph a citation points to, if any."""
    if c.reading is not None:
        return c.reading, c.paragraph
    table_row = sources.rows.get(c.row_id or "")
    if table_row is None:
        return None
    row = table_row[1]
    reading, number = row.get("reading"), _int(row.get("paragraph"))
    if isinstance(reading, str) and number is not None and reading in sources.paragraph_counts:
        return reading, number
    return None


def _quote_parts(quote: str) -> list[str]:
    """A quotation's pieces: '...' or '[...]' marks a cut, and each piece must be verbatim."""
    parts = re.split(r"\s*(?:\[\s*\.\.\.\s*\]|\.\.\.|…)\s*", quote)
    return [p.strip(" ,;:.").lower() for p in parts if p.strip(" ,;:.")]


def _check_quotes(text: str, citations: list[Citation], spans, sources: Sources) -> list[Flag]:
    flags = []
    for m in _QUOTE.finditer(text):
        quote = m.group(1).strip()
        cited = _nearest(citations, m.start(), m.end(), _sentence_of(spans, m.start()))
        if cited is None:
            continue  # not attributed: nothing to check it against
        if cited.row_id is not None and cited.row_id not in sources.rows:
            continue  # already flagged as an unknown id
        where = _where(cited, sources)
        if where is None:
            table, row = sources.rows[cited.row_id]
            against = [normalise(str(v)).lower() for v in row.values() if isinstance(v, str)]
            checked = f"the {table} row {cited.row_id}'s own text"
        else:
            reading, number = where
            if not 1 <= number <= sources.paragraph_counts[reading]:
                continue
            paras = sources.reading_text(reading)
            if paras is not None:
                against = [paras[number - 1].lower()]
                checked = f"{reading} ¶{number} (the installed copy of the reading)"
            else:
                against = [e.lower() for e in sources.evidence(reading, number)]
                checked = (
                    f"the tables' evidence phrases for {reading} ¶{number} (no copy of the reading is "
                    "installed, so a phrase the tables do not quote cannot be confirmed)"
                )
        parts = _quote_parts(quote)
        if parts and not any(all(p in a for p in parts) for a in against):
            flags.append(
                Flag(
                    "misquote",
                    f'"{quote}"',
                    f"Attributed to {cited.text}, but not found word for word in {checked}.",
                )
            )
    return flags


def _row_numbers(table: str, row: dict) -> tuple[list[float], list[float]]:
    """A row's values (for figures) and its years (for dates)."""
    values, years = [], []
    for key in ("value", "value_low", "value_high"):
        v = row.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(float(v)):
            values.append(float(v))
    for key in ("period_start", "period_end", "year", "start_year", "end_year"):
        v = row.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(float(v)):
            years.append(float(v))
    for key in ("date", "end_date"):
        v = row.get(key)
        m = re.match(r"(\d{4})", str(v)) if v is not None else None
        if m:
            years.append(float(m.group(1)))
    return values, years


def _hedged(before: str) -> bool:
    tail = before.lower().rstrip()[-24:]
    return any(re.search(rf"(?:^|\W){re.escape(h)}\s*$", tail) for h in HEDGES) or tail.endswith(("~", "≈"))


def _agrees(number: float, decimals: int, hedged: bool, targets: list[float], percent: bool) -> bool:
    """Whether a written number matches any target at its own precision (and a hedge's slack)."""
    for t in targets:
        candidates = [t] + ([t * 100] if percent and abs(t) <= 1 and number > 1 else [])
        for target in candidates:
            slack = 0.5 * 10 ** (-decimals) + 1e-9
            if hedged:
                slack = max(slack, HEDGE_SLACK * abs(target))
            if abs(number - target) <= slack:
                return True
    return False


def _check_numbers(text: str, citations: list[Citation], spans, sources: Sources) -> list[Flag]:
    """Numbers stated beside a cited row (same sentence, nothing else in between) that match none of them."""
    flags = []
    cited_spans = [(c.start, c.end) for c in citations]
    quoted = [(m.start(), m.end()) for m in _QUOTE.finditer(text)]
    numbers = [
        m
        for m in _NUMBER.finditer(text)
        if not any(s <= m.start() < e for s, e in cited_spans)
        and not _NOT_A_FIGURE.search(text[max(0, m.start() - 12) : m.start()])
    ]
    marks = sorted([(c.start, c.end) for c in citations] + [(m.start(), m.end()) for m in numbers])
    for m in numbers:
        if any(s <= m.start() < e for s, e in quoted):
            continue  # a quotation's own number is checked as a quotation
        span = _sentence_of(spans, m.start())
        beside = []
        for c in citations:
            if not (span[0] <= c.start < span[1]):
                continue
            lo, hi = (m.end(), c.start) if c.start >= m.end() else (c.end, m.start())
            if hi - lo > NUMBER_WINDOW or any(lo <= s and e <= hi for s, e in marks):
                continue  # too far, or another number or citation stands between them
            if _CONTRAST.search(text[lo:hi]):
                continue  # "the essay's 500 (id) is more than the record's 363": a comparison
            beside.append(c)
        for c in list(beside):  # "78: r043, r044" is beside the whole list
            i = citations.index(c)
            while i + 1 < len(citations) and re.fullmatch(
                r"[\s,;/&]*(?:and|or)?[\s,;/&]*", text[citations[i].end : citations[i + 1].start]
            ):
                i += 1
                beside.append(citations[i])
        rows = [c for c in beside if c.row_id is not None and c.row_id in sources.rows]
        if not rows:
            continue
        whole, frac, unit = m.group(1), m.group(2) or "", m.group(3)
        number = float(whole.replace(",", "") + frac)
        decimals = len(frac) - 1 if frac else 0
        is_year = not frac and not unit and 1800 <= number <= 2100 and "," not in whole
        hedged = _hedged(text[max(0, m.start() - 30) : m.start()])
        checked, wanted = [], []
        for c in rows:
            values, years = _row_numbers(*sources.rows[c.row_id])
            if is_year:
                targets = years + [v for v in values if 1800 <= v <= 2100] + values
            else:
                targets = values
            if targets:
                checked.append(c)
                wanted.append(f"{c.row_id}: {', '.join(_fmt(t) for t in dict.fromkeys(targets))}")
            if targets and _agrees(number, decimals, hedged, targets, bool(unit)):
                break
        else:
            if checked:
                flags.append(
                    Flag(
                        "number-mismatch",
                        text[m.start() : m.end()].strip(),
                        f"Stated beside {', '.join(c.row_id for c in checked)}, whose figures are "
                        + "; ".join(wanted)
                        + (" (a hedge allows about 10 %)." if hedged else " (rounding allowed)."),
                    )
                )
    return flags


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def check_answer(
    source: str,
    prompt: str = "",
    *,
    sources: Sources,
    metadata: dict | None = None,
    notebook: str = "",
    cell: str = "",
) -> AnswerCheck:
    """Check one written answer's text (markdown) against the tables, the readings and its question."""
    text = answer_text(source)
    result = AnswerCheck(notebook=notebook, cell=cell, words=count_words(text))
    if not text.strip():
        result.answered = False
        return result
    req = requirements_for(prompt, metadata)
    citations = find_citations(text, sources)
    spans = sentences(text)
    result.flags += _check_ids(citations, sources)
    result.flags += _check_quotes(text, citations, spans, sources)
    result.flags += _check_numbers(text, citations, spans, sources)
    if req.max_words is not None and result.words > req.max_words:
        result.flags.append(
            Flag(
                "over-length",
                f"{result.words} words",
                f"The question allows at most {req.max_words} words; this answer has {result.words}.",
            )
        )
    if req.max_sentences is not None and len(spans) > req.max_sentences:
        result.flags.append(
            Flag(
                "over-length",
                f"{len(spans)} sentences",
                f"The question asks for at most {req.max_sentences} sentences; this answer has {len(spans)}.",
            )
        )
    if req.cite and not citations:
        result.flags.append(
            Flag(
                "no-citation",
                text[:60] + ("…" if len(text) > 60 else ""),
                "The question asks you to cite: name a claim, event or record id (e.g. sa1997-39a, r017) "
                "or a paragraph (e.g. essay2005 ¶6).",
            )
        )
    return result


# --------------------------------------------------------------------------- notebooks


def _cell_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def written_cells(nb: dict) -> list[tuple[dict, str]]:
    """Every manually graded answer cell of a notebook, with its question's prompt.

    The prompt is the nearest markdown cell above it that is not itself an answer.
    """
    out, prompt = [], ""
    for cell in nb.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
        if meta.get("grade") and meta.get("solution"):
            out.append((cell, prompt))
        elif cell.get("cell_type") == "markdown" and not meta.get("solution"):
            prompt = _cell_text(cell)
    return out


def _strip_solution_markers(text: str) -> str:
    return re.sub(r"^\s*### (BEGIN|END) SOLUTION\s*$", "", text, flags=re.MULTILINE)


class NotebookProblem(ValueError):
    """A file that cannot be read as a notebook; the message says what was expected."""


def read_notebook(path: str | Path) -> dict:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotebookProblem(f"There is no file {path}.") from None
    except IsADirectoryError:
        raise NotebookProblem(f"{path} is a folder; give a notebook (.ipynb) file.") from None
    except OSError as exc:
        raise NotebookProblem(f"{path} cannot be read ({exc.strerror}).") from None
    try:
        nb = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise NotebookProblem(f"{path} is not a notebook: expected a .ipynb file (JSON).") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise NotebookProblem(f"{path} is not a notebook: it has no list of cells.")
    return nb


def check_notebook(
    path: str | Path, sources: Sources | None = None, nb: dict | None = None
) -> list[AnswerCheck]:
    """Check every written answer of one notebook (a submission, or a student's own copy)."""
    sources = sources or Sources()
    nb = nb if nb is not None else read_notebook(path)
    results = []
    for cell, prompt in written_cells(nb):
        meta = cell.get("metadata", {})
        grade_id = str(meta.get("nbgrader", {}).get("grade_id", "?"))
        results.append(
            check_answer(
                _strip_solution_markers(_cell_text(cell)),
                prompt,
                sources=sources,
                metadata=meta,
                notebook=str(path),
                cell=grade_id,
            )
        )
    return results


def report(results: list[AnswerCheck]) -> str:
    """The findings as plain text, one block per answer."""
    lines = []
    for r in results:
        if not r.answered:
            lines.append(f"{r.cell}: not answered yet.")
        elif not r.flags:
            lines.append(f"{r.cell}: nothing to point out ({r.words} words).")
        else:
            lines.append(
                f"{r.cell}: {len(r.flags)} thing{'s' if len(r.flags) > 1 else ''} to look at ({r.words} words)"
            )
            lines += [f"  - {f.kind}: {f.text} — {f.detail}" for f in r.flags]
    return "\n".join(lines)


def check_written(path: str | Path) -> None:
    """Self-check the written answers in a saved notebook before you hand it in (never a grade).

    It points at cited ids that do not exist, quotations that are not word for word in the
    paragraph you cite, numbers that disagree with the row you cite, answers over the length the
    question sets, and answers with no citation where one is asked for. Save the notebook first.
    """
    print(report(check_notebook(path)))
    print("(A self-check: it only points at things to look at again. Your instructor grades the answers.)")
