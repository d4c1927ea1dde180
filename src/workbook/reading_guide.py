"""Show a cited paragraph beside its section summary, so a student can read the source itself.

With a local copy of the readings the paragraph text is shown; without one, the section summary
and citation are shown instead, with a line saying where to put the readings.
"""

from __future__ import annotations

import html

from .data import load
from .errors import ReadingsNotFound
from .readings import candidate_folders, paragraph


class Passage:
    """One paragraph of a reading: its text (when available), section and citation."""

    def __init__(self, reading: str, number: int):
        readings = load("readings").set_index("id")
        if reading not in readings.index:
            raise KeyError(f"No reading {reading!r}: use one of {', '.join(readings.index)}.")
        sections = load("sections")
        own = sections[(sections["reading"] == reading) & (sections["first_paragraph"] <= number)
                       & (sections["last_paragraph"] >= number)]
        if own.empty:
            raise IndexError(f"{reading} has paragraphs 1 to {readings.loc[reading, 'paragraphs']}; "
                             f"there is no paragraph {number}.")
        self.reading, self.number = reading, number
        self.section = own.iloc[0]
        self.title = readings.loc[reading, "short_title"]
        try:
            self.text = paragraph(reading, number)
        except ReadingsNotFound:
            self.text = None

    def __str__(self) -> str:
        head = f"{self.reading} ¶{self.number} ({self.title}), section: {self.section['heading']}"
        if self.text is not None:
            return f"{head}\n\n{self.text}"
        where = " or ".join(str(p) for p in candidate_folders()[:2])
        return (f"{head}\nSection summary (our words): {self.section['summary']}\n"
                f"(No copy of the readings here: put the two .txt files in {where} to see the paragraph itself.)")

    def _repr_html_(self) -> str:
        head = (f"<b>{self.reading} ¶{self.number}</b> &middot; {html.escape(self.title)} &middot; "
                f"section <i>{html.escape(self.section['heading'])}</i>")
        if self.text is not None:
            body = f"<blockquote>{html.escape(self.text)}</blockquote>"
        else:
            body = (f"<p>Section summary (our words): {html.escape(self.section['summary'])}</p>"
                    "<p><small>No copy of the readings was found; see README, section "
                    "\u201cThe readings\u201d, to add one.</small></p>")
        return f"<div class='workbook-passage'>{head}{body}</div>"

    def __repr__(self) -> str:
        return str(self)


def show_paragraph(reading: str, number: int) -> Passage:
    """The paragraph ``number`` of ``reading`` (e.g. ``show_paragraph("essay2005", 6)``), ready to display."""
    return Passage(reading, int(number))
