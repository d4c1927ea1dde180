"""Charts for the workbook, drawn with Altair.

Every chart here follows the same rules, so a student can trust (and copy) them:

* colours come from the workbook's palette (Okabe-Ito's blue and vermillion, and colours chosen
  to stand out on white and to stay apart for people with colour-blindness); a series is never
  told by colour alone (a shape, an outline or a label goes with it);
* the title says what the chart shows and the subtitle says where the numbers come from
  ("Source: ..."); a ``description`` is read out by screen readers;
* hovering over a mark shows its ``citation``, so every figure can be traced to a reading
  paragraph or a public record.

Each builder takes its table as ``data`` (or loads it for you) and returns an Altair chart:
``charts.spending_chart()``, ``charts.timeline()``, ``charts.bar(df, "topic", "count", ...)``.
``charts.BUILDERS`` lists the builders that draw a workbook table.

Where things are: ``theme`` (colours), ``helpers`` (what every chart shares: ``finish``,
``plain``), one module per kind of chart (``timeline``, ``claims_vs_record``, ``places``,
``claim_counts``, ``bar``), ``offline`` (drawing in Jupyter with no internet), ``shared_bundle`` (one copy of
the Vega bundle per page for all chart widgets), ``static`` (the saved picture that stands in
for a chart after the notebook is reopened) and ``speedups``
(optional patches that make Altair quicker, kept apart and switched off by
``WORKBOOK_NO_SPEEDUPS=1``).  Importing this package switches Altair to the workbook's theme (so a
chart looks the same in a script, a saved picture and a notebook); the offline renderer and the
DataFrame display are set up by the kernel extension, ``workbook.kernel``, not by this import.
"""

from __future__ import annotations

from . import speedups

alt = speedups.import_altair()  # first, so the quick import applies whoever imports the charts
speedups.install()

from . import (  # noqa: E402 - after Altair's quick import above
    data_table,  # noqa: F401 - `charts.data_table`: the "Show the data" tables and the DataFrame box
    places,  # noqa: F401 - `charts.places.land_features` and friends, for the tests and the curious
    static,  # noqa: F401 - the saved pictures (`charts.static`)
)
from .bar import bar  # noqa: E402 - after Altair's quick import above
from .claim_counts import claim_counts, claims_by_topic, count_claims, hedges_chart  # noqa: E402
from .claims_vs_record import (  # noqa: E402
    FOR_TABLE,
    compensation_chart,
    fuel_chart,
    personnel_chart,
    spending_chart,
    with_view,
)
from .data_table import table_html  # noqa: E402
from .helpers import (  # noqa: E402
    finish,
    format_number,
    inline_data,
    is_number_column,
    placeholder,
    plain,
    require,
    to_svg,
)
from .offline import in_kernel, live, offline_bundle, show_with_picture, use_offline_renderer  # noqa: E402
from .places import REGIONS, places_map  # noqa: E402
from .theme import (  # noqa: E402
    HIGHLIGHT,
    MUTED,
    PALETTE,
    READING_COLOURS,
    SOURCE_COLOURS,
    THEME_NAME,
    colour_scale,
    workbook_theme,
)
from .timeline import timeline  # noqa: E402

#: Every builder that draws one of the workbook's tables with no arguments, by name.
#: Tests draw each of these; a new chart added here is tested like the rest.
BUILDERS = {
    "timeline": timeline,
    "spending_chart": spending_chart,
    "personnel_chart": personnel_chart,
    "fuel_chart": fuel_chart,
    "compensation_chart": compensation_chart,
    "places_map": places_map,
    "claims_by_topic": claims_by_topic,
    "hedges_chart": hedges_chart,
}

__all__ = [
    *BUILDERS,
    "BUILDERS",
    "FOR_TABLE",
    "bar",
    "claim_counts",
    "count_claims",
    "finish",
    "plain",
    "inline_data",
    "require",
    "with_view",
    "table_html",
    "format_number",
    "is_number_column",
    "placeholder",
    "to_svg",
    "live",
    "offline_bundle",
    "use_offline_renderer",
    "show_with_picture",
    "in_kernel",
    "colour_scale",
    "workbook_theme",
    "PALETTE",
    "READING_COLOURS",
    "SOURCE_COLOURS",
    "HIGHLIGHT",
    "MUTED",
    "THEME_NAME",
    "REGIONS",
    "alt",
]

# In a kernel where the workbook is set up (workbook.kernel), charts draw offline from here on;
# in a script this does nothing.
from .. import kernel as _kernel  # noqa: E402

_kernel.charts_imported()
