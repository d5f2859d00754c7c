"""Units as the territory's actors count (issue 21, point 3): hectolitres of wine and lees, bales of straw, meals,
animal places — each read as people write it, each compared only with what it can be converted to."""

from __future__ import annotations

from datetime import date

import pytest
from matching.engine import Engine
from matching.engine.model import ListingInput
from matching.engine.quantities import UNITS as ENGINE_UNITS
from matching.engine.quantities import coverage, yearly_flow
from matching.knowledge import Knowledge
from reporting.indicators import M3_PER_UNIT

from shared.units import UNITS, normalise_unit, quantity_text


def test_every_unit_a_listing_may_use_is_one_the_engine_can_weigh() -> None:
    assert set(UNITS) == set(ENGINE_UNITS)


@pytest.mark.parametrize(
    ("typed", "code"),
    [("hL", "hl"), ("hectolitres", "hl"), ("bottes", "bale"), ("repas", "meal"), ("places", "animal_place")],
)
def test_units_are_read_as_people_write_them(typed: str, code: str) -> None:
    assert normalise_unit(typed) == code


def test_hectolitres_are_litres_and_bales_only_bales() -> None:
    assert coverage(yearly_flow(40, "hl", "yearly"), yearly_flow(8000, "l", "yearly")) == pytest.approx(0.5)
    assert coverage(yearly_flow(200, "bale", "yearly"), yearly_flow(100, "unit", "yearly")) is None
    assert quantity_text(120, "bale", "yearly") == "120 bottes par an"
    assert M3_PER_UNIT["hl"] == pytest.approx(0.1)


def test_lees_in_hectolitres_meet_a_distillery_counting_in_litres() -> None:
    engine = Engine(Knowledge.load(), today=date(2026, 12, 7))
    engine.upsert(
        ListingInput(
            listing_id="need",
            organisation_id="distillerie",
            kind="need",
            title="Lies de vin pour distillation",
            quantity_value=8000,
            quantity_unit="l",
            frequency="yearly",
            lat=47.18,
            lon=3.02,
            commune="La Charité-sur-Loire",
        )
    )
    [proposal] = engine.upsert(
        ListingInput(
            listing_id="offer",
            organisation_id="domaine",
            kind="offer",
            title="Lies de vin",
            quantity_value=40,
            quantity_unit="hl",
            frequency="yearly",
            lat=47.21,
            lon=2.98,
            commune="Pouilly-sur-Loire",
        )
    )
    assert "couvrirait environ la moitié du besoin" in proposal.explanations["need"]  # 40 hL of the 8 000 L asked
