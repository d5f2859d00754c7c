"""The first matching rule: complementary kinds, same resource, within both radii."""

from __future__ import annotations

import pytest
from matching.engine import Candidate, explain, fit, haversine_km, normalise_category

NUITS = (47.1368, 4.9490)
BEAUNE = (47.0260, 4.8400)  # about 15 km away


def listing(kind: str, *, org: str = "a", category: str | None = "carton", ewc: str | None = None,
            at: tuple[float, float] = NUITS, radius: float | None = None) -> Candidate:
    return Candidate(f"{kind}-{org}", org, kind, category, ewc, at[0], at[1], radius)


@pytest.mark.parametrize(("raw", "expected"), [
    ("Cartons", "carton"), ("Chutes de Cartons", "chute de carton"), ("  Déchets   verts ", "dechet vert"),
    ("Broyats", "broyat"), (None, None), ("", None),
])
def test_categories_are_normalised(raw: str | None, expected: str | None) -> None:
    assert normalise_category(raw) == expected


def test_offer_meets_need_of_same_category_within_radii() -> None:
    found = fit(listing("offer"), listing("need", org="b", at=BEAUNE))
    assert found is not None and found.shared_on == "category"
    assert found.distance_km == pytest.approx(15.0, abs=1.0)
    assert 0.5 < found.score < 1


def test_share_meets_pool_but_not_need() -> None:
    assert fit(listing("share"), listing("pool", org="b")) is not None
    assert fit(listing("share"), listing("need", org="b")) is None
    assert fit(listing("offer"), listing("offer", org="b")) is None


def test_same_organisation_never_matches_itself() -> None:
    assert fit(listing("offer"), listing("need")) is None


def test_distance_must_be_within_both_radii() -> None:
    assert fit(listing("offer", radius=10), listing("need", org="b", at=BEAUNE)) is None
    assert fit(listing("offer"), listing("need", org="b", at=BEAUNE, radius=10)) is None
    assert fit(listing("offer", radius=20), listing("need", org="b", at=BEAUNE, radius=20)) is not None


def test_ewc_code_matches_even_when_categories_differ() -> None:
    found = fit(listing("offer", category="papier", ewc="150101"), listing("need", org="b", category=None,
                                                                             ewc="150101"))
    assert found is not None and found.shared_on == "ewc"
    assert fit(listing("offer", category="papier"), listing("need", org="b", category="verre")) is None


def test_closer_is_better() -> None:
    near = fit(listing("offer"), listing("need", org="b", at=(47.14, 4.95)))
    far = fit(listing("offer"), listing("need", org="b", at=BEAUNE))
    assert near is not None and far is not None and near.score > far.score


def test_explanation_is_french_and_concrete() -> None:
    found = fit(listing("offer"), listing("need", org="b", at=BEAUNE))
    assert found is not None
    text = explain("Chutes de carton", "Carton de calage", found, "Beaune")
    assert text.startswith("« Chutes de carton » peut répondre à « Carton de calage » à 14,8 km")
    assert "(Beaune)" in text and "même catégorie" in text


def test_haversine_paris_lyon() -> None:
    assert haversine_km(48.8566, 2.3522, 45.7640, 4.8357) == pytest.approx(392, abs=3)
