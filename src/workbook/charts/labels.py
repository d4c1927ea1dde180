"""Placing names beside points on a map so that no two names, and no name and point, overlap.
"""

from __future__ import annotations

import pandas as pd


def _overlaps(box, boxes) -> bool:
    left, top, right, bottom = box
    return any(left < r and l < right and top < b and t < bottom for l, t, r, b in boxes)


def place_labels(shown: pd.DataFrame, box, width: int) -> pd.DataFrame:
    """Put each name beside its point where it hits no other name or point (else leave it off).

    The chosen place is placed first.  Text width is estimated from the number of letters.
    Returns the rows that got a label, with ``label_longitude``, ``label_latitude`` and ``align``.
    """
    west, east, south, north = box
    per_degree = width / (east - west)  # pixels per degree in this projection
    pixels = {i: ((row["longitude"] - west) * per_degree, (north - row["latitude"]) * per_degree)
              for i, row in shown.iterrows()}
    taken = [(x - 5, y - 5, x + 5, y + 5) for x, y in pixels.values()]
    spots = [(8, 0, "left"), (-8, 0, "right"), (8, -11, "left"), (8, 11, "left"), (-8, -11, "right"),
             (-8, 11, "right")]
    rows = []
    for i, row in shown.sort_values("chosen", ascending=False).iterrows():
        size = 15 if row["chosen"] else 10
        text_width, (x, y) = 0.6 * size * len(str(row["name"])), pixels[i]
        # the chosen place always gets a label: on the map if any spot fits, else the first spot
        tries = spots + ([spots[0] + (True,)] if row["chosen"] else [])
        for dx, dy, align, *forced in tries:
            left = x + dx if align == "left" else x + dx - text_width
            label_box = (left, y + dy - size / 2, left + text_width, y + dy + size / 2)
            on_map = label_box[0] >= 0 and label_box[2] <= width and label_box[1] >= 0
            if forced or (on_map and (row["chosen"] or not _overlaps(label_box, taken))):
                taken.append(label_box)
                rows.append({**row.to_dict(), "align": align, "label_longitude": row["longitude"] + dx / per_degree,
                             "label_latitude": row["latitude"] - dy / per_degree})
                break
    return pd.DataFrame(rows, columns=list(shown.columns) + ["align", "label_longitude", "label_latitude"])


