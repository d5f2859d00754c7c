"""Maps drawn as inline SVG without tiles: points placed in a viewBox by an equirectangular projection.

Pure Python (no framework), shared by reporting (the territory's map on the dashboard and in its PDF) and the
portal (what exists around an organisation). The templates turn these shapes into SVG elements; a collectivité's
network may block tile servers and CDNs, and the PDF needs none.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from shared.geo import KM_PER_DEGREE


@dataclass(frozen=True)
class MapPoint:
    x: float
    y: float
    title: str
    kind: str  # "commune", "actor", "gisement"
    label: str = ""  # shown next to the point (communes hosting markers)


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

    def __init__(
        self,
        coordinates: Sequence[tuple[float, float]],
        *,
        width: float = 360.0,
        max_height: float = 340.0,
        min_height: float = 200.0,
        padding: float = 28.0,
    ):
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


def territory_map(
    communes: Sequence[tuple[str, str, float, float]], markers: Sequence[tuple[str, str, str]], *, width: float = 360.0
) -> MapChart:
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
    points = [
        MapPoint(x=x, y=y, title=name, kind="commune", label=name if insee in per_commune else "")
        for insee, (name, x, y) in positions.items()
    ]
    placed = []
    for insee, items in per_commune.items():
        _, x, y = positions[insee]
        for index, (kind, title) in enumerate(items):
            mx, my = spread(x, y, index, len(items))
            placed.append(MapPoint(x=mx, y=my, title=title, kind=kind))
    return MapChart(width=projection.width, height=round(projection.height, 2), communes=points, markers=placed)


@dataclass(frozen=True)
class AroundChart:
    """Around one place: `centre` in the middle, the search radius as a circle, the markers labelled."""

    width: float
    height: float
    centre: MapPoint
    radius: float  # of the circle, in the viewBox's units
    markers: list[MapPoint]


def around_map(
    centre: tuple[float, float],
    radius_km: float,
    places: Sequence[tuple[float, float, str, str, str]],
    *,
    width: float = 360.0,
) -> AroundChart:
    """`centre` as (lat, lon); `places` as (lat, lon, kind, title, label), the label beside the marker (its number
    in the list the map goes with).

    The box fits the search circle; markers sharing a position are spread around it; one outside the circle (a
    rounding at its edge) is drawn on it."""
    lat0, lon0 = centre
    span_lat = radius_km / KM_PER_DEGREE
    span_lon = span_lat / max(math.cos(math.radians(lat0)), 0.01)
    projection = Projection(
        [(lat0 - span_lat, lon0 - span_lon), (lat0 + span_lat, lon0 + span_lon)],
        width=width,
        max_height=width,
        min_height=width,
        padding=14.0,
    )
    cx, cy = projection(lat0, lon0)
    radius = round(span_lat * projection.scale, 2)
    shared: dict[tuple[float, float], list[int]] = {}
    for index, (lat, lon, *_) in enumerate(places):
        shared.setdefault((lat, lon), []).append(index)
    markers: list[MapPoint] = []
    for index, (lat, lon, kind, title, label) in enumerate(places):
        x, y = projection(lat, lon)
        dx, dy = x - cx, y - cy
        if (reach := math.hypot(dx, dy)) > radius:
            x, y = round(cx + dx * radius / reach, 2), round(cy + dy * radius / reach, 2)
        together = shared[lat, lon]
        x, y = spread(x, y, together.index(index), len(together))
        markers.append(MapPoint(x=x, y=y, title=title, kind=kind, label=label))
    return AroundChart(
        width=projection.width,
        height=round(projection.height, 2),
        centre=MapPoint(x=cx, y=cy, title="", kind="centre"),
        radius=radius,
        markers=markers,
    )
