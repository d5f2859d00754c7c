"""Flows as industry states them (rates, daily, continuous, seasonal) and stated qualities, in the engine."""

from __future__ import annotations

from datetime import date

import pytest
from matching.engine import Engine
from matching.engine.model import ListingInput
from matching.engine.quantities import coverage, yearly_flow
from matching.knowledge import Knowledge

TODAY = date(2026, 12, 2)
LE_PUY = (45.0437, 3.8852)
ESPALY = (45.0479, 3.8656)  # 1.6 km away


def listing(listing_id: str, kind: str, title: str, at: tuple[float, float] = LE_PUY, **fields: object) -> ListingInput:
    values: dict = {
        "listing_id": listing_id,
        "organisation_id": f"org-{listing_id}",
        "kind": kind,
        "title": title,
        "lat": at[0],
        "lon": at[1],
        **fields,
    }
    return ListingInput(**values)


@pytest.mark.parametrize(
    ("value", "unit", "frequency", "amount", "dimension"),
    [
        (500, "kw", "continuous", 500 * 8760, "energy"),  # all year round
        (500, "kw", None, 500 * 8760, "energy"),
        (2, "mw", "seasonal", 2000 * 4380, "energy"),  # about six months
        (3, "m3h", "continuous", 3 * 8760, "volume"),
        (1.5, "th", "continuous", 1500 * 8760, "mass"),
        (200, "kg", "daily", 200 * 365, "mass"),
        (40, "t", "seasonal", 40_000, "mass"),  # a seasonal amount comes once a year
        (1000, "nm3", "monthly", 12_000, "volume"),
    ],
)
def test_rates_and_new_frequencies_become_yearly_flows(
    value: float, unit: str, frequency: str | None, amount: float, dimension: str
) -> None:
    flow = yearly_flow(value, unit, frequency)
    assert flow is not None and flow.dimension == dimension and flow.amount == pytest.approx(amount)


def test_a_continuous_heat_offer_covers_a_seasonal_need_in_kilowatts() -> None:
    offered, needed = yearly_flow(500, "kw", "continuous"), yearly_flow(200, "kw", "seasonal")
    assert coverage(offered, needed) == 1.0
    assert coverage(yearly_flow(100, "kw", "continuous"), yearly_flow(1, "mw", "continuous")) == pytest.approx(0.1)


def test_a_stated_temperature_settles_the_heat_conditions_and_the_need_s_minimum() -> None:
    engine = Engine(Knowledge.load(), today=TODAY)
    engine.upsert(
        listing(
            "greenhouse",
            "need",
            "Chauffage de serres",
            ESPALY,
            quantity_value=200,
            quantity_unit="kw",
            frequency="seasonal",
            temperature_c=45,
        )
    )
    engine.upsert(
        listing(
            "process",
            "need",
            "Chaleur de procédé",
            ESPALY,
            quantity_value=200,
            quantity_unit="kw",
            frequency="continuous",
            temperature_c=90,
        )
    )
    [proposal] = engine.upsert(
        listing(
            "compressors",
            "offer",
            "Chaleur fatale de compresseurs",
            quantity_value=500,
            quantity_unit="kw",
            frequency="continuous",
            temperature_c=60,
        )
    )
    assert proposal.listing_ids == ("compressors", "greenhouse")  # 60 °C is too cold for a 90 °C process
    assert "Qualité : 60 °C pour 45 °C demandés" in proposal.explanation
    assert "à au moins 30 °C" not in proposal.explanation  # the field says it: nothing left to check


@pytest.mark.parametrize(
    ("offered", "required", "proposed", "said"),
    [
        ({"moisture_percent": 25}, {"moisture_percent": 30}, True, "Qualité : humidité 25 % pour 30 % au plus"),
        ({"moisture_percent": 45}, {"moisture_percent": 30}, False, ""),
        ({}, {"moisture_percent": 30}, True, "À vérifier : humidité au plus 30 %"),
        ({"purity_percent": 98}, {"purity_percent": 99.5}, False, ""),
        ({"pressure_bar": 12}, {"pressure_bar": 8}, True, "Qualité : pression 12 bar pour 8 bar au moins"),
        ({"pressure_bar": 3}, {"pressure_bar": 8}, False, ""),
    ],
)
def test_a_need_s_stated_quality_refuses_what_fails_it_and_names_what_to_check(
    offered: dict, required: dict, proposed: bool, said: str
) -> None:
    engine = Engine(Knowledge.load(), today=TODAY)
    engine.upsert(listing("boiler", "need", "Plaquettes de bois pour chaudière", ESPALY, **required))
    found = engine.upsert(listing("chips", "offer", "Plaquettes de bois", **offered))
    assert bool(found) is proposed
    if proposed:
        assert said in found[0].explanation
