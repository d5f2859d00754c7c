"""Impact indicators of synergies: tonnes, trips, km, CO2e, euros and jobs, traced to flows and factors.

Pure domain code (standard library and `tomllib` only): the reporting service turns its records into
`Flow`s and calls `indicators(flows, start, end)` for a report period, or `annual(flow)` for one full
year of a synergy. Every emission factor comes from `factors.toml` next to this module, where each
value has a unit and a cited source; `load_factors()` validates that file and refuses it when a value
is missing, a source is unknown or a derived value does not match its parts.

The method (proration, conversions, what is and is not counted, the sources) is written down in
METHODOLOGY.md at the root of the repository; the French label of each indicator is in `LABELS_FR`.

Nothing is rounded here: a PDF or a page rounds for display. Nothing is dropped silently either: a
quantity that cannot be turned into tonnes names its flow in `Indicators.unconverted`, and a CO2e
that cannot be computed for want of a cited factor names its flow in `Indicators.missing_factors`.
"""

from __future__ import annotations

import calendar
import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "FACTORS_PATH",
    "LABELS_FR",
    "NISP_NAMES",
    "NUMERIC_FIELDS",
    "PERIODS",
    "SYNERGY_TYPES",
    "Change",
    "Factors",
    "FactorsError",
    "Flow",
    "Fuel",
    "Indicators",
    "Material",
    "Source",
    "Transport",
    "Vehicle",
    "annual",
    "compare",
    "default_factors",
    "indicators",
    "load_factors",
    "months_between",
    "total",
]

FACTORS_PATH = Path(__file__).with_name("factors.toml")

SYNERGY_TYPES = ("substitution", "mutualisation")
PERIODS = ("week", "month", "year", "once")
# How many times a recurring quantity happens in a year: 52 weeks, 12 months.
PER_YEAR = {"week": 52.0, "month": 12.0, "year": 1.0}
# Unit codes of shared/units.py that are a mass, with their value in tonnes.
MASS_UNITS = {"t": 1.0, "kg": 0.001}
# Units that become tonnes only through a density (t per unit given by the user, or a cited default).
DENSITY_UNITS = ("m3", "hl", "l", "m2", "unit", "pallet", "bale", "meal", "animal_place")
M3_PER_UNIT = {"m3": 1.0, "hl": 0.1, "l": 0.001}  # volumes a material's density (t per m3) converts
# Energy and time: never a mass, whatever density is given.
NOT_A_MASS = ("kwh", "mwh", "hour", "day")

_TOLERANCE = 1e-6  # relative, when checking a derived factor against its parts


# ---------------------------------------------------------------------------------------------
# Factors
# ---------------------------------------------------------------------------------------------


class FactorsError(ValueError):
    """factors.toml is incomplete or inconsistent; the message names the entry."""


@dataclass(frozen=True)
class Source:
    id: str
    name: str
    identifier: str
    year: int
    url: str
    status: str


@dataclass(frozen=True)
class Fuel:
    key: str
    label_fr: str
    kgco2e_per_l: float
    source: str


@dataclass(frozen=True)
class Vehicle:
    key: str
    label_fr: str
    kgco2e_per_km: float | None  # None: no cited factor, km counted but no CO2e
    fuel: str | None
    litres_per_km: float | None
    sources: tuple[str, ...]
    status: str | None


@dataclass(frozen=True)
class Material:
    key: str
    label_fr: str
    kgco2e_saved_per_t: float  # virgin − substitute
    virgin_kgco2e_per_t: float
    substitute_kgco2e_per_t: float
    virgin_row: str
    substitute_row: str
    source: str
    density_t_per_m3: float | None = None
    density_source: str | None = None


@dataclass(frozen=True)
class Factors:
    version: str
    sources: Mapping[str, Source]
    fuels: Mapping[str, Fuel]
    vehicles: Mapping[str, Vehicle]
    materials: Mapping[str, Material]


def load_factors(path: Path | str = FACTORS_PATH) -> Factors:
    """Read and validate a factors file (by default the one next to this module)."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError as e:
        raise FactorsError(f"{path}: file not found") from e
    except tomllib.TOMLDecodeError as e:
        raise FactorsError(f"{path.name}: invalid TOML: {e}") from e

    meta = _Entry("meta", doc.get("meta"))
    version = meta.text("version")
    sources = {key: _source(key, table) for key, table in _tables(doc, "sources").items()}
    if not sources:
        raise FactorsError("sources: at least one source is required")
    fuels = {key: _fuel(key, table, sources) for key, table in _tables(doc, "fuels").items()}
    vehicles = {key: _vehicle(key, table, sources, fuels) for key, table in _tables(doc, "vehicles").items()}
    materials = {key: _material(key, table, sources) for key, table in _tables(doc, "materials").items()}
    return Factors(version=version, sources=sources, fuels=fuels, vehicles=vehicles, materials=materials)


@cache
def default_factors() -> Factors:
    """The shipped factors.toml, read once."""
    return load_factors(FACTORS_PATH)


class _Entry:
    """Typed access to one TOML table, with errors that say where."""

    def __init__(self, where: str, table: Any):
        if not isinstance(table, Mapping):
            raise FactorsError(f"{where}: expected a table")
        self.where, self.table = where, table

    def has(self, key: str) -> bool:
        return key in self.table

    def text(self, key: str) -> str:
        value = self.table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise FactorsError(f"{self.where}: `{key}` must be a non-empty string")
        return value.strip()

    def number(self, key: str, *, positive: bool = True) -> float:
        value = self.table.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise FactorsError(f"{self.where}: `{key}` must be a number")
        if positive and value <= 0:
            raise FactorsError(f"{self.where}: `{key}` must be positive")
        return float(value)

    def unit(self, expected: str) -> None:
        if self.text("unit") != expected:
            raise FactorsError(f"{self.where}: `unit` must be {expected!r}")

    def source(self, key: str, sources: Mapping[str, Source]) -> str:
        ref = self.text(key)
        if ref not in sources:
            raise FactorsError(f"{self.where}: `{key}` names unknown source {ref!r}")
        return ref


def _tables(doc: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    tables = doc.get(name, {})
    if not isinstance(tables, Mapping):
        raise FactorsError(f"{name}: expected a table of tables")
    return tables


def _close(derived: float, stated: float) -> bool:
    return math.isclose(derived, stated, rel_tol=_TOLERANCE, abs_tol=1e-9)


def _source(key: str, table: Any) -> Source:
    e = _Entry(f"sources.{key}", table)
    year = table.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2100:
        raise FactorsError(f"sources.{key}: `year` must be a year")
    return Source(
        id=key,
        name=e.text("name"),
        identifier=e.text("identifier"),
        year=year,
        url=e.text("url"),
        status=e.text("status"),
    )


def _fuel(key: str, table: Any, sources: Mapping[str, Source]) -> Fuel:
    e = _Entry(f"fuels.{key}", table)
    e.unit("kgCO2e/l")
    value = e.number("value")
    parts = e.number("upstream", positive=False) + e.number("combustion", positive=False)
    if not _close(parts, value):
        raise FactorsError(f"fuels.{key}: upstream + combustion = {parts}, not `value` = {value}")
    e.text("row")
    return Fuel(key=key, label_fr=e.text("label_fr"), kgco2e_per_l=value, source=e.source("source", sources))


def _vehicle(key: str, table: Any, sources: Mapping[str, Source], fuels: Mapping[str, Fuel]) -> Vehicle:
    e = _Entry(f"vehicles.{key}", table)
    e.unit("kgCO2e/km")
    label = e.text("label_fr")
    if not e.has("value"):
        return Vehicle(
            key=key,
            label_fr=label,
            kgco2e_per_km=None,
            fuel=None,
            litres_per_km=None,
            sources=(),
            status=e.text("status"),
        )
    value = e.number("value")
    fuel_key = e.text("fuel")
    if fuel_key not in fuels:
        raise FactorsError(f"vehicles.{key}: `fuel` names unknown fuel {fuel_key!r}")
    litres = e.number("litres_per_km")
    derived = litres * fuels[fuel_key].kgco2e_per_l
    if not _close(derived, value):
        raise FactorsError(f"vehicles.{key}: litres_per_km × fuel = {derived}, not `value` = {value}")
    e.text("consumption_row")
    consumption_source = e.source("consumption_source", sources)
    return Vehicle(
        key=key,
        label_fr=label,
        kgco2e_per_km=value,
        fuel=fuel_key,
        litres_per_km=litres,
        sources=(consumption_source, fuels[fuel_key].source),
        status=table.get("status") if isinstance(table.get("status"), str) else None,
    )


def _material(key: str, table: Any, sources: Mapping[str, Source]) -> Material:
    e = _Entry(f"materials.{key}", table)
    e.unit("kgCO2e/t")
    virgin, substitute, value = e.number("virgin"), e.number("substitute"), e.number("value")
    if not _close(virgin - substitute, value):
        raise FactorsError(f"materials.{key}: virgin − substitute = {virgin - substitute}, not `value` = {value}")
    density = density_source = None
    if e.has("density_t_per_m3"):
        density = e.number("density_t_per_m3")
        density_source = e.source("density_source", sources)
    return Material(
        key=key,
        label_fr=e.text("label_fr"),
        kgco2e_saved_per_t=value,
        virgin_kgco2e_per_t=virgin,
        substitute_kgco2e_per_t=substitute,
        virgin_row=e.text("virgin_row"),
        substitute_row=e.text("substitute_row"),
        source=e.source("source", sources),
        density_t_per_m3=density,
        density_source=density_source,
    )


# ---------------------------------------------------------------------------------------------
# Flows
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transport:
    trips_per_month: float
    km_per_trip: float
    vehicle: str  # key in factors.toml [vehicles], e.g. "articulated_40t"

    def __post_init__(self) -> None:
        for name in ("trips_per_month", "km_per_trip"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"Transport.{name} must be a finite number ≥ 0, not {value!r}")

    @property
    def km_per_month(self) -> float:
        return self.trips_per_month * self.km_per_trip


@dataclass(frozen=True)
class Flow:
    synergy_id: str
    synergy_type: str  # "substitution" | "mutualisation"
    material: str | None  # key in factors.toml [materials], or None
    quantity: float  # per `period`
    unit: str  # shared.units code
    period: str  # "week" | "month" | "year" | "once"
    start: date
    end: date | None  # exclusive; None = still running
    transport_before: Transport | None = None
    transport_after: Transport | None = None
    disposal_cost_avoided_eur: float = 0.0  # per year (or in total, for a "once" flow)
    purchase_cost_avoided_eur: float = 0.0  # per year (or in total, for a "once" flow)
    shared_cost_saving_eur: float = 0.0  # per year, mutualisation (or in total, for a "once" flow)
    jobs: float = 0.0  # created or kept, not prorated
    diverted_from_disposal: bool = True  # the resource was waste going to landfill/incineration
    substitutes_virgin: bool = True  # it replaces a virgin material at the receiver
    density_t_per_unit: float | None = None  # tonnes per unit of `unit` (m3, l, m2, unit, pallet)

    def __post_init__(self) -> None:
        if self.synergy_type not in SYNERGY_TYPES:
            raise ValueError(
                f"{self.synergy_id}: synergy_type must be one of {SYNERGY_TYPES}, not {self.synergy_type!r}"
            )
        if self.period not in PERIODS:
            raise ValueError(f"{self.synergy_id}: period must be one of {PERIODS}, not {self.period!r}")
        if not math.isfinite(self.quantity) or self.quantity < 0:
            raise ValueError(f"{self.synergy_id}: quantity must be a finite number ≥ 0, not {self.quantity!r}")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"{self.synergy_id}: end {self.end} is before start {self.start}")
        if self.density_t_per_unit is not None and not (
            math.isfinite(self.density_t_per_unit) and self.density_t_per_unit > 0
        ):
            raise ValueError(f"{self.synergy_id}: density_t_per_unit must be positive")
        for name in ("disposal_cost_avoided_eur", "purchase_cost_avoided_eur", "shared_cost_saving_eur", "jobs"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{self.synergy_id}: {name} must be a finite number")


# ---------------------------------------------------------------------------------------------
# Indicators
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicators:
    """Figures of one flow or of a set of flows over a period. Units are in the field names."""

    tonnes_diverted: float = 0.0  # t diverted from landfill/incineration
    virgin_material_substituted_t: float = 0.0  # t of virgin material replaced (substitution only)
    truck_trips_avoided: float = 0.0  # trips before − trips after (may be negative)
    km_avoided: float = 0.0  # vehicle-km before − after (may be negative)
    co2e_transport_t: float = 0.0  # t CO2e, transport before − after
    co2e_materials_t: float = 0.0  # t CO2e, virgin material replaced
    co2e_total_t: float = 0.0  # transport + materials
    euros_disposal_avoided: float = 0.0
    euros_purchase_avoided: float = 0.0
    euros_shared_saving: float = 0.0
    euros_saved: float = 0.0  # disposal + purchase + shared
    jobs: float = 0.0  # created or kept
    flows_counted: int = 0
    unconverted: list[str] = field(default_factory=list)  # synergy ids whose quantity is not in tonnes
    missing_factors: list[str] = field(default_factory=list)  # synergy ids with a CO2e left out: no cited factor
    trace: list[dict[str, Any]] = field(default_factory=list)  # one dict per counted flow

    def __add__(self, other: Indicators) -> Indicators:
        if not isinstance(other, Indicators):
            return NotImplemented
        numbers: dict[str, Any] = {name: getattr(self, name) + getattr(other, name) for name in NUMERIC_FIELDS}
        numbers["flows_counted"] = self.flows_counted + other.flows_counted
        return Indicators(
            **numbers,
            unconverted=_unique([*self.unconverted, *other.unconverted]),
            missing_factors=_unique([*self.missing_factors, *other.missing_factors]),
            trace=[*self.trace, *other.trace],
        )

    def figures(self) -> dict[str, float]:
        """The numeric indicators by field name (what `compare` compares)."""
        return {name: getattr(self, name) for name in (*NUMERIC_FIELDS, "flows_counted")}


NUMERIC_FIELDS: tuple[str, ...] = tuple(
    f.name for f in fields(Indicators) if f.name not in ("flows_counted", "unconverted", "missing_factors", "trace")
)

# What the animateur reads in a report (French), by field.
LABELS_FR: dict[str, str] = {
    "tonnes_diverted": "Déchets détournés de l'élimination (t)",
    "virgin_material_substituted_t": "Matières premières vierges substituées (t)",
    "truck_trips_avoided": "Trajets de camions et utilitaires évités",
    "km_avoided": "Kilomètres parcourus évités (km)",
    "co2e_transport_t": "Émissions de GES évitées — transport (t CO2e)",
    "co2e_materials_t": "Émissions de GES évitées — matières substituées (t CO2e)",
    "co2e_total_t": "Émissions de gaz à effet de serre évitées (t CO2e)",
    "euros_disposal_avoided": "Coûts d'élimination des déchets évités (€)",
    "euros_purchase_avoided": "Achats de matières évités (€)",
    "euros_shared_saving": "Économies de mutualisation (€)",
    "euros_saved": "Économies réalisées (€)",
    "jobs": "Emplois créés ou maintenus",
    "flows_counted": "Synergies comptabilisées",
}

# The industrial-symbiosis indicator each field corresponds to (NISP, reused by CircLean), where one exists.
NISP_NAMES: dict[str, str] = {
    "tonnes_diverted": "landfill diversion (t)",
    "virgin_material_substituted_t": "virgin material saved (t)",
    "co2e_total_t": "CO2 reduction (t)",
    "euros_saved": "cost savings",
    "jobs": "jobs created / jobs safeguarded",
}


@dataclass(frozen=True)
class Change:
    current: float
    previous: float
    difference: float  # current − previous
    percent: float | None  # difference / |previous| × 100; None when previous is 0


def compare(current: Indicators, previous: Indicators) -> dict[str, Change]:
    """Period over period, per indicator: the difference and the % change (None when previous is 0).

    The % is taken on |previous| so that its sign always says whether the figure went up or down,
    also for figures that may be negative (km avoided by a synergy that adds transport).
    """
    now, before = current.figures(), previous.figures()
    changes = {}
    for name, value in now.items():
        old = before[name]
        difference = value - old
        changes[name] = Change(
            current=value,
            previous=old,
            difference=difference,
            percent=None if old == 0 else difference / abs(old) * 100.0,
        )
    return changes


def total(items: Iterable[Indicators]) -> Indicators:
    """The sum of several `Indicators` (an empty `Indicators` for none)."""
    result = Indicators()
    for item in items:
        result = result + item
    return result


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


# ---------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------


def months_between(start: date, end: date) -> float:
    """Calendar months in [start, end): whole months count 1, a part of a month its share of days.

    2025-01-01 → 2026-01-01 is exactly 12.0; 2025-01-16 → 2025-02-01 is 16/31.
    """
    months = 0.0
    day = start
    while day < end:
        next_month = date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)
        stop = min(next_month, end)
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        days = (stop - day).days
        months += 1.0 if days == days_in_month else days / days_in_month
        day = stop
    return months


# ---------------------------------------------------------------------------------------------
# Computation
# ---------------------------------------------------------------------------------------------


def indicators(flows: Iterable[Flow], start: date, end: date, *, factors: Factors | None = None) -> Indicators:
    """The indicators of `flows` over the report period [start, end).

    A recurring flow counts for the calendar months its own [start, end) shares with the period; a
    "once" flow counts in full when its start date falls in the period. Flows outside the period are
    not counted (and not traced).
    """
    if end <= start:
        raise ValueError(f"report period: end {end} must be after start {start}")
    factors = factors or default_factors()
    result = Indicators()
    for flow in flows:
        if flow.period == "once":
            if start <= flow.start < end:
                result = result + _measure(flow, factors, months=None, counted=(flow.start, flow.start))
            continue
        first = max(start, flow.start)
        last = end if flow.end is None else min(end, flow.end)
        if first >= last:
            continue
        result = result + _measure(flow, factors, months=months_between(first, last), counted=(first, last))
    return result


def annual(flow: Flow, *, factors: Factors | None = None) -> Indicators:
    """The flow's figures for one full year of operation (12 months), whatever its dates.

    A "once" flow gives its one-off figures.
    """
    factors = factors or default_factors()
    return _measure(flow, factors, months=None if flow.period == "once" else 12.0, counted=None)


def _measure(flow: Flow, factors: Factors, *, months: float | None, counted: tuple[date, date] | None) -> Indicators:
    """Figures of one flow for `months` calendar months of operation (None: a one-off flow, in full)."""
    if months is None:  # "once": everything counts one time
        year_share, quantity, transport_times = 1.0, flow.quantity, 1.0
    else:
        year_share = months / 12.0
        quantity = flow.quantity * PER_YEAR[flow.period] * year_share
        transport_times = months
    sources: set[str] = set()
    missing: list[str] = []

    # Tonnes
    per_unit, basis, unconverted_reason = _tonnes_per_unit(flow, factors, sources)
    tonnes = None if per_unit is None else quantity * per_unit
    diverted = tonnes if tonnes is not None and flow.diverted_from_disposal else 0.0
    substitutes = flow.synergy_type == "substitution" and flow.substitutes_virgin
    virgin = tonnes if tonnes is not None and substitutes else 0.0

    # Materials CO2e: virgin tonnes × (virgin − substitute factor)
    material = factors.materials.get(flow.material) if flow.material else None
    co2e_materials = 0.0
    if virgin:
        if material is None:
            missing.append(
                f"material {flow.material!r}: no cited substitution factor"
                if flow.material
                else "material not given: no substitution factor"
            )
        else:
            co2e_materials = virgin * material.kgco2e_saved_per_t / 1000.0
            sources.add(material.source)

    # Transport: before − after
    before, after = flow.transport_before, flow.transport_after
    trips = _trips(before) - _trips(after)
    km = _km(before) - _km(after)
    kg_per_month = 0.0
    vehicle_factors: dict[str, float | None] = {}
    transport_missing = False
    for sign, leg in ((1.0, before), (-1.0, after)):
        if leg is None or leg.km_per_month == 0:
            continue
        vehicle = factors.vehicles.get(leg.vehicle)
        if vehicle is None or vehicle.kgco2e_per_km is None:
            transport_missing = True
            missing.append(f"vehicle {leg.vehicle!r}: no cited emission factor")
            vehicle_factors[leg.vehicle] = None
            continue
        vehicle_factors[leg.vehicle] = vehicle.kgco2e_per_km
        sources.update(vehicle.sources)
        kg_per_month += sign * leg.km_per_month * vehicle.kgco2e_per_km
    # One leg without a factor would make the difference meaningless: no transport CO2e for the flow.
    co2e_transport = 0.0 if transport_missing else kg_per_month * transport_times / 1000.0
    trips_avoided, km_avoided = trips * transport_times, km * transport_times

    euros_disposal = flow.disposal_cost_avoided_eur * year_share
    euros_purchase = flow.purchase_cost_avoided_eur * year_share
    euros_shared = flow.shared_cost_saving_eur * year_share

    trace = {
        "synergy_id": flow.synergy_id,
        "synergy_type": flow.synergy_type,
        "material": flow.material,
        "quantity": flow.quantity,
        "unit": flow.unit,
        "period": flow.period,
        "flow_start": flow.start.isoformat(),
        "flow_end": None if flow.end is None else flow.end.isoformat(),
        "counted_from": None if counted is None else counted[0].isoformat(),
        "counted_to": None if counted is None else counted[1].isoformat(),
        "months": months,
        "year_share": year_share,
        "quantity_counted": quantity,
        "tonnes": tonnes,
        "tonnes_basis": basis,
        "unconverted_reason": unconverted_reason,
        "tonnes_diverted": diverted,
        "virgin_material_substituted_t": virgin,
        "material_factor": material.key if material and virgin else None,
        "material_kgco2e_saved_per_t": material.kgco2e_saved_per_t if material and virgin else None,
        "truck_trips_avoided": trips_avoided,
        "km_avoided": km_avoided,
        "vehicle_before": None if before is None else before.vehicle,
        "vehicle_after": None if after is None else after.vehicle,
        "vehicle_kgco2e_per_km": vehicle_factors,
        "co2e_transport_t": co2e_transport,
        "co2e_materials_t": co2e_materials,
        "co2e_total_t": co2e_transport + co2e_materials,
        "euros_disposal_avoided": euros_disposal,
        "euros_purchase_avoided": euros_purchase,
        "euros_shared_saving": euros_shared,
        "euros_saved": euros_disposal + euros_purchase + euros_shared,
        "jobs": flow.jobs,
        "missing_factors": missing,
        "sources": sorted(sources),
        "factors_version": factors.version,
    }
    return Indicators(
        tonnes_diverted=diverted,
        virgin_material_substituted_t=virgin,
        truck_trips_avoided=trips_avoided,
        km_avoided=km_avoided,
        co2e_transport_t=co2e_transport,
        co2e_materials_t=co2e_materials,
        co2e_total_t=co2e_transport + co2e_materials,
        euros_disposal_avoided=euros_disposal,
        euros_purchase_avoided=euros_purchase,
        euros_shared_saving=euros_shared,
        euros_saved=euros_disposal + euros_purchase + euros_shared,
        jobs=flow.jobs,
        flows_counted=1,
        unconverted=[] if unconverted_reason is None else [flow.synergy_id],
        missing_factors=[flow.synergy_id] if missing else [],
        trace=[trace],
    )


def _tonnes_per_unit(flow: Flow, factors: Factors, sources: set[str]) -> tuple[float | None, str | None, str | None]:
    """(tonnes per unit of the flow's quantity, how it was obtained, why not) for the flow's unit."""
    unit = flow.unit
    if unit in MASS_UNITS:
        return MASS_UNITS[unit], unit, None
    if unit in NOT_A_MASS:
        return None, None, f"{unit}: energy or time, not a mass"
    if unit not in DENSITY_UNITS:
        return None, None, f"unknown unit {unit!r}"
    if flow.density_t_per_unit is not None:
        return flow.density_t_per_unit, "density given with the flow", None
    material = factors.materials.get(flow.material) if flow.material else None
    if material is not None and material.density_t_per_m3 is not None and unit in M3_PER_UNIT:
        if material.density_source:
            sources.add(material.density_source)
        return material.density_t_per_m3 * M3_PER_UNIT[unit], f"default density of {material.key}", None
    return None, None, f"{unit} without a density"


def _trips(leg: Transport | None) -> float:
    return 0.0 if leg is None else leg.trips_per_month


def _km(leg: Transport | None) -> float:
    return 0.0 if leg is None else leg.km_per_month
