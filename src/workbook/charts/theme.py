"""The workbook's look: colour-blind-safe colours that can be seen, larger text, a title on the left.

Every chart uses these colours, so "blue" always means sa1997 and "red" essay2005.  Every colour
here is at least 3:1 against the white chart background (WCAG 1.4.11, for marks) and the
readings' colours at least 4.5:1 (1.4.3, they are also used for text); under simulated
protanopia and deuteranopia (Machado et al. 2009) any two stay far apart.
``tests/test_chart_contrast.py`` measures all of this on every chart.  Importing this module
registers the theme with Altair and switches it on.
"""

from __future__ import annotations

import altair as alt

#: Colours for categories, in order.  Okabe-Ito's blue and a darker vermillion, then colours
#: picked (greedily, on a grid) for the largest smallest difference (CIELAB) under normal,
#: protan and deutan vision among those at least 3:1 on white.  Okabe-Ito's orange, sky blue
#: and yellow (2.3:1, 2.3:1, 1.3:1) are gone: they could not be seen on white.
PALETTE = ["#0072B2", "#C25100", "#6644FF", "#669988", "#CC2244", "#4488FF", "#000000"]

#: One fixed colour per source, used by every chart, so "blue" always means sa1997.
READING_COLOURS = {"sa1997": "#0072B2", "essay2005": "#C25100", "public record": "#000000"}

#: The same colours keyed by the ``source`` column of the derived tables.
SOURCE_COLOURS = {
    "sa1997 (claim)": READING_COLOURS["sa1997"],
    "essay2005 (claim)": READING_COLOURS["essay2005"],
    "public record": READING_COLOURS["public record"],
}

#: Colour for marks the reader should notice (e.g. years above a ceiling); always paired with a
#: shape or size, never the only sign.
HIGHLIGHT = "#6644FF"
#: Colour for secondary marks the reader still needs (a ceiling line): 4.5:1 on white.
MUTED = "#707070"
#: Colour for decoration only (shaded bands behind the data, drawn with ``aria=False``).
SHADE = "#999999"
#: Colour of secondary text (subtitles, notes): 4.5:1 or more on white.
TEXT_MUTED = "#555555"

FONT = "Helvetica, Arial, sans-serif"
THEME_NAME = "workbook"


@alt.theme.register(THEME_NAME, enable=True)
def workbook_theme() -> alt.theme.ThemeConfig:
    """The workbook's look: colours that stand out on white, larger text, a title on the left."""
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
            # Vega's default tick and domain grey (#888) is 3.5:1; darker, so axes read at a glance.
            "axis": {
                "labelFontSize": 12,
                "titleFontSize": 13,
                "labelLimit": 420,
                "domainColor": "#707070",
                "tickColor": "#707070",
            },
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


#: Outline patterns for bars told apart by a category: solid, dashed, dotted, dash-dot, long dash...
#: Paired with the colour, so no series is told by colour alone (WCAG 1.4.1).
DASHES = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [12, 4], [4, 2, 1, 2], [1, 3]]


def outlined(field: str, title: str, colour: alt.Color) -> dict:
    """Encodings for bars coloured by ``field``: the colour plus a black outline whose dashes differ.

    Use with ``mark_bar(stroke="black", strokeWidth=1.5)``; colour and dashes share one legend.
    """
    return {
        "color": colour,
        "strokeDash": alt.StrokeDash(f"{field}:N", title=title, scale=alt.Scale(range=DASHES)),
    }
