"""Placing labels where they cover nothing: names beside points on a map, notes beside lines.

Text width is estimated from the number of letters (0.6 x the font size each, a little more
than Helvetica's average, so the estimate errs on the side of room).
"""

from __future__ import annotations


def _overlaps(box, boxes) -> bool:
    left, top, right, bottom = box
    return any(left < r and l < right and top < b and t < bottom for l, t, r, b in boxes)  # noqa: E741 - left, top, right, bottom


#: Spots beside a point for its name: (dx, dy, align), in pixels from the point, nearest first.
SPOTS = [
    (8, 0, "left"),
    (-8, 0, "right"),
    (8, -11, "left"),
    (8, 11, "left"),
    (-8, -11, "right"),
    (-8, 11, "right"),
]
#: The chosen place is circled: the ring's area (px^2, as Vega sizes a symbol) and line width.
RING_SIZE, RING_WIDTH = 450, 2.5
#: Half the width of the box around the ring (its radius and half its line, rounded up).
RING = 12
#: Spots for the chosen place's (larger) name, outside its ring; the farther ones are tried
#: before the name may cover a neighbour.
CHOSEN_SPOTS = [
    (14, 0, "left"),
    (-14, 0, "right"),
    (12, -16, "left"),
    (12, 16, "left"),
    (-12, -16, "right"),
    (-12, 16, "right"),
]
FARTHER = [(16, -26, "left"), (-16, -26, "right"), (16, 26, "left"), (-16, 26, "right"), (24, 0, "left")]


def layout_names(points, chosen, box, width: int, obstacles=()) -> dict:
    """Where each name goes beside its point on a map, hitting no other name, point or obstacle.

    ``points`` are (key, name, longitude, latitude); ``chosen`` is the key of the place drawn
    circled (its name larger, placed first, outside the ring; it always gets a label), or None.  ``box`` is the
    map's (west, east, south, north) drawn ``width`` pixels wide; ``obstacles`` are pixel boxes
    (left, top, right, bottom) no name may cover.  Returns {key: (label_longitude,
    label_latitude, align)}; a name that fits nowhere is left out (hover over its point).
    """
    west, east, south, north = box
    per_degree = width / (east - west)  # pixels per degree in this projection
    height = (north - south) * per_degree
    pixels = {key: ((lon - west) * per_degree, (north - lat) * per_degree) for key, _, lon, lat in points}
    # a point's half-width (area 60 px^2, about 4 px from its centre, and a pixel of room); the
    # chosen one's ring
    taken = list(obstacles)
    for key, (x, y) in pixels.items():
        half = RING if key == chosen else 5
        taken.append((x - half, y - half, x + half, y + half))
    placed = {}
    for key, name, lon, lat in sorted(points, key=lambda p: p[0] != chosen):  # the chosen first
        size = 15 if key == chosen else 10
        text_width, (x, y) = 0.6 * size * len(str(name)), pixels[key]
        # the chosen place always gets a label: a free spot (near, then a little farther), else
        # any spot on the map, else the first spot
        tries = [(*spot, "free") for spot in SPOTS]
        if key == chosen:
            tries = [(*spot, "free") for spot in CHOSEN_SPOTS + FARTHER]
            tries += [(*spot, "any") for spot in CHOSEN_SPOTS] + [(*CHOSEN_SPOTS[0], "forced")]
        for dx, dy, align, mode in tries:
            left = x + dx if align == "left" else x + dx - text_width
            label_box = (left, y + dy - size / 2, left + text_width, y + dy + size / 2)
            on_map = (
                label_box[0] >= 0 and label_box[2] <= width and label_box[1] >= 0 and label_box[3] <= height
            )
            if mode == "forced" or (on_map and (mode == "any" or not _overlaps(label_box, taken))):
                taken.append(label_box)
                placed[key] = (lon + dx / per_degree, lat - dy / per_degree, align)
                break
    return placed


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
