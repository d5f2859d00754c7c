"""Quantities normalised for comparison: kilograms, kWh, units or hours, per year."""

from __future__ import annotations

from dataclasses import dataclass

from shared.units import RATE_HOURS_PER_YEAR, RATE_UNITS

# unit → (dimension, factor to the dimension's base unit); a rate's base is per hour (kW: kWh per hour)
UNITS: dict[str, tuple[str, float]] = {
    "kg": ("mass", 1.0),
    "t": ("mass", 1000.0),
    "kwh": ("energy", 1.0),
    "mwh": ("energy", 1000.0),
    "l": ("volume", 0.001),
    "hl": ("volume", 0.1),
    "m3": ("volume", 1.0),
    "nm3": ("volume", 1.0),  # base: m3
    "m2": ("area", 1.0),
    "unit": ("count", 1.0),
    "pallet": ("count", 1.0),
    # counted things of their own: bales only compare with bales, meals with meals, animal places with places
    "bale": ("bale", 1.0),
    "meal": ("meal", 1.0),
    "animal_place": ("animal_place", 1.0),
    "hour": ("time", 1.0),
    "day": ("time", 8.0),
    "kw": ("energy", 1.0),
    "mw": ("energy", 1000.0),
    "m3h": ("volume", 1.0),
    "th": ("mass", 1000.0),
}
# A seasonal amount comes once a year; a rate's hours come from shared.units.RATE_HOURS_PER_YEAR.
PER_YEAR = {
    "daily": 365.0,
    "weekly": 52.0,
    "monthly": 12.0,
    "yearly": 1.0,
    "once": 1.0,
    "seasonal": 1.0,
    "continuous": 1.0,
    None: 1.0,
}
TOO_SMALL = 0.05  # an offer covering less than 5 % of a need is no answer to it…
# …unless it is a steady supply of its own: a tonne a month or more fills a recycler's, a digester's or a
# refiner's regular pickup, however large its intake (smaller producers gain from a shared collection).
STEADY_SUPPLY_KG_PER_YEAR = 12_000


@dataclass(frozen=True)
class Flow:
    """An amount per year in a base unit of one dimension."""

    amount: float
    dimension: str


def yearly_flow(
    value: float | None, unit: str | None, frequency: str | None, density_kg_m3: float | None = None
) -> Flow | None:
    """`2 t monthly` → 24,000 kg/year, `500 kW` continuous → 4.38 GWh/year; a volume becomes a mass when
    the resource's density is known."""
    if value is None or unit not in UNITS:
        return None
    dimension, factor = UNITS[unit]
    amount = value * factor
    if unit in RATE_UNITS:
        return _as_mass(amount * RATE_HOURS_PER_YEAR.get(frequency, 8760.0), dimension, density_kg_m3)
    return _as_mass(amount * PER_YEAR.get(frequency, 1.0), dimension, density_kg_m3)


def _as_mass(amount: float, dimension: str, density_kg_m3: float | None) -> Flow:
    if dimension == "volume" and density_kg_m3:
        dimension, amount = "mass", amount * density_kg_m3
    return Flow(amount, dimension)


def coverage(supply: Flow | None, demand: Flow | None) -> float | None:
    """Share of the demand the supply covers (capped at 1), or None when not comparable."""
    if supply is None or demand is None or supply.dimension != demand.dimension or demand.amount <= 0:
        return None
    return min(1.0, supply.amount / demand.amount)


def too_small(supply: Flow | None, demand: Flow | None) -> bool:
    """The supply is no answer to the demand: under 5 % of it, and not a steady supply of its own."""
    share = coverage(supply, demand)
    if share is None or share >= TOO_SMALL:
        return False
    return not (supply is not None and supply.dimension == "mass" and supply.amount >= STEADY_SUPPLY_KG_PER_YEAR)
