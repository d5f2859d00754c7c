"""Impact indicators (services/reporting/indicators.py): every formula against figures worked by hand.

The arithmetic is written next to each expected figure. Factors used (factors.toml):
- articulated_40t: 0.338 l/km × 3.17 kgCO2e/l = 1.07146 kgCO2e/km
- rigid_19t:       0.270 × 3.17 = 0.8559 kgCO2e/km
- van_3_5t:        0.160 × 3.17 = 0.5072 kgCO2e/km
- cardboard:       801.5217655 − 699.881836 = 101.6399295 kgCO2e saved per t
- wood:            312.6117802 − 112.9696837 = 199.6420965 kgCO2e saved per t
"""

from __future__ import annotations

import ast
import math
import re
from datetime import date
from pathlib import Path

import pytest
from reporting.indicators import (
    FACTORS_PATH,
    LABELS_FR,
    NISP_NAMES,
    NUMERIC_FIELDS,
    Factors,
    FactorsError,
    Flow,
    Indicators,
    Transport,
    annual,
    compare,
    default_factors,
    indicators,
    load_factors,
    months_between,
    total,
)

YEAR_2025 = (date(2025, 1, 1), date(2026, 1, 1))
MODULE = Path(__file__).resolve().parents[2] / "services" / "reporting" / "indicators.py"


def flow(**overrides) -> Flow:
    values = dict(
        synergy_id="S1",
        synergy_type="substitution",
        material="cardboard",
        quantity=2.0,
        unit="t",
        period="month",
        start=date(2024, 3, 1),
        end=None,
    )
    values.update(overrides)
    return Flow(**values)


def cardboard_synergy() -> Flow:
    """The Nuits-Saint-Georges case: cardboard offcuts, 3 heavy-truck trips a month of 360 km removed."""
    return flow(
        synergy_id="nsg-carton",
        quantity=2.0,
        transport_before=Transport(3, 360, "articulated_40t"),
        transport_after=None,
    )


# --- The mandatory worked check --------------------------------------------------------------


def test_cardboard_synergy_removing_three_heavy_truck_trips_a_month_of_360_km():
    year = annual(cardboard_synergy())
    # 3 trips/month × 12 months = 36 trips
    assert year.truck_trips_avoided == 36
    # 3 trips × 360 km = 1,080 km/month; × 12 = 12,960 km
    assert year.km_avoided == 12_960
    # 12,960 km × 1.07146 kgCO2e/km = 13,886.1216 kg = 13.8861216 t CO2e
    assert year.co2e_transport_t == pytest.approx(13.8861216, rel=1e-12)


def test_the_same_synergy_over_calendar_year_2025_gives_exactly_the_annual_figures():
    # Running since 2024-03-01 with no end: it covers all of 2025 → 12 calendar months → the annual figure.
    period = indicators([cardboard_synergy()], *YEAR_2025)
    assert period.figures() == annual(cardboard_synergy()).figures()
    assert period.truck_trips_avoided == 36 and period.km_avoided == 12_960


def test_a_leap_year_is_also_exactly_twelve_months():
    leap = indicators([cardboard_synergy()], date(2024, 1, 1), date(2025, 1, 1))
    # The flow starts 2024-03-01: 10 months (March … December) → 3 × 10 = 30 trips
    assert leap.truck_trips_avoided == 30
    running = flow(start=date(2020, 1, 1), transport_before=Transport(3, 360, "articulated_40t"))
    assert indicators([running], date(2024, 1, 1), date(2025, 1, 1)).figures() == annual(running).figures()


def test_cardboard_material_co2e_for_a_year():
    year = annual(cardboard_synergy())
    # 2 t/month × 12 = 24 t diverted and 24 t of virgin board replaced
    assert year.tonnes_diverted == 24
    assert year.virgin_material_substituted_t == 24
    # 24 t × 101.6399295 kgCO2e/t = 2,439.358308 kg = 2.439358308 t
    assert year.co2e_materials_t == pytest.approx(2.439358308, rel=1e-12)
    # total = 13.8861216 + 2.439358308 = 16.325479908 t
    assert year.co2e_total_t == pytest.approx(16.325479908, rel=1e-12)


# --- Calendar months --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (date(2025, 1, 1), date(2026, 1, 1), 12.0),  # 12 whole months
        (date(2024, 1, 1), date(2025, 1, 1), 12.0),  # leap year: still 12
        (date(2025, 7, 1), date(2026, 1, 1), 6.0),  # July … December
        (date(2025, 1, 16), date(2025, 2, 1), 16 / 31),  # 16 of January's 31 days
        (date(2025, 2, 15), date(2025, 3, 1), 14 / 28),  # 14 of February's 28 days = 0.5
        (date(2025, 1, 16), date(2025, 3, 15), 16 / 31 + 1 + 14 / 31),  # end of Jan + Feb + 14 days of March
        (date(2025, 12, 1), date(2026, 2, 1), 2.0),  # across the new year
        (date(2025, 5, 1), date(2025, 5, 1), 0.0),  # empty
    ],
)
def test_months_between(start, end, months):
    assert months_between(start, end) == pytest.approx(months, rel=1e-12)


def test_whole_months_are_counted_exactly():
    assert months_between(date(2025, 1, 1), date(2026, 1, 1)) == 12.0
    assert months_between(date(2023, 1, 1), date(2026, 1, 1)) == 36.0


# --- Proration over a report period -----------------------------------------------------------


def test_a_flow_starting_mid_year_counts_its_months_only():
    started_july = flow(start=date(2025, 7, 1), transport_before=Transport(3, 360, "articulated_40t"))
    half = indicators([started_july], *YEAR_2025)
    # July … December = 6 months: 2 t × 6 = 12 t; 3 trips × 6 = 18 trips; 1,080 km × 6 = 6,480 km
    assert half.tonnes_diverted == 12
    assert half.truck_trips_avoided == 18
    assert half.km_avoided == 6_480


def test_a_flow_ending_mid_month_counts_the_days_of_that_month():
    ended = flow(start=date(2025, 1, 1), end=date(2025, 2, 15), quantity=28.0)
    result = indicators([ended], *YEAR_2025)
    # January (1) + 14 of February's 28 days (0.5) = 1.5 months; 28 t × 1.5 = 42 t
    assert result.tonnes_diverted == pytest.approx(42.0, rel=1e-12)


def test_the_end_date_is_exclusive_and_flows_outside_the_period_are_not_counted():
    ended_at_new_year = flow(synergy_id="old", start=date(2024, 1, 1), end=date(2025, 1, 1))
    not_started = flow(synergy_id="future", start=date(2026, 1, 1))
    result = indicators([ended_at_new_year, not_started], *YEAR_2025)
    assert result.flows_counted == 0 and result.trace == []
    assert result.figures() == Indicators().figures()


def test_weekly_and_yearly_quantities():
    # 1 t/week × 52 weeks = 52 t a year
    assert annual(flow(quantity=1.0, period="week")).tonnes_diverted == 52
    # 30 t/year over a quarter: 30 × 3/12 = 7.5 t
    quarter = indicators(
        [flow(quantity=30.0, period="year", start=date(2025, 1, 1))], date(2025, 1, 1), date(2025, 4, 1)
    )
    assert quarter.tonnes_diverted == pytest.approx(7.5, rel=1e-12)


def test_a_once_flow_counts_in_full_in_the_period_of_its_start_date():
    one_off = flow(
        synergy_id="stock",
        quantity=5.0,
        period="once",
        start=date(2025, 6, 10),
        end=None,
        transport_before=Transport(2, 100, "rigid_19t"),
        disposal_cost_avoided_eur=400.0,
        jobs=0.5,
    )
    in_period = indicators([one_off], *YEAR_2025)
    # 5 t once; 2 trips once; 2 × 100 = 200 km once; 200 km × 0.8559 = 171.18 kg = 0.17118 t CO2e; 400 €
    assert in_period.tonnes_diverted == 5
    assert in_period.truck_trips_avoided == 2
    assert in_period.km_avoided == 200
    assert in_period.co2e_transport_t == pytest.approx(0.17118, rel=1e-12)
    assert in_period.euros_saved == 400
    assert in_period.jobs == 0.5
    assert annual(one_off).figures() == in_period.figures()
    # The next year, the one-off flow counts nothing.
    assert indicators([one_off], date(2026, 1, 1), date(2027, 1, 1)).flows_counted == 0
    # A period ending on its start date does not contain it (end exclusive).
    assert indicators([one_off], date(2025, 1, 1), date(2025, 6, 10)).flows_counted == 0


# --- Tonnes ----------------------------------------------------------------------------------


def test_kilograms_become_tonnes():
    # 500 kg/month × 12 = 6,000 kg = 6 t
    assert annual(flow(quantity=500.0, unit="kg")).tonnes_diverted == pytest.approx(6.0, rel=1e-12)


def test_volumes_need_a_density_given_with_the_flow():
    with_density = annual(flow(quantity=10.0, unit="m3", density_t_per_unit=0.05))
    # 10 m3/month × 12 = 120 m3; × 0.05 t/m3 = 6 t
    assert with_density.tonnes_diverted == pytest.approx(6.0, rel=1e-12)
    assert with_density.trace[0]["tonnes_basis"] == "density given with the flow"
    litres = annual(flow(quantity=1000.0, unit="l", density_t_per_unit=0.0009))
    # 1,000 l × 12 = 12,000 l; × 0.0009 t/l = 10.8 t
    assert litres.tonnes_diverted == pytest.approx(10.8, rel=1e-12)


@pytest.mark.parametrize(
    ("unit", "density"),
    [
        ("m3", None),  # no density, and no cited default density for cardboard
        ("pallet", None),
        ("mwh", 1.0),  # energy never becomes tonnes, even with a density
        ("hour", None),
        ("day", None),
        ("kwh", None),
        ("furlong", None),  # not a unit of shared/units.py
    ],
)
def test_quantities_that_cannot_become_tonnes_are_reported_not_dropped(unit, density):
    result = annual(
        flow(
            synergy_id="S-x",
            unit=unit,
            density_t_per_unit=density,
            transport_before=Transport(1, 10, "van_3_5t"),
            jobs=1.0,
        )
    )
    assert result.unconverted == ["S-x"]
    assert result.trace[0]["unconverted_reason"]
    assert result.tonnes_diverted == 0 and result.virgin_material_substituted_t == 0
    assert result.co2e_materials_t == 0
    # The rest of the flow still counts: 1 trip × 12 = 12 trips; jobs 1; counted once.
    assert result.truck_trips_avoided == 12 and result.jobs == 1 and result.flows_counted == 1


def test_flags_decide_what_the_tonnes_count_as():
    neither = annual(flow(diverted_from_disposal=False, substitutes_virgin=False))
    assert neither.tonnes_diverted == 0 and neither.virgin_material_substituted_t == 0
    assert neither.co2e_materials_t == 0
    not_waste = annual(flow(diverted_from_disposal=False))
    # 24 t replace virgin board but were not waste
    assert not_waste.tonnes_diverted == 0 and not_waste.virgin_material_substituted_t == 24


def test_a_mutualisation_replaces_no_virgin_material():
    shared_collection = annual(
        flow(synergy_type="mutualisation", material="cardboard", quantity=1.0, shared_cost_saving_eur=1800.0)
    )
    # 1 t/month × 12 = 12 t diverted, but no material changes hands: no virgin substitution, no material CO2e
    assert shared_collection.tonnes_diverted == 12
    assert shared_collection.virgin_material_substituted_t == 0
    assert shared_collection.co2e_materials_t == 0
    assert shared_collection.euros_shared_saving == 1800 and shared_collection.euros_saved == 1800


def test_wood_substitution_uses_its_cited_factor():
    pallets = annual(flow(material="wood", quantity=0.5))
    # 0.5 t × 12 = 6 t; 6 × 199.6420965 = 1,197.852579 kg = 1.197852579 t
    assert pallets.co2e_materials_t == pytest.approx(1.197852579, rel=1e-12)
    assert pallets.trace[0]["material_factor"] == "wood"
    assert pallets.trace[0]["sources"] == ["uk_desnz_2023_material_use"]


def test_a_material_without_cited_factor_counts_its_tonnes_but_no_co2e():
    compost = annual(flow(synergy_id="S-org", material="organic", quantity=10.0))
    # 10 t × 12 = 120 t diverted and substituted; no cited factor for organic matter → 0 t CO2e, named
    assert compost.tonnes_diverted == 120 and compost.virgin_material_substituted_t == 120
    assert compost.co2e_materials_t == 0
    assert compost.missing_factors == ["S-org"]
    assert "organic" in compost.trace[0]["missing_factors"][0]
    unnamed = annual(flow(synergy_id="S-none", material=None))
    assert unnamed.co2e_materials_t == 0 and unnamed.missing_factors == ["S-none"]


# --- Transport ------------------------------------------------------------------------------


def test_transport_before_minus_after():
    rerouted = annual(
        flow(transport_before=Transport(4, 50, "rigid_19t"), transport_after=Transport(1, 80, "van_3_5t"))
    )
    # trips: (4 − 1) × 12 = 36
    assert rerouted.truck_trips_avoided == 36
    # km: (4 × 50 − 1 × 80) = 120 km/month; × 12 = 1,440 km
    assert rerouted.km_avoided == 1_440
    # CO2e: (200 km × 0.8559 − 80 km × 0.5072) = 171.18 − 40.576 = 130.604 kg/month; × 12 = 1,567.248 kg
    assert rerouted.co2e_transport_t == pytest.approx(1.567248, rel=1e-12)
    assert set(rerouted.trace[0]["vehicle_kgco2e_per_km"]) == {"rigid_19t", "van_3_5t"}


def test_a_synergy_that_adds_transport_shows_negative_figures():
    pickup = annual(flow(transport_before=None, transport_after=Transport(2, 30, "van_3_5t")))
    # trips: (0 − 2) × 12 = −24; km: −(2 × 30) × 12 = −720; CO2e: −720 × 0.5072 = −365.184 kg
    assert pickup.truck_trips_avoided == -24
    assert pickup.km_avoided == -720
    assert pickup.co2e_transport_t == pytest.approx(-0.365184, rel=1e-12)


def test_a_vehicle_without_cited_factor_counts_km_but_no_transport_co2e():
    farm = annual(
        flow(
            synergy_id="S-farm",
            transport_before=Transport(2, 40, "articulated_40t"),
            transport_after=Transport(2, 15, "tractor"),
        )
    )
    # km: (2 × 40 − 2 × 15) × 12 = 50 × 12 = 600 km; trips (2 − 2) × 12 = 0
    assert farm.km_avoided == 600 and farm.truck_trips_avoided == 0
    # The tractor leg has no cited factor: no transport CO2e for the flow rather than half of it.
    assert farm.co2e_transport_t == 0
    assert farm.missing_factors == ["S-farm"]
    assert farm.trace[0]["vehicle_kgco2e_per_km"]["tractor"] is None
    unknown = annual(flow(synergy_id="S-u", transport_before=Transport(1, 10, "hovercraft")))
    assert unknown.co2e_transport_t == 0 and unknown.missing_factors == ["S-u"] and unknown.km_avoided == 120


# --- Euros and jobs --------------------------------------------------------------------------


def test_euros_are_prorated_and_jobs_are_not():
    saving = flow(start=date(2025, 1, 1), disposal_cost_avoided_eur=1200.0, purchase_cost_avoided_eur=600.0, jobs=2.0)
    quarter = indicators([saving], date(2025, 1, 1), date(2025, 4, 1))
    # 3 months of 12: 1,200 × 3/12 = 300 €; 600 × 3/12 = 150 €; total 450 €
    assert quarter.euros_disposal_avoided == pytest.approx(300.0, rel=1e-12)
    assert quarter.euros_purchase_avoided == pytest.approx(150.0, rel=1e-12)
    assert quarter.euros_saved == pytest.approx(450.0, rel=1e-12)
    # jobs: 2, whatever the share of the year
    assert quarter.jobs == 2


# --- Sums, comparison, trace ----------------------------------------------------------------


def test_sum_of_flows():
    a = flow(synergy_id="A", unit="t", quantity=1.0, jobs=1.0)
    b = flow(synergy_id="B", unit="mwh", quantity=40.0, jobs=0.5)
    c = flow(synergy_id="C", unit="hour", quantity=10.0, synergy_type="mutualisation")
    both = indicators([a, b, c], *YEAR_2025)
    # A: 1 t × 12 = 12 t; B and C: not tonnes; jobs 1 + 0.5 = 1.5
    assert both.tonnes_diverted == 12 and both.jobs == 1.5 and both.flows_counted == 3
    assert both.unconverted == ["B", "C"]
    assert [t["synergy_id"] for t in both.trace] == ["A", "B", "C"]
    summed = total([annual(a), annual(b), annual(c)])
    assert summed.figures() == both.figures()
    assert (annual(b) + annual(b)).unconverted == ["B"]
    assert total([]) == Indicators()


def test_compare_period_over_period():
    current = Indicators(tonnes_diverted=30.0, km_avoided=-100.0, jobs=2.0, flows_counted=3)
    previous = Indicators(tonnes_diverted=20.0, km_avoided=-200.0, jobs=0.0, flows_counted=2)
    changes = compare(current, previous)
    # 30 − 20 = 10 t; 10 / 20 = +50 %
    assert changes["tonnes_diverted"].difference == 10 and changes["tonnes_diverted"].percent == 50
    # −100 − (−200) = +100 km; 100 / |−200| = +50 % (the figure went up)
    assert changes["km_avoided"].difference == 100 and changes["km_avoided"].percent == 50
    # previous 0 → no %
    assert changes["jobs"].difference == 2 and changes["jobs"].percent is None
    # 3 − 2 = 1 synergy; 1 / 2 = +50 %
    assert changes["flows_counted"].percent == 50
    assert set(changes) == {*NUMERIC_FIELDS, "flows_counted"}


def test_every_traced_figure_names_its_flow_and_cited_sources():
    factors = default_factors()
    result = indicators([cardboard_synergy(), flow(synergy_id="S2", material="wood")], *YEAR_2025)
    for entry in result.trace:
        assert entry["synergy_id"] and entry["factors_version"] == factors.version
        for source in entry["sources"]:
            assert source in factors.sources
    assert result.trace[0]["sources"] == [
        "fr_arrete_2012_info_co2_annex2",
        "fr_arrete_2017_info_ges_annex",
        "uk_desnz_2023_material_use",
    ]
    assert result.trace[0]["counted_from"] == "2025-01-01" and result.trace[0]["counted_to"] == "2026-01-01"
    # The sum of the trace is the total.
    for name in (
        "tonnes_diverted",
        "km_avoided",
        "co2e_transport_t",
        "co2e_materials_t",
        "co2e_total_t",
        "euros_saved",
        "jobs",
    ):
        assert math.fsum(t[name] for t in result.trace) == pytest.approx(getattr(result, name), rel=1e-12)


def test_every_indicator_has_a_french_label():
    assert set(LABELS_FR) == {*NUMERIC_FIELDS, "flows_counted"}
    assert set(NISP_NAMES) <= set(LABELS_FR)


# --- Factors file ---------------------------------------------------------------------------


def test_shipped_factors_are_complete_and_cited():
    factors = default_factors()
    assert isinstance(factors, Factors)
    # 0.338 l/km × 3.17 kgCO2e/l = 1.07146 kgCO2e/km
    assert factors.vehicles["articulated_40t"].kgco2e_per_km == 1.07146
    assert factors.fuels["diesel_road"].kgco2e_per_l == 3.17
    # 801.5217655 − 699.881836 = 101.6399295 kgCO2e/t
    assert factors.materials["cardboard"].kgco2e_saved_per_t == 101.6399295
    assert factors.vehicles["tractor"].kgco2e_per_km is None
    for vehicle in factors.vehicles.values():
        assert vehicle.kgco2e_per_km is None or vehicle.sources
        assert all(s in factors.sources for s in vehicle.sources)
    for material in factors.materials.values():
        assert material.source in factors.sources
        assert material.density_t_per_m3 is None or material.density_source in factors.sources
    for source in factors.sources.values():
        assert source.name and source.identifier and source.url and source.status and source.year


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "factors.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = FACTORS_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (GOOD.replace("value = 1.07146 ", "value = 1.2 "), "litres_per_km × fuel"),
        (GOOD.replace("value = 101.6399295", "value = 120.0"), "virgin − substitute"),
        (
            GOOD.replace('source = "uk_desnz_2023_material_use"\nvirgin = 801', 'source = "nowhere"\nvirgin = 801'),
            "unknown source",
        ),
        (GOOD.replace("upstream = 0.66", "upstream = 0.70"), "upstream + combustion"),
        (GOOD.replace('status = "no cited factor"', ""), "status"),
        (GOOD.replace("year = 2023", 'year = "2023"'), "year"),
        ("[meta]\nversion = 'x'\n", "at least one source"),
        ("not = toml = at all", "invalid TOML"),
    ],
)
def test_an_inconsistent_factors_file_is_refused(tmp_path, broken, message):
    assert broken != GOOD
    with pytest.raises(FactorsError, match=re.escape(message)):
        load_factors(_write(tmp_path, broken))


def test_other_factors_can_be_passed_explicitly(tmp_path):
    cheaper_truck = load_factors(
        _write(
            tmp_path,
            GOOD.replace("litres_per_km = 0.338", "litres_per_km = 0.3").replace("value = 1.07146 ", "value = 0.951 "),
        )
    )
    # 12,960 km × 0.3 × 3.17 = 12,960 × 0.951 = 12,324.96 kg
    assert annual(cardboard_synergy(), factors=cheaper_truck).co2e_transport_t == pytest.approx(12.32496, rel=1e-12)


# --- Validation and purity ------------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"synergy_type": "barter"},
        {"period": "day"},
        {"quantity": -1.0},
        {"quantity": math.nan},
        {"end": date(2024, 1, 1)},  # before start 2024-03-01
        {"density_t_per_unit": 0.0},
    ],
)
def test_invalid_flows_are_refused(overrides):
    with pytest.raises(ValueError):
        flow(**overrides)


def test_invalid_transport_and_period_are_refused():
    with pytest.raises(ValueError):
        Transport(-1, 10, "van_3_5t")
    with pytest.raises(ValueError):
        indicators([], date(2025, 1, 1), date(2025, 1, 1))


def test_the_module_imports_only_the_standard_library():
    tree = ast.parse(MODULE.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported <= {
        "__future__",
        "calendar",
        "collections",
        "dataclasses",
        "datetime",
        "functools",
        "math",
        "pathlib",
        "tomllib",
        "typing",
    }
