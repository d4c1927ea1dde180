"""Placing labels where they cover nothing: names beside points on a map, notes beside lines.

Text width is estimated from the number of letters (0.6 x the font size each, a little more
than Helvetica's average, so the estimate errs on the side of room).
"""

from __future__ import annotations

import pandas as pd


def _overlaps(box, boxes) -> bool:
    left, top, right, bottom = box
    return any(left < r and l < right and top < b and t < bottom for l, t, r, b in boxes)  # noqa: E741 - left, top, right, bottom


#: More spots for the chosen place's (larger) name, tried before it may cover a neighbour.
FARTHER = [(10, -18, "left"), (-10, -18, "right"), (10, 18, "left"), (-10, 18, "right"), (14, 0, "left")]


def place_labels(shown: pd.DataFrame, box, width: int) -> pd.DataFrame:
    """Put each name beside its point where it hits no other name or point (else leave it off).

    The chosen place is placed first.  Text width is estimated from the number of letters.
    Returns the rows that got a label, with ``label_longitude``, ``label_latitude`` and ``align``.
    """
    west, east, south, north = box
    per_degree = width / (east - west)  # pixels per degree in this projection
    pixels = {
        i: ((row["longitude"] - west) * per_degree, (north - row["latitude"]) * per_degree)
        for i, row in shown.iterrows()
    }
    # a point's half-width: the chosen one is drawn larger (area 300 px^2, about 9 px from its centre)
    half = {i: 9 if row["chosen"] else 5 for i, row in shown.iterrows()}
    taken = [(x - half[i], y - half[i], x + half[i], y + half[i]) for i, (x, y) in pixels.items()]
    spots = [
        (8, 0, "left"),
        (-8, 0, "right"),
        (8, -11, "left"),
        (8, 11, "left"),
        (-8, -11, "right"),
        (-8, 11, "right"),
    ]
    rows = []
    for i, row in shown.sort_values("chosen", ascending=False).iterrows():
        size = 15 if row["chosen"] else 10
        text_width, (x, y) = 0.6 * size * len(str(row["name"])), pixels[i]
        # the chosen place always gets a label: a free spot (near, then a little farther), else
        # any spot on the map, else the first spot
        tries = [(*spot, "free") for spot in spots]
        if row["chosen"]:
            tries += [(*spot, "free") for spot in FARTHER]
            tries += [(*spot, "any") for spot in spots] + [(*spots[0], "forced")]
        for dx, dy, align, mode in tries:
            left = x + dx if align == "left" else x + dx - text_width
            label_box = (left, y + dy - size / 2, left + text_width, y + dy + size / 2)
            on_map = label_box[0] >= 0 and label_box[2] <= width and label_box[1] >= 0
            if mode == "forced" or (on_map and (mode == "any" or not _overlaps(label_box, taken))):
                taken.append(label_box)
                rows.append(
                    {
                        **row.to_dict(),
                        "align": align,
                        "label_longitude": row["longitude"] + dx / per_degree,
                        "label_latitude": row["latitude"] - dy / per_degree,
                    }
                )
                break
    return pd.DataFrame(rows, columns=list(shown.columns) + ["align", "label_longitude", "label_latitude"])


#: Estimated width of one letter, as a share of the font size.
LETTER = 0.6


def text_box(text: str, size: float, x: float, y: float, align: str = "left") -> tuple:
    """The (left, top, right, bottom) box of ``text`` whose top sits at ``y`` and which is aligned at ``x``."""
    width = LETTER * size * len(text)
    left = x if align == "left" else x - width if align == "right" else x - width / 2
    return (left, y, left + width, y + size * 1.2)


def segment_boxes(points, step: float = 6.0, pad: float = 2.0) -> list[tuple]:
    """A polyline through ``points`` (pixels) as small boxes along its length."""
    boxes = []
    for (x1, y1), (x2, y2) in zip(points, points[1:]):
        pieces = max(1, int(((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5 // step) + 1)
        for i in range(pieces):
            ax, ay = x1 + (x2 - x1) * i / pieces, y1 + (y2 - y1) * i / pieces
            bx, by = x1 + (x2 - x1) * (i + 1) / pieces, y1 + (y2 - y1) * (i + 1) / pieces
            boxes.append((min(ax, bx) - pad, min(ay, by) - pad, max(ax, bx) + pad, max(ay, by) + pad))
    return boxes


def free_spot(
    text: str, size: float, candidates, obstacles, width: float, height: float, align: str = "left"
) -> dict:
    """The first of ``candidates`` (x, top y) where ``text`` fits inside the plot and hits no obstacle.

    Returns {"x", "y", "box"}; when no candidate is free, the first one (a label is never dropped).
    """
    candidates = list(candidates)
    for x, y in candidates:
        box = text_box(text, size, x, y, align)
        inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
        if inside and not _overlaps(box, obstacles):
            return {"x": x, "y": y, "box": box}
    x, y = candidates[0]
    return {"x": x, "y": y, "box": text_box(text, size, x, y, align)}
