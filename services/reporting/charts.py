"""Geometry of the dashboard's charts, drawn as inline SVG by the templates (its map: `shared.maps`).

Pure Python (no framework): this module only places things in a viewBox — bars, columns,
axis ticks — and leaves labels and numbers to the caller, already formatted.
The templates (`templates/pages/_figures.html`) turn these shapes into SVG elements, so the
pages need no JavaScript and the same drawing goes into the PDF.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# ---------------------------------------------------------------------------------------------
# Horizontal bars (funnel, synergies by stage)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HBar:
    label: str
    value_text: str  # shown at the end of the bar
    note: str  # shown after it (e.g. a conversion rate), may be empty
    y: float  # top of the label line
    bar_y: float
    width: float
    height: float


@dataclass(frozen=True)
class HBarChart:
    width: float
    height: float
    left: float
    bars: list[HBar]


def hbars(
    items: Sequence[tuple[str, float, str, str]],
    *,
    width: float = 320.0,
    bar_height: float = 14.0,
    label_height: float = 17.0,
    gap: float = 10.0,
    value_room: float = 110.0,
) -> HBarChart:
    """One bar per (label, value, value text, note), its label on the line above, longest = full width.

    Negative values are drawn as empty bars (these charts count things); `value_room` is kept on
    the right for the value and note.
    """
    top = 4.0
    span = width - value_room
    biggest = max((value for _, value, _, _ in items), default=0.0)
    bars = []
    y = top
    for label, value, value_text, note in items:
        length = span * value / biggest if biggest > 0 and value > 0 else 0.0
        bars.append(
            HBar(
                label=label,
                value_text=value_text,
                note=note,
                y=y + label_height - 4.0,
                bar_y=y + label_height,
                width=max(length, 0.0),
                height=bar_height,
            )
        )
        y += label_height + bar_height + gap
    return HBarChart(width=width, height=y - gap + top, left=0.0, bars=bars)


# ---------------------------------------------------------------------------------------------
# Columns over time (monthly series)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str  # x-axis label (may be empty: not every month is labelled)
    title: str  # full label and value, for the tooltip
    x: float
    y: float
    width: float
    height: float
    negative: bool


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class ColumnChart:
    width: float
    height: float
    left: float
    right: float
    top: float
    bottom: float
    zero_y: float
    label_y: float
    columns: list[Column]
    ticks: list[Tick]


def nice_step(span: float, count: int = 4) -> float:
    """A round step (1, 2, 2.5 or 5 × 10ⁿ) giving about `count` intervals over `span`."""
    if span <= 0:
        return 1.0
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= factor * magnitude:
            return float(factor * magnitude)
    return float(10.0 * magnitude)


def columns(
    points: Sequence[tuple[str, str, float]],
    *,
    tick_text: Callable[[float], str] = str,
    width: float = 380.0,
    height: float = 200.0,
    left: float = 42.0,
    right: float = 4.0,
    top: float = 8.0,
    bottom: float = 24.0,
    max_labels: int = 12,
) -> ColumnChart:
    """Columns for (short label, tooltip title, value), with round ticks; negative values go below zero."""
    values = [value for _, _, value in points]
    high = max([0.0, *values])
    low = min([0.0, *values])
    step = nice_step(high - low)
    top_value = math.ceil(high / step) * step if high > 0 else 0.0
    bottom_value = math.floor(low / step) * step if low < 0 else 0.0
    if top_value == bottom_value:
        top_value = step
    plot_top, plot_bottom = top, height - bottom
    scale = (plot_bottom - plot_top) / (top_value - bottom_value)

    def y_of(value: float) -> float:
        return plot_bottom - (value - bottom_value) * scale

    zero_y = y_of(0.0)
    ticks = []
    value = bottom_value
    while value <= top_value + step / 2:
        ticks.append(Tick(y=y_of(value), text=tick_text(value)))
        value += step
    n = len(points)
    slot = (width - left - right) / n if n else 0.0
    every = max(1, math.ceil(n / max_labels))
    cols = []
    for index, (label, title, v) in enumerate(points):
        y = y_of(max(v, 0.0))
        cols.append(
            Column(
                label=label if index % every == 0 else "",
                title=title,
                x=left + index * slot + slot * 0.15,
                y=y,
                width=slot * 0.7,
                height=abs(y_of(v) - zero_y),
                negative=v < 0,
            )
        )
    return ColumnChart(
        width=width,
        height=height,
        left=left,
        right=width - right,
        top=plot_top,
        bottom=plot_bottom,
        zero_y=zero_y,
        label_y=height - bottom + 15.0,
        columns=cols,
        ticks=ticks,
    )
