"""A line chart as SVG geometry: points in, a path and axis ticks out.

Drawn on the server because the pages' CSP allows no inline script and the app serves every asset itself;
the template turns this into an inline <svg> with presentation attributes only (no style=).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 760, 240
# Drawn for phones too, where 760 units squeezed into 360 pixels would shrink the labels past reading.
COMPACT_WIDTH, COMPACT_HEIGHT, COMPACT_X_LABELS = 360, 220, 3
LEFT, RIGHT, TOP, BOTTOM = 72, 40, 12, 28  # room for the y labels on the left, half an x label right, x labels below
Y_TICKS = 4
MAX_X_LABELS = 8


@dataclass(frozen=True)
class Tick:
    at: float  # x for the x axis, y for the y axis
    label: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    title: str  # "2026-03-01: $12.00", shown as the point's tooltip


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float  # the y of the axis line
    path: str
    dots: tuple[Dot, ...]
    y_ticks: tuple[Tick, ...]
    x_ticks: tuple[Tick, ...]


def nice_step(raw: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at least `raw`: axis steps people can read."""
    exponent = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * exponent * (1 + 1e-9):
            return factor * exponent
    return 10 * exponent


def axis_range(values: Sequence[float], whole: bool) -> tuple[float, float, float]:
    """Low, high and step of the y axis: always includes zero, ends on a step."""
    low, high = min(0.0, *values), max(0.0, *values)
    if high == low:
        high = low + 1
    step = nice_step((high - low) / Y_TICKS)
    if whole:
        step = max(step, 1.0)  # counts: no half-conversion gridlines
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def line_chart(points: Sequence[tuple[str, float]], value_text: Callable[[float], str], *, whole: bool = False,
               width: int = WIDTH, height: int = HEIGHT, max_x_labels: int = MAX_X_LABELS) -> LineChart | None:
    """Evenly spaced points (one per time bucket) joined by a line; None when there is nothing to draw."""
    if not points:
        return None
    values = [float(v) for _, v in points]
    low, high, step = axis_range(values, whole)
    right, bottom = width - RIGHT, height - BOTTOM

    def y_of(value: float) -> float:
        return round(bottom - (value - low) / (high - low) * (bottom - TOP), 1)

    def x_of(index: int) -> float:
        if len(points) == 1:
            return round((LEFT + right) / 2, 1)
        return round(LEFT + index * (right - LEFT) / (len(points) - 1), 1)

    dots = tuple(Dot(x_of(i), y_of(v), f"{label}: {value_text(v)}")
                 for i, ((label, _), v) in enumerate(zip(points, values)))
    path = " ".join(f"{'M' if i == 0 else 'L'}{d.x},{d.y}" for i, d in enumerate(dots))
    count = round((high - low) / step)
    y_ticks = tuple(Tick(y_of(low + i * step), value_text(low + i * step)) for i in range(count + 1))
    every = math.ceil(len(points) / max_x_labels)
    x_ticks = tuple(Tick(x_of(i), label) for i, (label, _) in enumerate(points) if i % every == 0)
    return LineChart(width, height, LEFT, right, TOP, bottom, path, dots, y_ticks, x_ticks)


def compact_line_chart(points: Sequence[tuple[str, float]], value_text: Callable[[float], str], *,
                       whole: bool = False) -> LineChart | None:
    """The same chart drawn for a phone's width: fewer x labels, so that they stay readable and apart."""
    return line_chart(points, value_text, whole=whole, width=COMPACT_WIDTH, height=COMPACT_HEIGHT,
                      max_x_labels=COMPACT_X_LABELS)
