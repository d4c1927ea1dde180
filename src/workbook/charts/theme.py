"""The workbook's look: colour-blind-safe colours, larger text, a title on the left.

Every chart uses these colours, so "blue" always means sa1997 and "red" essay2005.  Importing
this module registers the theme with Altair and switches it on.
"""

from __future__ import annotations

import altair as alt

#: The Okabe-Ito palette (Okabe & Ito, "Color Universal Design", 2008), black moved to the end.
PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"]

#: One fixed colour per source, used by every chart, so "blue" always means sa1997.
READING_COLOURS = {"sa1997": "#0072B2", "essay2005": "#D55E00", "public record": "#000000"}

#: The same colours keyed by the ``source`` column of the derived tables.
SOURCE_COLOURS = {
    "sa1997 (claim)": READING_COLOURS["sa1997"],
    "essay2005 (claim)": READING_COLOURS["essay2005"],
    "public record": READING_COLOURS["public record"],
}

#: Colour for marks the reader should notice (e.g. years above a ceiling).
HIGHLIGHT = "#E69F00"
#: Colour for background marks (shaded bands, grid lines).
MUTED = "#999999"

FONT = "Helvetica, Arial, sans-serif"
THEME_NAME = "workbook"


@alt.theme.register(THEME_NAME, enable=True)
def workbook_theme() -> alt.theme.ThemeConfig:
    """The workbook's look: Okabe-Ito colours, larger text, a title on the left."""
    return {
        "config": {
            "font": FONT,
            "range": {"category": PALETTE},
            "title": {
                "fontSize": 17,
                "anchor": "start",
                "offset": 12,
                "subtitleFontSize": 12,
                "subtitleColor": "#333333",
            },
            "axis": {"labelFontSize": 12, "titleFontSize": 13, "labelLimit": 420},
            "legend": {"labelFontSize": 12, "titleFontSize": 13, "labelLimit": 420},
            "header": {"labelFontSize": 12, "titleFontSize": 13},
            "text": {"fontSize": 12},
            "view": {"continuousWidth": 560, "continuousHeight": 300, "stroke": "transparent"},
        }
    }


def colour_scale(colours: dict, present=None) -> alt.Scale:
    """A colour scale with fixed colours; ``present`` limits the legend to values in the data."""
    keys = [k for k in colours if present is None or k in set(present)]
    return alt.Scale(domain=keys, range=[colours[k] for k in keys])
