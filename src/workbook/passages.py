"""Show one cited paragraph of a reading; without a usable copy, what the tables hold for that paragraph.

``show_paragraph("essay2005", 6)`` shows the paragraph itself when a copy of the reading is at hand
(see :mod:`workbook.texts`).  Otherwise it shows that paragraph's evidence phrases with the claims,
events and phases the tables draw from it, under one line saying why the text is missing and how to
add it.  ``reading_upload()`` is the notebook's way to add the copy a course provides.
"""

from __future__ import annotations

import html
import math
import numbers
import re

from . import texts
from .data import package
from .errors import ReadingCopyError, ReadingsNotFound


def _paragraph_number(value, reading: str, count: int) -> int:
    """``value`` as a paragraph number of ``reading``; a message a beginner can act on when it is not one."""
    example = f"show_paragraph({reading!r}, 6)"
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, str)):
        raise TypeError(f"The paragraph should be a whole number, like {example}; got {value!r}.")
    if isinstance(value, str):
        raise TypeError(f"The paragraph should be a number without quotes, like {example}; got the text {value!r}.")
    if not isinstance(value, numbers.Integral):
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"The paragraph should be a whole number, like {example}; got {value!r}.")
        if not float(value).is_integer():
            raise ValueError(f"Paragraphs are numbered 1, 2, 3 ...; {value!r} is not a whole number.")
    number = int(value)
    if not 1 <= number <= count:
        raise ValueError(f"{reading} has paragraphs 1 to {count}; there is no paragraph {number}.")
    return number


def _mentions(table, reading: str, number: int, label: str) -> list[str]:
    """Rows of glossary/places whose 'mentions' cite this paragraph."""
    pattern = re.compile(rf"(^|; ){re.escape(reading)} ¶{number}(;|$)")
    return [str(v) for v, m in zip(table[label], table["mentions"]) if pattern.search(str(m))]


class Passage:
    """One paragraph of a reading: its text when a usable copy is at hand, else what the tables hold for it."""

    def __init__(self, reading: str, number):
        pkg = package()
        readings = pkg.table("readings").set_index("id")
        if not isinstance(reading, str) or reading not in readings.index:
            raise KeyError(f"No reading {reading!r}: use one of {', '.join(map(repr, readings.index))}, "
                           f"like show_paragraph('essay2005', 6).")
        number = _paragraph_number(number, reading, int(readings.loc[reading, "paragraphs"]))
        self.reading, self.number = reading, number
        self.title = readings.loc[reading, "short_title"]
        sections = pkg.table("sections")
        own = sections[(sections["reading"] == reading) & (sections["first_paragraph"] <= number)
                       & (sections["last_paragraph"] >= number)]
        self.section = own.iloc[0] if len(own) else None
        self.text = self.why = None
        try:
            self.text = texts.paragraph(reading, number)
        except ReadingsNotFound:
            self.why = f"No copy of {reading} was found on this computer"
        except ReadingCopyError as exc:
            self.why = f"The copy of {reading} found here cannot be used ({exc})"
        self.held = self._held(pkg) if self.text is None else []

    def _held(self, pkg) -> list[tuple[str, str, str]]:
        """(label, evidence phrase, our words) for every row the tables draw from this paragraph."""
        here = lambda df: df[(df["reading"] == self.reading) & (df["paragraph"] == self.number)]  # noqa: E731
        rows = []
        for r in here(pkg.table("claims")).itertuples():
            rows.append((f"claim {r.claim_id}", r.evidence, r.paraphrase))
        for r in here(pkg.table("events")).itertuples():
            rows.append((f"event {r.event_id} ({r.date:%Y-%m-%d})", r.evidence, r.title))
        for r in here(pkg.table("phases")).itertuples():
            rows.append((f"phase {r.phase}: {r.name}", r.evidence, r.summary))
        terms = _mentions(pkg.table("glossary"), self.reading, self.number, "term")
        places = _mentions(pkg.table("places"), self.reading, self.number, "name")
        if terms:
            rows.append(("glossary terms used here", "", ", ".join(terms)))
        if places:
            rows.append(("places named here", "", ", ".join(places)))
        return rows

    @property
    def heading(self) -> str:
        section = f", section: {self.section['heading']}" if self.section is not None else ""
        return f"{self.reading} ¶{self.number} ({self.title}){section}"

    @property
    def reason(self) -> str:
        """The one line saying why the paragraph itself is not shown, and what to do."""
        return f"({self.why}, so this shows what the tables hold for ¶{self.number}. To read it, {texts.HOW_TO_ADD}.)"

    def __str__(self) -> str:
        if self.text is not None:
            return f"{self.heading}\n\n{self.text}"
        lines = [self.heading, self.reason]
        for label, evidence, words in self.held:
            quoted = f' "{evidence}"' if evidence else ""
            lines.append(f"- {label}:{quoted} {('- ' if quoted else '') + words}")
        if not self.held and self.section is not None:
            lines.append(f"- The tables hold no figure, event or phase from this paragraph. Its section, "
                         f"in our words: {self.section['summary']}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = f"<b>{html.escape(self.heading)}</b>"
        if self.text is not None:
            return f"<div class='workbook-passage'>{head}<blockquote>{html.escape(self.text)}</blockquote></div>"
        items = "".join(
            f"<li>{html.escape(label)}: " + (f"&ldquo;{html.escape(evidence)}&rdquo; &ndash; " if evidence else "")
            + f"{html.escape(words)}</li>" for label, evidence, words in self.held)
        if not items and self.section is not None:
            items = ("<li>The tables hold no figure, event or phase from this paragraph. Its section, in our "
                     f"words: {html.escape(self.section['summary'])}</li>")
        reason = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(self.reason))
        return (f"<div class='workbook-passage'>{head}<p><small>{reason}</small></p>"
                f"<ul>{items}</ul></div>")

    def __repr__(self) -> str:
        return str(self)


def show_paragraph(reading: str, number: int) -> Passage:
    """The paragraph ``number`` of ``reading`` (e.g. ``show_paragraph("essay2005", 6)``), ready to display."""
    return Passage(reading, number)


def reading_upload():
    """A file picker that adds the copy of a reading your course gives you (checked, then kept for every kernel)."""
    import ipywidgets as w

    picker = w.FileUpload(accept=".txt,text/plain", multiple=True, description="Add a reading (.txt)",
                          layout=w.Layout(width="auto"))
    report = w.HTML("<span role='status'>Pick the .txt file of a reading; it is checked against the "
                    "paragraphs the tables cite before it is kept.</span>")

    def added(change) -> None:
        files = change["new"]
        if not files:
            return
        lines = []
        for item in files:
            name = str(item.get("name", "the file"))
            try:
                lines.append(texts.add_reading_bytes(bytes(item["content"]), name))
            except ReadingCopyError as exc:
                lines.append(f"Not added: {exc}")
        report.value = "<span role='status'>" + "<br>".join(html.escape(x) for x in lines) + "</span>"

    picker.observe(added, names="value")
    return w.VBox([picker, report])
