"""Maps without tiles (shared.maps): the projection, the territory's map, the map around an organisation."""

from __future__ import annotations

import math

import pytest

from shared import maps
from shared.geo import haversine_km


def test_projection_keeps_distances_true_east_west() -> None:
    # Beaune and Nuits-Saint-Georges, about 47° N: a degree of longitude is cos(47°) of a degree of latitude.
    beaune, nuits = (47.0260, 4.8400), (47.1380, 4.9490)
    project = maps.Projection([beaune, nuits], width=360, padding=20)
    (x1, y1), (x2, y2) = project(*beaune), project(*nuits)
    assert y2 < y1 and x2 > x1  # north is up, east is right
    ratio = (x2 - x1) / (y1 - y2)
    assert ratio == pytest.approx((4.9490 - 4.8400) * math.cos(math.radians(47.082)) / (47.1380 - 47.0260), rel=1e-3)
    for x, y in ((x1, y1), (x2, y2)):
        assert 20 - 1e-6 <= x <= 340 + 1e-6 and 20 - 1e-6 <= y <= project.height - 20 + 1e-6


def test_one_commune_sits_in_the_middle() -> None:
    project = maps.Projection([(47.0, 5.0)], width=360)
    assert project(47.0, 5.0) == (180.0, round(project.height / 2, 2))


def test_markers_placed_at_their_commune_and_spread() -> None:
    chart = maps.territory_map(
        [("21054", "Beaune", 47.026, 4.84), ("21464", "Nuits-Saint-Georges", 47.138, 4.949)],
        [
            ("21054", "actor", "Martin"),
            ("21054", "actor", "Bernard"),
            ("21464", "gisement", "Carton"),
            ("75056", "actor", "Hors du territoire"),
        ],
    )
    assert [m.title for m in chart.markers] == ["Martin", "Bernard", "Carton"]
    beaune = next(c for c in chart.communes if c.title == "Beaune")
    martin, bernard = chart.markers[:2]
    assert (martin.x, martin.y) != (bernard.x, bernard.y)
    assert math.dist((martin.x, martin.y), (beaune.x, beaune.y)) == pytest.approx(9.0, abs=0.02)
    assert {c.label for c in chart.communes} == {"Beaune", "Nuits-Saint-Georges"}


BEAUNE = (47.0260, 4.8400)


def test_around_a_place_the_search_circle_fills_the_box_and_distances_are_true() -> None:
    chart = maps.around_map(BEAUNE, 25, [(47.1380, 4.9490, "offer", "Carton", "1")])
    centre, [nuits] = chart.centre, chart.markers
    assert (centre.x, centre.y) == (pytest.approx(chart.width / 2, abs=0.01), pytest.approx(chart.height / 2, abs=0.01))
    assert chart.radius == pytest.approx(chart.width / 2 - 14, abs=0.05)  # the circle touches the padding
    # Nuits-Saint-Georges is 15 km from Beaune: at 15/25 of the radius from the centre.
    distance = math.dist((nuits.x, nuits.y), (centre.x, centre.y))
    assert distance / chart.radius == pytest.approx(haversine_km(*BEAUNE, 47.1380, 4.9490) / 25, rel=0.01)
    assert (nuits.label, nuits.kind, nuits.title) == ("1", "offer", "Carton")


def test_around_a_place_markers_of_one_commune_are_spread_and_none_falls_outside_the_circle() -> None:
    chart = maps.around_map(
        BEAUNE,
        10,
        [
            (47.1380, 4.9490, "offer", "Carton", "1"),
            (47.1380, 4.9490, "need", "Palettes", "2"),
            (47.3220, 5.0415, "offer", "Dijon, 36 km", "3"),
        ],
    )
    carton, palettes, dijon = chart.markers
    assert (carton.x, carton.y) != (palettes.x, palettes.y)
    assert math.dist((carton.x, carton.y), (palettes.x, palettes.y)) == pytest.approx(18.0, abs=0.05)
    assert math.dist((dijon.x, dijon.y), (chart.centre.x, chart.centre.y)) == pytest.approx(chart.radius, abs=0.05)
    assert [m.label for m in chart.markers] == ["1", "2", "3"]
