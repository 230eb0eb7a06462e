"""Geometry for the small server-rendered SVG charts (sparklines, stacked bars). No Django."""

from __future__ import annotations

from collections.abc import Sequence


def sparkline_points(values: Sequence[float], *, width: int = 96, height: int = 24) -> str:
    """An SVG polyline `points` string, scaled so the largest value touches the top.

    An all-zero line sits on the bottom edge (a quiet service, not a missing one).
    """
    if not values:
        return ""
    top = max(values) or 1
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 1 - (height - 2) * v / top:.1f}" for i, v in enumerate(values)
    )


def sparkline_parts(
    values: Sequence[float], *, width: int = 96, height: int = 24
) -> tuple[str, str]:
    """The sparkline split in two: the finished hours, and the last segment into the current,
    still filling hour (drawn dashed, so a scaled-up partial hour is not read as a measurement).
    """
    points = sparkline_points(values, width=width, height=height).split(" ")
    if len(points) < 2:
        return " ".join(points), ""
    return " ".join(points[:-1]), " ".join(points[-2:])


def stacked_bars(
    columns: int, stacks: Sequence[Sequence[int]], *, width: int = 600, height: int = 160
) -> list[dict]:
    """Rectangles of a stacked bar chart: one bar per column, one segment per stack.

    Returns dicts with x, y, w, h (SVG units), the stack index `k` (for the colour) and the
    column `i`.
    """
    totals = [sum(stack[i] for stack in stacks) for i in range(columns)]
    top = max(totals, default=0) or 1
    bar = width / max(columns, 1)
    rects = []
    for i in range(columns):
        y = float(height)
        for k, stack in enumerate(stacks):
            h = height * stack[i] / top
            if h <= 0:
                continue
            y -= h
            rects.append({"x": round(i * bar, 1), "y": round(y, 1), "w": round(bar * 0.9, 1),
                          "h": round(h, 1), "k": k, "i": i})  # fmt: skip
    return rects


def axis_ticks(starts: Sequence, *, most: int = 5) -> list[dict]:
    """Labels under a bar chart of len(starts) columns: at most `most`, evenly spaced, each
    with its column's start and its centre as a percentage of the width."""
    n = len(starts)
    step = max(1, -(-n // most))  # ceiling division
    return [{"at": starts[i], "left": round(100 * (i + 0.45) / n, 2)} for i in range(0, n, step)]
