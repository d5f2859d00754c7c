"""Geometry of the dashboard's charts and map, drawn as inline SVG by the templates.

Pure Python (no framework): this module only places things in a viewBox — bars, columns,
axis ticks, map points — and leaves labels and numbers to the caller, already formatted.
The templates (`templates/pages/_figures.html`) turn these shapes into SVG elements, so the
pages need no JavaScript and the same drawing goes into the PDF.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

# ---------------------------------------------------------------------------------------------
# Horizontal bars (funnel, synergies by stage)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HBar:
    label: str
    value_text: str           # shown at the end of the bar
    note: str                 # shown after it (e.g. a conversion rate), may be empty
    y: float                  # top of the label line
    bar_y: float
    width: float
    height: float


@dataclass(frozen=True)
class HBarChart:
    width: float
    height: float
    left: float
    bars: list[HBar]


def hbars(items: Sequence[tuple[str, float, str, str]], *, width: float = 320.0, bar_height: float = 14.0,
          label_height: float = 17.0, gap: float = 10.0, value_room: float = 110.0) -> HBarChart:
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
        bars.append(HBar(label=label, value_text=value_text, note=note, y=y + label_height - 4.0,
                         bar_y=y + label_height, width=max(length, 0.0), height=bar_height))
        y += label_height + bar_height + gap
    return HBarChart(width=width, height=y - gap + top, left=0.0, bars=bars)


# ---------------------------------------------------------------------------------------------
# Columns over time (monthly series)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str                # x-axis label (may be empty: not every month is labelled)
    title: str                # full label and value, for the tooltip
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
            return factor * magnitude
    return 10.0 * magnitude


def columns(points: Sequence[tuple[str, str, float]], *, tick_text: Callable[[float], str] = str,
            width: float = 380.0, height: float = 200.0, left: float = 42.0, right: float = 4.0,
            top: float = 8.0, bottom: float = 24.0, max_labels: int = 12) -> ColumnChart:
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
        cols.append(Column(label=label if index % every == 0 else "", title=title, x=left + index * slot + slot * 0.15,
                           y=y, width=slot * 0.7, height=abs(y_of(v) - zero_y), negative=v < 0))
    return ColumnChart(width=width, height=height, left=left, right=width - right, top=plot_top, bottom=plot_bottom,
                       zero_y=zero_y, label_y=height - bottom + 15.0, columns=cols, ticks=ticks)


# ---------------------------------------------------------------------------------------------
# Map: communes and markers, equirectangular projection
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float
    title: str
    kind: str                 # "commune", "actor", "gisement"
    label: str = ""           # shown next to the point (communes hosting markers)


@dataclass(frozen=True)
class MapChart:
    width: float
    height: float
    communes: list[MapPoint]
    markers: list[MapPoint] = field(default_factory=list)


class Projection:
    """Equirectangular projection with the cos(latitude) correction, fitted to a viewBox.

    x = (lon − lon₀)·cos(lat₀), y = −(lat − lat₀), then scaled uniformly so that every point falls
    inside the box less `padding`, and centred. A single point (or points on a line) gets a
    minimum span so that it lands in the middle rather than on an edge.
    """

    MIN_SPAN_DEGREES = 0.05

    def __init__(self, coordinates: Sequence[tuple[float, float]], *, width: float = 360.0,
                 max_height: float = 340.0, min_height: float = 200.0, padding: float = 28.0):
        if not coordinates:
            coordinates = [(46.6, 2.4)]  # mainland France, so that an empty map still draws
        lats = [lat for lat, _ in coordinates]
        lons = [lon for _, lon in coordinates]
        self.lat0 = (min(lats) + max(lats)) / 2
        self.lon0 = (min(lons) + max(lons)) / 2
        self.cos = math.cos(math.radians(self.lat0))
        span_x = max((max(lons) - min(lons)) * self.cos, self.MIN_SPAN_DEGREES)
        span_y = max(max(lats) - min(lats), self.MIN_SPAN_DEGREES)
        inner_width = width - 2 * padding
        self.width = width
        self.height = min(max(inner_width * span_y / span_x + 2 * padding, min_height), max_height)
        inner_height = self.height - 2 * padding
        self.scale = min(inner_width / span_x, inner_height / span_y)

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        x = self.width / 2 + (lon - self.lon0) * self.cos * self.scale
        y = self.height / 2 - (lat - self.lat0) * self.scale
        return round(x, 2), round(y, 2)


def spread(x: float, y: float, index: int, count: int, radius: float = 9.0) -> tuple[float, float]:
    """Where the `index`-th of `count` markers sharing one commune goes: around it, not on top of each other."""
    if count <= 1:
        return x, y
    angle = 2 * math.pi * index / count - math.pi / 2
    return round(x + radius * math.cos(angle), 2), round(y + radius * math.sin(angle), 2)


def territory_map(communes: Sequence[tuple[str, str, float, float]],
                  markers: Sequence[tuple[str, str, str]], *, width: float = 360.0) -> MapChart:
    """Communes as (INSEE code, name, lat, lon); markers as (INSEE code of their commune, kind, title).

    Markers are placed at their commune; those of one commune are spread around it; a marker whose
    commune is not among `communes` is left out. Communes hosting a marker are labelled.
    """
    projection = Projection([(lat, lon) for _, _, lat, lon in communes], width=width)
    positions = {insee: (name, *projection(lat, lon)) for insee, name, lat, lon in communes}
    per_commune: dict[str, list[tuple[str, str]]] = {}
    for insee, kind, title in markers:
        if insee in positions:
            per_commune.setdefault(insee, []).append((kind, title))
    points = [MapPoint(x=x, y=y, title=name, kind="commune", label=name if insee in per_commune else "")
              for insee, (name, x, y) in positions.items()]
    placed = []
    for insee, items in per_commune.items():
        _, x, y = positions[insee]
        for index, (kind, title) in enumerate(items):
            mx, my = spread(x, y, index, len(items))
            placed.append(MapPoint(x=mx, y=my, title=title, kind=kind))
    return MapChart(width=projection.width, height=round(projection.height, 2), communes=points, markers=placed)
